/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The HTTP server (see http-server.h): accepts on the one TCP socket, peeks the first request head to
 * route WebSocket attach requests to the bridge and everything else to libmicrohttpd, which runs in
 * external-loop mode on sd-event. Requests answer asynchronously: a route that waits for the daemon
 * suspends its connection and resumes it with the response. */
#include <assert.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>

#include "http-api.h"
#include "http-auth.h"
#include "http-bus.h"
#include "http-def.h"
#include "http-head.h"
#include "http-response.h"
#include "http-server.h"
#include "http-sse.h"
#include "http-static.h"
#include "http-worker.h"
#include "id.h"
#include "log.h"
#include "oly-def.h"

struct HttpPeek {
        HttpServer *server;
        int fd;
        struct sockaddr_storage addr;
        socklen_t addr_len;
        sd_event_source *io, *timer;
        sd_bus_slot *slot;
        HttpHead head;
        HttpPeek *next, *prev;
};

/* Health requests carry no state: this marks them in MHD's per-request pointer. */
static char health_marker;

/* ---- MHD in sd-event ---- */

static void mhd_rearm(HttpServer *s) {
        MHD_UNSIGNED_LONG_LONG ms;
        uint64_t now, deadline, current;
        int enabled = 0;

        if (MHD_get_timeout(s->mhd, &ms) != MHD_YES) {
                (void) sd_event_source_set_enabled(s->mhd_timer, SD_EVENT_OFF);
                return;
        }
        /* The timeout is relative. Keep an earlier deadline that is still pending: when it fires MHD runs
         * and we arm again — far cheaper than moving the timer on every keep-alive request. */
        (void) sd_event_now(s->event, CLOCK_MONOTONIC, &now);
        deadline = now + (uint64_t) ms * USEC_PER_MSEC;
        (void) sd_event_source_get_enabled(s->mhd_timer, &enabled);
        if (enabled != SD_EVENT_OFF && sd_event_source_get_time(s->mhd_timer, &current) >= 0 && current <= deadline &&
            current > now)
                return;
        (void) sd_event_source_set_time(s->mhd_timer, deadline);
        (void) sd_event_source_set_enabled(s->mhd_timer, SD_EVENT_ONESHOT);
}

static void mhd_run(HttpServer *s) {
        (void) MHD_run(s->mhd);
        mhd_rearm(s);
}

static int on_mhd_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        mhd_run(userdata);
        return 0;
}

static int on_mhd_timer(sd_event_source *es, uint64_t usec, void *userdata) {
        mhd_run(userdata);
        return 0;
}

static int on_mhd_defer(sd_event_source *es, void *userdata) {
        mhd_run(userdata);
        return 0;
}

void http_server_kick(HttpServer *s) {
        (void) sd_event_source_set_enabled(s->mhd_defer, SD_EVENT_ONESHOT);
}

int http_connection_watch_hup(HttpServer *s, struct MHD_Connection *c, sd_event_io_handler_t handler,
                              void *userdata, sd_event_source **ret) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

        if (!ci || ci->connect_fd < 0)
                return -EBADF;
        return sd_event_add_io(s->event, ret, ci->connect_fd, EPOLLRDHUP, handler, userdata);
}

bool http_server_bus_ready(HttpServer *s) {
        return s->bus && sd_bus_is_open(s->bus) > 0;
}

/* ---- Requests ---- */

static void suspended_unlink(HttpRequest *req) {
        HttpServer *s = req->server;
        if (req->suspended_prev)
                req->suspended_prev->suspended_next = req->suspended_next;
        else if (s->suspended == req)
                s->suspended = req->suspended_next;
        if (req->suspended_next)
                req->suspended_next->suspended_prev = req->suspended_prev;
        req->suspended_next = req->suspended_prev = NULL;
}

static void request_resume(HttpRequest *req) {
        if (!req->suspended)
                return;
        /* The watch goes first: once resumed, MHD may close the socket. */
        req->hup = sd_event_source_disable_unref(req->hup);
        req->suspended = false;
        suspended_unlink(req);
        MHD_resume_connection(req->connection);
        http_server_kick(req->server);
}

