/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The connection router (see http-listener.h): a WebSocket attach request goes to the bridge once its
 * Origin, Host and token are checked and the daemon opened the terminal; a malformed first head (or one
 * without its Host) is answered 400 here; everything else goes to libmicrohttpd. */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "http-auth.h"
#include "http-bus.h"
#include "http-def.h"
#include "http-head.h"
#include "http-json.h"
#include "http-listener.h"
#include "http-mhd.h"
#include "http-response.h"
#include "http-token.h"
#include "id.h"
#include "list.h"
#include "log.h"
#include "oly-def.h"

typedef struct HttpPeek HttpPeek;
struct HttpPeek {
        HttpListener *listener;
        int fd;
        struct sockaddr_storage addr;
        socklen_t addr_len;
        sd_event_source *io, *timer;
        sd_bus_slot *slot;
        HttpHead head;
        LIST_FIELDS(HttpPeek, peeking);
};

struct HttpListener {
        HttpContext *context;
        WsServer *ws; /* NULL: attach is refused */
        int fd;
        sd_event_source *source;
        HttpPeek *peeking; /* connections whose first head is being read */
        unsigned n_peeking;
};

static HttpPeek *peek_free(HttpPeek *p) {
        if (!p)
                return NULL;
        LIST_REMOVE(peeking, p->listener->peeking, p);
        p->listener->n_peeking--;
        sd_event_source_disable_unref(p->io);
        sd_event_source_disable_unref(p->timer);
        sd_bus_slot_unref(p->slot);
        safe_close(p->fd);
        return mfree(p);
}

/* Answers a request that never reaches MHD with a plain response, then closes. */
_printf_(3, 4) static void peek_fail(HttpPeek *p, unsigned status, const char *fmt, ...) {
        char msg[256], head[1024];
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *e = json_object_new_object();
        const char *body;
        va_list ap;
        int n;

        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (o && e) {
                json_object_object_add(e, "code", json_object_new_string(http_response_code_name(status)));
                json_object_object_add(e, "message", json_object_new_string(msg));
                json_object_object_add(o, "error", TAKE_PTR(e));
        }
        body = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                 : "";
        n = snprintf(
                head, sizeof head,
                "HTTP/1.1 %u %s\r\n"
                "Content-Type: application/json\r\n"
                "Content-Length: %zu\r\n"
                "Connection: close\r\n"
                "Cache-Control: no-store\r\n"
                "Content-Security-Policy: default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                "style-src 'self'; frame-ancestors 'none'\r\n"
                "X-Content-Type-Options: nosniff\r\n"
                "X-Frame-Options: DENY\r\n"
                "Referrer-Policy: no-referrer\r\n"
                "\r\n",
                status, MHD_get_reason_phrase_for(status), strlen(body));
        /* Consume the request first: closing with unread bytes would reset the connection and lose the
         * answer. */
        if (p->head.length > 0) {
                char sink[HTTP_HEAD_MAX];
                (void) recv(p->fd, sink, MIN(p->head.length, sizeof sink), MSG_DONTWAIT);
        }
        if (n > 0 && (size_t) n < sizeof head) {
                struct iovec iov[2] = { { head, (size_t) n }, { (void *) body, strlen(body) } };
                struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
                (void) sendmsg(p->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        (void) shutdown(p->fd, SHUT_WR);
        peek_free(p);
}

static void peek_to_mhd(HttpPeek *p) {
        HttpContext *c = p->listener->context;

        /* MHD closes the socket itself when it cannot take it. */
        if (http_mhd_add_connection(c->mhd, TAKE_FD(p->fd), (const struct sockaddr *) &p->addr,
                                    p->addr_len) < 0)
                log_debug("libmicrohttpd refused a connection (limit reached?).");
        peek_free(p);
}

static int on_open_terminal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        HttpPeek *p = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        int fd, r;

        p->slot = sd_bus_slot_unref(p->slot);
        if (e) {
                const char *message;
                unsigned status = http_response_bus_error_status(e, &message);
                peek_fail(p, status, "%s", message);
                return 0;
        }
        r = sd_bus_message_read(m, "h", &fd);
        if (r < 0) {
                peek_fail(p, 500, "bad reply from the daemon");
                return 0;
        }
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
                peek_fail(p, 500, "cannot take the terminal: %s", strerror(errno));
                return 0;
        }
        /* ws_server_adopt owns both fds from here on, also on failure. */
        r = ws_server_adopt(p->listener->ws, TAKE_FD(p->fd), fd);
        if (r < 0)
                log_warning_errno(r, "Failed to hand a WebSocket connection to the bridge: %m");
        peek_free(p);
        return 0;
}

