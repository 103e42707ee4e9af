/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A session's attached terminal streams: each client tracks its own offset in the session's output. A client
 * that keeps up gets the bytes straight from the PTY read; one that falls behind (slow, or stopped) is
 * served from output.log when it can take more, so it never slows the session and never misses a byte. */
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "log.h"
#include "session.h"

struct AttachClient {
        Session *session;
        LIST_FIELDS(AttachClient, clients);
        int fd;
        int log_fd; /* our own read-only fd on output.log, for when we are behind */
        sd_event_source *io;
        uint64_t offset; /* the next output byte this client gets */
        Buf out; /* framed bytes accepted for this client but not yet written */
        FrameReader *in;
        bool exit_queued, reading;
};

AttachClient *attach_client_free(AttachClient *c) {
        if (!c)
                return NULL;
        Session *s = c->session;
        LIST_REMOVE(clients, s->clients, c);
        s->n_clients--;
        sd_event_source_disable_unref(c->io);
        safe_close(c->fd);
        safe_close(c->log_fd);
        buf_free(&c->out);
        free(c->in);
        free(c);
        /* With nobody attached the model answers terminal queries again. */
        if (s->n_clients == 0 && s->term)
                s->term->answer = true;
        return NULL;
}

static void client_update_events(AttachClient *c) {
        Session *s = c->session;
        uint32_t ev = 0;
        if (c->reading && !s->input_paused)
                ev |= EPOLLIN;
        if (c->out.len > 0 || c->offset < s->out_offset || (!s->active && !c->exit_queued))
                ev |= EPOLLOUT;
        (void) sd_event_source_set_io_events(c->io, ev);
}

/* Writes what the client can take. Returns -EPIPE when the client is gone or done (and freed). */
static int client_flush(AttachClient *c) {
        static uint8_t chunk[SESSION_READ_MAX];
        Session *s = c->session;

        for (;;) {
                if (c->out.len > 0) {
                        ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
                        if (n < 0) {
                                if (errno == EAGAIN || errno == EINTR)
                                        break;
                                attach_client_free(c);
                                return -EPIPE;
                        }
                        buf_consume(&c->out, (size_t) n);
                        continue;
                }
                if (c->offset < s->out_offset) {
                        if (c->log_fd < 0 || s->log_broken) {
                                static const char msg[] =
                                        "the session log is incomplete; dropped this attach";
                                (void) frame_append(&c->out, FRAME_NOTICE, msg, sizeof msg - 1);
                                (void) send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
                                attach_client_free(c);
                                return -EPIPE;
                        }
                        size_t want = (size_t) MIN((uint64_t) sizeof chunk, s->out_offset - c->offset);
                        ssize_t n = pread(c->log_fd, chunk, want, (off_t) c->offset);
                        if (n <= 0) {
                                log_warning_errno(n < 0 ? errno : EIO,
                                                  "Failed to read back the log of %s: %m", s->rec.id);
                                attach_client_free(c);
                                return -EPIPE;
                        }
                        if (frame_append(&c->out, FRAME_OUTPUT, chunk, (size_t) n) < 0) {
                                attach_client_free(c);
                                return -EPIPE;
                        }
                        c->offset += (uint64_t) n;
                        continue;
                }
                if (!s->active && !c->exit_queued) {
                        uint8_t p[4 + 16];
                        const char *st = session_status_to_string(s->rec.status);
                        size_t l = MIN(strlen(st), (size_t) 16);
                        put_u32(p, (uint32_t) s->rec.exit_code);
                        memcpy(p + 4, st, l);
                        (void) frame_append(&c->out, FRAME_EXIT, p, 4 + l);
                        c->exit_queued = true;
                        continue;
                }
                if (c->exit_queued) {
                        /* Everything said: the stream ends here. */
                        (void) shutdown(c->fd, SHUT_WR);
                        attach_client_free(c);
                        return -EPIPE;
                }
                break;
        }
        client_update_events(c);
        return 0;
}

static int client_handle_frame(AttachClient *c, FrameType type, const uint8_t *p, uint32_t n) {
        Session *s = c->session;
        int r;

        switch (type) {
        case FRAME_INPUT:
                r = session_write_input(s, p, n, NULL, NULL, NULL);
                if (r == -ESRCH)
                        return 0; /* the session ended; the exit frame is on its way */
                return r;
        case FRAME_RESIZE:
                if (n != 4)
                        return -EBADMSG;
                r = session_resize(s, get_u16(p), get_u16(p + 2));
                /* After the end (the client is still catching up) or a silly size: nothing to do. */
                return r == -ESRCH || r == -EINVAL ? 0 : r;
        case FRAME_DETACH:
                return -ECONNRESET;
        default:
                return -EBADMSG;
        }
}

/* Handles the frames already buffered. Returns -EPIPE when c was freed, -ENOBUFS when the session's
 * input queue is full (the frame stays buffered until attach_clients_resume_input()), 0 otherwise. */