static void request_free(HttpRequest *req) {
        if (!req)
                return;
        sd_event_source_disable_unref(req->hup);
        sd_bus_slot_unref(req->slot);
        buf_free(&req->body);
        json_object_put(req->json);
        if (req->data && req->data_free)
                req->data_free(req->data);
        if (req->response)
                MHD_destroy_response(req->response);
        suspended_unlink(req);
        free(req);
}

void http_request_respond(HttpRequest *req, unsigned status, struct MHD_Response *resp) {
        if (!resp) {
                status = 500;
                resp = http_response_error("internal", "out of memory");
                if (!resp)
                        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        }
        if (req->response) { /* a route answered twice: keep the first */
                MHD_destroy_response(resp);
                return;
        }
        http_response_add_headers(resp, startswith(req->url, "/api/"));
        req->response = resp;
        req->status = status;
        request_resume(req);
}

/* The client of a suspended request left: drop the daemon call and let MHD close the connection (the
 * daemon still does what was asked; nobody is there to hear the answer). A request whose worker job
 * runs waits for it: the job's data must not be freed under the thread, and jobs are short. */
static int on_request_hup(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        HttpRequest *req = userdata;

        req->hup = sd_event_source_disable_unref(req->hup);
        if (req->working)
                return 0;
        req->slot = sd_bus_slot_unref(req->slot);
        req->handler = NULL;
        request_resume(req); /* on_access finds no response and closes */
        return 0;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        HttpRequest *req = userdata;
        HttpReplyHandler h = req->handler;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        req->slot = sd_bus_slot_unref(req->slot);
        req->handler = NULL;
        h(req, m, e);
        if (!req->response && !req->slot && !req->working)
                http_respond_error(req, 500, NULL, "internal error: the route did not answer");
        return 0;
}

void http_request_call_message(HttpRequest *req, sd_bus_message *m, uint64_t timeout_usec,
                               HttpReplyHandler handler) {
        int r;

        assert(!req->slot);
        r = sd_bus_call_async(req->server->bus, &req->slot, m, on_reply, req,
                              timeout_usec ?: HTTP_BUS_TIMEOUT_USEC);
        if (r < 0) {
                log_debug_errno(r, "Failed to call the daemon: %m");
                http_respond_error(req, 503, NULL, "the oly daemon is not reachable");
                return;
        }
        req->handler = handler;
}

void http_request_call(HttpRequest *req, const char *path, const char *iface, const char *method,
                       uint64_t timeout_usec, HttpReplyHandler handler, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        if (!http_server_bus_ready(req->server))
                return http_respond_error(req, 503, NULL, "the oly daemon is not reachable");
        r = sd_bus_message_new_method_call(req->server->bus, &m, NULL, path, iface, method);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r < 0)
                return http_respond_error(req, 500, NULL, "failed to build the daemon call: %s", strerror(-r));
        http_request_call_message(req, m, timeout_usec, handler);
}

