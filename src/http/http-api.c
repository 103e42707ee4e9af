/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The REST API (see the contract in web/openapi.yaml): a route table in front of small handlers, each a
 * chain of async daemon calls ending in one response. */
#include <fcntl.h>
#include <limits.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include "argv-split.h"
#include "bus-util.h"
#include "http-api.h"
#include "http-auth.h"
#include "http-def.h"
#include "http-json.h"
#include "http-response.h"
#include "http-sse.h"
#include "http-static.h"
#include "http-worker.h"
#include "id.h"
#include "keyspec.h"
#include "log.h"
#include "oly-def.h"
#include "parse-util.h"
#include "render.h"
#include "status.h"

extern char **environ;

static inline void argv_freep(char ***v) {
        argv_free(*v);
}

/* ---- Helpers ---- */

static const char *query(HttpRequest *req, const char *key) {
        return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, key);
}

/* Parses the body into req->json. An empty body is {} when optional. Responds 400 and returns false on a
 * bad one. */
static bool body_object(HttpRequest *req, bool optional) {
        if (req->body.len == 0 && optional) {
                req->json = json_object_new_object();
                if (!req->json) {
                        http_request_respond(req, 500, NULL);
                        return false;
                }
                return true;
        }
        if (http_json_parse_object(req->body.data, req->body.len, &req->json) < 0) {
                http_respond_error(req, 400, NULL, "the body must be a JSON object");
                return false;
        }
        return true;
}

/* The member key of the body: NULL when absent or null. */
static json_object *member(HttpRequest *req, const char *key) {
        json_object *v = NULL;
        (void) json_object_object_get_ex(req->json, key, &v);
        return v;
}

/* An integer member in [min, max]; absent: def. Responds 400 and returns false when it is not one. */
static bool member_int(HttpRequest *req, const char *key, int64_t min, int64_t max, int64_t def, int64_t *ret) {
        json_object *v = member(req, key);
        int64_t i;

        if (!v) {
                *ret = def;
                return true;
        }
        if (!json_object_is_type(v, json_type_int) || (i = json_object_get_int64(v)) < min || i > max) {
                http_respond_error(req, 400, NULL, "\"%s\" must be an integer from %" PRIi64 " to %" PRIi64, key, min,
                                   max);
                return false;
        }
        *ret = i;
        return true;
}

static bool member_bool(HttpRequest *req, const char *key, bool def, bool *ret) {
        json_object *v = member(req, key);
        if (!v) {
                *ret = def;
                return true;
        }
        if (!json_object_is_type(v, json_type_boolean)) {
                http_respond_error(req, 400, NULL, "\"%s\" must be true or false", key);
                return false;
        }
        *ret = json_object_get_boolean(v);
        return true;
}

/* A string member of at most max bytes without NUL; absent: NULL. */
static bool member_string(HttpRequest *req, const char *key, size_t max, const char **ret) {
        json_object *v = member(req, key);
        if (!v) {
                *ret = NULL;
                return true;
        }
        if (!json_object_is_type(v, json_type_string) || (size_t) json_object_get_string_len(v) > max ||
            strlen(json_object_get_string(v)) != (size_t) json_object_get_string_len(v)) {
                http_respond_error(req, 400, NULL, "\"%s\" must be a string of at most %zu bytes", key, max);
                return false;
        }
        *ret = json_object_get_string(v);
        return true;
}

static bool query_uint(HttpRequest *req, const char *key, uint64_t min, uint64_t max, uint64_t def, uint64_t *ret) {
        const char *v = query(req, key);
        if (!v) {
                *ret = def;
                return true;
        }
        if (parse_uint_range(v, min, max, ret) < 0) {
                http_respond_error(req, 400, NULL, "'%s' must be a number from %" PRIu64 " to %" PRIu64, key, min, max);
                return false;
        }
        return true;
}

