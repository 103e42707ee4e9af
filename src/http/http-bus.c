/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon connection (see http-bus.h): one sd-bus client on the private socket, attached to the loop;
 * when it drops, a timer tries again every HTTP_BUS_RECONNECT_USEC. */
#include <stdio.h>
#include <unistd.h>

#include "bus-util.h"
#include "http-auth.h"
#include "http-bus.h"
#include "http-def.h"
#include "http-sse.h"
#include "log.h"
#include "paths.h"

static int schedule_reconnect(HttpServer *s);

void http_bus_disconnect(HttpServer *s) {
        if (!s->bus)
                return;
        sd_bus_flush_close_unref(s->bus);
        s->bus = NULL;
        http_sse_bus_changed(s->sse, NULL);
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        HttpServer *s = userdata;

        log_warning("Lost the connection to oly-daemon; reconnecting.");
        http_bus_disconnect(s);
        (void) schedule_reconnect(s);
        return 0;
}

/* The daemon announces a new password (which revokes every login) as a change of Web.PasswordSet. */
static int on_web_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        HttpServer *s = userdata;
        const char *iface;

        if (sd_bus_message_read(m, "s", &iface) < 0 || !streq(iface, OLY_WEB_IFACE))
                return 0;
        http_tokens_forget_all(s->tokens);
        log_info("The web password changed: every earlier login is revoked.");
        return 0;
}

static int try_connect(HttpServer *s) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = oly_bus_open_daemon(&bus);
        if (r < 0)
                return r;
        r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, s);
        if (r < 0)
                return r;
        r = sd_bus_match_signal(bus, NULL, NULL, OLY_MANAGER_PATH, "org.freedesktop.DBus.Properties",
                                "PropertiesChanged", on_web_properties_changed, s);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(bus, s->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        s->bus = TAKE_PTR(bus);
        r = http_sse_bus_changed(s->sse, s->bus);
        if (r < 0)
                log_warning_errno(r, "Failed to subscribe to the daemon's signals, events will be missing: %m");
        return 0;
}

static int on_reconnect(sd_event_source *es, uint64_t usec, void *userdata) {
        HttpServer *s = userdata;
        (void) http_bus_connect(s);
        return 0;
}

static int schedule_reconnect(HttpServer *s) {
        int r;

        if (!s->reconnect_timer) {
                r = sd_event_add_time_relative(s->event, &s->reconnect_timer, CLOCK_MONOTONIC,
                                               HTTP_BUS_RECONNECT_USEC, 0, on_reconnect, s);
                if (r < 0)
                        return log_error_errno(r, "Failed to add the reconnect timer: %m");
                return 0;
        }
        r = sd_event_source_set_time_relative(s->reconnect_timer, HTTP_BUS_RECONNECT_USEC);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(s->reconnect_timer, SD_EVENT_ONESHOT);
}

int http_bus_connect(HttpServer *s) {
        int r;

        if (s->bus)
                return 0;
        r = try_connect(s);
        if (r >= 0) {
                log_info("Connected to oly-daemon.");
                s->bus_warned = false;
                return 0;
        }
        if (!s->bus_warned) {
                log_warning_errno(r, "oly-daemon is not reachable (%m); retrying in the background.");
                s->bus_warned = true;
        }
        return schedule_reconnect(s);
}
