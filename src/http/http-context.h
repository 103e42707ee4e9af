/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every request of oly-http reaches: the parts the server sets up (http-server.c) and the routes,
 * the event stream and the connection router use. A type of its own so that no lower layer needs the
 * server's header. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

typedef struct HttpBus HttpBus;
typedef struct HttpLogin HttpLogin;
typedef struct HttpMhd HttpMhd;
typedef struct HttpRequest HttpRequest;
typedef struct HttpSse HttpSse;
typedef struct HttpTokenCache HttpTokenCache;
typedef struct HttpWorkers HttpWorkers;

typedef struct HttpContext {
        sd_event *event;
        bool no_auth;

        HttpBus *bus; /* the daemon's bus, reconnected in the background (http-bus.c) */
        HttpMhd *mhd; /* libmicrohttpd (http-mhd.c) */
        HttpSse *sse; /* the event stream (http-sse.c) */
        HttpWorkers *workers;
        HttpTokenCache *tokens;
        HttpLogin *logins; /* logins past their lockout check: one per client, a few in all (http-api-auth.c) */
        unsigned n_logins;
        HttpRequest *suspended; /* requests waiting for the daemon or a worker (http-request.c) */

        int static_fd; /* O_PATH directory of the web files, -EBADF if none (http-static.c) */
        char *static_dir;
} HttpContext;
