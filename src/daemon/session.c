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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>

#include "exec-util.h"
#include "hook.h"
#include "push.h"
#include "prompt.h"
#include "oly-def.h"
#include "log.h"
#include "paths.h"
#include "session.h"

static void session_linger_done(Session *s);
static int on_linger_poll(sd_event_source *src, uint64_t usec, void *userdata);
static bool session_groups_alive(Session *s);
static void session_prompt_output(Session *s);
static void session_clear_input_needed(Session *s, bool by_input);
static void session_prompt_waiters_reply(Session *s, const char *result);

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
        s->resize_fd = -EBADF;
        s->input.max = SESSION_INPUT_MAX;
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

static void session_fail_input_waiters(Session *s) {
        for (size_t i = 0; i < s->n_input_waiters; i++) {
                (void) sd_bus_reply_method_errorf(s->input_waiters[i].reply, OLY_ERROR_NOT_RUNNING,
                                                  "Session %s ended before its input was written.", s->rec.id);
                sd_bus_message_unref(s->input_waiters[i].reply);
        }
        free(s->input_waiters);
        s->input_waiters = NULL;
        s->n_input_waiters = 0;
        buf_free(&s->input);
}

Session *session_free(Session *s) {
        if (!s)
                return NULL;
        session_linger_done(s);
        while (s->clients)
                attach_client_free(s->clients);
        /* Anyone still waiting learns the state we have rather than hanging. */
        session_reply_waiters(s);
        session_fail_input_waiters(s);
        sd_event_source_disable_unref(s->term_source);
        terminal_free(s->term);
        session_prompt_waiters_reply(s, "exited");
        sd_event_source_disable_unref(s->prompt_timer);
        free(s->input_trigger);
        free(s->input_line);
        free(s->notified);
        safe_close(s->resize_fd);
        sd_event_source_disable_unref(s->pty_source);
        sd_event_source_disable_unref(s->child_source);
        sd_event_source_disable_unref(s->stop_timer);
        sd_event_source_disable_unref(s->linger_poll);
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
                        if (!s->log_broken)
                                log_warning_errno(errno, "Failed to append to the log of session %s: %m",
                                                  s->rec.id);
                        s->log_broken = true;
                        return;
                }
                buf += k;
                n -= (size_t) k;
        }
}

static void session_model_kick(Session *s);

/* The terminal model is made on first use (first output, attach, send): an idle session that never
 * printed anything costs no libvterm screen (~140 KiB). */
static Terminal *session_term(Session *s) {
        if (!s->term && s->active && s->master_fd >= 0) {
                int r = terminal_new(s->rec.rows, s->rec.cols, s->master_fd, &s->term);
                if (r < 0) {
                        log_warning_errno(r, "No terminal model for session %s: %m", s->rec.id);
                        return NULL;
                }
                s->term->answer = s->n_clients == 0;
        }
        return s->term;
}

/* Reads once. Returns 1 if data was read, 0 on EAGAIN, -EIO when the terminal is gone. */
static int session_read_pty(Session *s) {
        static char buf[SESSION_READ_MAX];
        ssize_t n;

        if (s->master_fd < 0)
                return -EIO;
        n = read(s->master_fd, buf, sizeof buf);
        if (n > 0) {
                /* The hot path: attached clients first (latency), the log in the same breath (a client
                 * that falls behind is served from it later), then, off this path, the terminal model. */
                uint64_t at = s->out_offset;
                if (s->clients)
                        attach_clients_push(s, (const uint8_t *) buf, (size_t) n, at);
                if (s->log_fd >= 0)
                        session_append_log(s, buf, (size_t) n);
                else
                        s->log_broken = true;
                s->out_offset += (uint64_t) n;
                if (session_term(s)) {
                        terminal_queue(s->term, buf, (size_t) n);
                        session_model_kick(s);
                        session_prompt_output(s);
                }
                return 1;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        /* EIO: every slave fd is closed. 0 cannot happen on a PTY master, treat it the same. */
        return -EIO;
}

static void session_model_kick(Session *s) {
        int enabled = SD_EVENT_OFF;

        (void) sd_event_now(s->manager->event, CLOCK_MONOTONIC, &s->last_output_usec);
        if (!s->term_source || (sd_event_source_get_enabled(s->term_source, &enabled) >= 0 && enabled != SD_EVENT_OFF))
                return;
        (void) sd_event_source_set_time(s->term_source, s->last_output_usec + TERMINAL_QUIET_USEC);
        (void) sd_event_source_set_enabled(s->term_source, SD_EVENT_ONESHOT);
}

/* ---- Knowing when the session waits for a person ---- */

struct PromptWaiter {
        Session *session;
        PromptWaiter *next;
        sd_bus_message *msg;
        sd_event_source *timer;
};

static void prompt_waiter_reply(PromptWaiter *w, const char *result) {
        Session *s = w->session;
        (void) sd_bus_reply_method_return(w->msg, "ssss", s->rec.id, result, strempty(s->input_trigger),
                                          strempty(s->input_line));
        sd_bus_message_unref(w->msg);
        sd_event_source_disable_unref(w->timer);
        free(w);
}

static void session_prompt_waiters_reply(Session *s, const char *result) {
        while (s->prompt_waiters) {
                PromptWaiter *w = s->prompt_waiters;
                s->prompt_waiters = w->next;
                prompt_waiter_reply(w, result);
        }
}

static int on_prompt_waiter_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        PromptWaiter *w = userdata;
        for (PromptWaiter **p = &w->session->prompt_waiters; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        break;
                }
        prompt_waiter_reply(w, "timeout");
        return 0;
}

