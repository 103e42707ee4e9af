/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Session lifecycle: spawn on a PTY, read and log its output, stop it, learn how it ended. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>

#include "exec-util.h"
#include "log.h"
#include "paths.h"
#include "session.h"

const char *session_path(Session *s) {
        return s->object_path;
}

static Session *session_alloc(Manager *m) {
        Session *s = calloc(1, sizeof *s);
        if (!s)
                return NULL;
        s->manager = m;
        s->master_fd = -EBADF;
        s->log_fd = -EBADF;
        s->rec.exit_code = -1;
        return s;
}

static int session_set_id(Session *s, const char *id) {
        snprintf(s->rec.id, sizeof s->rec.id, "%s", id);
        return asprintf(&s->object_path, OLY_SESSION_PATH_PREFIX "/%s", id) < 0 ? -ENOMEM : 0;
}

static void session_reply_waiters(Session *s) {
        for (size_t i = 0; i < s->n_stop_waiters; i++) {
                int r = sd_bus_reply_method_return(s->stop_waiters[i], "ssi", s->rec.id,
                                                   session_status_to_string(s->rec.status), s->rec.exit_code);
                if (r < 0)
                        log_debug_errno(r, "Failed to answer a stop request for %s: %m", s->rec.id);
                sd_bus_message_unref(s->stop_waiters[i]);
        }
        free(s->stop_waiters);
        s->stop_waiters = NULL;
        s->n_stop_waiters = 0;
}

Session *session_free(Session *s) {
        if (!s)
                return NULL;
        /* Anyone still waiting learns the state we have rather than hanging. */
        session_reply_waiters(s);
        sd_event_source_disable_unref(s->pty_source);
        sd_event_source_disable_unref(s->child_source);
        sd_event_source_disable_unref(s->stop_timer);
        sd_event_source_disable_unref(s->drain_timer);
        sd_event_source_disable_unref(s->evict_timer);
        safe_close(s->master_fd);
        safe_close(s->log_fd);
        session_record_done(&s->rec);
        free(s->object_path);
        free(s);
        return NULL;
}

static int session_save(Session *s) {
        int r = db_session_update(s->manager->db, &s->rec);
        if (r < 0)
                log_error_errno(r, "Failed to record session %s in the database: %m", s->rec.id);
        return r;
}

static void session_log_line(Session *s, const char *fmt, ...) _printf_(2, 3);
static void session_log_line(Session *s, const char *fmt, ...) {
        _cleanup_free_ char *line = NULL;
        va_list ap;
        int n;

        if (s->log_fd < 0)
                return;
        va_start(ap, fmt);
        n = vasprintf(&line, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if (write(s->log_fd, line, (size_t) n) != n)
                log_warning_errno(errno, "Failed to write to the log of session %s: %m", s->rec.id);
}

static void session_append_log(Session *s, const char *buf, size_t n) {
        while (n > 0) {
                ssize_t k = write(s->log_fd, buf, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        /* A full disk must not stop the session; the bytes still reach attached clients. */
                        log_warning_errno(errno, "Failed to append to the log of session %s: %m", s->rec.id);
                        return;
                }
                buf += k;
                n -= (size_t) k;
        }
}

/* Reads once. Returns 1 if data was read, 0 on EAGAIN, -EIO when the terminal is gone. */
static int session_read_pty(Session *s) {
        static char buf[SESSION_READ_MAX];
        ssize_t n;

        if (s->master_fd < 0)
                return -EIO;
        n = read(s->master_fd, buf, sizeof buf);
        if (n > 0) {
                if (s->log_fd >= 0)
                        session_append_log(s, buf, (size_t) n);
                return 1;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        /* EIO: every slave fd is closed. 0 cannot happen on a PTY master, treat it the same. */
        return -EIO;
}

static void session_close_pty(Session *s) {
        s->pty_source = sd_event_source_disable_unref(s->pty_source);
        s->master_fd = safe_close(s->master_fd);
        s->pty_closed = true;
}

static void session_end(Session *s) {
        Manager *m = s->manager;
        int sig = 0, code = -1;

        /* Whatever is still buffered in the terminal belongs to the log. */
        while (session_read_pty(s) > 0)
                ;
        session_close_pty(s);
        s->drain_timer = sd_event_source_disable_unref(s->drain_timer);
        s->stop_timer = sd_event_source_disable_unref(s->stop_timer);
        s->child_source = sd_event_source_disable_unref(s->child_source);

        if (s->exit_info.si_code == CLD_EXITED)
                code = s->exit_info.si_status;
        else if (s->exit_info.si_code == CLD_KILLED || s->exit_info.si_code == CLD_DUMPED) {
                sig = s->exit_info.si_status;
                code = 128 + sig; /* the shell's convention */
        }

        s->rec.exit_code = code;
        s->rec.ended_at = now_usec(CLOCK_REALTIME);
        if (s->sigkill_sent || s->kill_requested)
                s->rec.status = SESSION_KILLED;
        else if (s->stop_requested)
                s->rec.status = SESSION_STOPPED;
        else if (code == 0)
                s->rec.status = SESSION_STOPPED;
        else
                s->rec.status = SESSION_FAILED;

        if (sig > 0)
                log_info("Session %s ended by signal %s: %s", s->rec.id, strsignal(sig),
                         session_status_to_string(s->rec.status));
        else
                log_info("Session %s exited with code %d: %s", s->rec.id, code,
                         session_status_to_string(s->rec.status));

        s->log_fd = safe_close(s->log_fd);
        (void) session_save(s);
        session_send_changed(s, "Status", "ExitCode", "EndedAt", NULL);
        session_reply_waiters(s);
        manager_session_ended(m, s);
        session_schedule_eviction(s);
}

static int on_drain_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        Session *s = userdata;
        /* The leader is gone but something else keeps the terminal open; do not wait for it. */
        log_debug("Session %s: terminal still held open after the leader exited; closing it.", s->rec.id);
        session_end(s);
        return 0;
}

static int on_pty_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Session *s = userdata;
        int r = session_read_pty(s);

        if (r >= 0)
                return 0;
        /* The terminal is gone: stop polling it (EPOLLHUP would fire forever). */
        s->pty_source = sd_event_source_disable_unref(s->pty_source);
        if (s->child_exited)
                session_end(s);
        return 0;
}

