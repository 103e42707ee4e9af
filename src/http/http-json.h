/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The JSON of oly-http: the Session object written straight into a buffer wherever it is sent (lists,
 * single sessions, events) — the same bytes json-c writes with JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE, without building objects — the API's times, and strict body parsing. */
#pragma once

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "buf.h"
#include "time-util.h"

/* A JSON string: quoted and escaped as json-c does. */
int http_json_put_string(Buf *b, const char *s);
/* An RFC 3339 time as http_json_time() gives it ("…T…​.123456Z"), or null for 0. */
int http_json_put_time(Buf *b, usec_t t);
/* Reads one Session struct (sssasssuitttbb) from m and writes it as the API's Session object, like
 * the API documents it. Returns 1 when one was read, 0 at the end of the array, < 0 on error.
 * ret_id (optional) points into m; ret_created (optional) is its created_at in µs. */
int http_json_put_session(Buf *b, sd_bus_message *m, const char **ret_id, uint64_t *ret_created);

static inline void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

/* An RFC 3339 time as a JSON string, or NULL (JSON null) for 0. */
json_object *http_json_time(usec_t t);
/* Parses a request body strictly (RFC 8259, depth-bounded) into an object. -EINVAL when it is not one. */
int http_json_parse_object(const void *buf, size_t len, json_object **ret);
