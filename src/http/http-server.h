/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The HTTP server of oly-http: the listening socket, routing of new connections (WebSocket attach or
 * libmicrohttpd), MHD driven from sd-event, and the per-request state with its async D-Bus calls. */
#pragma once

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "buf.h"
#include "time-util.h"
#include "ws.h"

typedef struct HttpServer HttpServer;
typedef struct HttpRequest HttpRequest;
typedef struct HttpPeek HttpPeek;
typedef struct HttpSse HttpSse;
typedef struct HttpWorkers HttpWorkers;
typedef struct HttpTokenCache HttpTokenCache;
typedef struct HttpLogin HttpLogin;

/* Called with the reply (or error) of an async D-Bus call made for a request. It either makes the next
 * call or responds. error is set (and reply may be NULL) when the call failed. */
typedef void (*HttpReplyHandler)(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);

struct HttpServer {
        sd_event *event;
        bool no_auth;

        /* The daemon's bus; NULL while it is unreachable (reconnected from a timer). */
        sd_bus *bus;
        sd_event_source *reconnect_timer;
        bool bus_warned;

        int listen_fd;
        sd_event_source *listen_source;
        HttpPeek *peeking; /* list of connections whose first head is being read */
        unsigned n_peeking;

        struct MHD_Daemon *mhd;
        sd_event_source *mhd_io, *mhd_timer, *mhd_defer;
        uint64_t mhd_timeout_ms; /* the timeout the timer is armed with; UINT64_MAX: disarmed */
        HttpRequest *suspended;  /* list, resumed before MHD stops */

        WsServer *ws;
        HttpSse *sse;
        HttpWorkers *workers;
        HttpTokenCache *tokens;
        HttpLogin *logins; /* logins past their lockout check: at most one per client address (http-auth.c) */
        int static_fd; /* O_PATH directory of the web files, -EBADF if none */
        char *static_dir;

        struct MHD_Response *health_ok, *health_unavailable;
};

struct HttpRequest {
        HttpServer *server;
        struct MHD_Connection *connection;
        const char *method, *url; /* owned by MHD for the request's lifetime */
        Buf body;
        bool dispatched, suspended;
        bool working; /* a worker job runs for it */
        uint64_t discarded; /* body bytes beyond HTTP_BODY_MAX, dropped */
        struct MHD_Response *response;
        unsigned status;

        sd_bus_slot *slot;
        HttpReplyHandler handler;
        sd_event_source *hup; /* while suspended: the peer's socket, watched for it leaving */

        /* Per-route state */
        char id[65];          /* the session id or prefix from the URL */
        char digest[65];      /* the token's digest once authenticated ("" with --no-auth) */
        char client[64];      /* the client address, for login lockouts */
        struct json_object *json; /* the parsed body */
        uint64_t u1, u2;      /* small per-route values (limits, offsets) */
        void *data;           /* per-route heap state, freed with data_free */
        void (*data_free)(void *data);
        HttpReplyHandler after_auth; /* what to run once the token is validated */

        HttpRequest *suspended_next, *suspended_prev;
};

int http_server_new(sd_event *e, bool no_auth, int listen_fd, HttpServer **ret);
HttpServer *http_server_free(HttpServer *s);
int http_server_start(HttpServer *s);

/* Runs MHD (soon, from a defer source) and re-arms its timer: needed after resuming connections. */
void http_server_kick(HttpServer *s);

/* Request plumbing (http-server.c) */
/* Responds: takes the response (NULL: 500). Resumes the connection if it was suspended. */
void http_request_respond(HttpRequest *req, unsigned status, struct MHD_Response *resp);
/* Calls a method of the daemon for req; handler gets the reply. On failure to send, responds 503. */
void http_request_call(HttpRequest *req, const char *path, const char *iface, const char *method,
                       uint64_t timeout_usec, HttpReplyHandler handler, const char *types, ...);
/* The same with a message the caller built. */
void http_request_call_message(HttpRequest *req, sd_bus_message *m, uint64_t timeout_usec,
                               HttpReplyHandler handler);
/* Watches the socket of a suspended connection for the peer leaving (EPOLLRDHUP): MHD does not watch
 * suspended connections. The source must be gone before the connection is resumed (MHD may close the
 * socket then, and a reused fd number must not reach a stale watch). */
int http_connection_watch_hup(HttpServer *s, struct MHD_Connection *c, sd_event_io_handler_t handler,
                              void *userdata, sd_event_source **ret);
/* Whether the daemon's bus is connected. */
bool http_server_bus_ready(HttpServer *s);