/* Responds with the Session struct in reply (status 200 or 201). */
static void respond_session(HttpRequest *req, sd_bus_message *reply, unsigned status) {
        _cleanup_(buf_free) Buf body = {};
        struct MHD_Response *r;
        const char *id;

        if (http_json_put_session(&body, reply, &id, NULL) <= 0)
                return http_respond_error(req, 500, NULL, "bad reply from the daemon");
        r = http_response_json_buf(&body);
        if (r && status == 201) {
                char loc[128];
                snprintf(loc, sizeof loc, "/api/sessions/%s", id);
                (void) MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
        }
        http_request_respond(req, status, r);
}

static void on_session(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        if (error)
                return http_respond_bus_error(req, error);
        respond_session(req, reply, 200);
}

static void get_session(HttpRequest *req, const char *id) {
        http_request_call(req, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, "GetSession", 0, on_session, "s", id);
}

#define CALL(req, method, handler, ...) \
        http_request_call(req, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, method, 0, handler, __VA_ARGS__)

/* ---- GET /api/sessions ---- */

typedef struct ListArgs {
        char **statuses;
        size_t n_statuses;
        bool bad;
} ListArgs;

static enum MHD_Result list_collect_status(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
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
        _cleanup_(buf_free) Buf body = {};
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
                rows[n++] = (ListRow) { .id = id, .created = t, .offset = offset };
                r = buf_put(&body, ",", 1);
        }
        if (r < 0)
                return http_respond_error(req, 500, NULL, "bad reply from the daemon");

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
                return http_request_respond(req, 500, NULL);
        resp = http_response_json_buf(&body);
        http_request_respond(req, resp ? 200 : 500, resp);
}

static void sessions_list(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        ListArgs a = {};
        const char *search = query(req, "search") ?: "", *v, *before = query(req, "before");
        uint64_t since = 0, until = 0, limit, cursor_t = 0, fetch;
        int r;

        if (strlen(search) > OLY_SEARCH_MAX)
                return http_respond_error(req, 400, NULL, "'search' is longer than %u bytes", OLY_SEARCH_MAX);
        if ((v = query(req, "since")) && rfc3339_parse(v, &since) < 0)
                return http_respond_error(req, 400, NULL, "'since' must be an RFC 3339 time");
        if ((v = query(req, "until")) && rfc3339_parse(v, &until) < 0)
                return http_respond_error(req, 400, NULL, "'until' must be an RFC 3339 time");
        if (!query_uint(req, "limit", 1, HTTP_LIST_MAX, HTTP_LIST_DEFAULT, &limit))
                return;
        if (before) {
                const char *dash = strchr(before, '-');
                _cleanup_free_ char *t = dash ? strndup(before, (size_t) (dash - before)) : NULL;
                if (!t || parse_uint_range(t, 1, UINT64_MAX - 1, &cursor_t) < 0 || !session_id_is_valid(dash + 1))
                        return http_respond_error(req, 400, NULL, "'before' is not a cursor from \"next\"");
                req->data = strdup(dash + 1);
                req->data_free = free;
                if (!req->data)
                        return http_request_respond(req, 500, NULL);
                /* Rows up to the cursor's time, inclusive: those of the same microsecond are skipped later. */
                if (until == 0 || cursor_t < until)
                        until = cursor_t;
        }
        (void) MHD_get_connection_values(req->connection, MHD_GET_ARGUMENT_KIND, list_collect_status, &a);
        if (a.bad) {
                argv_free(a.statuses);
                return http_respond_error(req, 400, NULL, "'status' must be one of created, running, stopping, "
                                                          "stopped, killed, failed, unknown");
        }
        req->u1 = limit;
        req->u2 = cursor_t;
        fetch = limit + 1 + (before ? HTTP_LIST_CURSOR_SLACK : 0);

        if (!http_server_bus_ready(req->server)) {
                argv_free(a.statuses);
                return http_respond_error(req, 503, NULL, "the oly daemon is not reachable");
        }
        r = sd_bus_message_new_method_call(req->server->bus, &m, NULL, OLY_MANAGER_PATH, OLY_MANAGER_IFACE,
                                           "ListSessions");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", search);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, a.statuses);
        if (r >= 0)
                r = sd_bus_message_append(m, "ttu", since, until, (uint32_t) fetch);
        argv_free(a.statuses);
        if (r < 0)
                return http_respond_error(req, 500, NULL, "failed to build the daemon call");
        http_request_call_message(req, m, 0, on_list);
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
                return http_respond_error(req, 500, NULL, "bad reply from the daemon");
        snprintf(req->id, sizeof req->id, "%s", id);
        CALL(req, "GetSession", on_created_session, "s", req->id);
}

