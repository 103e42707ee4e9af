/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GET /api/events: server-sent events made from the daemon's signals, kept in a ring for Last-Event-ID. */
#pragma once

#include "http-server.h"

int http_sse_new(HttpServer *s, HttpSse **ret);
/* Ends every stream: resumes the parked ones so that they end with an error. Call before MHD stops. */
void http_sse_close_all(HttpSse *sse);
/* After MHD has stopped (it frees the clients). */
HttpSse *http_sse_free(HttpSse *sse);
/* Subscribes to the daemon's signals on a new connection (bus NULL: it went away). */
int http_sse_bus_changed(HttpSse *sse, sd_bus *bus);
/* Serves the stream to an authenticated request. */
void http_sse_serve(HttpRequest *req);
unsigned http_sse_count(HttpSse *sse);
