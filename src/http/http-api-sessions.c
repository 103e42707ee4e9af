/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sessions routes: GET /api/sessions (paged, filtered), POST /api/sessions, GET /api/sessions/<id>,
 * and the plain-HTTP answer of the attach endpoint. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

#include "argv-split.h"
#include "http-api-sessions.h"
#include "http-args.h"
#include "http-bus.h"
#include "http-def.h"
#include "http-json.h"
#include "http-response.h"
#include "id.h"
#include "oly-def.h"
#include "parse-util.h"
#include "status.h"
#include "strv.h"

extern char **environ;

/* Responds with the Session struct in reply (status 200 or 201). */
static void respond_session(HttpRequest *req, sd_bus_message *reply, unsigned status) {
        _cleanup_buf_free_ Buf body = {};
        struct MHD_Response *r;
        const char *id;

        if (http_json_put_session(&body, reply, &id, NULL) <= 0)
                return http_respond_error(req, 500, "bad reply from the daemon");
        r = http_response_json_buf(&body);
        if (r && status == 201) {
                char loc[128];
                snprintf(loc, sizeof loc, "/api/sessions/%s", id);
                (void) MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
        }
        http_respond(req, status, r);
}

static void on_session(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        if (error)
                return http_respond_bus_error(req, error);
        respond_session(req, reply, 200);
}

void http_api_sessions_respond(HttpRequest *req, const char *id) {
        http_bus_call_manager(req, "GetSession", on_session, "s", id);
}

/* ---- GET /api/sessions ---- */

typedef struct ListArgs {
        char **statuses;
        size_t n_statuses;
        bool bad;
} ListArgs;

static void list_args_done(ListArgs *a) {
        strv_free(a->statuses);
}

static enum MHD_Result list_collect_status(void *cls, enum MHD_ValueKind kind, const char *key,
                                           const char *value) {
        ListArgs *a = cls;
        if (!streq(key, "status") || !value)
                return MHD_YES;
        for (const char *p = value; *p;) {
                size_t n = strcspn(p, ",");
                char *s = strndup(p, n), **l;
                if (!s || session_status_from_string(s) < 0 || a->n_statuses >= OLY_STATUS_FILTER_MAX) {
                        free(s);
                        a->bad = true;
                        return MHD_NO;
                }
                l = reallocarray(a->statuses, a->n_statuses + 2, sizeof *l);
                if (!l) {
                        free(s);
                        a->bad = true;
                        return MHD_NO;
                }
                a->statuses = l;
                l[a->n_statuses++] = s;
                l[a->n_statuses] = NULL;
                p += n;
                if (*p == ',')
                        p++;
        }
        return MHD_YES;
}

typedef struct ListRow {
        const char *id; /* points into the reply */
        uint64_t created;
        size_t offset; /* where its JSON starts in the body */
} ListRow;

/* The rows are written into the body as they are read (no JSON objects: this is the hottest route), then
 * the page is cut out of them. */
static void on_list(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        _cleanup_buf_free_ Buf body = {};
        _cleanup_free_ ListRow *rows = NULL;
        uint64_t limit = req->u1, cursor_t = req->u2;
        const char *cursor_id = req->data;
        size_t n = 0, start = 0, end, cap = 0, base;
        struct MHD_Response *resp;
        int r;

        if (error)
                return http_respond_bus_error(req, error);
        r = buf_puts(&body, "{\"sessions\":[");
        base = body.len;
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(sssasssuitttbb)");
        while (r >= 0) {
                size_t offset = body.len;
                const char *id;
                uint64_t t;

                r = http_json_put_session(&body, reply, &id, &t);
                if (r <= 0)
                        break;
                if (n == cap) {
                        ListRow *c = reallocarray(rows, cap = cap ? cap * 2 : 64, sizeof *c);
                        if (!c) {
                                r = -ENOMEM;
                                break;
                        }
                        rows = c;
                }
                rows[n++] = (ListRow){ .id = id, .created = t, .offset = offset };
                r = buf_put(&body, ",", 1);
        }
        if (r < 0)
                return http_respond_error(req, 500, "bad reply from the daemon");

        if (cursor_id) {
                /* Resume after the cursor's row; if it is gone, after its timestamp. */
                start = n;
                for (size_t i = 0; i < n; i++)
                        if (streq(rows[i].id, cursor_id)) {
                                start = i + 1;
                                break;
                        }
                if (start == n)
                        for (start = 0; start < n && rows[start].created >= cursor_t; start++)
                                ;
        }
        end = n - start > limit ? start + limit : n;
        if (end > start) {
                /* rows[start..end) and their commas, the last one dropped, moved to the front. */
                size_t from = rows[start].offset, to = end < n ? rows[end].offset : body.len;
                memmove(body.data + base, body.data + from, to - from - 1);
                body.len = base + (to - from - 1);
        } else
                body.len = base;
        r = buf_puts(&body, "],\"next\":");
        if (r >= 0 && end < n) {
                char next[128];
                snprintf(next, sizeof next, "%" PRIu64 "-%s", rows[end - 1].created, rows[end - 1].id);
                r = http_json_put_string(&body, next);
        } else if (r >= 0)
                r = buf_puts(&body, "null");
        if (r >= 0)
                r = buf_put(&body, "}", 1);
        if (r < 0)
                return http_respond(req, 500, NULL);
        resp = http_response_json_buf(&body);
        http_respond(req, resp ? 200 : 500, resp);
}