static void attach_open(HttpPeek *p) {
        sd_bus *bus = http_bus_get(p->listener->context->bus);
        int r;

        if (!bus)
                return peek_fail(p, 503, "the oly daemon is not reachable");
        r = sd_bus_call_method_async(bus, &p->slot, NULL, OLY_MANAGER_PATH, OLY_MANAGER_IFACE,
                                     "OpenTerminal", on_open_terminal, p, "st", p->head.id,
                                     p->head.replay ? OLY_OPEN_TERMINAL_FROM_START : UINT64_C(0));
        if (r < 0)
                return peek_fail(p, 503, "the oly daemon is not reachable");
}

static int on_check_token(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        HttpPeek *p = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        uint64_t expires;
        char digest[HTTP_DIGEST_STRLEN + 1];

        p->slot = sd_bus_slot_unref(p->slot);
        if (e) {
                const char *message;
                unsigned status = http_response_bus_error_status(e, &message);
                if (status == 401)
                        peek_fail(p, 401, "a valid token is required");
                else
                        peek_fail(p, status, "%s", message);
                return 0;
        }
        if (sd_bus_message_read(m, "t", &expires) >= 0 && http_token_digest(p->head.token, digest) >= 0)
                http_tokens_remember(p->listener->context->tokens, digest, expires,
                                     now_usec(CLOCK_REALTIME));
        attach_open(p);
        return 0;
}

static void attach_start(HttpPeek *p) {
        HttpListener *l = p->listener;
        HttpContext *c = l->context;
        char digest[HTTP_DIGEST_STRLEN + 1];
        sd_bus *bus;
        int r;

        /* Nothing more to read: stop watching, the deadline stays until the daemon answers. */
        p->io = sd_event_source_disable_unref(p->io);
        if (p->head.has_origin && !http_auth_origin_matches(p->head.origin, p->head.host))
                return peek_fail(p, 403, "the Origin does not match the Host");
        if (c->no_auth && !http_auth_host_is_loopback(p->head.host))
                return peek_fail(p, 403,
                                 "without authentication only requests to a loopback name are served");
        if (!session_id_prefix_is_valid(p->head.id))
                return peek_fail(p, 404, "no such session: %s", p->head.id);
        if (!l->ws)
                return peek_fail(p, 503, "WebSocket support is not available");
        if (ws_server_count(l->ws) >= HTTP_WS_CONNECTIONS_MAX)
                return peek_fail(p, 503, "too many WebSocket connections");
        if (c->no_auth)
                return attach_open(p);
        if (http_token_digest(p->head.token, digest) < 0)
                return peek_fail(p, 401, "a valid token is required");
        if (http_tokens_valid(c->tokens, digest, now_usec(CLOCK_REALTIME)))
                return attach_open(p);
        bus = http_bus_get(c->bus);
        if (!bus)
                return peek_fail(p, 503, "the oly daemon is not reachable");
        r = sd_bus_call_method_async(bus, &p->slot, NULL, OLY_MANAGER_PATH, OLY_WEB_IFACE, "CheckToken",
                                     on_check_token, p, "s", digest);
        if (r < 0)
                return peek_fail(p, 503, "the oly daemon is not reachable");
}

