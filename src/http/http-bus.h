/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly-http's connection to the daemon's private bus: connected at start, reconnected in the background. */
#pragma once

#include "http-server.h"

/* Connects now, or schedules a retry (never fails for an unreachable daemon). */
int http_bus_connect(HttpServer *s);
void http_bus_disconnect(HttpServer *s);
