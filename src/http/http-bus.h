/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly-http and the daemon: the connection to its private bus (connected at start, reconnected in the
 * background) and the calls requests make over it, each with a deadline. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "http-request.h"
#include "oly-def.h"

/* Told of every new connection, and of its loss (bus NULL). */
typedef void (*HttpBusChanged)(sd_bus *bus, void *userdata);

int http_bus_new(sd_event *e, HttpBusChanged changed, void *userdata, HttpBus **ret);
HttpBus *http_bus_free(HttpBus *b);
/* Connects now, or schedules a retry (never fails for an unreachable daemon). */
int http_bus_connect(HttpBus *b);
/* Whether the daemon's bus is connected. */
bool http_bus_ready(HttpBus *b);
/* The connection, NULL while the daemon is away. */
sd_bus *http_bus_get(HttpBus *b);

/* Calls a method of the daemon for req (timeout_usec 0: HTTP_BUS_TIMEOUT_USEC); handler gets the reply.
 * On failure to send, responds 503. */
void http_bus_call(HttpRequest *req, const char *path, const char *iface, const char *method,
                   uint64_t timeout_usec, HttpReplyHandler handler, const char *types, ...);
/* The same with a message the caller built (with http_bus_message_new). */
void http_bus_call_message(HttpRequest *req, sd_bus_message *m, uint64_t timeout_usec,
                           HttpReplyHandler handler);
/* A new call of the manager's method for req. On failure responds (503 or 500) and returns < 0. */
int http_bus_message_new(HttpRequest *req, const char *method, sd_bus_message **ret);

/* A call of the manager's method with the default deadline. */
#define http_bus_call_manager(req, method, handler, ...) \
        http_bus_call(req, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, method, 0, handler, __VA_ARGS__)