static enum MHD_Result request_queue(HttpRequest *req) {
        struct MHD_Response *r = TAKE_PTR(req->response);
        enum MHD_Result ret = MHD_queue_response(req->connection, req->status, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size,
                                 void **req_cls) {
        HttpServer *s = cls;
        HttpRequest *req = *req_cls;

        if (!req) {
                const char *cl;

                if (streq(url, "/api/health") && (streq(method, "GET") || streq(method, "HEAD"))) {
                        *req_cls = &health_marker;
                        return MHD_YES;
                }
                req = calloc(1, sizeof *req);
                if (!req)
                        return MHD_NO;
                *req = (HttpRequest) {
                        .server = s,
                        .connection = c,
                        .method = method,
                        .url = url,
                        .body.max = HTTP_BODY_MAX,
                };
                *req_cls = req;
                /* A body announced too large is refused before it is read (MHD then closes). */
                cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl && strlen(cl) > 0 && (strlen(cl) > 9 || strtoull(cl, NULL, 10) > HTTP_BODY_MAX)) {
                        req->dispatched = true;
                        http_respond_error(req, 413, NULL, "the request body is larger than %u bytes", HTTP_BODY_MAX);
                        return request_queue(req);
                }
                return MHD_YES;
        }
        if (req == (HttpRequest *) &health_marker) {
                bool ok = http_server_bus_ready(s);
                return MHD_queue_response(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                                          ok ? s->health_ok : s->health_unavailable);
        }
        if (*upload_data_size > 0) {
                /* A chunked body that grows too large is read on (up to a bound) so that the 413 can be
                 * answered; MHD cannot answer in the middle of an upload. */
                if (req->discarded > 0 || buf_put(&req->body, upload_data, *upload_data_size) < 0) {
                        req->discarded += *upload_data_size;
                        if (req->discarded > HTTP_BODY_DISCARD_MAX)
                                return MHD_NO;
                }
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (req->discarded > 0 && !req->dispatched) {
                req->dispatched = true;
                http_respond_error(req, 413, NULL, "the request body is larger than %u bytes", HTTP_BODY_MAX);
                return request_queue(req);
        }
        if (req->response)
                return request_queue(req);
        if (req->dispatched) /* resumed without an answer: the client left (on_request_hup) */
                return MHD_NO;
        req->dispatched = true;
        http_api_dispatch(req);
        if (!req->response && !req->slot && !req->working)
                http_respond_error(req, 500, NULL, "internal error: the route did not answer");
        if (req->response)
                return request_queue(req);

        /* Waiting for the daemon or a worker: park the connection until the answer comes. */
        MHD_suspend_connection(c);
        req->suspended = true;
        req->suspended_next = s->suspended;
        if (s->suspended)
                s->suspended->suspended_prev = req;
        s->suspended = req;
        if (http_connection_watch_hup(s, c, on_request_hup, req, &req->hup) < 0)
                log_debug("Cannot watch a waiting connection; a client that leaves is noticed at the answer.");
        return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe) {
        HttpRequest *req = *req_cls;

        if (req && req != (HttpRequest *) &health_marker)
                request_free(req);
        *req_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
        char buf[512];
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        buf[strcspn(buf, "\n")] = 0;
        log_debug("libmicrohttpd: %s", buf);
}

/* ---- First request head: WebSocket attach or MHD ---- */

static HttpPeek *peek_free(HttpPeek *p) {
        HttpServer *s;

        if (!p)
                return NULL;
        s = p->server;
        if (p->prev)
                p->prev->next = p->next;
        else if (s->peeking == p)
                s->peeking = p->next;
        if (p->next)
                p->next->prev = p->prev;
        s->n_peeking--;
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
                json_object_object_add(e, "code", json_object_new_string(http_status_code_name(status)));
                json_object_object_add(e, "message", json_object_new_string(msg));
                json_object_object_add(o, "error", TAKE_PTR(e));
        }
        body = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "";
        n = snprintf(head, sizeof head,
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
        /* Consume the request first: closing with unread bytes would reset the connection and lose the answer. */
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
        HttpServer *s = p->server;
        int fd = TAKE_FD(p->fd);

        /* MHD closes the socket itself when it cannot take it. */
        if (MHD_add_connection(s->mhd, fd, (const struct sockaddr *) &p->addr, p->addr_len) != MHD_YES)
                log_debug("libmicrohttpd refused a connection (limit reached?).");
        peek_free(p);
        mhd_run(s);
}

static int on_open_terminal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        HttpPeek *p = userdata;
        HttpServer *s = p->server;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        int fd, r;

