/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Server-sent events (see http-sse.h). Each daemon signal about a session is turned into one event (the
 * Session fetched with GetSession), formatted once into a ring of HTTP_SSE_RING events that every client
 * reads from at its own position: a client costs no memory per event, and one that lags more than
 * HTTP_SSE_BACKLOG_MAX events behind is closed (it reconnects with Last-Event-ID or gets a snapshot). */
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/random.h>

#include "http-bus.h"
#include "http-def.h"
#include "http-json.h"
#include "http-mhd.h"
#include "http-response.h"
#include "http-sse-id.h"
#include "http-sse.h"
#include "list.h"
#include "log.h"
#include "oly-def.h"

typedef struct SseEvent {
        uint64_t seq;
        char *text;
        size_t len;
} SseEvent;

typedef struct SseClient SseClient;
struct SseClient {
        HttpSse *sse;
        struct MHD_Connection *connection;
        uint64_t next_seq;
        char *pending; /* the snapshot, or the rest of an event that did not fit MHD's buffer */
        size_t pending_len, pending_off;
        sd_event_source *hup; /* while suspended: the socket, watched for the client leaving */
        bool suspended, ping, gone;
        LIST_FIELDS(SseClient, clients);
};

typedef struct SseFetch SseFetch;
struct SseFetch {
        HttpSse *sse;
        sd_bus_slot *slot;
        char *type, *trigger, *line;
        LIST_FIELDS(SseFetch, fetches);
};

struct HttpSse {
        HttpContext *context;
        char boot[17];
        SseEvent ring[HTTP_SSE_RING];
        uint64_t last_seq; /* the newest event's; 0: none yet */
        SseClient *clients;
        unsigned n_clients;
        SseFetch *fetches;
        unsigned n_fetches;
        sd_event_source *heartbeat;
        bool closing;
};

unsigned http_sse_count(HttpSse *sse) {
        return sse ? sse->n_clients : 0;
}

static void client_wake(SseClient *c) {
        if (!c->suspended)
                return;
        /* Before resuming: MHD may close the socket from then on. */
        c->hup = sd_event_source_disable_unref(c->hup);
        c->suspended = false;
        http_mhd_resume(c->sse->context->mhd, c->connection);
}

/* A parked client left: without this, MHD would only notice at the next heartbeat write (and a clean
 * close needs two), holding the socket, its buffers and a client slot for up to 30 s. */
static int on_client_hup(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        SseClient *c = userdata;

        c->gone = true;
        client_wake(c);
        return 0;
}

static void wake_all(HttpSse *sse) {
        LIST_FOREACH (clients, c, sse->clients)
                client_wake(c);
        http_mhd_kick(sse->context->mhd);
}

/* ---- The ring ---- */

static void sse_push(HttpSse *sse, const char *type, const Buf *json) {
        uint64_t seq = sse->last_seq + 1;
        SseEvent *e = &sse->ring[seq % HTTP_SSE_RING];
        char *text;
        int n;

        n = asprintf(&text, "id: %s-%" PRIu64 "\nevent: %s\ndata: %.*s\n\n", sse->boot, seq, type,
                     (int) json->len, (const char *) json->data);
        if (n < 0) {
                log_oom();
                return;
        }
        free(e->text);
        *e = (SseEvent){ .seq = seq, .text = text, .len = (size_t) n };
        sse->last_seq = seq;
        wake_all(sse);
}