static int on_child_exit(sd_event_source *src, const siginfo_t *si, void *userdata) {
        Session *s = userdata;
        int r;

        s->exit_info = *si;
        s->child_exited = true;
        s->child_source = sd_event_source_disable_unref(s->child_source);

        /* Output the leader wrote just before exiting may still be on its way through the line
         * discipline: read until the terminal reports hang-up (EIO), for at most SESSION_DRAIN_USEC. */
        while ((r = session_read_pty(s)) > 0)
                ;
        if (r < 0 || !s->pty_source) {
                session_end(s);
                return 0;
        }
        r = sd_event_add_time_relative(s->manager->event, &s->drain_timer, CLOCK_MONOTONIC, SESSION_DRAIN_USEC,
                                       10 * USEC_PER_MSEC, on_drain_timeout, s);
        if (r < 0) {
                log_warning_errno(r, "Failed to arm the drain timer of session %s: %m", s->rec.id);
                session_end(s);
        }
        return 0;
}

/* Signals the session's process groups: the leader's (its pid, it called setsid) and the terminal's
 * foreground group, which differs when a shell in the session runs a job. */
static void session_signal(Session *s, int sig) {
        pid_t leader = (pid_t) s->rec.pid, fg = -1;

        if (leader <= 0 || s->child_exited)
                return;
        if (kill(-leader, sig) < 0 && errno != ESRCH)
                log_warning_errno(errno, "Failed to send %s to session %s: %m", strsignal(sig), s->rec.id);
        if (s->master_fd >= 0)
                fg = tcgetpgrp(s->master_fd);
        if (fg > 0 && fg != leader)
                (void) kill(-fg, sig);
}

static int on_stop_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        Session *s = userdata;

        log_info("Session %s did not stop within its grace period; sending SIGKILL.", s->rec.id);
        s->sigkill_sent = true;
        session_signal(s, SIGKILL);
        return 0;
}

