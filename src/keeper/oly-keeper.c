/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly-keeper: runs oly-daemon and outlives it. It holds the daemon's listening sockets and every running
 * session's PTY master (as systemd's fd store does), starts the daemon again at once when it crashes or
 * asks to be restarted, and, as a child subreaper, reaps the session leaders a dead daemon leaves behind
 * and keeps how they ended for the next daemon. One small process for all sessions: what systemd does
 * for oly-daemon.service, for 'oly daemon start' without systemd. See oly-daemon(8). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "keeper-protocol.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "oly-def.h"
#include "strv.h"
#include "time-util.h"

/* A daemon that dies within this long of its start counts as failing fast: the next start waits
 * KEEPER_BACKOFF_MIN_USEC, doubling up to KEEPER_BACKOFF_MAX_USEC. */
#define KEEPER_FAST_FAILURE_USEC (10 * USEC_PER_SEC)
#define KEEPER_BACKOFF_MIN_USEC (100 * USEC_PER_MSEC)
#define KEEPER_BACKOFF_MAX_USEC (5 * USEC_PER_SEC)
/* How long one message to the daemon may take to be taken (its start-up reads them at once). */
#define KEEPER_SEND_TIMEOUT_SEC 10

typedef struct Held {
        LIST_FIELDS(struct Held, held);
        char id[OLY_ID_STRLEN];
        pid_t pid;
        int fd;
        bool exited;
        int how, what;
        uint64_t time;
} Held;

typedef struct Keeper {
        sd_event *event;
        char **daemon_argv;
        int listen_fds[8];
        char *listen_names[8];
        size_t n_listen;

        pid_t daemon_pid;
        int sock; /* ours, to the current daemon */
        sd_event_source *sock_source, *restart_timer;
        usec_t started_at;
        unsigned fast_failures;
        bool ready_once; /* a daemon has served: its deaths are crashes to recover from */
        bool stopping; /* told to stop: the daemon's exit ends us */

        Held *held;
        unsigned n_held;
} Keeper;

static Held *keeper_find(Keeper *k, const char *id) {
        LIST_FOREACH (held, h, k->held)
                if (streq(h->id, id))
                        return h;
        return NULL;
}

static void held_free(Keeper *k, Held *h) {
        LIST_REMOVE(held, k->held, h);
        k->n_held--;
        safe_close(h->fd);
        free(h);
}

static void keeper_disconnect(Keeper *k) {
        k->sock_source = sd_event_source_disable_unref(k->sock_source);
        k->sock = safe_close(k->sock);
}

static int keeper_send_exited(Keeper *k, const Held *h) {
        KeeperMessage m = {
                .type = KEEPER_EXITED,
                .version = OLY_KEEPER_PROTOCOL_VERSION,
                .pid = (uint32_t) h->pid,
                .how = h->how,
                .what = h->what,
                .time = h->time,
        };
        memcpy(m.id, h->id, sizeof m.id);
        return keeper_send(k->sock, &m, -EBADF);
}

/* What a new daemon learns first: every master we hold and every end we saw. */
static int keeper_send_state(Keeper *k) {
        KeeperMessage m = { .type = KEEPER_HELLO,
                            .version = OLY_KEEPER_PROTOCOL_VERSION,
                            .pid = (uint32_t) getpid() };
        int r;

        r = keeper_send(k->sock, &m, -EBADF);
        LIST_FOREACH (held, h, k->held) {
                if (r < 0)
                        break;
                m = (KeeperMessage){ .type = KEEPER_HELD,
                                     .version = OLY_KEEPER_PROTOCOL_VERSION,
                                     .pid = (uint32_t) h->pid };
                memcpy(m.id, h->id, sizeof m.id);
                r = keeper_send(k->sock, &m, h->fd);
                if (r >= 0 && h->exited)
                        r = keeper_send_exited(k, h);
        }
        if (r >= 0)
                r = keeper_send(
                        k->sock,
                        &(KeeperMessage){ .type = KEEPER_END, .version = OLY_KEEPER_PROTOCOL_VERSION },
                        -EBADF);
        return r;
}

