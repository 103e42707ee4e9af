/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The browser-to-lws relay (see ws-guard.h): each direction one bounded buffer, read only when it is empty,
 * so that either side's backpressure reaches the other. */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "list.h"
#include "log.h"
#include "macro.h"
#include "ws-guard.h"

#define WS_GUARD_BUFFER_SIZE (32U * 1024U) /* per direction */

size_t ws_frame_scan(WsFrameScan *s, const uint8_t *p, size_t n) {
        size_t i = 0;

        while (i < n) {
                if (!s->in_frames) {
                        s->last4 = s->last4 << 8 | p[i++];
                        s->in_frames = s->last4 == 0x0d0a0d0a; /* "\r\n\r\n" */
                        continue;
                }
                if (s->payload_left > 0) {
                        size_t k = (size_t) MIN((uint64_t) (n - i), s->payload_left);
                        s->payload_left -= k;
                        i += k;
                        continue;
                }
                s->hdr[s->hdr_len++] = p[i];
                /* No mask: refused from the byte that says so on (the first may have passed in an earlier
                 * read already, and alone it is no frame to lws). */
                if (s->hdr_len == 2 && !(s->hdr[1] & 0x80))
                        return i;
                if (s->hdr_len >= 2) {
                        unsigned len7 = s->hdr[1] & 0x7f;
                        size_t need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
                        if (s->hdr_len == need) {
                                uint64_t len = len7;
                                if (len7 == 126)
                                        len = (uint64_t) s->hdr[2] << 8 | s->hdr[3];
                                else if (len7 == 127) {
                                        len = 0;
                                        for (size_t k = 2; k < 10; k++)
                                                len = len << 8 | s->hdr[k];
                                }
                                s->payload_left = len;
                                s->hdr_len = 0;
                        }
                }
                i++;
        }
        return n;
}

typedef struct Dir {
        uint8_t buf[WS_GUARD_BUFFER_SIZE];
        size_t start, end;
        bool eof; /* the source ended: once buf is empty, the sink is shut down for writing */
} Dir;

struct WsGuard {
        WsGuard **list;
        LIST_FIELDS(WsGuard, guards);
        int peer_fd, lws_fd;
        sd_event_source *peer_source, *lws_source;
        Dir up, down; /* browser → lws, lws → browser */
        WsFrameScan scan;
        bool refused;
        WsGuardRefused refused_cb;
        void *userdata;
        WsGuard **backref; /* the owner's pointer to us, cleared when we go */
};

static WsGuard *ws_guard_free(WsGuard *g) {
        if (!g)
                return NULL;
        if (g->list)
                LIST_REMOVE(guards, *g->list, g);
        if (g->backref)
                *g->backref = NULL;
        sd_event_source_disable_unref(g->peer_source);
        sd_event_source_disable_unref(g->lws_source);
        safe_close(g->peer_fd);
        safe_close(g->lws_fd);
        return mfree(g);
}

void ws_guard_forget(WsGuard *g) {
        if (!g)
                return;
        g->refused_cb = NULL;
        g->backref = NULL;
}

void ws_guard_free_all(WsGuard **list) {
        while (*list)
                ws_guard_free(*list);
}

/* Moves what is buffered in d to fd. < 0: fd failed. */
static int dir_flush(Dir *d, int fd) {
        while (d->start < d->end) {
                ssize_t n = send(fd, d->buf + d->start, d->end - d->start, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0)
                        return errno == EAGAIN ? 0 : errno == EINTR ? 0 : -errno;
                d->start += (size_t) n;
        }
        d->start = d->end = 0;
        if (d->eof)
                (void) shutdown(fd, SHUT_WR);
        return 0;
}

/* Reads into an empty d from fd: how many bytes came (0 also at the end), < 0 when fd failed. */
static ssize_t dir_fill(Dir *d, int fd) {
        ssize_t n;

        if (d->end > 0 || d->eof)
                return 0;
        n = recv(fd, d->buf, sizeof d->buf, MSG_DONTWAIT);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (n == 0)
                d->eof = true;
        d->end = (size_t) n;
        return n;
}

static int set_events(sd_event_source *s, uint32_t events) {
        int r;

        if (events == 0)
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);
        r = sd_event_source_set_io_events(s, events);
        if (r >= 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_ON);
        return r;
}

static int ws_guard_pump(WsGuard *g) {
        ssize_t n;
        int r;

        /* Browser → lws, each byte scanned once, as it is read. After a refused frame the browser's
         * bytes are still read, and dropped: it is not left stuck writing while lws says goodbye. */
        n = dir_fill(&g->up, g->peer_fd);
        if (n < 0)
                return (int) n;
        if (n > 0 && g->refused)
                g->up.end = 0;
        else if (n > 0) {
                size_t ok = ws_frame_scan(&g->scan, g->up.buf, g->up.end);
                if (ok < g->up.end) {
                        g->up.end = ok;
                        g->refused = true;
                        log_debug("A browser sent an unmasked WebSocket frame: closing with 1002.");
                        if (g->refused_cb)
                                g->refused_cb(g->userdata);
                }
        }
        r = dir_flush(&g->up, g->lws_fd);
        if (r < 0)
                return r;
        /* lws → browser, as it is. */
        n = dir_fill(&g->down, g->lws_fd);
        if (n < 0)
                return (int) n;
        r = dir_flush(&g->down, g->peer_fd);
        if (r < 0)
                return r;
        if (g->down.eof && g->down.end == 0)
                return 0; /* lws is done with the connection: so are we */

        r = set_events(g->peer_source, (g->up.end == 0 && !g->up.eof ? EPOLLIN : 0) |
                                               (g->down.end > g->down.start ? EPOLLOUT : 0));
        if (r >= 0)
                r = set_events(g->lws_source, (g->down.end == 0 && !g->down.eof ? EPOLLIN : 0) |
                                                      (g->up.end > g->up.start ? EPOLLOUT : 0));
        return r < 0 ? r : 1;
}

static int on_guard_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        WsGuard *g = userdata;
        int r;

        /* A refusal's callback may close the connection, which only asks lws to write: g stays. */
        r = ws_guard_pump(g);
        if (r <= 0) {
                if (r < 0)
                        log_debug_errno(r, "WebSocket relay ended: %m");
                ws_guard_free(g);
        }
        return 0;
}

int ws_guard_new(sd_event *e, int peer_fd, WsGuard **list, WsGuardRefused refused, void *userdata,
                 WsGuard **ret, int *ret_fd) {
        _cleanup_close_ int peer = peer_fd;
        int pair[2], r;
        WsGuard *g;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) < 0)
                return -errno;
        g = calloc(1, sizeof *g);
        if (!g) {
                safe_close(pair[0]);
                safe_close(pair[1]);
                return -ENOMEM;
        }
        g->peer_fd = TAKE_FD(peer);
        g->lws_fd = pair[0];
        g->refused_cb = refused;
        g->userdata = userdata;
        r = sd_event_add_io(e, &g->peer_source, g->peer_fd, EPOLLIN, on_guard_io, g);
        if (r >= 0)
                r = sd_event_add_io(e, &g->lws_source, g->lws_fd, EPOLLIN, on_guard_io, g);
        if (r < 0) {
                safe_close(pair[1]);
                ws_guard_free(g);
                return r;
        }
        (void) sd_event_source_set_description(g->peer_source, "ws-guard-peer");
        (void) sd_event_source_set_description(g->lws_source, "ws-guard-lws");
        g->list = list;
        LIST_PREPEND(guards, *list, g);
        g->backref = ret;
        *ret = g;
        *ret_fd = pair[1];
        return 0;
}
