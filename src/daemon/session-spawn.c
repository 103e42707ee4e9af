/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting a session: its row, its log, a new PTY and the command spawned on it as a session leader with
 * the PTY as its controlling terminal. A start that fails leaves a failed session whose log says why. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>

#include "exec-util.h"
#include "log.h"
#include "session.h"
#include "strv.h"

/* The environment the session runs with: the caller's, with TERM set and the daemon's own
 * service-manager protocol variables removed. The strings are borrowed except owned[]. */
static char **session_build_env(const char *id, char *const *caller, char *owned[static 2]) {
        static const char *const drop[] = {
                "TERM=",           "OLY_SESSION_ID=", "NOTIFY_SOCKET=", "LISTEN_PID=",     "LISTEN_FDS=",
                "LISTEN_FDNAMES=", "WATCHDOG_PID=",   "WATCHDOG_USEC=", "JOURNAL_STREAM=", "INVOCATION_ID="
        };
        size_t n = strv_length(caller), k = 0;
        _cleanup_free_ char **env = calloc(n + 3, sizeof(char *));

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
                owned[0] = mfree(owned[0]);
                owned[1] = mfree(owned[1]);
                return NULL;
        }
        env[k++] = owned[0];
        env[k++] = owned[1];
        return TAKE_PTR(env);
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

/* The session exists and counts as started: it ends as failed, with the reason in its log. */
static int session_fail_to_start(Session *s, int err, const char *reason, char **ret_reason) {
        (void) session_open_files(s); /* for the reason, in its log */
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
        s->active = false;
        session_emit(s, SESSION_EVENT_ENDED);
        session_schedule_eviction(s);
        return err;
}

static int on_child_exit(sd_event_source *src, const siginfo_t *si, void *userdata) {
        session_on_child_exit(userdata, si);
        return 0;
}

/* posix_spawn with the PTY as controlling terminal and stdio, a clean signal state, in cwd. */
static int spawn_on_pty(const char *exe, const char *slave, const char *cwd, char **argv, char **env,
                        pid_t *ret_pid) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t mask;
        int r;

        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_init(&fa);
        sigemptyset(&mask);
        posix_spawnattr_setsigmask(&attr, &mask); /* our mask (signals blocked for sd-event) must not leak */
        sigfillset(&mask);
        sigdelset(&mask, SIGKILL);
        sigdelset(&mask, SIGSTOP);
        posix_spawnattr_setsigdefault(&attr, &mask);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        posix_spawn_file_actions_addchdir_np(&fa, cwd);
        /* Opened after setsid() and without O_NOCTTY, the terminal becomes the controlling one. */
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, slave, O_RDWR, 0);
        posix_spawn_file_actions_adddup2(&fa, STDIN_FILENO, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, STDIN_FILENO, STDERR_FILENO);
        posix_spawn_file_actions_addclosefrom_np(&fa, 3);
        r = posix_spawn(ret_pid, exe, &fa, &attr, argv, env);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        return -r;
}