void http_api_sessions_list(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(list_args_done) ListArgs a = {};
        const char *search = http_args_query(req, "search") ?: "", *v,
                   *before = http_args_query(req, "before");
        uint64_t since = 0, until = 0, limit, cursor_t = 0, fetch;
        int r;

        if (strlen(search) > OLY_SEARCH_MAX)
                return http_respond_error(req, 400, "'search' is longer than %u bytes", OLY_SEARCH_MAX);
        if ((v = http_args_query(req, "since")) && rfc3339_parse(v, &since) < 0)
                return http_respond_error(req, 400, "'since' must be an RFC 3339 time");
        if ((v = http_args_query(req, "until")) && rfc3339_parse(v, &until) < 0)
                return http_respond_error(req, 400, "'until' must be an RFC 3339 time");
        if (!http_args_query_uint(req, "limit", 1, HTTP_LIST_MAX, HTTP_LIST_DEFAULT, &limit))
                return;
        if (before) {
                const char *dash = strchr(before, '-');
                _cleanup_free_ char *t = dash ? strndup(before, (size_t) (dash - before)) : NULL;
                if (!t || parse_uint_range(t, 1, UINT64_MAX - 1, &cursor_t) < 0 ||
                    !session_id_is_valid(dash + 1))
                        return http_respond_error(req, 400, "'before' is not a cursor from \"next\"");
                req->data = strdup(dash + 1);
                req->data_free = free;
                if (!req->data)
                        return http_respond(req, 500, NULL);
                /* Rows up to the cursor's time, inclusive: those of the same microsecond are skipped later.
                 */
                if (until == 0 || cursor_t < until)
                        until = cursor_t;
        }
        (void) MHD_get_connection_values(req->connection, MHD_GET_ARGUMENT_KIND, list_collect_status, &a);
        if (a.bad)
                return http_respond_error(req, 400,
                                          "'status' must be one of created, running, stopping, "
                                          "stopped, killed, failed, unknown");
        req->u1 = limit;
        req->u2 = cursor_t;
        fetch = limit + 1 + (before ? HTTP_LIST_CURSOR_SLACK : 0);

        if (http_bus_message_new(req, "ListSessions", &m) < 0)
                return;
        r = sd_bus_message_append(m, "s", search);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, a.statuses);
        if (r >= 0)
                r = sd_bus_message_append(m, "ttu", since, until, (uint32_t) fetch);
        if (r < 0)
                return http_respond_error(req, 500, "failed to build the daemon call");
        http_bus_call_message(req, m, 0, on_list);
}

/* ---- POST /api/sessions ---- */

static void on_created_session(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        if (error)
                return http_respond_bus_error(req, error);
        respond_session(req, reply, 201);
}

static void on_created(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        const char *id;

        if (error)
                return http_respond_bus_error(req, error);
        if (sd_bus_message_read(reply, "so", &id, NULL) < 0)
                return http_respond_error(req, 500, "bad reply from the daemon");
        snprintf(req->id, sizeof req->id, "%s", id);
        http_bus_call_manager(req, "GetSession", on_created_session, "s", req->id);
}