/* The session gets oly-http's environment minus what belongs to oly-http's own service. */
static bool env_inherited(const char *e) {
        static const char *const drop[] = { "LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=", "NOTIFY_SOCKET=",
                                            "WATCHDOG_PID=", "WATCHDOG_USEC=", "INVOCATION_ID=", "JOURNAL_STREAM=",
                                            "OLY_WEB_DIR=" };
        for (size_t i = 0; i < ELEMENTSOF(drop); i++)
                if (startswith(e, drop[i]))
                        return false;
        return true;
}

static void sessions_create(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(argv_freep) char **words = NULL;
        const char *title, *cwd;
        json_object *cmd;
        int64_t rows, cols;
        bool notifications;
        int r;

        if (!body_object(req, false) || !member_string(req, "title", OLY_TITLE_MAX, &title) ||
            !member_string(req, "cwd", PATH_MAX, &cwd) || !member_int(req, "rows", 1, OLY_ROWS_MAX, 0, &rows) ||
            !member_int(req, "cols", 1, OLY_COLS_MAX, 0, &cols) ||
            !member_bool(req, "notifications", true, &notifications))
                return;
        if (cwd && cwd[0] != '/')
                return http_respond_error(req, 400, NULL, "\"cwd\" must be an absolute path");
        if (!cwd)
                cwd = getenv("HOME") ?: "/";

        cmd = member(req, "command");
        if (cmd && json_object_is_type(cmd, json_type_string)) {
                /* A NUL would cut the command short: run what was written or nothing. */
                if (strlen(json_object_get_string(cmd)) != (size_t) json_object_get_string_len(cmd))
                        return http_respond_error(req, 400, NULL, "\"command\" must not contain NUL characters");
                r = argv_split(json_object_get_string(cmd), OLY_ARGV_MAX, &words);
                if (r < 0)
                        return http_respond_error(req, 400, NULL, "\"command\" cannot be split into words: %s",
                                                  r == -E2BIG ? "too many words" : "unterminated quote or trailing backslash");
        } else if (cmd && json_object_is_type(cmd, json_type_array)) {
                size_t n = json_object_array_length(cmd);
                if (n > OLY_ARGV_MAX)
                        return http_respond_error(req, 400, NULL, "\"command\" has more than %u words", OLY_ARGV_MAX);
                words = calloc(n + 1, sizeof *words);
                if (!words)
                        return http_request_respond(req, 500, NULL);
                for (size_t i = 0; i < n; i++) {
                        json_object *w = json_object_array_get_idx(cmd, i);
                        if (!json_object_is_type(w, json_type_string) ||
                            strlen(json_object_get_string(w)) != (size_t) json_object_get_string_len(w))
                                return http_respond_error(req, 400, NULL, "\"command\" must be a list of strings");
                        words[i] = strdup(json_object_get_string(w));
                        if (!words[i])
                                return http_request_respond(req, 500, NULL);
                }
        } else
                return http_respond_error(req, 400, NULL, "\"command\" must be a string or a list of strings");
        if (!words[0] || isempty(words[0]))
                return http_respond_error(req, 400, NULL, "\"command\" is empty");

        if (!http_server_bus_ready(req->server))
                return http_respond_error(req, 503, NULL, "the oly daemon is not reachable");
        r = sd_bus_message_new_method_call(req->server->bus, &m, NULL, OLY_MANAGER_PATH, OLY_MANAGER_IFACE,
                                           "CreateSession");
        if (r >= 0)
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
                return http_respond_error(req, 500, NULL, "failed to build the daemon call");
        http_request_call_message(req, m, 0, on_created);
}

/* ---- One session ---- */

static void session_get(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        get_session(req, req->id);
}

static void on_stopped(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        const char *id;

        if (error)
                return http_respond_bus_error(req, error);
        if (sd_bus_message_read(reply, "s", &id) < 0)
                return http_respond_error(req, 500, NULL, "bad reply from the daemon");
        snprintf(req->id, sizeof req->id, "%s", id);
        get_session(req, req->id);
}