int session_wait_input_needed(Session *s, uint64_t timeout_usec, sd_bus_message *msg) {
        if (!s->active)
                return sd_bus_reply_method_return(msg, "ssss", s->rec.id, "exited", "", "");
        if (s->input_needed)
                return sd_bus_reply_method_return(msg, "ssss", s->rec.id, "input-needed", strempty(s->input_trigger),
                                                  strempty(s->input_line));
        unsigned n = 0;
        for (PromptWaiter *p = s->prompt_waiters; p; p = p->next)
                n++;
        if (n >= OLY_WAITERS_MAX)
                return -EUSERS;
        PromptWaiter *w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->session = s;
        w->msg = sd_bus_message_ref(msg);
        if (timeout_usec > 0 && timeout_usec != USEC_INFINITY) {
                int r = sd_event_add_time_relative(s->manager->event, &w->timer, CLOCK_MONOTONIC, timeout_usec,
                                                   USEC_PER_MSEC, on_prompt_waiter_timeout, w);
                if (r < 0) {
                        sd_bus_message_unref(w->msg);
                        free(w);
                        return r;
                }
        }
        w->next = s->prompt_waiters;
        s->prompt_waiters = w;
        return 1;
}

typedef struct InputNeededArgs {
        Session *session;
        const char *member;
} InputNeededArgs;

static int emit_input_needed(sd_bus *bus, void *userdata) {
        InputNeededArgs *a = userdata;
        Session *s = a->session;
        if (streq(a->member, "Notification"))
                return sd_bus_emit_signal(bus, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, "Notification", "sossss", s->rec.id,
                                          s->object_path, strempty(s->rec.title), s->rec.argv[0], s->input_trigger,
                                          s->input_line);
        return sd_bus_emit_signal(bus, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, "InputNeeded", "soss", s->rec.id,
                                  s->object_path, s->input_trigger, s->input_line);
}

static void session_set_input_needed(Session *s, const char *trigger, const char *line) {
        _cleanup_free_ char *key = NULL;

        if (s->input_needed)
                return;
        free(s->input_trigger);
        free(s->input_line);
        s->input_trigger = strdup(trigger);
        s->input_line = strdup(line);
        /* Reported without the blanks a prompt leaves before the cursor ("Name? " → "Name?"). */
        for (size_t k = s->input_line ? strlen(s->input_line) : 0; k > 0 && s->input_line[k - 1] == ' '; k--)
                s->input_line[k - 1] = 0;
        if (!s->input_trigger || !s->input_line) {
                log_oom();
                return;
        }
        s->input_needed = true;
        log_info("Session %s needs input (%s): %s", s->rec.id, trigger, s->input_line);
        session_send_changed(s, "InputNeeded", "InputTrigger", "InputLine", NULL);
        manager_emit(s->manager, emit_input_needed, &(InputNeededArgs) { s, "InputNeeded" });
        session_prompt_waiters_reply(s, "input-needed");

        /* One notification per waiting episode: a prompt that redraws itself (new output, the same line)
         * is the same episode until somebody types. */
        if (!s->notifications_enabled)
                return;
        if (asprintf(&key, "%s\n%s", trigger, line) < 0)
                return;
        if (streq_ptr(s->notified, key))
                return;
        free(s->notified);
        s->notified = TAKE_PTR(key);
        manager_emit(s->manager, emit_input_needed, &(InputNeededArgs) { s, "Notification" });
        HookEvent e = {
                .id = s->rec.id,
                .title = strempty(s->rec.title),
                .command = s->rec.argv[0],
                .cwd = s->rec.cwd,
                .trigger = s->input_trigger,
                .line = s->input_line,
                .node = s->manager->node_name,
        };
        (void) hook_run(s->manager, &e);
        (void) push_notify(s->manager, &e);
}

