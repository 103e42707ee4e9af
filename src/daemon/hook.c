/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running notification_hook: one process group per run, its output to our log, killed at its timeout. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "buf.h"
#include "hook.h"
#include "log.h"
#include "spawn-util.h"
#include "strv.h"

extern char **environ;

struct Hook {
        HookRunner *runner;
        LIST_FIELDS(Hook, hooks);
        pid_t pid;
        int out_fd;
        sd_event_source *child, *out, *timer;
        Buf output;
        char *session_id;
};

static void hook_free(Hook *h) {
        LIST_REMOVE(hooks, h->runner->hooks, h);
        h->runner->n_hooks--;
        sd_event_source_disable_unref(h->child);
        sd_event_source_disable_unref(h->out);
        sd_event_source_disable_unref(h->timer);
        safe_close(h->out_fd);
        buf_free(&h->output);
        free(h->session_id);
        free(h);
}

char *hook_expand(const char *word, const HookEvent *e) {
        static const char *const names[] = { "id", "title", "command", "cwd", "trigger", "line", "node" };
        const char *values[] = { e->id, e->title, e->command, e->cwd, e->trigger, e->line, e->node };
        Buf b = {};

        for (const char *p = word; *p;) {
                if (p[0] == '{' && p[1] == '{') {
                        (void) buf_put(&b, "{", 1);
                        p += 2;
                        continue;
                }
                if (p[0] == '}' && p[1] == '}') {
                        (void) buf_put(&b, "}", 1);
                        p += 2;
                        continue;
                }
                if (*p == '{') {
                        bool done = false;
                        for (size_t i = 0; i < ELEMENTSOF(names) && !done; i++) {
                                size_t l = strlen(names[i]);
                                if (strncmp(p + 1, names[i], l) == 0 && p[1 + l] == '}') {
                                        (void) buf_puts(&b, strempty(values[i]));
                                        p += l + 2;
                                        done = true;
                                }
                        }
                        if (done)
                                continue;
                }
                (void) buf_put(&b, p++, 1);
        }
        if (buf_put(&b, "", 1) < 0) {
                buf_free(&b);
                return NULL;
        }
        return (char *) b.data;
}

static void hook_flush_output(Hook *h) {
        if (h->output.len == 0)
                return;
        log_info("notification_hook for %s said: %.*s", h->session_id, (int) h->output.len,
                 (char *) h->output.data);
        h->output.len = 0;
}

static int on_hook_output(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Hook *h = userdata;
        char buf[1024];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) {
                if (n < 0 && errno == EAGAIN)
                        return 0;
                h->out = sd_event_source_disable_unref(h->out);
                return 0;
        }
        /* Keep the first HOOK_OUTPUT_MAX bytes; read and drop the rest so the hook never blocks. */
        size_t room = HOOK_OUTPUT_MAX > h->output.len ? HOOK_OUTPUT_MAX - h->output.len : 0;
        (void) buf_put(&h->output, buf, MIN((size_t) n, room));
        return 0;
}

static int on_hook_exit(sd_event_source *src, const siginfo_t *si, void *userdata) {
        Hook *h = userdata;

        /* Whatever it printed last. */
        while (h->out && on_hook_output(NULL, h->out_fd, EPOLLIN, h) == 0 && h->out) {
                int avail = 0;
                if (ioctl(h->out_fd, FIONREAD, &avail) < 0 || avail <= 0)
                        break;
        }
        hook_flush_output(h);
        if (si->si_code == CLD_EXITED && si->si_status == 0)
                log_debug("notification_hook for %s finished.", h->session_id);
        else if (si->si_code == CLD_EXITED)
                log_warning("notification_hook for %s failed with exit code %d.", h->session_id,
                            si->si_status);
        else
                log_warning("notification_hook for %s was killed by signal %s.", h->session_id,
                            strsignal(si->si_status));
        /* Its process group goes with it: background jobs it started do not outlive it (and while the
         * leader is an unreaped zombie, its pid, the group's id, cannot have been reused). */
        (void) kill(-h->pid, SIGKILL);
        hook_free(h);
        return 0;
}

static int on_hook_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        Hook *h = userdata;
        log_warning("notification_hook for %s did not finish within %us; killing it.", h->session_id,
                    h->runner->config->notification_hook_timeout_sec);
        (void) kill(-h->pid, SIGKILL);
        h->timer = sd_event_source_disable_unref(h->timer);
        return 0;
}

static char *env_entry(const char *name, const char *value) {
        char *s;
        return asprintf(&s, "%s=%s", name, strempty(value)) < 0 ? NULL : s;
}

/* Frees only the entries from first_own on: the earlier ones are borrowed from environ. */
typedef struct HookEnv {
        char **env;
        size_t n, first_own;
} HookEnv;