static void session_stop(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        json_object *g;
        double sec = OLY_DEFAULT_STOP_GRACE_SEC;
        uint64_t grace;

        if (!body_object(req, true))
                return;
        g = member(req, "grace_seconds");
        if (g) {
                if (!json_object_is_type(g, json_type_int) && !json_object_is_type(g, json_type_double))
                        return http_respond_error(req, 400, NULL, "\"grace_seconds\" must be a number");
                sec = json_object_get_double(g);
                if (!(sec >= 0 && sec <= OLY_GRACE_MAX_SEC))
                        return http_respond_error(req, 400, NULL, "\"grace_seconds\" must be from 0 to %u",
                                                  OLY_GRACE_MAX_SEC);
        }
        grace = (uint64_t) (sec * (double) USEC_PER_SEC);
        http_request_call(req, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, "StopSession", grace + HTTP_BUS_TIMEOUT_USEC,
                          on_stopped, "st", req->id, grace);
}

static void on_killed(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        if (error)
                return http_respond_bus_error(req, error);
        get_session(req, req->id);
}

static void session_kill(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        static const struct {
                const char *name;
                int sig;
        } names[] = { { "KILL", SIGKILL }, { "TERM", SIGTERM }, { "INT", SIGINT }, { "HUP", SIGHUP } };
        json_object *v;
        int sig = SIGKILL;

        if (!body_object(req, true))
                return;
        v = member(req, "signal");
        if (v && json_object_is_type(v, json_type_int)) {
                int64_t i = json_object_get_int64(v);
                if (i < 1 || i > SIGRTMAX)
                        return http_respond_error(req, 400, NULL, "\"signal\" must be a signal number from 1 to %d",
                                                  SIGRTMAX);
                sig = (int) i;
        } else if (v && json_object_is_type(v, json_type_string)) {
                const char *s = json_object_get_string(v);
                s = startswith(s, "SIG") ?: s;
                sig = 0;
                for (size_t i = 0; i < ELEMENTSOF(names); i++)
                        if (strcasecmp(s, names[i].name) == 0)
                                sig = names[i].sig;
                if (sig == 0)
                        return http_respond_error(req, 400, NULL, "\"signal\" must be KILL, TERM, INT, HUP or a number");
        } else if (v)
                return http_respond_error(req, 400, NULL, "\"signal\" must be a name or a number");
        CALL(req, "KillSession", on_killed, "si", req->id, sig);
}

static void on_no_content(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        if (error)
                return http_respond_bus_error(req, error);
        http_respond_empty(req, 204);
}

static void session_input(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        json_object *chunks, *text;
        size_t n;
        int r;

        if (!body_object(req, false))
                return;
        chunks = member(req, "chunks");
        text = member(req, "text");
        if (!!chunks == !!text)
                return http_respond_error(req, 400, NULL, "give either \"chunks\" (a list) or \"text\" (a string)");
        if (text && !json_object_is_type(text, json_type_string))
                return http_respond_error(req, 400, NULL, "\"text\" must be a string");
        if (chunks) {
                if (!json_object_is_type(chunks, json_type_array))
                        return http_respond_error(req, 400, NULL, "\"chunks\" must be a list of strings");
                n = json_object_array_length(chunks);
                if (n > HTTP_INPUT_CHUNKS_MAX)
                        return http_respond_error(req, 400, NULL, "more than %u chunks", HTTP_INPUT_CHUNKS_MAX);
                /* Every chunk is checked before anything is sent. */
                for (size_t i = 0; i < n; i++) {
                        json_object *c = json_object_array_get_idx(chunks, i);
                        const char *spec;
                        if (!json_object_is_type(c, json_type_string))
                                return http_respond_error(req, 400, NULL, "chunk %zu is not a string", i + 1);
                        spec = startswith(json_object_get_string(c), "key:");
                        if (spec && (keyspec_validate(spec) < 0 ||
                                     strlen(json_object_get_string(c)) != (size_t) json_object_get_string_len(c)))
                                return http_respond_error(req, 400, NULL, "chunk %zu: invalid key spec '%s'", i + 1,
                                                          spec);
                }
        }
        if (!http_server_bus_ready(req->server))
                return http_respond_error(req, 503, NULL, "the oly daemon is not reachable");
        r = sd_bus_message_new_method_call(req->server->bus, &m, NULL, OLY_MANAGER_PATH, OLY_MANAGER_IFACE,
                                           "SendInput");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", req->id);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(say)");
        if (text && r >= 0)
                r = oly_bus_append_input_chunk(m, "text", json_object_get_string(text), (size_t) json_object_get_string_len(text));
        for (size_t i = 0; chunks && r >= 0 && i < json_object_array_length(chunks); i++) {
                json_object *c = json_object_array_get_idx(chunks, i);
                const char *s = json_object_get_string(c), *spec = startswith(s, "key:");
                r = spec ? oly_bus_append_input_chunk(m, "key", spec, strlen(spec))
                         : oly_bus_append_input_chunk(m, "text", s, (size_t) json_object_get_string_len(c));
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return http_respond_error(req, 500, NULL, "failed to build the daemon call");
        http_request_call_message(req, m, 0, on_no_content);
}