/* The session gets oly-http's environment minus what belongs to oly-http's own service. */
static bool env_inherited(const char *e) {
        static const char *const drop[] = { "LISTEN_FDS=",    "LISTEN_PID=",     "LISTEN_FDNAMES=",
                                            "NOTIFY_SOCKET=", "WATCHDOG_PID=",   "WATCHDOG_USEC=",
                                            "INVOCATION_ID=", "JOURNAL_STREAM=", "OLY_WEB_DIR=" };
        for (size_t i = 0; i < ELEMENTSOF(drop); i++)
                if (startswith(e, drop[i]))
                        return false;
        return true;
}

void http_api_sessions_create(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_strv_free_ char **words = NULL;
        const char *title, *cwd;
        json_object *cmd;
        int64_t rows, cols;
        bool notifications;
        int r;

        if (!http_args_body(req, false) || !http_args_string(req, "title", OLY_TITLE_MAX, &title) ||
            !http_args_string(req, "cwd", PATH_MAX, &cwd) ||
            !http_args_int(req, "rows", 1, OLY_ROWS_MAX, 0, &rows) ||
            !http_args_int(req, "cols", 1, OLY_COLS_MAX, 0, &cols) ||
            !http_args_bool(req, "notifications", true, &notifications))
                return;
        if (cwd && cwd[0] != '/')
                return http_respond_error(req, 400, "\"cwd\" must be an absolute path");
        if (!cwd)
                cwd = getenv("HOME") ?: "/";

        cmd = http_args_member(req, "command");
        if (cmd && json_object_is_type(cmd, json_type_string)) {
                /* A NUL would cut the command short: run what was written or nothing. */
                if (strlen(json_object_get_string(cmd)) != (size_t) json_object_get_string_len(cmd))
                        return http_respond_error(req, 400, "\"command\" must not contain NUL characters");
                r = argv_split(json_object_get_string(cmd), OLY_ARGV_MAX, &words);
                if (r < 0)
                        return http_respond_error(req, 400, "\"command\" cannot be split into words: %s",
                                                  r == -E2BIG ? "too many words"
                                                              : "unterminated quote or trailing backslash");
        } else if (cmd && json_object_is_type(cmd, json_type_array)) {
                size_t n = json_object_array_length(cmd);
                if (n > OLY_ARGV_MAX)
                        return http_respond_error(req, 400, "\"command\" has more than %u words",
                                                  OLY_ARGV_MAX);
                words = calloc(n + 1, sizeof *words);
                if (!words)
                        return http_respond(req, 500, NULL);
                for (size_t i = 0; i < n; i++) {
                        json_object *w = json_object_array_get_idx(cmd, i);
                        if (!json_object_is_type(w, json_type_string) ||
                            strlen(json_object_get_string(w)) != (size_t) json_object_get_string_len(w))
                                return http_respond_error(req, 400, "\"command\" must be a list of strings");
                        words[i] = strdup(json_object_get_string(w));
                        if (!words[i])
                                return http_respond(req, 500, NULL);
                }
        } else
                return http_respond_error(req, 400, "\"command\" must be a string or a list of strings");
        if (!words[0] || isempty(words[0]))
                return http_respond_error(req, 400, "\"command\" is empty");

        if (http_bus_message_new(req, "CreateSession", &m) < 0)
                return;
        r = sd_bus_message_append(m, "s", strempty(title));
        if (r >= 0)
                r = sd_bus_message_append_strv(m, words);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", cwd);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "s");
        for (char **e = environ; r >= 0 && e && *e; e++)
                if (env_inherited(*e))
                        r = sd_bus_message_append(m, "s", *e);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "qqt", (uint16_t) rows, (uint16_t) cols,
                                          notifications ? UINT64_C(0) : OLY_CREATE_NOTIFICATIONS_DISABLED);
        if (r < 0)
                return http_respond_error(req, 500, "failed to build the daemon call");
        http_bus_call_message(req, m, 0, on_created);
}

void http_api_sessions_get(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        http_api_sessions_respond(req, req->id);
}

void http_api_sessions_attach_plain(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        /* Attach requests with an Upgrade are routed to the bridge before MHD sees them. */
        http_respond_error(req, 400, "this is a WebSocket endpoint: send an Upgrade: websocket request");
}