static void session_clear_input_needed(Session *s, bool by_input) {
        if (by_input)
                s->notified = mfree(s->notified); /* somebody answered: the next prompt is a new episode */
        if (!s->input_needed)
                return;
        s->input_needed = false;
        s->input_trigger = mfree(s->input_trigger);
        s->input_line = mfree(s->input_line);
        session_send_changed(s, "InputNeeded", "InputTrigger", "InputLine", NULL);
}

static void session_prompt_check(Session *s) {
        TerminalLines *l;
        PromptView v;
        const char *line = NULL, *rule;

        if (!s->term || !s->manager->prompt)
                return;
        l = malloc(sizeof *l);
        if (!l)
                return;
        int col = terminal_prompt_view(s->term, l, &v);
        if (col < 0) {
                free(l);
                return;
        }
        if (!s->prompt_silence_phase) {
                rule = prompt_matcher_match(s->manager->prompt, &v, &line);
                if (rule)
                        session_set_input_needed(s, rule, line);
        } else {
                /* Silence alone counts only with the cursor right after text on its line: what a program
                 * waiting at a prompt of its own looks like, and what a quiet build or tail -f does not. */
                bool text = false;
                for (const char *p = v.before_cursor; *p && !text; p++)
                        text = *p != ' ';
                if (col > 0 && text && isempty(v.after_cursor))
                        session_set_input_needed(s, "silence", v.before_cursor); /* it trims the blanks */
        }
        free(l);
}

static int on_prompt_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        Session *s = userdata;
        const OlyConfig *c = &s->manager->config;
        uint64_t now, due;

        (void) sd_event_now(s->manager->event, CLOCK_MONOTONIC, &now);
        due = s->last_output_usec +
              (s->prompt_silence_phase ? (uint64_t) c->prompt_silence_sec * USEC_PER_SEC
                                       : (uint64_t) c->prompt_idle_ms * USEC_PER_MSEC);
        if (due > now) {
                /* Output came since: wait for quiet from there (the timer is only pushed back here). */
                (void) sd_event_source_set_time(src, due);
                (void) sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
                return 0;
        }
        session_prompt_check(s);
        if (!s->input_needed && !s->prompt_silence_phase && c->prompt_silence_sec > 0) {
                s->prompt_silence_phase = true;
                (void) sd_event_source_set_time(src, s->last_output_usec + (uint64_t) c->prompt_silence_sec * USEC_PER_SEC);
                (void) sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
        }
        return 0;
}

static void session_prompt_output(Session *s) {
        const OlyConfig *c = &s->manager->config;
        int enabled = SD_EVENT_OFF;
        int r;

        session_clear_input_needed(s, false);
        s->prompt_silence_phase = false;
        if (!s->prompt_timer) {
                r = sd_event_add_time(s->manager->event, &s->prompt_timer, CLOCK_MONOTONIC,
                                      s->last_output_usec + (uint64_t) c->prompt_idle_ms * USEC_PER_MSEC,
                                      USEC_PER_MSEC, on_prompt_timer, s);
                if (r < 0)
                        log_warning_errno(r, "No prompt detection for session %s: %m", s->rec.id);
                return;
        }
        if (sd_event_source_get_enabled(s->prompt_timer, &enabled) >= 0 && enabled != SD_EVENT_OFF) {
                uint64_t t;
                /* Already armed for the idle check: on_prompt_timer() pushes it back. A silence-phase
                 * timer far in the future is brought forward. */
                if (sd_event_source_get_time(s->prompt_timer, &t) >= 0 &&
                    t <= s->last_output_usec + (uint64_t) c->prompt_idle_ms * USEC_PER_MSEC)
                        return;
        }
        (void) sd_event_source_set_time(s->prompt_timer, s->last_output_usec + (uint64_t) c->prompt_idle_ms * USEC_PER_MSEC);
        (void) sd_event_source_set_enabled(s->prompt_timer, SD_EVENT_ONESHOT);
}