static int client_process(AttachClient *c) {
        for (;;) {
                FrameType t;
                const uint8_t *payload;
                uint32_t len;
                int r = frame_reader_next(c->in, &t, &payload, &len);
                if (r == 0)
                        return 0;
                if (r > 0)
                        r = client_handle_frame(c, t, payload, len);
                if (r == -ENOBUFS)
                        return r; /* not consumed: no keystroke is lost, it waits for room */
                frame_reader_consume(c->in);
                if (r == -ECONNRESET) {
                        attach_client_free(c);
                        return -EPIPE;
                }
                if (r < 0) {
                        log_debug_errno(r, "Dropping a terminal client of %s: %m", c->session->rec.id);
                        attach_client_free(c);
                        return -EPIPE;
                }
        }
}

static void client_read(AttachClient *c) {
        for (int i = 0; i < 16 && !c->session->input_paused; i++) {
                size_t space;
                uint8_t *p = frame_reader_space(c->in, &space);
                if (space == 0)
                        return;
                ssize_t n = recv(c->fd, p, space, MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return;
                if (n <= 0) {
                        /* The client went away (or detached by closing): that is not an error. */
                        attach_client_free(c);
                        return;
                }
                frame_reader_fill(c->in, (size_t) n);
                if (client_process(c) < 0)
                        return;
        }
}

static int on_client_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        AttachClient *c = userdata;

        /* epoll reports a hang-up even while we do not ask for input (paused): a gone client goes now. */
        if ((revents & (EPOLLHUP | EPOLLERR)) && c->session->input_paused) {
                attach_client_free(c);
                return 0;
        }
        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                Session *s = c->session;
                unsigned before = s->n_clients;
                client_read(c);
                if (s->n_clients < before)
                        return 0; /* freed */
        }
        if (client_flush(c) < 0)
                return 0;
        return 0;
}

void attach_client_wake(AttachClient *c) {
        (void) client_flush(c);
}

void attach_clients_push(Session *s, const uint8_t *data, size_t n, uint64_t offset) {
        LIST_FOREACH_SAFE (clients, c, next, s->clients) {
                if (c->out.len > 0 || c->offset != offset)
                        continue; /* behind: it will be served from the log when it is writable */
                uint8_t h[OLY_FRAME_HEADER_SIZE];
                frame_header(h, FRAME_OUTPUT, (uint32_t) n);
                struct iovec iov[2] = { { h, sizeof h }, { (void *) data, n } };
                ssize_t k = writev(c->fd, iov, 2);
                if (k < 0) {
                        if (errno == EAGAIN || errno == EINTR) {
                                /* It is behind now, but s->out_offset moves only after this push:
                                 * ask for writability explicitly, or it would wait for the next
                                 * push that it skips, i.e. forever. */
                                uint32_t ev = EPOLLOUT;
                                if (c->reading && !s->input_paused)
                                        ev |= EPOLLIN;
                                (void) sd_event_source_set_io_events(c->io, ev);
                                continue;
                        }
                        attach_client_free(c);
                        continue;
                }
                c->offset += n;
                if ((size_t) k < sizeof h + n) {
                        /* Keep the rest of this frame; frames are never interleaved. */
                        size_t done = (size_t) k;
                        if (done < sizeof h)
                                (void) buf_put(&c->out, h + done, sizeof h - done);
                        size_t from = done > sizeof h ? done - sizeof h : 0;
                        if (buf_put(&c->out, data + from, n - from) < 0) {
                                attach_client_free(c);
                                continue;
                        }
                        client_update_events(c);
                }
        }
}

void attach_clients_session_ended(Session *s) {
        LIST_FOREACH_SAFE (clients, c, next, s->clients)
                (void) client_flush(c);
}

void attach_clients_resume_input(Session *s) {
        LIST_FOREACH_SAFE (clients, c, next, s->clients) {
                /* Frames held back while the queue was full go first. */
                if (!s->input_paused && client_process(c) == -EPIPE)
                        continue;
                client_update_events(c);
        }
}

int attach_client_new(Session *s, int fd, int log_fd, const Buf *prologue, uint64_t offset) {
        AttachClient *c;
        int r;

        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->in = malloc(sizeof *c->in);
        if (!c->in) {
                free(c);
                return -ENOMEM;
        }
        c->in->start = c->in->end = 0;
        c->session = s;
        c->fd = fd;
        c->log_fd = log_fd;
        c->offset = offset;
        c->reading = true;
        LIST_PREPEND(clients, s->clients, c);
        s->n_clients++;

        r = buf_put(&c->out, prologue->data, prologue->len);
        if (r >= 0)
                r = sd_event_add_io(s->host->event, &c->io, fd, EPOLLIN | EPOLLOUT, on_client_io, c);
        if (r < 0) {
                c->fd = c->log_fd = -EBADF; /* the caller still owns them */
                attach_client_free(c);
                return r;
        }
        if (s->term)
                s->term->answer = false;
        (void) client_flush(c);
        return 0;
}
