/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly-http as the daemon's child: spawned with the passed-in socket, restarted with a limit, stopped at
 * exit (as a face of the manager, it goes when the manager goes). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "exec-util.h"
#include "http-child.h"
#include "log.h"
#include "manager.h"
#include "paths.h"
#include "time-util.h"

#define HTTP_RESTART_DELAY_USEC (1 * USEC_PER_SEC)
#define HTTP_RESTART_BURST 5 /* restarts allowed within ... */
#define HTTP_RESTART_WINDOW_USEC (60 * USEC_PER_SEC) /* ... this window, then we give up */
#define HTTP_STOP_TIMEOUT_USEC (3 * USEC_PER_SEC)

/* $OLY_HTTP, beside oly-daemon (installed), the build tree's ../http/, or the installed libexec path. */
static char *find_http_binary(void) {
        static const char *const rel[] = { "oly-http", "../http/oly-http" };
        return find_oly_binary("OLY_HTTP", rel, ELEMENTSOF(rel), OLY_LIBEXECDIR "/oly-http");
}

struct HttpChild {
        Manager *manager;
        ManagerFace face;
        pid_t pid;
        sd_event_source *child, *restart;
        unsigned restarts;
        usec_t window_start;
};

static int http_child_spawn(HttpChild *c);

static int on_restart_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        HttpChild *c = userdata;
        c->restart = sd_event_source_disable_unref(c->restart);
        (void) http_child_spawn(c);
        return 0;
}

static int on_http_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        HttpChild *c = userdata;
        Manager *m = c->manager;
        usec_t now = now_usec(CLOCK_MONOTONIC);
        int r;

        c->child = sd_event_source_disable_unref(c->child);
        c->pid = 0;
        if (m->shutting_down)
                return 0;
        if (si->si_code == CLD_EXITED)
                log_warning("oly-http exited with code %d.", si->si_status);
        else
                log_warning("oly-http was killed by signal %s.", strsignal(si->si_status));

        if (c->window_start == 0 || now - c->window_start > HTTP_RESTART_WINDOW_USEC) {
                c->window_start = now;
                c->restarts = 0;
        }
        if (++c->restarts > HTTP_RESTART_BURST) {
                log_error("oly-http failed %d times within %llu s; not restarting it. The web UI is down "
                          "until "
                          "the daemon restarts.",
                          HTTP_RESTART_BURST,
                          (unsigned long long) (HTTP_RESTART_WINDOW_USEC / USEC_PER_SEC));
                return 0;
        }
        r = sd_event_add_time_relative(m->event, &c->restart, CLOCK_MONOTONIC, HTTP_RESTART_DELAY_USEC, 0,
                                       on_restart_timer, c);
        if (r < 0)
                log_error_errno(r, "Failed to schedule an oly-http restart: %m");
        return 0;
}

static int http_child_spawn(HttpChild *c) {
        Manager *m = c->manager;
        _cleanup_free_ char *binary = find_http_binary();
        int r;

        if (!binary)
                return log_oom();
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0)
                return log_error_errno(errno, "Failed to fork oly-http: %m");
        if (pid == 0) {
                /* The child: the environment systemd's oly-http.socket would give, nothing more. */
                sigset_t none;
                char pidstr[32];

                /* Our oly-http goes when we go, even when we are SIGKILLed: an orphan would keep the port
                 * and serve a daemon that is gone. (Under systemd the two units are independent.) */
                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                        _exit(EXIT_FAILURE);

                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);
                (void) signal(SIGPIPE, SIG_DFL);
                if (m->http_listen_fd == SD_LISTEN_FDS_START) {
                        if (fcntl(m->http_listen_fd, F_SETFD, 0) < 0)
                                _exit(EXIT_FAILURE);
                } else if (dup2(m->http_listen_fd, SD_LISTEN_FDS_START) < 0)
                        _exit(EXIT_FAILURE);
                (void) close_range(SD_LISTEN_FDS_START + 1, ~0U, 0);
                snprintf(pidstr, sizeof pidstr, "%d", (int) getpid());
                if (setenv("LISTEN_FDS", "1", 1) < 0 || setenv("LISTEN_PID", pidstr, 1) < 0 ||
                    setenv("LISTEN_FDNAMES", OLY_LISTEN_FDNAME_HTTP, 1) < 0 ||
                    setenv("OLY_STATE_DIR", m->state_dir, 1) < 0 ||
                    setenv("OLY_RUNTIME_DIR", m->runtime_dir, 1) < 0)
                        _exit(EXIT_FAILURE);
                (void) unsetenv("NOTIFY_SOCKET");
                (void) unsetenv("WATCHDOG_PID");
                (void) unsetenv("WATCHDOG_USEC");
                if (m->http_no_auth)
                        execl(binary, "oly-http", "--no-auth", (char *) NULL);
                else
                        execl(binary, "oly-http", (char *) NULL);
                fprintf(stderr, "oly-daemon: cannot execute %s: %m\n", binary);
                _exit(127);
        }

        c->pid = pid;
        r = sd_event_add_child(m->event, &c->child, pid, WEXITED, on_http_exit, c);
        if (r < 0)
                return log_error_errno(r, "Failed to watch oly-http: %m");
        log_info("Started oly-http (pid %d)%s.", (int) pid,
                 m->http_no_auth ? " WITHOUT authentication" : "");
        return 0;
}

static void http_child_stop(ManagerFace *f) {
        HttpChild *c = f->userdata;

        c->restart = sd_event_source_disable_unref(c->restart);
        c->child = sd_event_source_disable_unref(c->child);
        if (c->pid > 0) {
                usec_t deadline = now_usec(CLOCK_MONOTONIC) + HTTP_STOP_TIMEOUT_USEC;
                (void) kill(c->pid, SIGTERM);
                for (;;) {
                        pid_t p = waitpid(c->pid, NULL, WNOHANG);
                        if (p == c->pid || (p < 0 && errno != EINTR))
                                break;
                        if (now_usec(CLOCK_MONOTONIC) >= deadline) {
                                log_warning("oly-http did not stop within %llu s; killing it.",
                                            (unsigned long long) (HTTP_STOP_TIMEOUT_USEC / USEC_PER_SEC));
                                (void) kill(c->pid, SIGKILL);
                                (void) waitpid(c->pid, NULL, 0);
                                break;
                        }
                        (void) usleep(10 * 1000);
                }
        }
        c->manager->http_listen_fd = safe_close(c->manager->http_listen_fd);
        c->manager->http_child = NULL;
        free(c);
}

int http_child_start(Manager *m) {
        HttpChild *c;

        if (m->http_listen_fd < 0)
                return 0;
        c = calloc(1, sizeof *c);
        if (!c)
                return log_oom();
        c->manager = m;
        c->face = (ManagerFace){ .free = http_child_stop, .userdata = c };
        manager_add_face(m, &c->face);
        m->http_child = c;
        return http_child_spawn(c);
}