static ssize_t client_read(void *cls, uint64_t pos, char *buf, size_t max) {
        SseClient *c = cls;
        HttpSse *sse = c->sse;
        size_t n = 0;

        if (sse->closing || c->gone)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        if (c->pending) {
                size_t k = MIN(max, c->pending_len - c->pending_off);
                memcpy(buf, c->pending + c->pending_off, k);
                c->pending_off += k;
                if (c->pending_off == c->pending_len)
                        c->pending = mfree(c->pending);
                return (ssize_t) k;
        }
        if (c->next_seq <= sse->last_seq && sse->last_seq - c->next_seq >= HTTP_SSE_BACKLOG_MAX) {
                log_debug("An event stream client fell %" PRIu64 " events behind, closing it.",
                          sse->last_seq - c->next_seq + 1);
                return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        while (c->next_seq <= sse->last_seq) {
                SseEvent *e = &sse->ring[c->next_seq % HTTP_SSE_RING];
                if (e->len <= max - n) {
                        memcpy(buf + n, e->text, e->len);
                        n += e->len;
                        c->next_seq++;
                        continue;
                }
                if (n > 0)
                        break;
                /* Larger than the buffer: send it in pieces. */
                c->pending = malloc(e->len);
                if (!c->pending)
                        return MHD_CONTENT_READER_END_WITH_ERROR;
                memcpy(c->pending, e->text, e->len);
                c->pending_len = e->len;
                c->pending_off = 0;
                c->next_seq++;
                return client_read(cls, pos, buf, max);
        }
        if (c->ping && max - n >= 8) {
                memcpy(buf + n, ": ping\n\n", 8);
                n += 8;
                c->ping = false;
        }
        if (n > 0)
                return (ssize_t) n;
        /* Nothing to send: park until an event or the heartbeat wakes us. */
        c->suspended = true;
        MHD_suspend_connection(c->connection);
        if (http_mhd_watch_hup(sse->context->mhd, c->connection, on_client_hup, c, &c->hup) < 0)
                log_debug("Cannot watch an event stream; a client that leaves is noticed at the heartbeat.");
        return 0;
}

static void client_free(void *cls) {
        SseClient *c = cls;
        HttpSse *sse = c->sse;

        LIST_REMOVE(clients, sse->clients, c);
        sse->n_clients--;
        sd_event_source_disable_unref(c->hup);
        free(c->pending);
        free(c);
}

static int on_heartbeat(sd_event_source *es, uint64_t usec, void *userdata) {
        HttpSse *sse = userdata;

        LIST_FOREACH (clients, c, sse->clients)
                c->ping = true;
        wake_all(sse);
        (void) sd_event_source_set_time_relative(es, HTTP_SSE_HEARTBEAT_USEC);
        (void) sd_event_source_set_enabled(es, SD_EVENT_ONESHOT);
        return 0;
}

/* ---- Serving a client ---- */

static void client_start(HttpRequest *req, uint64_t next_seq, char *snapshot, size_t snapshot_len) {
        HttpSse *sse = req->context->sse;
        struct MHD_Response *r;
        SseClient *c;

        if (sse->n_clients >= HTTP_SSE_CLIENTS_MAX) {
                free(snapshot);
                return http_respond_error(req, 503, "too many event streams are open");
        }
        c = calloc(1, sizeof *c);
        if (!c) {
                free(snapshot);
                return http_respond(req, 500, NULL);
        }
        *c = (SseClient){
                .sse = sse,
                .connection = req->connection,
                .next_seq = next_seq,
                .pending = snapshot,
                .pending_len = snapshot_len,
        };
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_SSE_BLOCK_SIZE, client_read, c,
                                              client_free);
        if (!r) {
                free(snapshot);
                free(c);
                return http_respond(req, 500, NULL);
        }
        LIST_PREPEND(clients, sse->clients, c);
        sse->n_clients++;
        (void) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
        (void) MHD_add_response_header(r, "X-Accel-Buffering", "no");
        http_respond(req, 200, r);
}

static void on_snapshot(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        HttpSse *sse = req->context->sse;
        _cleanup_buf_free_ Buf text = {};
        size_t n;
        int r;

        if (error)
                return http_respond_bus_error(req, error);
        /* The snapshot stands for everything up to the event before the ones this client will get. */
        r = buf_printf(&text, "id: %s-%" PRIu64 "\nevent: snapshot\ndata: {\"sessions\":[", sse->boot,
                       req->u1 - 1);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(sssasssuitttbb)");
        while (r >= 0) {
                r = http_json_put_session(&text, reply, NULL, NULL);
                if (r <= 0)
                        break;
                r = buf_put(&text, ",", 1);
        }
        if (r < 0)
                return http_respond_error(req, 500, "bad reply from the daemon");
        if (text.data[text.len - 1] == ',')
                text.len--;
        if (buf_puts(&text, "]}\n\n") < 0)
                return http_respond(req, 500, NULL);
        n = text.len;
        client_start(req, req->u1, (char *) TAKE_PTR(text.data), n);
}

void http_sse_serve(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        HttpSse *sse = req->context->sse;
        const char *last = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "Last-Event-ID");
        uint64_t seq;

        if (sse->n_clients >= HTTP_SSE_CLIENTS_MAX)
                return http_respond_error(req, 503, "too many event streams are open");
        if (last && http_sse_id_parse(sse->boot, sse->last_seq, last, &seq))
                return client_start(req, seq + 1, NULL, 0);
        req->u1 = sse->last_seq + 1;
        http_bus_call_manager(req, "ListSessions", on_snapshot, "sasttu", "", 0, UINT64_C(0), UINT64_C(0),
                              (uint32_t) HTTP_SSE_SNAPSHOT_SESSIONS);
}

/* ---- Daemon signals → events ---- */

static SseFetch *fetch_free(SseFetch *f) {
        if (!f)
                return NULL;
        LIST_REMOVE(fetches, f->sse->fetches, f);
        f->sse->n_fetches--;
        sd_bus_slot_unref(f->slot);
        free(f->type);
        free(f->trigger);
        free(f->line);
        return mfree(f);
}

static int on_fetched(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SseFetch *f = userdata;
        _cleanup_buf_free_ Buf o = {};

        if (!sd_bus_message_is_method_error(m, NULL) && http_json_put_session(&o, m, NULL, NULL) > 0) {
                int r = 0;
                if (f->trigger) {
                        o.len--; /* reopen the Session object for the notification's fields */
                        r = buf_puts(&o, ",\"trigger\":");
                        if (r >= 0)
                                r = http_json_put_string(&o, f->trigger);
                        if (r >= 0)
                                r = buf_puts(&o, ",\"line\":");
                        if (r >= 0)
                                r = http_json_put_string(&o, strempty(f->line));
                        if (r >= 0)
                                r = buf_put(&o, "}", 1);
                }
                if (r >= 0)
                        sse_push(f->sse, f->type, &o);
                else
                        log_oom();
        }
        fetch_free(f);
        return 0;
}