static void session_resize(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        int64_t rows, cols;

        if (!body_object(req, false) || !member_int(req, "rows", 1, OLY_ROWS_MAX, -1, &rows) ||
            !member_int(req, "cols", 1, OLY_COLS_MAX, -1, &cols))
                return;
        if (rows < 0 || cols < 0)
                return http_respond_error(req, 400, NULL, "\"rows\" and \"cols\" are required");
        CALL(req, "ResizeSession", on_no_content, "sqq", req->id, (uint16_t) rows, (uint16_t) cols);
}

static void on_notifications_set(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        if (error)
                return http_respond_bus_error(req, error);
        get_session(req, req->id);
}

static void session_notifications(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        bool enabled;

        if (!body_object(req, false))
                return;
        if (!member(req, "enabled"))
                return http_respond_error(req, 400, NULL, "\"enabled\" is required");
        if (!member_bool(req, "enabled", true, &enabled))
                return;
        CALL(req, "SetNotifications", on_notifications_set, "sb", req->id, (int) enabled);
}

/* ---- Logs ---- */

typedef struct LogRender {
        HttpRequest *req;
        int fd;
        uint64_t size;
        RenderResize *resizes;
        size_t n_resizes;
        RenderOptions options;
        char id[OLY_ID_STRLEN + 8];
        char status[32];
        char **lines;
        size_t n_lines;
        int result;
} LogRender;

static void log_render_free(void *p) {
        LogRender *l = p;
        if (!l)
                return;
        safe_close(l->fd);
        free(l->resizes);
        for (size_t i = 0; i < l->n_lines; i++)
                free(l->lines[i]);
        free(l->lines);
        free(l);
}

static void log_render_work(void *userdata) {
        LogRender *l = userdata;
        l->result = render_log_tail(l->fd, l->size, l->resizes, l->n_resizes, &l->options, &l->lines, &l->n_lines);
}

static void log_render_done(void *userdata) {
        LogRender *l = userdata;
        HttpRequest *req = l->req;
        json_object *o, *lines;

        req->working = false;
        if (l->result < 0)
                return http_respond_error(req, 500, NULL, "cannot render the log: %s", strerror(-l->result));
        o = json_object_new_object();
        lines = json_object_new_array();
        if (!o || !lines) {
                json_object_put(o);
                json_object_put(lines);
                return http_request_respond(req, 500, NULL);
        }
        for (size_t i = 0; i < l->n_lines; i++)
                json_object_array_add(lines, json_object_new_string(l->lines[i]));
        json_object_object_add(o, "id", json_object_new_string(l->id));
        json_object_object_add(o, "lines", lines);
        json_object_object_add(o, "status", json_object_new_string(l->status));
        http_respond_json(req, 200, o);
}