static void keeper_handle(Keeper *k, const KeeperMessage *m, int fd) {
        Held *h;

        switch (m->type) {
        case KEEPER_HOLD:
                h = keeper_find(k, m->id);
                if (!h) {
                        if (k->n_held >= OLY_KEEPER_HOLD_MAX) {
                                log_warning("Holding %u sessions already; session %s is not kept across a "
                                            "daemon restart.",
                                            k->n_held, m->id);
                                safe_close(fd);
                                return;
                        }
                        h = calloc(1, sizeof *h);
                        if (!h) {
                                log_oom();
                                safe_close(fd);
                                return;
                        }
                        h->fd = -EBADF;
                        memcpy(h->id, m->id, sizeof h->id);
                        LIST_PREPEND(held, k->held, h);
                        k->n_held++;
                }
                safe_close(h->fd);
                h->fd = fd;
                h->pid = (pid_t) m->pid;
                h->exited = false;
                log_debug("Holding session %s (pid %d).", h->id, (int) h->pid);
                return;
        case KEEPER_DROP:
                h = keeper_find(k, m->id);
                if (h)
                        held_free(k, h);
                return;
        case KEEPER_READY:
                k->ready_once = true;
                return;
        default:
                log_warning("Unexpected message %u from the daemon; ignored.", m->type);
                safe_close(fd);
        }
}

static int on_daemon_message(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Keeper *k = userdata;

        for (int i = 0; i < 64; i++) {
                KeeperMessage m;
                int mfd = -EBADF;
                int r = keeper_recv(k->sock, &m, &mfd);
                if (r == -EAGAIN)
                        return 0;
                if (r == 0 || r == -ECONNRESET) {
                        /* The daemon is going: its exit tells the rest. */
                        keeper_disconnect(k);
                        return 0;
                }
                if (r < 0) {
                        log_warning_errno(r, "Bad message from the daemon, no longer listening to it: %m");
                        keeper_disconnect(k);
                        return 0;
                }
                keeper_handle(k, &m, mfd);
        }
        return 0;
}

/* In the child: the listening sockets at 3.., our socket after them, the environment systemd would give. */
static _noreturn_ void keeper_exec_daemon(Keeper *k, int sock) {
        size_t n = k->n_listen;
        int moved[ELEMENTSOF(k->listen_fds) + 1];
        sigset_t none;

        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        (void) signal(SIGHUP, SIG_DFL);
        /* First out of the way of 3..3+n, then into place. */
        for (size_t i = 0; i <= n; i++) {
                moved[i] = fcntl(i < n ? k->listen_fds[i] : sock, F_DUPFD_CLOEXEC, 3 + (int) n + 1);
                if (moved[i] < 0)
                        _exit(EXIT_FAILURE);
        }
        for (size_t i = 0; i <= n; i++)
                if (dup2(moved[i], 3 + (int) i) < 0)
                        _exit(EXIT_FAILURE);
        char buf[64];
        _cleanup_free_ char *names = NULL;
        size_t len = 0;
        for (size_t i = 0; i < n; i++)
                len += strlen(k->listen_names[i]) + 1;
        names = calloc(len + 1, 1);
        if (!names)
                _exit(EXIT_FAILURE);
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        strcat(names, ":");
                strcat(names, k->listen_names[i]);
        }
        (void) unsetenv("LISTEN_FDS");
        (void) unsetenv("LISTEN_PID");
        (void) unsetenv("LISTEN_FDNAMES");
        if (n > 0) {
                snprintf(buf, sizeof buf, "%zu", n);
                (void) setenv("LISTEN_FDS", buf, 1);
                snprintf(buf, sizeof buf, "%d", (int) getpid());
                (void) setenv("LISTEN_PID", buf, 1);
                (void) setenv("LISTEN_FDNAMES", names, 1);
        }
        snprintf(buf, sizeof buf, "%d", 3 + (int) n);
        (void) setenv(OLY_KEEPER_FD_ENV, buf, 1);
        (void) close_range(3 + (unsigned) n + 1, ~0U, 0);
        execv(k->daemon_argv[0], k->daemon_argv);
        fprintf(stderr, "oly-keeper: cannot execute %s: %m\n", k->daemon_argv[0]);
        _exit(127);
}