int session_stop(Session *s, uint64_t grace_usec, sd_bus_message *reply) {
        usec_t now = now_usec(CLOCK_MONOTONIC), deadline = now + grace_usec;
        int r;

        if (!s->active) {
                if (reply)
                        return sd_bus_reply_method_return(reply, "ssi", s->rec.id,
                                                          session_status_to_string(s->rec.status), s->rec.exit_code);
                return 0;
        }

        if (reply) {
                sd_bus_message **w = reallocarray(s->stop_waiters, s->n_stop_waiters + 1, sizeof *w);
                if (!w)
                        return -ENOMEM;
                s->stop_waiters = w;
                w[s->n_stop_waiters++] = sd_bus_message_ref(reply);
        }

        if (s->sigkill_sent)
                return 0;

        if (!s->stop_requested) {
                s->stop_requested = true;
                s->rec.status = SESSION_STOPPING;
                (void) session_save(s);
                session_send_changed(s, "Status", NULL);
                log_info("Stopping session %s (grace %.3fs).", s->rec.id, (double) grace_usec / USEC_PER_SEC);
                /* SIGHUP as if its terminal had been closed, SIGTERM as systemd would, SIGCONT so a
                 * stopped job can act on them. */
                session_signal(s, SIGHUP);
                session_signal(s, SIGTERM);
                session_signal(s, SIGCONT);
        } else if (s->stop_timer) {
                /* A second stop can shorten the grace, never lengthen it. */
                uint64_t old;
                if (sd_event_source_get_time(s->stop_timer, &old) >= 0 && old <= deadline)
                        return 0;
        }

        if (grace_usec == 0) {
                s->stop_timer = sd_event_source_disable_unref(s->stop_timer);
                return on_stop_timeout(NULL, 0, s);
        }
        if (s->stop_timer) {
                r = sd_event_source_set_time(s->stop_timer, deadline);
                if (r >= 0)
                        r = sd_event_source_set_enabled(s->stop_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(s->manager->event, &s->stop_timer, CLOCK_MONOTONIC, deadline,
                                      10 * USEC_PER_MSEC, on_stop_timeout, s);
        if (r < 0) {
                log_warning_errno(r, "Failed to arm the stop timer of %s, killing it now: %m", s->rec.id);
                return on_stop_timeout(NULL, 0, s);
        }
        return 0;
}

int session_kill(Session *s, int sig) {
        if (!s->active)
                return -ESRCH;
        if (sig == SIGKILL)
                s->kill_requested = true;
        session_signal(s, sig);
        return 0;
}

int session_set_notifications(Session *s, bool enabled) {
        if (s->notifications_enabled == (int) enabled)
                return 0;
        s->notifications_enabled = enabled;
        s->rec.notifications_enabled = enabled;
        int r = session_save(s);
        if (r < 0)
                return r;
        session_send_changed(s, "NotificationsEnabled", NULL);
        return 0;
}

static int on_evict(sd_event_source *src, uint64_t usec, void *userdata) {
        Session *s = userdata;

        if (s->active || s->n_stop_waiters > 0)
                return 0;
        log_debug("Evicting finished session %s from memory.", s->rec.id);
        manager_remove_session(s->manager, s);
        session_free(s);
        return 0;
}

void session_schedule_eviction(Session *s) {
        uint64_t delay = s->manager->config.session_eviction_sec * USEC_PER_SEC;
        int r;

        if (s->active)
                return;
        if (s->evict_timer) {
                r = sd_event_source_set_time_relative(s->evict_timer, delay);
                if (r >= 0)
                        r = sd_event_source_set_enabled(s->evict_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time_relative(s->manager->event, &s->evict_timer, CLOCK_MONOTONIC, delay,
                                               USEC_PER_SEC, on_evict, s);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the eviction timer of %s: %m", s->rec.id);
}

static char **strv_dup_n(char *const *v) {
        size_t n = 0;
        while (v[n])
                n++;
        char **c = calloc(n + 1, sizeof(char *));
        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (!(c[i] = strdup(v[i]))) {
                        for (size_t j = 0; j < i; j++)
                                free(c[j]);
                        free(c);
                        return NULL;
                }
        return c;
}

int session_load(Manager *m, const SessionRecord *rec, Session **ret) {
        Session *s = session_alloc(m);
        int r;

        if (!s)
                return -ENOMEM;
        s->rec = *rec;
        s->rec.title = rec->title ? strdup(rec->title) : NULL;
        s->rec.cwd = strdup(rec->cwd);
        s->rec.argv = strv_dup_n(rec->argv);
        s->notifications_enabled = rec->notifications_enabled;
        if ((rec->title && !s->rec.title) || !s->rec.cwd || !s->rec.argv) {
                session_free(s);
                return -ENOMEM;
        }
        r = session_set_id(s, rec->id);
        if (r < 0) {
                session_free(s);
                return r;
        }
        manager_add_session(m, s);
        session_schedule_eviction(s);
        *ret = s;
        return 0;
}

/* The environment the session runs with: the caller's, with TERM set and the daemon's own
 * service-manager protocol variables removed. */
static char **session_build_env(const char *id, char *const *caller, char *owned[static 2]) {
        static const char *const drop[] = { "TERM=", "OLY_SESSION_ID=", "NOTIFY_SOCKET=", "LISTEN_PID=", "LISTEN_FDS=",
                                            "LISTEN_FDNAMES=", "WATCHDOG_PID=", "WATCHDOG_USEC=", "JOURNAL_STREAM=",
                                            "INVOCATION_ID=" };
        size_t n = 0, k = 0;
        char **env;

        while (caller && caller[n])
                n++;
        env = calloc(n + 3, sizeof(char *));
        if (!env)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                bool skip = !strchr(caller[i], '=');
                for (size_t j = 0; j < ELEMENTSOF(drop) && !skip; j++)
                        skip = startswith(caller[i], drop[j]);
                if (!skip)
                        env[k++] = caller[i];
        }
        owned[0] = strdup("TERM=xterm-256color");
        if (asprintf(&owned[1], "OLY_SESSION_ID=%s", id) < 0)
                owned[1] = NULL;
        if (!owned[0] || !owned[1]) {
                free(owned[0]);
                free(owned[1]);
                owned[0] = owned[1] = NULL;
                free(env);
                return NULL;
        }
        env[k++] = owned[0];
        env[k++] = owned[1];
        return env;
}

static const char *env_get(char *const *env, const char *name) {
        size_t l = strlen(name);
        for (; env && *env; env++)
                if (strncmp(*env, name, l) == 0 && (*env)[l] == '=')
                        return *env + l + 1;
        return NULL;
}

static int session_fail_to_start(Session *s, int err, const char *reason, char **ret_reason) {
        log_warning("Session %s could not start: %s", s->rec.id, reason);
        session_log_line(s, "oly: %s\r\n", reason);
        s->rec.status = SESSION_FAILED;
        /* The shell's convention: 127 not found, 126 found but not executable. */
        s->rec.exit_code = err == -ENOENT ? 127 : 126;
        s->rec.ended_at = now_usec(CLOCK_REALTIME);
        s->log_fd = safe_close(s->log_fd);
        session_close_pty(s);
        (void) session_save(s);
        if (ret_reason)
                *ret_reason = strdup(reason);
        return err;
}

static int open_pty(unsigned rows, unsigned cols, int *ret_master, char **ret_slave_path) {
        _cleanup_close_ int fd = -EBADF;
        char name[128];

        fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (grantpt(fd) < 0 || unlockpt(fd) < 0)
                return -errno;
        int r = ptsname_r(fd, name, sizeof name);
        if (r != 0)
                return -r;
        struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
        if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
                return -errno;
        char *p = strdup(name);
        if (!p)
                return -ENOMEM;
        *ret_slave_path = p;
        *ret_master = TAKE_FD(fd);
        return 0;
}

int session_spawn(Manager *m, const SessionSpawn *p, Session **ret, char **ret_reason) {
        _cleanup_free_ char *dir = NULL, *logpath = NULL, *exe = NULL, *slave = NULL, *reason = NULL;
        _cleanup_free_ char **env = NULL, *env_term = NULL, *env_id = NULL;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t mask;
        Session *s;
        pid_t pid;
        int r;

        s = session_alloc(m);
        if (!s)
                return log_oom();

        /* A new random id; a collision with a stored one is astronomically rare, but cheap to rule out. */
        for (int tries = 0;; tries++) {
                char id[OLY_ID_STRLEN];
                SessionRecord other;
                r = session_id_new(id);
                if (r < 0)
                        goto fail;
                r = db_session_get(m->db, id, &other);
                if (r == -ENXIO && !manager_find_session(m, id)) {
                        r = session_set_id(s, id);
                        if (r < 0)
                                goto fail;
                        break;
                }
                if (r >= 0)
                        session_record_done(&other);
                if (tries > 16) {
                        r = -EEXIST;
                        goto fail;
                }
        }

        s->rec.title = p->title ? strdup(p->title) : NULL;
        s->rec.argv = strv_dup_n(p->argv);
        s->rec.cwd = strdup(p->cwd);
        if ((p->title && !s->rec.title) || !s->rec.argv || !s->rec.cwd) {
                r = -ENOMEM;
                goto fail;
        }
        s->rec.status = SESSION_CREATED;
        s->rec.created_at = now_usec(CLOCK_REALTIME);
        s->rec.rows = p->rows;
        s->rec.cols = p->cols;
        s->rec.notifications_enabled = p->notifications_enabled;
        s->notifications_enabled = p->notifications_enabled;

        dir = path_join(m->sessions_dir, s->rec.id);
        logpath = dir ? path_join(dir, "output.log") : NULL;
        if (!logpath) {
                r = -ENOMEM;
                goto fail;
        }
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                r = log_error_errno(errno, "Failed to create %s: %m", dir);
                goto fail;
        }
        s->log_fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->log_fd < 0) {
                r = log_error_errno(errno, "Failed to open %s: %m", logpath);
                goto fail;
        }

        r = db_session_insert(m->db, &s->rec);
        if (r < 0) {
                log_error_errno(r, "Failed to store session %s: %m", s->rec.id);
                goto fail;
        }
        manager_add_session(m, s);
        manager_session_started(m, s);

        char *owned[2] = {};
        env = session_build_env(s->rec.id, p->env, owned);
        env_term = owned[0];
        env_id = owned[1];
        if (!env) {
                r = -ENOMEM;
                reason = strdup("out of memory");
                goto fail_start;
        }

        r = open_pty(p->rows, p->cols, &s->master_fd, &slave);
        if (r < 0) {
                log_error_errno(r, "Failed to allocate a terminal for session %s: %m", s->rec.id);
                if (asprintf(&reason, "cannot allocate a terminal: %s", strerror(-r)) < 0)
                        reason = NULL;
                goto fail_start;
        }

        {
                struct stat st;
                int e = stat(p->cwd, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
                if (e != 0) {
                        r = -ENOENT;
                        if (asprintf(&reason, "cannot change to directory '%s': %s", p->cwd, strerror(e)) < 0)
                                reason = NULL;
                        goto fail_start;
                }
        }

        r = find_executable(p->argv[0], env_get(env, "PATH"), p->cwd, &exe);
        if (r < 0) {
                if (asprintf(&reason, "cannot execute '%s': %s", p->argv[0],
                             r == -ENOENT ? "command not found" : strerror(-r)) < 0)
                        reason = NULL;
                goto fail_start;
        }

        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_init(&fa);
        sigemptyset(&mask);
        posix_spawnattr_setsigmask(&attr, &mask); /* our mask (signals blocked for sd-event) must not leak */
        sigfillset(&mask);
        sigdelset(&mask, SIGKILL);
        sigdelset(&mask, SIGSTOP);
        posix_spawnattr_setsigdefault(&attr, &mask);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        posix_spawn_file_actions_addchdir_np(&fa, p->cwd);
        /* Opened after setsid() and without O_NOCTTY, the terminal becomes the controlling one. */
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, slave, O_RDWR, 0);
        posix_spawn_file_actions_adddup2(&fa, STDIN_FILENO, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, STDIN_FILENO, STDERR_FILENO);
        posix_spawn_file_actions_addclosefrom_np(&fa, 3);

        r = posix_spawn(&pid, exe, &fa, &attr, s->rec.argv, env);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r != 0) {
                r = -r;
                if (asprintf(&reason, "cannot execute '%s': %s", p->argv[0], strerror(-r)) < 0)
                        reason = NULL;
                goto fail_start;
        }

        s->rec.pid = (uint32_t) pid;
        s->rec.status = SESSION_RUNNING;
        s->rec.started_at = now_usec(CLOCK_REALTIME);
        (void) session_save(s);

        r = sd_event_add_child(m->event, &s->child_source, pid, WEXITED, on_child_exit, s);
        if (r < 0) {
                /* Without a way to learn its end the session cannot be supervised: end it now. */
                log_error_errno(r, "Failed to watch session %s (pid %d), killing it: %m", s->rec.id, (int) pid);
                (void) kill(-pid, SIGKILL);
                s->kill_requested = true;
                (void) waitid(P_PID, (id_t) pid, &s->exit_info, WEXITED);
                s->child_exited = true;
                session_end(s);
                *ret = s;
                return 0;
        }
        r = sd_event_add_io(m->event, &s->pty_source, s->master_fd, EPOLLIN, on_pty_io, s);
        if (r < 0)
                log_warning_errno(r, "Failed to watch the terminal of session %s; its output is lost: %m",
                                  s->rec.id);

        log_info("Session %s started: pid %d, %s", s->rec.id, (int) pid, exe);
        *ret = s;
        return 0;

fail_start:
        r = session_fail_to_start(s, r, reason ?: "cannot start", ret_reason);
        manager_session_ended(m, s);
        session_schedule_eviction(s);
        *ret = s;
        return r;

fail:
        session_free(s);
        return r;
}