/* Reads OpenLog's reply: (s id, h fd, a(tqq) resizes, b running, s status). */
static int read_open_log(sd_bus_message *reply, LogRender *l) {
        const char *id, *status;
        int fd, running, r;
        struct stat st;

        r = sd_bus_message_read(reply, "sh", &id, &fd);
        if (r < 0)
                return r;
        snprintf(l->id, sizeof l->id, "%s", id);
        r = sd_bus_message_enter_container(reply, 'a', "(tqq)");
        while (r >= 0) {
                uint64_t off;
                uint16_t rows, cols;
                RenderResize *n;
                r = sd_bus_message_read(reply, "(tqq)", &off, &rows, &cols);
                if (r <= 0)
                        break;
                n = reallocarray(l->resizes, l->n_resizes + 1, sizeof *n);
                if (!n)
                        return -ENOMEM;
                l->resizes = n;
                l->resizes[l->n_resizes++] = (RenderResize) { off, rows, cols };
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "bs", &running, &status);
        if (r < 0)
                return r;
        snprintf(l->status, sizeof l->status, "%s", status);
        l->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (l->fd < 0 || fstat(l->fd, &st) < 0)
                return -errno;
        l->size = (uint64_t) st.st_size;
        return 0;
}

static void on_log_for_render(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        LogRender *l = req->data;
        int r;

        if (error)
                return http_respond_bus_error(req, error);
        r = read_open_log(reply, l);
        if (r < 0)
                return http_respond_error(req, 500, NULL, "cannot read the log: %s", strerror(-r));
        r = http_workers_submit(req->server->workers, log_render_work, log_render_done, l);
        if (r < 0)
                return http_respond_error(req, 503, NULL, "too busy rendering logs, try again");
        req->working = true;
}

/* The state of a log request (the fd OpenLog returns, its resizes, the render), owned by req. */
static LogRender *log_render_attach(HttpRequest *req) {
        LogRender *l = calloc(1, sizeof *l);
        if (!l)
                return NULL;
        *l = (LogRender) { .req = req, .fd = -EBADF };
        req->data = l;
        req->data_free = log_render_free;
        return l;
}

static void session_logs(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        uint64_t tail, color;
        LogRender *l;

        if (!query_uint(req, "tail", 0, HTTP_LOGS_TAIL_MAX, HTTP_LOGS_TAIL_DEFAULT, &tail) ||
            !query_uint(req, "color", 0, 1, 0, &color))
                return;
        l = log_render_attach(req);
        if (!l)
                return http_request_respond(req, 500, NULL);
        l->options.tail = (unsigned) tail;
        l->options.color = color;
        CALL(req, "OpenLog", on_log_for_render, "s", req->id);
}

static void on_log_raw(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        LogRender *l = req->data;
        uint64_t offset = req->u1, length = req->u2;
        struct MHD_Response *r;
        char size[32];
        int k;

        if (error)
                return http_respond_bus_error(req, error);
        k = read_open_log(reply, l);
        if (k < 0)
                return http_respond_error(req, 500, NULL, "cannot read the log: %s", strerror(-k));
        offset = MIN(offset, l->size);
        length = MIN(length, l->size - offset);
        if (length == 0)
                r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        else {
                /* MHD reads (or sendfile()s) the range while sending, and closes the fd. */
                r = MHD_create_response_from_fd_at_offset64(length, l->fd, offset);
                if (r)
                        l->fd = -EBADF;
        }
        if (!r)
                return http_request_respond(req, 500, NULL);
        snprintf(size, sizeof size, "%" PRIu64, l->size);
        (void) MHD_add_response_header(r, "X-Oly-Log-Size", size);
        (void) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
        http_request_respond(req, 200, r);
}

static void session_log_raw(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        if (!query_uint(req, "offset", 0, INT64_MAX, 0, &req->u1) ||
            !query_uint(req, "length", 0, HTTP_LOG_LENGTH_MAX, HTTP_LOG_LENGTH_DEFAULT, &req->u2))
                return;
        if (!log_render_attach(req))
                return http_request_respond(req, 500, NULL);
        CALL(req, "OpenLog", on_log_raw, "s", req->id);
}

static void session_attach_plain(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        /* Attach requests with an Upgrade are routed to the bridge before MHD sees them. */
        http_respond_error(req, 400, NULL, "this is a WebSocket endpoint: send an Upgrade: websocket request");
}

