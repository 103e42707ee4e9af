/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The connection router of oly-http: accepts on the one TCP socket, peeks each connection's first request
 * head, and hands the connection to the WebSocket bridge (an attach request) or to libmicrohttpd. */
#pragma once

#include "http-context.h"
#include "ws.h"

typedef struct HttpListener HttpListener;

/* Starts accepting on fd (which stays the caller's); ws NULL: attach requests are refused with 503. */
int http_listener_new(HttpContext *c, int fd, WsServer *ws, HttpListener **ret);
/* Stops accepting and drops the connections still being peeked. */
HttpListener *http_listener_free(HttpListener *l);
