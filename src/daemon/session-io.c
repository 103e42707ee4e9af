/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A session's PTY and its output: the hot path (read → attached clients → output.log → terminal model),
 * the model catching up off that path, resizes and their history, and the readers of the log. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>

#include "exec-util.h"
#include "log.h"
#include "oly-def.h"
#include "paths.h"
#include "session.h"

static int session_open_log_fd(Session *s);

void session_log_line(Session *s, const char *fmt, ...) {
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

/* An adopted session's model starts from the newest output in its log: what an earlier daemon's model
 * showed (the model keeps only so much unfed output anyway). */
static void session_replay_tail(Session *s) {
        uint64_t from = s->out_offset > TERMINAL_PENDING_MAX ? s->out_offset - TERMINAL_PENDING_MAX : 0;
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        s->model_replay = false;
        if (s->out_offset == 0)
                return;
        fd = session_open_log_fd(s);
        buf = malloc(s->out_offset - from);
        if (fd < 0 || !buf)
                return;
        n = pread(fd, buf, s->out_offset - from, (off_t) from);
        if (n > 0)
                terminal_queue(s->term, buf, (size_t) n);
}

/* The terminal model is made on first use (first output, attach, send): an idle session that never
 * printed anything costs no libvterm screen (~140 KiB). */
Terminal *session_term(Session *s) {
        if (!s->term && s->active && s->master_fd >= 0) {
                int r = terminal_new(s->rec.rows, s->rec.cols, s->master_fd, &s->term);
                if (r < 0) {
                        log_warning_errno(r, "No terminal model for session %s: %m", s->rec.id);
                        return NULL;
                }
                s->term->answer = s->n_clients == 0;
                if (s->model_replay)
                        session_replay_tail(s);
        }
        return s->term;
}

static void session_model_kick(Session *s) {
        int enabled = SD_EVENT_OFF;

        (void) sd_event_now(s->host->event, CLOCK_MONOTONIC, &s->last_output_usec);
        if (!s->term_source ||
            (sd_event_source_get_enabled(s->term_source, &enabled) >= 0 && enabled != SD_EVENT_OFF))
                return;
        (void) sd_event_source_set_time(s->term_source, s->last_output_usec + TERMINAL_QUIET_USEC);
        (void) sd_event_source_set_enabled(s->term_source, SD_EVENT_ONESHOT);
}

int session_read_pty(Session *s) {
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

void session_close_pty(Session *s) {
        s->pty_source = sd_event_source_disable_unref(s->pty_source);
        s->master_fd = safe_close(s->master_fd);
        s->pty_closed = true;
        s->term_source = sd_event_source_disable_unref(s->term_source);
        s->term = terminal_free(s->term);
        s->resize_fd = safe_close(s->resize_fd);
        s->prompt_timer = sd_event_source_disable_unref(s->prompt_timer);
        session_input_done(s);
}

void session_update_pty_events(Session *s) {
        if (s->pty_source)
                (void) sd_event_source_set_io_events(s->pty_source,
                                                     EPOLLIN | (s->input.len > 0 ? EPOLLOUT : 0));
}

static int on_pty_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Session *s = userdata;

        if (revents & EPOLLOUT)
                session_flush_input(s);
        if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                return 0;
        if (session_read_pty(s) >= 0)
                return 0;
        /* The terminal is gone: stop polling it (EPOLLHUP would fire forever). */
        s->pty_source = sd_event_source_disable_unref(s->pty_source);
        if (s->child_exited)
                session_end(s);
        return 0;
}

/* The model catches up TERMINAL_QUIET_USEC after the last output, a chunk per dispatch. While output
 * flows the timer is only pushed back (no syscall: it is re-armed when it fires). */
static int on_terminal_quiet(sd_event_source *src, uint64_t usec, void *userdata) {
        Session *s = userdata;
        uint64_t now;

        if (!s->term)
                return 0;
        (void) sd_event_now(s->host->event, CLOCK_MONOTONIC, &now);
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

int session_start_model(Session *s) {
        int r;

        /* The terminal model catches up only when the loop has nothing more urgent to do. */
        r = sd_event_add_time(s->host->event, &s->term_source, CLOCK_MONOTONIC, 0, USEC_PER_MSEC,
                              on_terminal_quiet, s);
        if (r >= 0)
                r = sd_event_source_set_priority(s->term_source, SD_EVENT_PRIORITY_IDLE);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->term_source, SD_EVENT_OFF);
        if (r < 0)
                log_warning_errno(r, "No terminal model for session %s (no snapshots, no query answers): %m",
                                  s->rec.id);
        return r;
}

int session_open_files(Session *s) {
        _cleanup_free_ char *dir = path_join(s->host->sessions_dir, s->rec.id);
        _cleanup_free_ char *logpath = dir ? path_join(dir, "output.log") : NULL;
        int r;

        if (!logpath)
                return log_oom();
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                s->log_broken = true;
                return log_error_errno(errno, "Failed to create %s; session %s is not logged: %m", dir,
                                       s->rec.id);
        }
        /* Read-write: clients that fall behind are served from it. */
        s->log_fd = open(logpath, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->log_fd < 0) {
                s->log_broken = true;
                return log_error_errno(errno, "Failed to open %s; session %s is not logged: %m", logpath,
                                       s->rec.id);
        }
        struct stat st;
        if (fstat(s->log_fd, &st) >= 0) /* adopted: it goes on from there */
                s->out_offset = MAX(s->out_offset, (uint64_t) st.st_size);
        /* Only now is output read: none of it can arrive before the log is there. */
        if (s->master_fd >= 0 && !s->pty_source) {
                r = sd_event_add_io(s->host->event, &s->pty_source, s->master_fd, EPOLLIN, on_pty_io, s);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch the terminal of session %s: %m",
                                               s->rec.id);
        }
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
                _cleanup_free_ char *dir = path_join(s->host->sessions_dir, s->rec.id);
                _cleanup_free_ char *p = dir ? path_join(dir, "resize.log") : NULL;
                struct stat st;
                if (p)
                        s->resize_fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
                /* An adopted session's file has its history already. */
                if (s->resize_fd >= 0 && fstat(s->resize_fd, &st) >= 0 && st.st_size == 0)
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
        _cleanup_free_ char *dir = path_join(s->host->sessions_dir, s->rec.id);
        _cleanup_free_ char *p = dir ? path_join(dir, "output.log") : NULL;
        if (!p)
                return -ENOMEM;
        int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        return fd < 0 ? -errno : fd;
}

