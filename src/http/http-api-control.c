/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Routes that act on one session: stop, kill, input, resize, notifications. Each ends with the session
 * as it is after the change, or 204. */
#include <signal.h>
#include <strings.h>

#include "bus-util.h"
#include "http-api-control.h"
#include "http-api-sessions.h"
#include "http-args.h"
#include "http-bus.h"
#include "http-def.h"
#include "http-response.h"
#include "keyspec.h"
#include "oly-def.h"

static void on_stopped(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        const char *id;

        if (error)
                return http_respond_bus_error(req, error);
        if (sd_bus_message_read(reply, "s", &id) < 0)
                return http_respond_error(req, 500, "bad reply from the daemon");
        snprintf(req->id, sizeof req->id, "%s", id);
        http_api_sessions_respond(req, req->id);
}

void http_api_control_stop(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        json_object *g;
        double sec = OLY_DEFAULT_STOP_GRACE_SEC;
        uint64_t grace;

        if (!http_args_body(req, true))
                return;
        g = http_args_member(req, "grace_seconds");
        if (g) {
                if (!json_object_is_type(g, json_type_int) && !json_object_is_type(g, json_type_double))
                        return http_respond_error(req, 400, "\"grace_seconds\" must be a number");
                sec = json_object_get_double(g);
                if (!(sec >= 0 && sec <= OLY_GRACE_MAX_SEC))
                        return http_respond_error(req, 400, "\"grace_seconds\" must be from 0 to %u",
                                                  OLY_GRACE_MAX_SEC);
        }
        grace = (uint64_t) (sec * (double) USEC_PER_SEC);
        http_bus_call(req, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, "StopSession", grace + HTTP_BUS_TIMEOUT_USEC,
                      on_stopped, "st", req->id, grace);
}

static void on_killed(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        if (error)
                return http_respond_bus_error(req, error);
        http_api_sessions_respond(req, req->id);
}

void http_api_control_kill(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        static const struct {
                const char *name;
                int sig;
        } names[] = { { "KILL", SIGKILL }, { "TERM", SIGTERM }, { "INT", SIGINT }, { "HUP", SIGHUP } };
        json_object *v;
        int sig = SIGKILL;

        if (!http_args_body(req, true))
                return;
        v = http_args_member(req, "signal");
        if (v && json_object_is_type(v, json_type_int)) {
                int64_t i = json_object_get_int64(v);
                if (i < 1 || i > SIGRTMAX)
                        return http_respond_error(
                                req, 400, "\"signal\" must be a signal number from 1 to %d", SIGRTMAX);
                sig = (int) i;
        } else if (v && json_object_is_type(v, json_type_string)) {
                const char *s = json_object_get_string(v);
                s = startswith(s, "SIG") ?: s;
                sig = 0;
                for (size_t i = 0; i < ELEMENTSOF(names); i++)
                        if (strcasecmp(s, names[i].name) == 0)
                                sig = names[i].sig;
                if (sig == 0)
                        return http_respond_error(req, 400,
                                                  "\"signal\" must be KILL, TERM, INT, HUP or a number");
        } else if (v)
                return http_respond_error(req, 400, "\"signal\" must be a name or a number");
        http_bus_call_manager(req, "KillSession", on_killed, "si", req->id, sig);
}

void http_api_control_input(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        json_object *chunks, *text;
        size_t n;
        int r;

        if (!http_args_body(req, false))
                return;
        chunks = http_args_member(req, "chunks");
        text = http_args_member(req, "text");
        if (!!chunks == !!text)
                return http_respond_error(req, 400,
                                          "give either \"chunks\" (a list) or \"text\" (a string)");
        if (text && !json_object_is_type(text, json_type_string))
                return http_respond_error(req, 400, "\"text\" must be a string");
        if (chunks) {
                if (!json_object_is_type(chunks, json_type_array))
                        return http_respond_error(req, 400, "\"chunks\" must be a list of strings");
                n = json_object_array_length(chunks);
                if (n > HTTP_INPUT_CHUNKS_MAX)
                        return http_respond_error(req, 400, "more than %u chunks", HTTP_INPUT_CHUNKS_MAX);
                /* Every chunk is checked before anything is sent. */
                for (size_t i = 0; i < n; i++) {
                        json_object *c = json_object_array_get_idx(chunks, i);
                        const char *spec;
                        if (!json_object_is_type(c, json_type_string))
                                return http_respond_error(req, 400, "chunk %zu is not a string", i + 1);
                        spec = startswith(json_object_get_string(c), "key:");
                        if (spec &&
                            (keyspec_validate(spec) < 0 ||
                             strlen(json_object_get_string(c)) != (size_t) json_object_get_string_len(c)))
                                return http_respond_error(req, 400, "chunk %zu: invalid key spec '%s'",
                                                          i + 1, spec);
                }
        }
        if (http_bus_message_new(req, "SendInput", &m) < 0)
                return;
        r = sd_bus_message_append(m, "s", req->id);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(say)");
        if (text && r >= 0)
                r = oly_bus_append_input_chunk(m, "text", json_object_get_string(text),
                                               (size_t) json_object_get_string_len(text));
        for (size_t i = 0; chunks && r >= 0 && i < json_object_array_length(chunks); i++) {
                json_object *c = json_object_array_get_idx(chunks, i);
                const char *s = json_object_get_string(c), *spec = startswith(s, "key:");
                r = spec ? oly_bus_append_input_chunk(m, "key", spec, strlen(spec))
                         : oly_bus_append_input_chunk(m, "text", s, (size_t) json_object_get_string_len(c));
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return http_respond_error(req, 500, "failed to build the daemon call");
        http_bus_call_message(req, m, 0, http_respond_reply_empty);
}

void http_api_control_resize(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        int64_t rows, cols;

        if (!http_args_body(req, false) || !http_args_int(req, "rows", 1, OLY_ROWS_MAX, -1, &rows) ||
            !http_args_int(req, "cols", 1, OLY_COLS_MAX, -1, &cols))
                return;
        if (rows < 0 || cols < 0)
                return http_respond_error(req, 400, "\"rows\" and \"cols\" are required");
        http_bus_call_manager(req, "ResizeSession", http_respond_reply_empty, "sqq", req->id,
                              (uint16_t) rows, (uint16_t) cols);
}

static void on_notifications_set(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        if (error)
                return http_respond_bus_error(req, error);
        http_api_sessions_respond(req, req->id);
}

void http_api_control_notifications(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        bool enabled;

        if (!http_args_body(req, false))
                return;
        if (!http_args_member(req, "enabled"))
                return http_respond_error(req, 400, "\"enabled\" is required");
        if (!http_args_bool(req, "enabled", true, &enabled))
                return;
        http_bus_call_manager(req, "SetNotifications", on_notifications_set, "sb", req->id, (int) enabled);
}