static void fetch(HttpSse *sse, sd_bus *bus, const char *id, const char *type, const char *trigger,
                  const char *line) {
        SseFetch *f;
        int r;

        if (sse->n_fetches >= HTTP_EVENT_FETCHES_MAX) {
                log_debug("Too many session lookups in flight, dropping a %s event.", type);
                return;
        }
        f = calloc(1, sizeof *f);
        if (!f) {
                log_oom();
                return;
        }
        f->sse = sse;
        LIST_PREPEND(fetches, sse->fetches, f);
        sse->n_fetches++;
        f->type = strdup(type);
        if (trigger) {
                f->trigger = strdup(trigger);
                f->line = strdup(strempty(line));
        }
        if (!f->type || (trigger && (!f->trigger || !f->line))) {
                log_oom();
                fetch_free(f);
                return;
        }
        r = sd_bus_call_method_async(bus, &f->slot, NULL, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, "GetSession",
                                     on_fetched, f, "s", id);
        if (r < 0) {
                log_debug_errno(r, "Failed to look up session %s for an event: %m", id);
                fetch_free(f);
        }
}

static int on_manager_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        HttpSse *sse = userdata;
        sd_bus *bus = sd_bus_message_get_bus(m);
        const char *member = sd_bus_message_get_member(m), *id, *trigger, *line;

        if (!member)
                return 0;
        if (streq(member, "SessionCreated")) {
                if (sd_bus_message_read(m, "s", &id) >= 0)
                        fetch(sse, bus, id, "session.created", NULL, NULL);
        } else if (streq(member, "SessionExited")) {
                if (sd_bus_message_read(m, "s", &id) >= 0)
                        fetch(sse, bus, id, "session.exited", NULL, NULL);
        } else if (streq(member, "InputNeeded")) {
                if (sd_bus_message_read(m, "soss", &id, NULL, &trigger, &line) >= 0)
                        fetch(sse, bus, id, "session.input_needed", trigger, line);
        }
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        HttpSse *sse = userdata;
        _cleanup_free_ char *id = NULL;
        const char *iface;

        if (sd_bus_message_read(m, "s", &iface) < 0 || !streq(iface, OLY_SESSION_IFACE))
                return 0;
        if (sd_bus_path_decode(sd_bus_message_get_path(m), OLY_SESSION_PATH_PREFIX, &id) <= 0 || isempty(id))
                return 0;
        fetch(sse, sd_bus_message_get_bus(m), id, "session.updated", NULL, NULL);
        return 0;
}

int http_sse_bus_changed(HttpSse *sse, sd_bus *bus) {
        int r;

        if (!sse || !bus)
                return 0;
        /* Floating matches: they go away with the connection. */
        r = sd_bus_match_signal(bus, NULL, NULL, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, NULL,
                                on_manager_signal, sse);
        if (r < 0)
                return r;
        return sd_bus_match_signal(bus, NULL, NULL, NULL, "org.freedesktop.DBus.Properties",
                                   "PropertiesChanged", on_properties_changed, sse);
}

int http_sse_new(HttpContext *c, HttpSse **ret) {
        HttpSse *sse;
        uint8_t b[8];
        int r;

        sse = calloc(1, sizeof *sse);
        if (!sse)
                return -ENOMEM;
        sse->context = c;
        /* Event ids carry a boot id: ids from an earlier oly-http never match the ring. */
        if (getrandom(b, sizeof b, 0) != (ssize_t) sizeof b) {
                free(sse);
                return -EIO;
        }
        for (size_t i = 0; i < sizeof b; i++)
                snprintf(sse->boot + 2 * i, 3, "%02x", b[i]);
        r = sd_event_add_time_relative(c->event, &sse->heartbeat, CLOCK_MONOTONIC, HTTP_SSE_HEARTBEAT_USEC,
                                       USEC_PER_SEC, on_heartbeat, sse);
        if (r < 0) {
                free(sse);
                return r;
        }
        *ret = sse;
        return 0;
}

void http_sse_close_all(HttpSse *sse) {
        if (!sse)
                return;
        sse->closing = true;
        LIST_FOREACH (clients, c, sse->clients)
                client_wake(c);
}

HttpSse *http_sse_free(HttpSse *sse) {
        if (!sse)
                return NULL;
        assert(!sse->clients); /* MHD has been stopped: it freed them */
        while (sse->fetches)
                fetch_free(sse->fetches);
        sd_event_source_disable_unref(sse->heartbeat);
        for (size_t i = 0; i < HTTP_SSE_RING; i++)
                free(sse->ring[i].text);
        return mfree(sse);
}
