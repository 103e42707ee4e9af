/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The HTTP server (see http-server.h). Requests answer asynchronously: a route that waits for the daemon
 * suspends its connection and resumes it with the response. */
#include <stdlib.h>

#include "http-auth.h"
#include "http-bus.h"
#include "http-context.h"
#include "http-def.h"
#include "http-health.h"
#include "http-listener.h"
#include "http-mhd.h"
#include "http-request.h"
#include "http-response.h"
#include "http-router.h"
#include "http-server.h"
#include "http-sse.h"
#include "http-static.h"
#include "http-token.h"
#include "http-worker.h"
#include "log.h"
#include "ws.h"

struct HttpServer {
        HttpContext context;
        int listen_fd;
        HttpListener *listener;
        WsServer *ws;
        HttpHealth *health;
};

/* Health requests carry no state: this marks them in MHD's per-request pointer. */
static char health_marker;

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size,
                                 void **req_cls) {
        HttpServer *s = cls;
        HttpRequest *req = *req_cls;

        if (!req) {
                const char *cl;

                if (http_health_is_request(url, method)) {
                        *req_cls = &health_marker;
                        return MHD_YES;
                }
                req = http_request_new(&s->context, c, method, url);
                if (!req)
                        return MHD_NO;
                *req_cls = req;
                /* A body announced too large is refused before it is read (MHD then closes). */
                cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl && strlen(cl) > 0 && (strlen(cl) > 9 || strtoull(cl, NULL, 10) > HTTP_BODY_MAX)) {
                        req->dispatched = true;
                        http_respond_error(req, 413, "the request body is larger than %u bytes",
                                           HTTP_BODY_MAX);
                        return http_request_queue(req);
                }
                return MHD_YES;
        }
        if (req == (HttpRequest *) &health_marker)
                return http_health_queue(s->health, c, http_bus_ready(s->context.bus));
        if (*upload_data_size > 0) {
                if (http_request_take_body(req, upload_data, *upload_data_size) < 0)
                        return MHD_NO;
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (http_request_body_too_large(req) && !req->dispatched) {
                req->dispatched = true;
                http_respond_error(req, 413, "the request body is larger than %u bytes", HTTP_BODY_MAX);
                return http_request_queue(req);
        }
        if (req->response)
                return http_request_queue(req);
        if (req->dispatched) /* resumed without an answer: the client left */
                return MHD_NO;
        req->dispatched = true;
        http_router_dispatch(req);
        if (!http_request_pending(req))
                http_respond_error(req, 500, "internal error: the route did not answer");
        if (req->response)
                return http_request_queue(req);

        /* Waiting for the daemon or a worker: park the connection until the answer comes. */
        http_request_suspend(req);
        return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
        HttpRequest *req = *req_cls;

        if (req != (HttpRequest *) &health_marker)
                http_request_free(req);
        *req_cls = NULL;
}

static void on_bus_changed(sd_bus *bus, void *userdata) {
        HttpServer *s = userdata;
        int r;

        if (!bus)
                return;
        r = http_auth_bus_changed(&s->context, bus);
        if (r >= 0)
                r = http_sse_bus_changed(s->context.sse, bus);
        if (r < 0)
                log_warning_errno(r,
                                  "Failed to subscribe to the daemon's signals, events will be missing: %m");
}

DEFINE_TRIVIAL_CLEANUP_FUNC(HttpServer *, http_server_free);

int http_server_new(sd_event *e, bool no_auth, int listen_fd, HttpServer **ret) {
        _cleanup_(http_server_freep) HttpServer *s = NULL;
        int r;

        s = calloc(1, sizeof *s);
        if (!s) {
                safe_close(listen_fd);
                return log_oom();
        }
        *s = (HttpServer) {
                .context = {
                        .event = sd_event_ref(e),
                        .no_auth = no_auth,
                        .static_fd = -EBADF,
                },
                .listen_fd = listen_fd,
        };
        r = http_health_new(&s->health);
        if (r >= 0)
                r = http_tokens_new(&s->context.tokens);
        if (r >= 0)
                r = http_bus_new(e, on_bus_changed, s, &s->context.bus);
        if (r >= 0)
                r = http_sse_new(&s->context, &s->context.sse);
        if (r < 0)
                return log_error_errno(r, "Failed to set up: %m");
        r = http_workers_new(e, HTTP_WORKERS, HTTP_WORKER_QUEUE_MAX, &s->context.workers);
        if (r < 0)
                return log_error_errno(r, "Failed to start worker threads: %m");
        *ret = TAKE_PTR(s);
        return 0;
}

int http_server_start(HttpServer *s) {
        int r;

        (void) http_static_open(&s->context);
        r = http_mhd_new(s->context.event, on_access, on_completed, s, &s->context.mhd);
        if (r < 0)
                return r;
        r = ws_server_new(s->context.event, &s->ws);
        if (r < 0) {
                log_warning_errno(r, "WebSocket bridge not available, attach is disabled: %m");
                s->ws = NULL;
        }
        r = http_listener_new(&s->context, s->listen_fd, s->ws, &s->listener);
        if (r < 0)
                return r;
        return http_bus_connect(s->context.bus);
}

HttpServer *http_server_free(HttpServer *s) {
        HttpContext *c;

        if (!s)
                return NULL;
        c = &s->context;
        s->listener = http_listener_free(s->listener);
        /* Threads first: a finished job must not call back into a request that is gone. */
        c->workers = http_workers_free(c->workers);
        http_sse_close_all(c->sse);
        http_request_resume_all(c);
        c->mhd = http_mhd_free(c->mhd);
        c->sse = http_sse_free(c->sse);
        ws_server_free(s->ws);
        http_tokens_free(c->tokens);
        http_bus_free(c->bus);
        safe_close(c->static_fd);
        free(c->static_dir);
        http_health_free(s->health);
        safe_close(s->listen_fd);
        sd_event_unref(c->event);
        return mfree(s);
}