static void events(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        http_sse_serve(req);
}

/* ---- Push and nodes ---- */

static void on_vapid(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        const char *key;
        json_object *o;

        if (error)
                return http_respond_bus_error(req, error);
        if (sd_bus_message_read(reply, "v", "s", &key) < 0)
                return http_respond_error(req, 500, NULL, "bad reply from the daemon");
        o = json_object_new_object();
        if (!o)
                return http_request_respond(req, 500, NULL);
        json_object_object_add(o, "public_key", json_object_new_string(key));
        http_respond_json(req, 200, o);
}

static void push_vapid(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        http_request_call(req, OLY_MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", 0, on_vapid, "ss",
                          OLY_WEB_IFACE, "VapidPublicKey");
}

static void on_subscribed(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        json_object *o;

        if (error)
                return http_respond_bus_error(req, error);
        o = json_object_new_object();
        if (!o)
                return http_request_respond(req, 500, NULL);
        json_object_object_add(o, "endpoint", json_object_get(member(req, "endpoint")));
        http_respond_json(req, 201, o);
}

static bool push_key_ok(const char *s) {
        if (isempty(s))
                return false;
        for (; *s; s++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=", *s))
                        return false;
        return true;
}

static void push_subscribe(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        const char *endpoint, *p256dh = NULL, *auth = NULL;
        json_object *keys, *v;

        if (!body_object(req, false) || !member_string(req, "endpoint", HTTP_PUSH_FIELD_MAX, &endpoint))
                return;
        if (!endpoint || !startswith(endpoint, "https://") || strlen(endpoint) <= strlen("https://"))
                return http_respond_error(req, 400, NULL, "\"endpoint\" must be an https:// URL");
        keys = member(req, "keys");
        if (keys && json_object_is_type(keys, json_type_object)) {
                if (json_object_object_get_ex(keys, "p256dh", &v) && json_object_is_type(v, json_type_string))
                        p256dh = json_object_get_string(v);
                if (json_object_object_get_ex(keys, "auth", &v) && json_object_is_type(v, json_type_string))
                        auth = json_object_get_string(v);
        }
        if (!push_key_ok(p256dh) || !push_key_ok(auth) || strlen(p256dh) > HTTP_PUSH_FIELD_MAX ||
            strlen(auth) > HTTP_PUSH_FIELD_MAX)
                return http_respond_error(req, 400, NULL, "\"keys\" must hold base64url strings \"p256dh\" and \"auth\"");
        http_request_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "AddPushSubscription", 0, on_subscribed, "sss",
                          endpoint, p256dh, auth);
}

static void push_unsubscribe(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        const char *endpoint;

        if (!body_object(req, false) || !member_string(req, "endpoint", HTTP_PUSH_FIELD_MAX, &endpoint))
                return;
        if (isempty(endpoint))
                return http_respond_error(req, 400, NULL, "\"endpoint\" is required");
        http_request_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "RemovePushSubscription", 0, on_no_content, "s",
                          endpoint);
}

static void on_nodes(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        json_object *o = json_object_new_object(), *nodes = json_object_new_array();
        int r = 0;

        if (!o || !nodes) {
                json_object_put(o);
                json_object_put(nodes);
                return http_request_respond(req, 500, NULL);
        }
        json_object_object_add(o, "nodes", nodes);
        /* A daemon without federation has no nodes. */
        if (error && !sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                json_object_put(o);
                return http_respond_bus_error(req, error);
        }
        if (!error)
                r = sd_bus_message_enter_container(reply, 'a', "(sst)");
        while (!error && r >= 0) {
                const char *name, *address;
                uint64_t since;
                json_object *n;
                r = sd_bus_message_read(reply, "(sst)", &name, &address, &since);
                if (r <= 0)
                        break;
                n = json_object_new_object();
                json_object_object_add(n, "name", json_object_new_string(name));
                json_object_object_add(n, "address", json_object_new_string(address));
                json_object_object_add(n, "connected_since", http_json_time(since));
                json_object_array_add(nodes, n);
        }
        if (r < 0) {
                json_object_put(o);
                return http_respond_error(req, 500, NULL, "bad reply from the daemon");
        }
        http_respond_json(req, 200, o);
}