static void session_close_pty(Session *s) {
        s->pty_source = sd_event_source_disable_unref(s->pty_source);
        s->master_fd = safe_close(s->master_fd);
        s->pty_closed = true;
        s->term_source = sd_event_source_disable_unref(s->term_source);
        s->term = terminal_free(s->term);
        s->resize_fd = safe_close(s->resize_fd);
        s->prompt_timer = sd_event_source_disable_unref(s->prompt_timer);
        session_fail_input_waiters(s);
}

static void session_update_pty_events(Session *s) {
        if (s->pty_source)
                (void) sd_event_source_set_io_events(s->pty_source, EPOLLIN | (s->input.len > 0 ? EPOLLOUT : 0));
}

/* Writes queued input; answers the SendInput calls whose bytes are all in. */
static void session_flush_input(Session *s) {
        while (s->input.len > 0 && s->master_fd >= 0) {
                ssize_t n = write(s->master_fd, s->input.data, s->input.len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        break; /* EAGAIN: the program is not reading; EIO: it is gone */
                }
                buf_consume(&s->input, (size_t) n);
                s->input_written += (uint64_t) n;
        }
        size_t k = 0;
        for (size_t i = 0; i < s->n_input_waiters; i++) {
                InputWaiter *w = &s->input_waiters[i];
                if (s->input_written >= w->until) {
                        (void) sd_bus_reply_method_return(w->reply, NULL);
                        sd_bus_message_unref(w->reply);
                } else
                        s->input_waiters[k++] = *w;
        }
        s->n_input_waiters = k;
        if (s->input_paused && s->input.len < SESSION_INPUT_MAX / 2) {
                s->input_paused = false;
                attach_clients_resume_input(s);
        }
        session_update_pty_events(s);
}

int session_write_input(Session *s, const void *data, size_t n, sd_bus_message *reply) {
        int r;

        if (!s->active || s->master_fd < 0)
                return -ESRCH;
        if (reply && s->n_input_waiters >= OLY_WAITERS_MAX)
                return -EUSERS;
        if (reply) {
                InputWaiter *w = reallocarray(s->input_waiters, s->n_input_waiters + 1, sizeof *w);
                if (!w)
                        return -ENOMEM;
                s->input_waiters = w;
        }
        r = buf_put(&s->input, data, n);
        if (r < 0) {
                /* Full: stop reading attached clients until the program catches up. */
                s->input_paused = true;
                attach_clients_resume_input(s);
                return -ENOBUFS;
        }
        if (reply)
                s->input_waiters[s->n_input_waiters++] =
                        (InputWaiter) { sd_bus_message_ref(reply), s->input_written + s->input.len };
        session_flush_input(s);
        session_clear_input_needed(s, true);
        return 0;
}

int session_resize(Session *s, unsigned rows, unsigned cols) {
        struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };

        if (!s->active || s->master_fd < 0)
                return -ESRCH;
        if (rows < 1 || cols < 1 || rows > OLY_ROWS_MAX || cols > OLY_COLS_MAX)
                return -EINVAL;
        if (rows == s->rec.rows && cols == s->rec.cols)
                return 0;
        if (ioctl(s->master_fd, TIOCSWINSZ, &ws) < 0)
                return -errno;
        s->rec.rows = rows;
        s->rec.cols = cols;
        if (s->term)
                terminal_resize(s->term, rows, cols);
        if (s->resize_fd < 0) {
                /* Made at the first resize (one file less per session): it starts with the first size. */
                _cleanup_free_ char *dir = path_join(s->manager->sessions_dir, s->rec.id);
                _cleanup_free_ char *p = dir ? path_join(dir, "resize.log") : NULL;
                if (p)
                        s->resize_fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (s->resize_fd >= 0)
                        (void) dprintf(s->resize_fd, "0 %u %u\n", s->initial_rows, s->initial_cols);
        }
        if (s->resize_fd >= 0)
                (void) dprintf(s->resize_fd, "%llu %u %u\n", (unsigned long long) s->out_offset, rows, cols);
        (void) session_save(s);
        return 0;
}

bool session_app_cursor(Session *s) {
        return session_term(s) && terminal_app_cursor(s->term);
}

