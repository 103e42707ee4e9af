/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The HTTP server of oly-http: puts the parts together (the connection router, libmicrohttpd, the daemon's
 * bus, the event stream, workers, tokens) and takes each request MHD reads to the router. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

typedef struct HttpServer HttpServer;

/* Takes listen_fd (also on failure). */
int http_server_new(sd_event *e, bool no_auth, int listen_fd, HttpServer **ret);
HttpServer *http_server_free(HttpServer *s);
/* Opens the web directory, starts MHD and the WebSocket bridge, accepts, connects to the daemon. */
int http_server_start(HttpServer *s);