static int keeper_start_daemon(Keeper *k) {
        int sp[2], r;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
                return log_error_errno(errno, "Failed to make the daemon's socket: %m");
        pid = fork();
        if (pid < 0) {
                safe_close(sp[0]);
                safe_close(sp[1]);
                return log_error_errno(errno, "Failed to start the daemon: %m");
        }
        if (pid == 0) {
                safe_close(sp[0]);
                keeper_exec_daemon(k, sp[1]);
        }
        safe_close(sp[1]);
        k->daemon_pid = pid;
        k->sock = sp[0];
        k->started_at = now_usec(CLOCK_MONOTONIC);
        (void) setsockopt(k->sock, SOL_SOCKET, SO_SNDTIMEO,
                          &(struct timeval){ .tv_sec = KEEPER_SEND_TIMEOUT_SEC }, sizeof(struct timeval));
        /* A new web password goes to the first daemon only: it stores it. */
        for (size_t i = 0; i < k->n_listen; i++)
                if (streq(k->listen_names[i], OLY_LISTEN_FDNAME_PASSWORD)) {
                        safe_close(k->listen_fds[i]);
                        free(k->listen_names[i]);
                        memmove(k->listen_fds + i, k->listen_fds + i + 1,
                                (k->n_listen - i - 1) * sizeof(int));
                        memmove(k->listen_names + i, k->listen_names + i + 1,
                                (k->n_listen - i - 1) * sizeof(char *));
                        k->n_listen--;
                        break;
                }
        r = keeper_send_state(k);
        if (r < 0)
                log_warning_errno(r, "Failed to hand the held sessions to the daemon (pid %d): %m",
                                  (int) pid);
        r = sd_event_add_io(k->event, &k->sock_source, k->sock, EPOLLIN, on_daemon_message, k);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the daemon's socket: %m");
        log_debug("Started %s (pid %d) with %u session(s) held.", k->daemon_argv[0], (int) pid, k->n_held);
        return 0;
}

static int on_restart_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        Keeper *k = userdata;
        k->restart_timer = sd_event_source_disable_unref(k->restart_timer);
        if (keeper_start_daemon(k) < 0)
                return sd_event_exit(k->event, EXIT_FAILURE);
        return 0;
}

static void keeper_daemon_exited(Keeper *k, const siginfo_t *si) {
        bool crashed = si->si_code != CLD_EXITED || si->si_status != 0;
        int code = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
        usec_t delay = 0;

        k->daemon_pid = 0;
        keeper_disconnect(k);
        if (k->stopping || !crashed) {
                /* Stopped as asked (its sessions stopped with it), or told to stop ourselves. */
                (void) sd_event_exit(k->event, code == OLY_EXIT_RESTART ? 0 : code);
                return;
        }
        if (si->si_code == CLD_EXITED && si->si_status == OLY_EXIT_RESTART)
                log_info("The daemon asked to be restarted; starting it again (%u session(s) held).",
                         k->n_held);
        else if (!k->ready_once) {
                /* It never served: a configuration or start-up error, which a new start repeats. */
                (void) sd_event_exit(k->event, code);
                return;
        } else {
                if (si->si_code == CLD_EXITED)
                        log_warning(
                                "The daemon exited with code %d; starting it again (%u session(s) held).",
                                si->si_status, k->n_held);
                else
                        log_warning(
                                "The daemon was killed by signal %s; starting it again (%u session(s) held).",
                                strsignal(si->si_status), k->n_held);
                if (now_usec(CLOCK_MONOTONIC) - k->started_at < KEEPER_FAST_FAILURE_USEC) {
                        delay = MIN(KEEPER_BACKOFF_MIN_USEC << MIN(k->fast_failures, 10U),
                                    KEEPER_BACKOFF_MAX_USEC);
                        k->fast_failures++;
                } else
                        k->fast_failures = 0;
        }
        if (delay == 0) {
                if (keeper_start_daemon(k) < 0)
                        (void) sd_event_exit(k->event, EXIT_FAILURE);
                return;
        }
        if (sd_event_add_time_relative(k->event, &k->restart_timer, CLOCK_MONOTONIC, delay, 0,
                                       on_restart_timer, k) < 0)
                (void) sd_event_exit(k->event, EXIT_FAILURE);
}