static int session_open_log_fd(Session *s) {
        _cleanup_free_ char *dir = path_join(s->manager->sessions_dir, s->rec.id);
        _cleanup_free_ char *p = dir ? path_join(dir, "output.log") : NULL;
        if (!p)
                return -ENOMEM;
        int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        return fd < 0 ? -errno : fd;
}

int session_open_terminal(Session *s, bool from_start, int *ret_fd) {
        _cleanup_close_ int ours = -EBADF, theirs = -EBADF, log_fd = -EBADF;
        Buf prologue = {};
        int fds[2], r;

        /* An ended session can still be replayed from its first byte (oly start racing a quick exit). */
        if (!s->active && !from_start)
                return -ESRCH;
        if (s->n_clients >= SESSION_CLIENTS_MAX)
                return -EUSERS;
        log_fd = session_open_log_fd(s);
        if (log_fd < 0)
                return log_fd;
        if (!s->active) {
                struct stat st;
                if (fstat(log_fd, &st) < 0)
                        return -errno;
                s->out_offset = MAX(s->out_offset, (uint64_t) st.st_size);
        }
        /* Blocking on both ends; O_NONBLOCK (a property of the open file) only on ours. */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
                return -errno;
        ours = fds[0];
        theirs = fds[1];
        if (fcntl(ours, F_SETFL, O_NONBLOCK) < 0)
                return -errno;
        (void) setsockopt(ours, SOL_SOCKET, SO_SNDBUF, &(int) { 1024 * 1024 }, sizeof(int));

        uint8_t hello[8];
        put_u32(hello, OLY_ATTACH_PROTOCOL_VERSION);
        put_u16(hello + 4, (uint16_t) s->rec.rows);
        put_u16(hello + 6, (uint16_t) s->rec.cols);
        r = frame_append(&prologue, FRAME_HELLO, hello, sizeof hello);
        if (r >= 0 && !from_start && session_term(s)) {
                Buf snap = {};
                r = terminal_snapshot(s->term, &snap);
                for (size_t off = 0; r >= 0 && off < snap.len; off += SESSION_READ_MAX)
                        r = frame_append(&prologue, FRAME_SNAPSHOT, snap.data + off,
                                         MIN((size_t) SESSION_READ_MAX, snap.len - off));
                buf_free(&snap);
        }
        if (r >= 0)
                r = attach_client_new(s, ours, log_fd, &prologue, from_start ? 0 : s->out_offset);
        buf_free(&prologue);
        if (r < 0)
                return r;
        TAKE_FD(ours);
        TAKE_FD(log_fd);
        *ret_fd = TAKE_FD(theirs);
        return 0;
}

int session_open_log(Session *s, int *ret_fd, uint64_t **ret_resizes, size_t *ret_n) {
        _cleanup_free_ char *dir = path_join(s->manager->sessions_dir, s->rec.id), *rzp = NULL, *text = NULL;
        uint64_t *v = NULL;
        size_t n = 0;
        int fd, r;

        if (!dir || !(rzp = path_join(dir, "resize.log")))
                return -ENOMEM;
        fd = session_open_log_fd(s);
        if (fd < 0)
                return fd;
        r = read_file_full(rzp, 16 * 1024 * 1024, &text, NULL);
        if (r >= 0) {
                for (char *line = text, *e; line && *line; line = e ? e + 1 : NULL) {
                        unsigned long long off;
                        unsigned rows, cols;
                        e = strchr(line, '\n');
                        if (sscanf(line, "%llu %u %u", &off, &rows, &cols) != 3 || rows == 0 || cols == 0)
                                continue;
                        uint64_t *nv = reallocarray(v, 3 * (n + 1), sizeof *v);
                        if (!nv) {
                                free(v);
                                safe_close(fd);
                                return -ENOMEM;
                        }
                        v = nv;
                        v[3 * n] = off;
                        v[3 * n + 1] = rows;
                        v[3 * n + 2] = cols;
                        n++;
                }
        }
        if (n == 0) {
                /* Sessions from before resize.log existed: their size as recorded. */
                v = malloc(3 * sizeof *v);
                if (!v) {
                        safe_close(fd);
                        return -ENOMEM;
                }
                v[0] = 0;
                v[1] = s->rec.rows ?: OLY_DEFAULT_ROWS;
                v[2] = s->rec.cols ?: OLY_DEFAULT_COLS;
                n = 1;
        }
        *ret_fd = fd;
        *ret_resizes = v;
        *ret_n = n;
        return 0;
}