        p->slot = sd_bus_slot_unref(p->slot);
        if (e) {
                const char *message;
                unsigned status = http_bus_error_status(e, &message);
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
        r = ws_server_adopt(s->ws, TAKE_FD(p->fd), fd);
        if (r < 0)
                log_warning_errno(r, "Failed to hand a WebSocket connection to the bridge: %m");
        peek_free(p);
        return 0;
}

static void attach_open(HttpPeek *p) {
        HttpServer *s = p->server;
        int r;

        if (!http_server_bus_ready(s))
                return peek_fail(p, 503, "the oly daemon is not reachable");
        r = sd_bus_call_method_async(s->bus, &p->slot, NULL, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, "OpenTerminal",
                                     on_open_terminal, p, "st", p->head.id,
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
                unsigned status = http_bus_error_status(e, &message);
                if (status == 401)
                        peek_fail(p, 401, "a valid token is required");
                else
                        peek_fail(p, status, "%s", message);
                return 0;
        }
        if (sd_bus_message_read(m, "t", &expires) >= 0 && http_token_digest(p->head.token, digest) >= 0)
                http_tokens_remember(p->server->tokens, digest, expires, now_usec(CLOCK_REALTIME));
        attach_open(p);
        return 0;
}

static void attach_start(HttpPeek *p) {
        HttpServer *s = p->server;
        char digest[HTTP_DIGEST_STRLEN + 1];
        int r;

        /* Nothing more to read: stop watching, the deadline stays until the daemon answers. */
        p->io = sd_event_source_disable_unref(p->io);
        if (p->head.has_origin && !http_auth_origin_matches(p->head.origin, p->head.host))
                return peek_fail(p, 403, "the Origin does not match the Host");
        if (s->no_auth && !http_auth_host_is_loopback(p->head.host))
                return peek_fail(p, 403, "without authentication only requests to a loopback name are served");
        if (!session_id_prefix_is_valid(p->head.id))
                return peek_fail(p, 404, "no such session: %s", p->head.id);
        if (!s->ws)
                return peek_fail(p, 503, "WebSocket support is not available");
        if (ws_server_count(s->ws) >= HTTP_WS_CONNECTIONS_MAX)
                return peek_fail(p, 503, "too many WebSocket connections");
        if (s->no_auth)
                return attach_open(p);
        if (http_token_digest(p->head.token, digest) < 0)
                return peek_fail(p, 401, "a valid token is required");
        if (http_tokens_valid(s->tokens, digest, now_usec(CLOCK_REALTIME)))
                return attach_open(p);
        if (!http_server_bus_ready(s))
                return peek_fail(p, 503, "the oly daemon is not reachable");
        r = sd_bus_call_method_async(s->bus, &p->slot, NULL, OLY_MANAGER_PATH, OLY_WEB_IFACE, "CheckToken",
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
        if (r < 0 || !p->head.attach) /* MHD answers malformed requests itself */
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

static void on_new_connection(HttpServer *s, int fd, const struct sockaddr_storage *addr, socklen_t addr_len) {
        HttpPeek *p;
        int one = 1, r;

        if (s->n_peeking >= HTTP_PEEKING_MAX) {
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
        *p = (HttpPeek) { .server = s, .fd = fd, .addr = *addr, .addr_len = addr_len, .next = s->peeking };
        if (s->peeking)
                s->peeking->prev = p;
        s->peeking = p;
        s->n_peeking++;

        if (peek_try(p))
                return;
        /* Edge-triggered: peeking leaves the bytes queued, so a level-triggered watch would spin. */
        r = sd_event_add_io(s->event, &p->io, fd, EPOLLIN | EPOLLRDHUP | EPOLLET, on_peek_io, p);
        if (r >= 0)
                r = sd_event_add_time_relative(s->event, &p->timer, CLOCK_MONOTONIC, HTTP_HEAD_TIMEOUT_USEC,
                                               USEC_PER_SEC, on_peek_timeout, p);
        if (r < 0) {
                log_warning_errno(r, "Failed to watch a new connection: %m");
                peek_free(p);
        }
}

static int on_listen(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        HttpServer *s = userdata;

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
                on_new_connection(s, cfd, &addr, len);
        }
        return 0;
}

/* ---- Server ---- */

static struct MHD_Response *health_response(bool ok) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        struct MHD_Response *r;

        if (ok) {
                o = json_object_new_object();
                if (!o)
                        return NULL;
                json_object_object_add(o, "status", json_object_new_string("ok"));
                json_object_object_add(o, "version", json_object_new_string(OLY_VERSION));
                r = http_response_json(o);
        } else
                r = http_response_error("unavailable", "the oly daemon is not reachable");
        if (r)
                http_response_add_headers(r, true);
        return r;
}

int http_server_new(sd_event *e, bool no_auth, int listen_fd, HttpServer **ret) {
        HttpServer *s;
        int r;

        s = calloc(1, sizeof *s);
        if (!s)
                return log_oom();
        *s = (HttpServer) {
                .event = sd_event_ref(e),
                .no_auth = no_auth,
                .listen_fd = listen_fd,
                .static_fd = -EBADF,
        };
        s->health_ok = health_response(true);
        s->health_unavailable = health_response(false);
        if (!s->health_ok || !s->health_unavailable) {
                http_server_free(s);
                return log_oom();
        }
        r = http_tokens_new(&s->tokens);
        if (r >= 0)
                r = http_sse_new(s, &s->sse);
        if (r < 0) {
                http_server_free(s);
                return log_error_errno(r, "Failed to set up: %m");
        }
        r = http_workers_new(e, HTTP_WORKERS, HTTP_WORKER_QUEUE_MAX, &s->workers);
        if (r < 0) {
                http_server_free(s);
                return log_error_errno(r, "Failed to start worker threads: %m");
        }
        *ret = s;
        return 0;
}

int http_server_start(HttpServer *s) {
        const union MHD_DaemonInfo *info;
        int r;

        s->mhd = MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                                          MHD_USE_ERROR_LOG,
                                  0, NULL, NULL, on_access, s,
                                  MHD_OPTION_CONNECTION_LIMIT, (unsigned) HTTP_CONNECTIONS_MAX,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) HTTP_CONNECTION_TIMEOUT_SEC,
                                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HTTP_CONNECTION_MEMORY_MAX,
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
                                  MHD_OPTION_END);
        if (!s->mhd)
                return log_error_errno(-EIO, "Failed to start libmicrohttpd.");
        info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info)
                return log_error_errno(-EIO, "libmicrohttpd has no epoll fd.");
        r = sd_event_add_io(s->event, &s->mhd_io, info->epoll_fd, EPOLLIN, on_mhd_io, s);
        if (r < 0)
                return log_error_errno(r, "Failed to watch libmicrohttpd: %m");
        r = sd_event_add_time(s->event, &s->mhd_timer, CLOCK_MONOTONIC, UINT64_MAX, 1, on_mhd_timer, s);
        if (r < 0)
                return log_error_errno(r, "Failed to add the libmicrohttpd timer: %m");
        (void) sd_event_source_set_enabled(s->mhd_timer, SD_EVENT_OFF);
        r = sd_event_add_defer(s->event, &s->mhd_defer, on_mhd_defer, s);
        if (r < 0)
                return log_error_errno(r, "Failed to add the libmicrohttpd runner: %m");
        (void) sd_event_source_set_enabled(s->mhd_defer, SD_EVENT_OFF);

        r = ws_server_new(s->event, &s->ws);
        if (r < 0) {
                log_warning_errno(r, "WebSocket bridge not available, attach is disabled: %m");
                s->ws = NULL;
        }

        r = sd_event_add_io(s->event, &s->listen_source, s->listen_fd, EPOLLIN, on_listen, s);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the listening socket: %m");
        return http_bus_connect(s);
}