int session_open_terminal(Session *s, bool from_start, int *ret_fd) {
        _cleanup_close_ int ours = -EBADF, theirs = -EBADF, log_fd = -EBADF;
        _cleanup_buf_free_ Buf prologue = {};
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
        (void) setsockopt(ours, SOL_SOCKET, SO_SNDBUF, &(int){ 1024 * 1024 }, sizeof(int));

        uint8_t hello[8];
        put_u32(hello, OLY_ATTACH_PROTOCOL_VERSION);
        put_u16(hello + 4, (uint16_t) s->rec.rows);
        put_u16(hello + 6, (uint16_t) s->rec.cols);
        r = frame_append(&prologue, FRAME_HELLO, hello, sizeof hello);
        if (r >= 0 && !from_start && session_term(s)) {
                _cleanup_buf_free_ Buf snap = {};
                r = terminal_snapshot(s->term, &snap);
                for (size_t off = 0; r >= 0 && off < snap.len; off += SESSION_READ_MAX)
                        r = frame_append(&prologue, FRAME_SNAPSHOT, snap.data + off,
                                         MIN((size_t) SESSION_READ_MAX, snap.len - off));
        }
        if (r >= 0)
                r = attach_client_new(s, ours, log_fd, &prologue, from_start ? 0 : s->out_offset);
        if (r < 0)
                return r;
        TAKE_FD(ours);
        TAKE_FD(log_fd);
        *ret_fd = TAKE_FD(theirs);
        return 0;
}

/* resize.log: "OFFSET ROWS COLS" lines; unreadable lines are skipped. */
static int session_read_resizes(Session *s, uint64_t **ret, size_t *ret_n) {
        _cleanup_free_ char *dir = path_join(s->host->sessions_dir, s->rec.id), *rzp = NULL, *text = NULL;
        _cleanup_free_ uint64_t *v = NULL;
        size_t n = 0;

        if (!dir || !(rzp = path_join(dir, "resize.log")))
                return -ENOMEM;
        if (read_file_full(rzp, 16 * 1024 * 1024, &text, NULL) >= 0)
                for (char *line = text, *e; line && *line; line = e ? e + 1 : NULL) {
                        unsigned long long off;
                        unsigned rows, cols;
                        e = strchr(line, '\n');
                        if (sscanf(line, "%llu %u %u", &off, &rows, &cols) != 3 || rows == 0 || cols == 0)
                                continue;
                        uint64_t *nv = reallocarray(v, 3 * (n + 1), sizeof *v);
                        if (!nv)
                                return -ENOMEM;
                        v = nv;
                        v[3 * n] = off;
                        v[3 * n + 1] = rows;
                        v[3 * n + 2] = cols;
                        n++;
                }
        if (n == 0) {
                /* Sessions from before resize.log existed: their size as recorded. */
                v = malloc(3 * sizeof *v);
                if (!v)
                        return -ENOMEM;
                v[0] = 0;
                v[1] = s->rec.rows ?: OLY_DEFAULT_ROWS;
                v[2] = s->rec.cols ?: OLY_DEFAULT_COLS;
                n = 1;
        }
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

int session_open_log(Session *s, int *ret_fd, uint64_t **ret_resizes, size_t *ret_n) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = session_open_log_fd(s);
        if (fd < 0)
                return fd;
        r = session_read_resizes(s, ret_resizes, ret_n);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}