static void session_end(Session *s) {
        Manager *m = s->manager;
        int sig = 0, code = -1;

        if (!s->active)
                return;

        /* Whatever is still buffered in the terminal belongs to the log. */
        while (session_read_pty(s) > 0)
                ;
        session_close_pty(s);
        s->drain_timer = sd_event_source_disable_unref(s->drain_timer);
        s->child_source = sd_event_source_disable_unref(s->child_source);
        /* A stop in progress whose job outlived the leader (it ignores SIGHUP and SIGTERM) still gets
         * its SIGKILL when the grace runs out. */
        if (s->stop_timer && !s->sigkill_sent && session_groups_alive(s)) {
                s->lingering = true;
                manager_session_lingering(m, +1);
                /* The leader itself is still an unreaped zombie of its group here (sd-event reaps after
                 * this callback), so the check above cannot tell a job that outlived it from one that
                 * did not: look again shortly, instead of waiting out the whole grace. */
                if (sd_event_add_time_relative(m->event, &s->linger_poll, CLOCK_MONOTONIC,
                                               SESSION_LINGER_POLL_USEC, 0, on_linger_poll, s) < 0)
                        log_debug("Cannot watch the lingering processes of %s; the grace period decides.",
                                  s->rec.id);
        } else
                s->stop_timer = sd_event_source_disable_unref(s->stop_timer);

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

        s->log_fd = safe_close(s->log_fd); /* clients behind have their own fd on it */
        (void) session_save(s);
        session_send_changed(s, "Status", "ExitCode", "EndedAt", NULL);
        session_reply_waiters(s);
        session_clear_input_needed(s, false);
        session_prompt_waiters_reply(s, "exited");
        manager_session_ended(m, s);
        attach_clients_session_ended(s);
        session_schedule_eviction(s);
}

/* The model catches up TERMINAL_QUIET_USEC after the last output, a chunk per dispatch. While output
 * flows the timer is only pushed back (no syscall: it is re-armed when it fires). */
static int on_terminal_quiet(sd_event_source *src, uint64_t usec, void *userdata) {
        Session *s = userdata;
        uint64_t now;

        if (!s->term)
                return 0;
        (void) sd_event_now(s->manager->event, CLOCK_MONOTONIC, &now);
        if (s->last_output_usec + TERMINAL_QUIET_USEC > now) {
                (void) sd_event_source_set_time(src, s->last_output_usec + TERMINAL_QUIET_USEC);
                (void) sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
                return 0;
        }
        if (terminal_catch_up(s->term, TERMINAL_FEED_CHUNK)) {
                (void) sd_event_source_set_time(src, now);
                (void) sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
        }
        return 0;
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
        int r;

        if (revents & EPOLLOUT)
                session_flush_input(s);
        if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                return 0;
        r = session_read_pty(s);

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

/* The session's process groups: the leader's (its pid: it called setsid) and the terminal's foreground
 * group, which differs when a shell in the session runs a job. Learnt while the terminal is open (the
 * kernel forgets the foreground group when the leader dies) and remembered for the final SIGKILL. */
static void session_learn_groups(Session *s) {
        pid_t g[2] = { (pid_t) s->rec.pid, s->master_fd >= 0 ? tcgetpgrp(s->master_fd) : -1 };

        for (size_t i = 0; i < ELEMENTSOF(g); i++) {
                bool known = g[i] <= 0;
                for (unsigned k = 0; k < s->n_groups && !known; k++)
                        known = s->groups[k] == g[i];
                if (!known && s->n_groups < ELEMENTSOF(s->groups))
                        s->groups[s->n_groups++] = g[i];
        }
}

static bool session_groups_alive(Session *s) {
        for (unsigned k = 0; k < s->n_groups; k++)
                if (kill(-s->groups[k], 0) == 0)
                        return true;
        return false;
}

static void session_signal(Session *s, int sig) {
        if (s->rec.pid == 0)
                return;
        if (s->active)
                session_learn_groups(s);
        for (unsigned k = 0; k < s->n_groups; k++)
                if (kill(-s->groups[k], sig) < 0 && errno != ESRCH)
                        log_warning_errno(errno, "Failed to send %s to process group %d of session %s: %m",
                                          strsignal(sig), (int) s->groups[k], s->rec.id);
}

static void session_linger_done(Session *s) {
        s->linger_poll = sd_event_source_disable_unref(s->linger_poll);
        if (!s->lingering)
                return;
        s->lingering = false;
        manager_session_lingering(s->manager, -1);
}

static int on_linger_poll(sd_event_source *src, uint64_t usec, void *userdata) {
        Session *s = userdata;

        if (s->lingering && session_groups_alive(s)) {
                (void) sd_event_source_set_time_relative(src, SESSION_LINGER_POLL_USEC);
                (void) sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
                return 0;
        }
        /* Every process of the stopped job is gone: nothing is left to SIGKILL. */
        s->stop_timer = sd_event_source_disable_unref(s->stop_timer);
        session_linger_done(s);
        return 0;
}

static int on_stop_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        Session *s = userdata;

        if (s->active)
                log_info("Session %s did not stop within its grace period; sending SIGKILL.", s->rec.id);
        else
                log_info("Processes of session %s outlived it and their grace period; sending SIGKILL.", s->rec.id);
        /* After the session has ended its status stays what it was: the leader ended within the grace. */
        if (s->active)
                s->sigkill_sent = true;
        session_signal(s, SIGKILL);
        session_linger_done(s);
        return 0;
}