/* Returns true when p was handed on or freed. */
static bool peek_try(HttpPeek *p) {
        char buf[HTTP_HEAD_MAX];
        ssize_t n;
        int r;

        n = recv(p->fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return false;
                peek_free(p);
                return true;
        }
        if (n == 0) { /* closed before a request */
                peek_free(p);
                return true;
        }
        r = http_head_parse(buf, (size_t) n, &p->head);
        if (r == -EAGAIN) {
                if ((size_t) n < sizeof buf)
                        return false;
                p->head.length = 0;
                peek_fail(p, 431, "the request head is larger than %u bytes", HTTP_HEAD_MAX);
                return true;
        }
        if (r < 0) {
                /* MHD would drop it without a word. What came is read, so the answer is not lost to a
                 * reset. */
                p->head.length = (size_t) n;
                peek_fail(p, 400, "malformed request");
                return true;
        }
        /* RFC 9112 §3.2. Later requests on the connection are MHD's, which checks the same (strict). */
        if (p->head.n_host > 1 || (p->head.http11 && p->head.n_host == 0))
                peek_fail(p, 400, "an HTTP/1.1 request needs exactly one Host header");
        else if (!p->head.attach)
                peek_to_mhd(p);
        else
                attach_start(p);
        return true;
}

static int on_peek_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        HttpPeek *p = userdata;

        if (!peek_try(p) && (revents & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)))
                peek_free(p);
        return 0;
}

static int on_peek_timeout(sd_event_source *es, uint64_t usec, void *userdata) {
        peek_free(userdata);
        return 0;
}

static void on_new_connection(HttpListener *l, int fd, const struct sockaddr_storage *addr,
                              socklen_t addr_len) {
        HttpPeek *p;
        int one = 1, r;

        if (l->n_peeking >= HTTP_PEEKING_MAX) {
                log_debug("Too many connections still sending their request head, dropping one.");
                safe_close(fd);
                return;
        }
        (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        p = calloc(1, sizeof *p);
        if (!p) {
                safe_close(fd);
                return;
        }
        *p = (HttpPeek){ .listener = l, .fd = fd, .addr = *addr, .addr_len = addr_len };
        LIST_PREPEND(peeking, l->peeking, p);
        l->n_peeking++;

        if (peek_try(p))
                return;
        /* Edge-triggered: peeking leaves the bytes queued, so a level-triggered watch would spin. */
        r = sd_event_add_io(l->context->event, &p->io, fd, EPOLLIN | EPOLLRDHUP | EPOLLET, on_peek_io, p);
        if (r >= 0)
                r = sd_event_add_time_relative(l->context->event, &p->timer, CLOCK_MONOTONIC,
                                               HTTP_HEAD_TIMEOUT_USEC, USEC_PER_SEC, on_peek_timeout, p);
        if (r < 0) {
                log_warning_errno(r, "Failed to watch a new connection: %m");
                peek_free(p);
        }
}

static int on_listen(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        HttpListener *l = userdata;

        /* Bounded batch: other sources get their turn under a connection flood. */
        for (unsigned i = 0; i < 64; i++) {
                struct sockaddr_storage addr;
                socklen_t len = sizeof addr;
                int cfd = accept4(fd, (struct sockaddr *) &addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                log_warning_errno(-errno, "Failed to accept a connection: %m");
                        break;
                }
                on_new_connection(l, cfd, &addr, len);
        }
        return 0;
}

int http_listener_new(HttpContext *c, int fd, WsServer *ws, HttpListener **ret) {
        HttpListener *l;
        int r;

        l = calloc(1, sizeof *l);
        if (!l)
                return log_oom();
        *l = (HttpListener){ .context = c, .ws = ws, .fd = fd };
        r = sd_event_add_io(c->event, &l->source, fd, EPOLLIN, on_listen, l);
        if (r < 0) {
                free(l);
                return log_error_errno(r, "Failed to watch the listening socket: %m");
        }
        *ret = l;
        return 0;
}

HttpListener *http_listener_free(HttpListener *l) {
        if (!l)
                return NULL;
        sd_event_source_disable_unref(l->source);
        while (l->peeking)
                peek_free(l->peeking);
        return mfree(l);
}
