/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The route table (see http-router.h). */
#include "http-router.h"
#include "http-api-auth.h"
#include "http-api-control.h"
#include "http-api-logs.h"
#include "http-api-nodes.h"
#include "http-api-push.h"
#include "http-api-sessions.h"
#include "http-auth.h"
#include "http-response.h"
#include "http-sse.h"
#include "http-static.h"
#include "id.h"

typedef struct HttpRoute {
        const char *method;
        const char *pattern; /* under /api/; "*" is one path segment: the session id */
        HttpReplyHandler handler; /* runs once authenticated, unless public */
        bool public; /* served without a token (the handler checks what it needs) */
} HttpRoute;

/* clang-format off */
static const HttpRoute routes[] = {
        { "GET",    "auth/status",              http_api_auth_status,           .public = true },
        { "POST",   "auth/login",               http_api_auth_login,            .public = true },
        { "POST",   "auth/logout",              http_api_auth_logout,           .public = true },
        { "GET",    "sessions",                 http_api_sessions_list },
        { "POST",   "sessions",                 http_api_sessions_create },
        { "GET",    "sessions/*",               http_api_sessions_get },
        { "POST",   "sessions/*/stop",          http_api_control_stop },
        { "POST",   "sessions/*/kill",          http_api_control_kill },
        { "POST",   "sessions/*/input",         http_api_control_input },
        { "POST",   "sessions/*/resize",        http_api_control_resize },
        { "PUT",    "sessions/*/notifications", http_api_control_notifications },
        { "GET",    "sessions/*/logs",          http_api_logs_render },
        { "GET",    "sessions/*/log",           http_api_logs_raw },
        { "GET",    "sessions/*/attach",        http_api_sessions_attach_plain },
        { "GET",    "events",                   http_sse_serve },
        { "GET",    "push/vapid-public-key",    http_api_push_vapid },
        { "POST",   "push/subscriptions",       http_api_push_subscribe },
        { "DELETE", "push/subscriptions",       http_api_push_unsubscribe },
        { "GET",    "nodes",                    http_api_nodes_list },
};
/* clang-format on */

/* Matches path against pattern, capturing "*" into id. */
static bool route_match(const char *pattern, const char *path, char *id, size_t id_size) {
        for (;;) {
                if (*pattern == '*') {
                        size_t n = strcspn(path, "/");
                        if (n == 0 || n >= id_size)
                                return false;
                        memcpy(id, path, n);
                        id[n] = 0;
                        pattern++;
                        path += n;
                        continue;
                }
                if (*pattern != *path)
                        return false;
                if (!*pattern)
                        return true;
                pattern++;
                path++;
        }
}

void http_router_dispatch(HttpRequest *req) {
        const char *method = req->method, *path = startswith(req->url, "/api/");
        bool state_changing = !streq(method, "GET") && !streq(method, "HEAD") && !streq(method, "OPTIONS");
        const HttpRoute *known = NULL;

        const char *host = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "Host");
        if (req->context->no_auth && !http_auth_host_is_loopback(host))
                return http_respond_error(req, 403,
                                          "without authentication only requests to a loopback "
                                          "name (localhost, 127.0.0.1, [::1]) are served");
        if (state_changing) {
                const char *origin = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "Origin");
                if (origin && !http_auth_origin_matches(origin, host))
                        return http_respond_error(req, 403, "the Origin does not match the Host");
        }
        if (!path) {
                if (streq(req->url, "/api"))
                        return http_respond_error(req, 404, "no such API endpoint");
                if (!streq(method, "GET") && !streq(method, "HEAD"))
                        return http_respond_error(req, 405, "static files are only read (GET)");
                return http_static_serve(req);
        }
        if (streq(path, "health"))
                return http_respond_error(req, 405, "use GET or HEAD for /api/health");

        for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
                const HttpRoute *r = &routes[i];

                if (!route_match(r->pattern, path, req->id, sizeof req->id))
                        continue;
                known = known ?: r;
                if (!streq(r->method, method))
                        continue;
                if (r->public)
                        return r->handler(req, NULL, NULL);
                if (strchr(r->pattern, '*') && !session_id_prefix_is_valid(req->id))
                        return http_respond_error(req, 404, "no such session: %s", req->id);
                return http_auth_require(req, r->handler);
        }
        if (known && known->public) /* one method each: say which */
                return http_respond_error(req, 405, "use %s for /api/%s", known->method, path);
        if (known)
                return http_respond_error(req, 405, "method %s is not allowed on %s", method, req->url);
        http_respond_error(req, 404, "no such API endpoint: %s", req->url);
}