void session_hurry_lingering(Session *s, uint64_t grace_usec) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + grace_usec, old;

        if (!s->lingering || !s->stop_timer)
                return;
        if (grace_usec == 0) {
                (void) on_stop_timeout(s->stop_timer, 0, s);
                return;
        }
        if (sd_event_source_get_time(s->stop_timer, &old) >= 0 && old <= deadline)
                return;
        (void) sd_event_source_set_time(s->stop_timer, deadline);
        (void) sd_event_source_set_enabled(s->stop_timer, SD_EVENT_ONESHOT);
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
                session_learn_groups(s); /* before any signal: the leader's death hides the job's group */
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
        if (s->n_clients > 0 || s->lingering) {
                session_schedule_eviction(s); /* still draining to an attached client */
                return 0;
        }
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

int session_open_files(Session *s) {
        _cleanup_free_ char *dir = path_join(s->manager->sessions_dir, s->rec.id);
        _cleanup_free_ char *logpath = dir ? path_join(dir, "output.log") : NULL;
        int r;

        if (!logpath)
                return log_oom();
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                s->log_broken = true;
                return log_error_errno(errno, "Failed to create %s; session %s is not logged: %m", dir, s->rec.id);
        }
        /* Read-write: clients that fall behind are served from it. */
        s->log_fd = open(logpath, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->log_fd < 0) {
                s->log_broken = true;
                return log_error_errno(errno, "Failed to open %s; session %s is not logged: %m", logpath, s->rec.id);
        }
        /* Only now is output read: none of it can arrive before the log is there. */
        if (s->master_fd >= 0 && !s->pty_source) {
                r = sd_event_add_io(s->manager->event, &s->pty_source, s->master_fd, EPOLLIN, on_pty_io, s);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch the terminal of session %s: %m", s->rec.id);
        }
        return 0;
}

int session_spawn(Manager *m, const SessionSpawn *p, Session **ret, char **ret_reason) {
        _cleanup_free_ char *exe = NULL, *slave = NULL, *reason = NULL;
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
        s->rec.rows = s->initial_rows = p->rows;
        s->rec.cols = s->initial_cols = p->cols;
        s->rec.notifications_enabled = p->notifications_enabled;
        s->notifications_enabled = p->notifications_enabled;

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
        /* The terminal model catches up only when the loop has nothing more urgent to do. */
        r = sd_event_add_time(m->event, &s->term_source, CLOCK_MONOTONIC, 0, USEC_PER_MSEC, on_terminal_quiet, s);
        if (r >= 0)
                r = sd_event_source_set_priority(s->term_source, SD_EVENT_PRIORITY_IDLE);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->term_source, SD_EVENT_OFF);
        if (r < 0)
                log_warning_errno(r, "No terminal model for session %s (no snapshots, no query answers): %m",
                                  s->rec.id);
        /* Before the caller hears of the session, its log exists (a script may read it at once). */
        (void) session_open_files(s);
        log_info("Session %s started: pid %d, %s", s->rec.id, (int) pid, exe);
        *ret = s;
        return 0;

fail_start:
        (void) session_open_files(s); /* for the reason, in its log */
        r = session_fail_to_start(s, r, reason ?: "cannot start", ret_reason);
        manager_session_ended(m, s);
        session_schedule_eviction(s);
        *ret = s;
        return r;

fail:
        session_free(s);
        return r;
}