/* Our children: the daemon, and session leaders (and whatever else) a dead daemon left to us. */
static int on_sigchld(sd_event_source *src, const struct signalfd_siginfo *ssi, void *userdata) {
        Keeper *k = userdata;

        for (;;) {
                siginfo_t si = {};
                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                        return 0;
                if (si.si_pid == k->daemon_pid) {
                        keeper_daemon_exited(k, &si);
                        continue;
                }
                LIST_FOREACH (held, h, k->held)
                        if (h->pid == si.si_pid && !h->exited) {
                                h->exited = true;
                                h->how = si.si_code;
                                h->what = si.si_status;
                                h->time = now_usec(CLOCK_REALTIME);
                                log_debug("Session %s (pid %d) ended while its daemon was away.", h->id,
                                          (int) h->pid);
                                if (k->sock >= 0)
                                        (void) keeper_send_exited(k, h);
                                break;
                        }
        }
}

static int on_stop_signal(sd_event_source *src, const struct signalfd_siginfo *ssi, void *userdata) {
        Keeper *k = userdata;

        k->stopping = true;
        if (k->daemon_pid > 0) {
                /* The daemon stops its sessions, then exits; we follow. */
                (void) kill(k->daemon_pid, SIGTERM);
                return 0;
        }
        return sd_event_exit(k->event, 0);
}

static int keeper_take_listen_fds(Keeper *k) {
        _cleanup_strv_free_ char **names = NULL;
        int n = sd_listen_fds_with_names(1, &names);

        if (n < 0)
                return log_error_errno(n, "Failed to read the sockets passed in: %m");
        if ((size_t) n > ELEMENTSOF(k->listen_fds))
                return log_error_errno(-E2BIG, "Too many sockets passed in (%d).", n);
        for (int i = 0; i < n; i++) {
                k->listen_fds[i] = SD_LISTEN_FDS_START + i;
                (void) fcntl(k->listen_fds[i], F_SETFD, FD_CLOEXEC);
                k->listen_names[i] = strdup(names && names[i] ? names[i] : "unknown");
                if (!k->listen_names[i])
                        return log_oom();
        }
        k->n_listen = (size_t) n;
        return 0;
}

static void help(void) {
        printf("oly-keeper [OPTIONS...] DAEMON [ARGS...]\n\n"
               "Runs DAEMON (oly-daemon) and keeps its sessions across its restarts and crashes: holds the\n"
               "sockets passed in and the sessions' terminals, starts the daemon again when it dies, and\n"
               "records how sessions ended while it was away. Started by 'oly daemon start'.\n\n"
               "  -h --help       Show this help\n"
               "     --version    Show the version\n\n"
               "See oly-daemon(8).\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        Keeper k = { .sock = -EBADF };
        sigset_t ss;
        int c, r;

        log_set_ident("oly-keeper");
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("oly-keeper %s\n", OLY_VERSION);
                        return 0;
                default:
                        return 2;
                }
        if (optind >= argc) {
                fprintf(stderr, "oly-keeper: which daemon to run? See --help.\n");
                return 2;
        }
        k.daemon_argv = argv + optind;

        r = keeper_take_listen_fds(&k);
        if (r < 0)
                return EXIT_FAILURE;
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                return log_error_errno(errno, "Failed to become a child subreaper: %m"), EXIT_FAILURE;
        (void) signal(SIGPIPE, SIG_IGN);
        /* A closed terminal must not take the sessions' keeper with it. */
        (void) signal(SIGHUP, SIG_IGN);
        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m"), EXIT_FAILURE;
        r = sd_event_default(&k.event);
        if (r >= 0)
                r = sd_event_add_signal(k.event, NULL, SIGCHLD, on_sigchld, &k);
        if (r >= 0)
                r = sd_event_add_signal(k.event, NULL, SIGTERM, on_stop_signal, &k);
        if (r >= 0)
                r = sd_event_add_signal(k.event, NULL, SIGINT, on_stop_signal, &k);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event loop: %m"), EXIT_FAILURE;

        r = keeper_start_daemon(&k);
        if (r < 0)
                return EXIT_FAILURE;
        r = sd_event_loop(k.event);

        while (k.held)
                held_free(&k, k.held);
        keeper_disconnect(&k);
        for (size_t i = 0; i < k.n_listen; i++) {
                safe_close(k.listen_fds[i]);
                free(k.listen_names[i]);
        }
        sd_event_source_disable_unref(k.restart_timer);
        sd_event_unref(k.event);
        return r < 0 ? EXIT_FAILURE : r;
}
