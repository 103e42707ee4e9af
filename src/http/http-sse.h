/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GET /api/events: server-sent events made from the daemon's signals, kept in a ring for Last-Event-ID. */
#pragma once

#include <systemd/sd-bus.h>

#include "http-context.h"
#include "http-request.h"

int http_sse_new(HttpContext *c, HttpSse **ret);
/* Ends every stream: resumes the parked ones so that they end with an error. Call before MHD stops. */
void http_sse_close_all(HttpSse *sse);
/* After MHD has stopped (it frees the clients). */
HttpSse *http_sse_free(HttpSse *sse);
/* Subscribes to the daemon's signals on a new connection (bus NULL: it went away). */
int http_sse_bus_changed(HttpSse *sse, sd_bus *bus);
/* The route: serves the stream to an authenticated request. */
void http_sse_serve(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
unsigned http_sse_count(HttpSse *sse);