static void hook_env_done(HookEnv *e) {
        for (size_t i = e->first_own; e->env && i < e->n; i++)
                free(e->env[i]);
        free(e->env);
}

/* The daemon's environment minus its service-manager variables, plus the facts. */
static int hook_env_build(HookRunner *m, const HookEvent *e, HookEnv *ret) {
        size_t n_environ = strv_length(environ);

        ret->env = calloc(n_environ + 11, sizeof(char *));
        if (!ret->env)
                return -ENOMEM;
        for (size_t i = 0; i < n_environ; i++)
                if (!startswith(environ[i], "NOTIFY_SOCKET=") && !startswith(environ[i], "LISTEN_") &&
                    !startswith(environ[i], "WATCHDOG_") && !startswith(environ[i], "OLY_") &&
                    !startswith(environ[i], "JOURNAL_STREAM=") && !startswith(environ[i], "INVOCATION_ID="))
                        ret->env[ret->n++] = environ[i];
        ret->first_own = ret->n;
        /* OLY_STATE_DIR/OLY_RUNTIME_DIR: an 'oly' run by the hook talks to the daemon that ran it. */
        const char *const vars[][2] = {
                { "OLY_EVENT", "input-needed" },
                { "OLY_ID", e->id },
                { "OLY_TITLE", e->title },
                { "OLY_COMMAND", e->command },
                { "OLY_CWD", e->cwd },
                { "OLY_TRIGGER", e->trigger },
                { "OLY_LINE", e->line },
                { "OLY_NODE", e->node },
                { "OLY_STATE_DIR", m->state_dir },
                { "OLY_RUNTIME_DIR", m->runtime_dir },
        };
        for (size_t i = 0; i < ELEMENTSOF(vars); i++)
                if (!(ret->env[ret->n++] = env_entry(vars[i][0], vars[i][1])))
                        return -ENOMEM;
        return 0;
}

int hook_run(HookRunner *m, const HookEvent *e) {
        char **const argv_tmpl = m->config->notification_hook;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_(hook_env_done) HookEnv env = {};
        _cleanup_close_ int out_r = -EBADF, out_w = -EBADF;
        size_t n_argv = strv_length(argv_tmpl);
        Hook *h;
        pid_t pid;
        int r;

        if (!argv_tmpl)
                return 0;
        if (m->n_hooks >= HOOKS_RUNNING_MAX) {
                log_warning("%u notification hooks are still running; not running one for %s.", m->n_hooks,
                            e->id);
                return -EBUSY;
        }

        argv = calloc(n_argv + 1, sizeof(char *));
        if (!argv)
                return -ENOMEM;
        for (size_t i = 0; i < n_argv; i++)
                if (!(argv[i] = hook_expand(argv_tmpl[i], e)))
                        return -ENOMEM;
        r = hook_env_build(m, e, &env);
        if (r < 0)
                return r;

        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        out_r = pipefd[0];
        out_w = pipefd[1];
        r = spawn_in_own_group(argv[0], argv, env.env, -EBADF, out_w, -EBADF, &pid);
        out_w = safe_close(out_w);
        if (r < 0)
                return log_warning_errno(r, "Failed to run notification_hook %s for %s: %m", argv[0], e->id);

        h = calloc(1, sizeof *h);
        if (!h) {
                spawn_kill_and_reap(pid);
                return -ENOMEM;
        }
        h->runner = m;
        h->pid = pid;
        h->out_fd = TAKE_FD(out_r);
        h->output.max = HOOK_OUTPUT_MAX;
        h->session_id = strdup(e->id);
        LIST_PREPEND(hooks, m->hooks, h);
        m->n_hooks++;
        (void) fcntl(h->out_fd, F_SETFL, O_NONBLOCK);
        r = sd_event_add_child(m->event, &h->child, pid, WEXITED, on_hook_exit, h);
        if (r < 0) {
                spawn_kill_and_reap(pid);
                hook_free(h);
                return r;
        }
        (void) sd_event_add_io(m->event, &h->out, h->out_fd, EPOLLIN, on_hook_output, h);
        (void) sd_event_add_time_relative(m->event, &h->timer, CLOCK_MONOTONIC,
                                          (uint64_t) m->config->notification_hook_timeout_sec * USEC_PER_SEC,
                                          10 * USEC_PER_MSEC, on_hook_timeout, h);
        log_debug("Running notification_hook for %s (pid %d).", e->id, (int) pid);
        return 0;
}

void hooks_kill_all(HookRunner *m) {
        while (m->hooks) {
                (void) kill(-m->hooks->pid, SIGKILL);
                hook_free(m->hooks);
        }
}
