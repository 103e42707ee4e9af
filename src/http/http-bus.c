/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon connection and calls (see http-bus.h): one sd-bus client on the private socket, attached to
 * the loop; when it drops, a timer tries again every HTTP_BUS_RECONNECT_USEC. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-util.h"
#include "http-bus.h"
#include "http-def.h"
#include "http-response.h"
#include "log.h"

struct HttpBus {
        sd_event *event;
        sd_bus *bus; /* NULL while the daemon is unreachable */
        sd_event_source *reconnect_timer;
        bool warned;
        HttpBusChanged changed;
        void *userdata;
};

static int schedule_reconnect(HttpBus *b);

static void bus_disconnect(HttpBus *b) {
        if (!b->bus)
                return;
        b->bus = sd_bus_flush_close_unref(b->bus);
        b->changed(NULL, b->userdata);
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        HttpBus *b = userdata;

        log_warning("Lost the connection to oly-daemon; reconnecting.");
        bus_disconnect(b);
        (void) schedule_reconnect(b);
        return 0;
}

static int try_connect(HttpBus *b) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = oly_bus_open_daemon(&bus);
        if (r < 0)
                return r;
        r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, b);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(bus, b->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        b->bus = TAKE_PTR(bus);
        b->changed(b->bus, b->userdata);
        return 0;
}

static int on_reconnect(sd_event_source *es, uint64_t usec, void *userdata) {
        (void) http_bus_connect(userdata);
        return 0;
}

static int schedule_reconnect(HttpBus *b) {
        int r;

        if (!b->reconnect_timer) {
                r = sd_event_add_time_relative(b->event, &b->reconnect_timer, CLOCK_MONOTONIC,
                                               HTTP_BUS_RECONNECT_USEC, 0, on_reconnect, b);
                if (r < 0)
                        return log_error_errno(r, "Failed to add the reconnect timer: %m");
                return 0;
        }
        r = sd_event_source_set_time_relative(b->reconnect_timer, HTTP_BUS_RECONNECT_USEC);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(b->reconnect_timer, SD_EVENT_ONESHOT);
}

int http_bus_new(sd_event *e, HttpBusChanged changed, void *userdata, HttpBus **ret) {
        HttpBus *b = calloc(1, sizeof *b);

        if (!b)
                return -ENOMEM;
        *b = (HttpBus){ .event = sd_event_ref(e), .changed = changed, .userdata = userdata };
        *ret = b;
        return 0;
}

HttpBus *http_bus_free(HttpBus *b) {
        if (!b)
                return NULL;
        sd_event_source_disable_unref(b->reconnect_timer);
        bus_disconnect(b);
        sd_event_unref(b->event);
        return mfree(b);
}

int http_bus_connect(HttpBus *b) {
        int r;

        if (b->bus)
                return 0;
        r = try_connect(b);
        if (r >= 0) {
                log_info("Connected to oly-daemon.");
                b->warned = false;
                return 0;
        }
        if (!b->warned) {
                log_warning_errno(r, "oly-daemon is not reachable (%m); retrying in the background.");
                b->warned = true;
        }
        return schedule_reconnect(b);
}

bool http_bus_ready(HttpBus *b) {
        return b && b->bus && sd_bus_is_open(b->bus) > 0;
}

sd_bus *http_bus_get(HttpBus *b) {
        return http_bus_ready(b) ? b->bus : NULL;
}

/* ---- Calls for requests ---- */

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        HttpRequest *req = userdata;
        HttpReplyHandler h = req->handler;

        req->slot = sd_bus_slot_unref(req->slot);
        req->handler = NULL;
        h(req, m, sd_bus_message_get_error(m));
        if (!http_request_pending(req))
                http_respond_error(req, 500, "internal error: the route did not answer");
        return 0;
}

void http_bus_call_message(HttpRequest *req, sd_bus_message *m, uint64_t timeout_usec,
                           HttpReplyHandler handler) {
        int r;

        assert(!req->slot);
        r = sd_bus_call_async(req->context->bus->bus, &req->slot, m, on_reply, req,
                              timeout_usec ?: HTTP_BUS_TIMEOUT_USEC);
        if (r < 0) {
                log_debug_errno(r, "Failed to call the daemon: %m");
                http_respond_error(req, 503, "the oly daemon is not reachable");
                return;
        }
        req->handler = handler;
}

void http_bus_call(HttpRequest *req, const char *path, const char *iface, const char *method,
                   uint64_t timeout_usec, HttpReplyHandler handler, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus *bus = http_bus_get(req->context->bus);
        va_list ap;
        int r;

        if (!bus)
                return http_respond_error(req, 503, "the oly daemon is not reachable");
        r = sd_bus_message_new_method_call(bus, &m, NULL, path, iface, method);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r < 0)
                return http_respond_error(req, 500, "failed to build the daemon call: %s", strerror(-r));
        http_bus_call_message(req, m, timeout_usec, handler);
}

int http_bus_message_new(HttpRequest *req, const char *method, sd_bus_message **ret) {
        sd_bus *bus = http_bus_get(req->context->bus);
        int r;

        if (!bus) {
                http_respond_error(req, 503, "the oly daemon is not reachable");
                return -ENOTCONN;
        }
        r = sd_bus_message_new_method_call(bus, ret, NULL, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, method);
        if (r < 0)
                http_respond_error(req, 500, "failed to build the daemon call");
        return r;
}