int session_spawn(SessionHost *h, const char *id, const SessionSpawn *p, Session **ret, char **ret_reason) {
        _cleanup_free_ char *exe = NULL, *slave = NULL, *reason = NULL, *env_term = NULL, *env_id = NULL;
        _cleanup_free_ char **env = NULL;
        Session *s;
        pid_t pid;
        int r;

        s = session_alloc(h, id);
        if (!s)
                return log_oom();
        s->rec.title = p->title ? strdup(p->title) : NULL;
        s->rec.argv = strv_copy(p->argv);
        s->rec.cwd = strdup(p->cwd);
        if ((p->title && !s->rec.title) || !s->rec.argv || !s->rec.cwd) {
                session_free(s);
                return -ENOMEM;
        }
        s->rec.status = SESSION_CREATED;
        s->rec.created_at = now_usec(CLOCK_REALTIME);
        s->rec.rows = s->initial_rows = p->rows;
        s->rec.cols = s->initial_cols = p->cols;
        s->rec.notifications_enabled = p->notifications_enabled;
        s->notifications_enabled = p->notifications_enabled;

        r = db_session_insert(h->db, &s->rec);
        if (r < 0) {
                log_error_errno(r, "Failed to store session %s: %m", s->rec.id);
                session_free(s);
                return r;
        }
        /* From here on the session exists for everyone, whether or not its command starts. */
        *ret = s;
        s->active = true;
        session_emit(s, SESSION_EVENT_STARTED);

        char *owned[2] = {};
        env = session_build_env(s->rec.id, p->env, owned);
        env_term = owned[0];
        env_id = owned[1];
        if (!env)
                return session_fail_to_start(s, -ENOMEM, "out of memory", ret_reason);

        r = open_pty(p->rows, p->cols, &s->master_fd, &slave);
        if (r < 0) {
                log_error_errno(r, "Failed to allocate a terminal for session %s: %m", s->rec.id);
                if (asprintf(&reason, "cannot allocate a terminal: %s", strerror(-r)) < 0)
                        reason = NULL;
                return session_fail_to_start(s, r, reason ?: "cannot start", ret_reason);
        }

        struct stat st;
        int e = stat(p->cwd, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
        if (e != 0) {
                if (asprintf(&reason, "cannot change to directory '%s': %s", p->cwd, strerror(e)) < 0)
                        reason = NULL;
                return session_fail_to_start(s, -ENOENT, reason ?: "cannot start", ret_reason);
        }

        r = find_executable(p->argv[0], strv_env_get(env, "PATH"), p->cwd, &exe);
        if (r >= 0)
                r = spawn_on_pty(exe, slave, p->cwd, s->rec.argv, env, &pid);
        if (r < 0) {
                if (asprintf(&reason, "cannot execute '%s': %s", p->argv[0],
                             r == -ENOENT ? "command not found" : strerror(-r)) < 0)
                        reason = NULL;
                return session_fail_to_start(s, r, reason ?: "cannot start", ret_reason);
        }

        s->rec.pid = (uint32_t) pid;
        s->rec.status = SESSION_RUNNING;
        s->rec.started_at = now_usec(CLOCK_REALTIME);
        (void) session_save(s);

        r = sd_event_add_child(h->event, &s->child_source, pid, WEXITED, on_child_exit, s);
        if (r < 0) {
                /* Without a way to learn its end the session cannot be supervised: end it now. */
                log_error_errno(r, "Failed to watch session %s (pid %d), killing it: %m", s->rec.id,
                                (int) pid);
                (void) kill(-pid, SIGKILL);
                s->kill_requested = true;
                (void) waitid(P_PID, (id_t) pid, &s->exit_info, WEXITED);
                s->child_exited = true;
                session_end(s);
                return 0;
        }
        (void) session_start_model(s);
        /* Before the caller hears of the session, its log exists (a script may read it at once). */
        (void) session_open_files(s);
        log_info("Session %s started: pid %d, %s", s->rec.id, (int) pid, exe);
        session_emit(s, SESSION_EVENT_SPAWNED);
        return 0;
}

int session_adopt(SessionHost *h, const SessionRecord *rec, int master_fd, Session **ret) {
        _cleanup_close_ int fd = master_fd;
        Session *s;
        int r;

        r = session_load(h, rec, &s);
        if (r < 0)
                return r;
        if (fcntl(fd, F_SETFL, O_RDWR | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
                session_free(s);
                return -errno;
        }
        s->master_fd = TAKE_FD(fd);
        s->adopted = true;
        s->model_replay = true;
        s->initial_rows = s->rec.rows;
        s->initial_cols = s->rec.cols;
        /* A stop in progress when the daemon went is not resumed: the session runs on as it does. */
        if (s->rec.status != SESSION_RUNNING) {
                s->rec.status = SESSION_RUNNING;
                (void) session_save(s);
        }
        s->active = true;
        session_emit(s, SESSION_EVENT_STARTED);
        (void) session_start_model(s);
        r = session_open_files(s);
        if (r < 0)
                log_warning_errno(r, "Session %s is adopted without its log: %m", s->rec.id);
        log_info("Session %s adopted: pid %u, %llu bytes logged so far.", s->rec.id, s->rec.pid,
                 (unsigned long long) s->out_offset);
        *ret = s;
        return 0;
}
