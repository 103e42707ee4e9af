/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One HTTP request of oly-http from MHD's first call to its end: its body, its per-route state, and the
 * parking of its connection while it waits for the daemon or a worker. */
#pragma once

#include <json-c/json.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "buf.h"
#include "http-context.h"
#include "list.h"

/* Called with the reply (or error) of an async D-Bus call made for a request, and as a route's handler
 * (then reply and error are NULL). It either makes the next call or responds. error is set (and reply may
 * be NULL) when the call failed. */
typedef void (*HttpReplyHandler)(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);

struct HttpRequest {
        HttpContext *context;
        struct MHD_Connection *connection;
        const char *method, *url; /* owned by MHD for the request's lifetime */
        Buf body;
        bool dispatched, suspended;
        bool working; /* a worker job runs for it */
        uint64_t discarded; /* body bytes beyond HTTP_BODY_MAX, dropped */
        struct MHD_Response *response;
        unsigned status;

        sd_bus_slot *slot; /* the daemon call in flight (http-bus.c) */
        HttpReplyHandler handler; /* what gets its reply */
        sd_event_source *hup; /* while suspended: the peer's socket, watched for it leaving */

        /* Per-route state */
        char id[65]; /* the session id or prefix from the URL */
        char digest[65]; /* the token's digest once authenticated ("" with --no-auth) */
        char client[64]; /* the client address, for login lockouts */
        struct json_object *json; /* the parsed body */
        uint64_t u1, u2; /* small per-route values (limits, offsets) */
        void *data; /* per-route heap state, freed with data_free */
        void (*data_free)(void *data);
        HttpReplyHandler after_auth; /* what to run once the token is validated */

        LIST_FIELDS(HttpRequest, suspended);
};

/* A request MHD began to read; NULL when out of memory. */
HttpRequest *http_request_new(HttpContext *c, struct MHD_Connection *connection, const char *method,
                              const char *url);
HttpRequest *http_request_free(HttpRequest *req);

/* Keeps a piece of the body. Beyond HTTP_BODY_MAX it is counted and dropped (the 413 is answered once
 * the upload ends: MHD cannot answer in the middle of one); -EFBIG past HTTP_BODY_DISCARD_MAX. */
int http_request_take_body(HttpRequest *req, const void *data, size_t size);
/* Whether the body was larger than HTTP_BODY_MAX. */
bool http_request_body_too_large(HttpRequest *req);

/* Whether an answer is on its way: a response, a daemon call or a worker job. */
bool http_request_pending(HttpRequest *req);
/* Gives MHD the response. */
enum MHD_Result http_request_queue(HttpRequest *req);
/* Parks the connection until the answer comes, watching for the client to leave. */
void http_request_suspend(HttpRequest *req);
/* Resumes a parked request (its answer came, or nobody waits for one any more). */
void http_request_resume(HttpRequest *req);
/* Resumes every parked request, dropping their daemon calls: before MHD stops. */
void http_request_resume_all(HttpContext *c);