HttpServer *http_server_free(HttpServer *s) {
        if (!s)
                return NULL;
        s->listen_source = sd_event_source_disable_unref(s->listen_source);
        while (s->peeking)
                peek_free(s->peeking);
        /* Threads first: a finished job must not call back into a request that is gone. */
        s->workers = http_workers_free(s->workers);
        http_sse_close_all(s->sse);
        while (s->suspended) {
                HttpRequest *req = s->suspended;
                req->slot = sd_bus_slot_unref(req->slot);
                request_resume(req);
        }
        if (s->mhd) {
                (void) MHD_run(s->mhd);
                MHD_stop_daemon(s->mhd);
        }
        s->sse = http_sse_free(s->sse);
        sd_event_source_disable_unref(s->mhd_io);
        sd_event_source_disable_unref(s->mhd_timer);
        sd_event_source_disable_unref(s->mhd_defer);
        ws_server_free(s->ws);
        http_tokens_free(s->tokens);
        sd_event_source_disable_unref(s->reconnect_timer);
        http_bus_disconnect(s);
        safe_close(s->static_fd);
        free(s->static_dir);
        if (s->health_ok)
                MHD_destroy_response(s->health_ok);
        if (s->health_unavailable)
                MHD_destroy_response(s->health_unavailable);
        safe_close(s->listen_fd);
        sd_event_unref(s->event);
        return mfree(s);
}