static void nodes_list(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        http_request_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "ListNodes", 0, on_nodes, NULL);
}

/* ---- Router ---- */

typedef struct Route {
        const char *method;
        const char *pattern; /* under /api/; "*" is one path segment: the session id */
        HttpReplyHandler handler; /* runs once authenticated */
} Route;

static const Route routes[] = {
        { "GET", "sessions", sessions_list },
        { "POST", "sessions", sessions_create },
        { "GET", "sessions/*", session_get },
        { "POST", "sessions/*/stop", session_stop },
        { "POST", "sessions/*/kill", session_kill },
        { "POST", "sessions/*/input", session_input },
        { "POST", "sessions/*/resize", session_resize },
        { "PUT", "sessions/*/notifications", session_notifications },
        { "GET", "sessions/*/logs", session_logs },
        { "GET", "sessions/*/log", session_log_raw },
        { "GET", "sessions/*/attach", session_attach_plain },
        { "GET", "events", events },
        { "GET", "push/vapid-public-key", push_vapid },
        { "POST", "push/subscriptions", push_subscribe },
        { "DELETE", "push/subscriptions", push_unsubscribe },
        { "GET", "nodes", nodes_list },
};

/* Matches path against pattern, capturing "*" into id. */
static bool route_match(const char *pattern, const char *path, char *id, size_t id_size) {
        for (;;) {
                if (*pattern == '*') {
                        size_t n = strcspn(path, "/");
                        if (n == 0 || n >= id_size)
                                return false;
                        memcpy(id, path, n);
                        id[n] = 0;
                        pattern++;
                        path += n;
                        continue;
                }
                if (*pattern != *path)
                        return false;
                if (!*pattern)
                        return true;
                pattern++;
                path++;
        }
}

void http_api_dispatch(HttpRequest *req) {
        const char *method = req->method, *path = startswith(req->url, "/api/");
        bool state_changing = !streq(method, "GET") && !streq(method, "HEAD") && !streq(method, "OPTIONS");
        bool path_known = false;

        const char *host = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "Host");
        if (req->server->no_auth && !http_auth_host_is_loopback(host))
                return http_respond_error(req, 403, NULL, "without authentication only requests to a loopback "
                                          "name (localhost, 127.0.0.1, [::1]) are served");
        if (state_changing) {
                const char *origin = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "Origin");
                if (origin && !http_auth_origin_matches(origin, host))
                        return http_respond_error(req, 403, NULL, "the Origin does not match the Host");
        }
        if (!path) {
                if (streq(req->url, "/api"))
                        return http_respond_error(req, 404, NULL, "no such API endpoint");
                if (!streq(method, "GET") && !streq(method, "HEAD"))
                        return http_respond_error(req, 405, NULL, "static files are only read (GET)");
                return http_static_serve(req);
        }

        if (streq(path, "auth/status") || streq(path, "auth/login") || streq(path, "auth/logout")) {
                const char *want = streq(path, "auth/status") ? "GET" : "POST";
                if (!streq(method, want))
                        return http_respond_error(req, 405, NULL, "use %s for /api/%s", want, path);
                if (streq(path, "auth/status"))
                        return http_auth_status(req);
                return streq(path, "auth/login") ? http_auth_login(req) : http_auth_logout(req);
        }
        if (streq(path, "health"))
                return http_respond_error(req, 405, NULL, "use GET or HEAD for /api/health");

        for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
                if (!route_match(routes[i].pattern, path, req->id, sizeof req->id))
                        continue;
                path_known = true;
                if (!streq(routes[i].method, method))
                        continue;
                if (strchr(routes[i].pattern, '*') && !session_id_prefix_is_valid(req->id))
                        return http_respond_error(req, 404, NULL, "no such session: %s", req->id);
                return http_auth_require(req, routes[i].handler);
        }
        if (path_known)
                return http_respond_error(req, 405, NULL, "method %s is not allowed on %s", method, req->url);
        http_respond_error(req, 404, NULL, "no such API endpoint: %s", req->url);
}
