/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON written straight into a buffer, for the Session object wherever it is sent (lists, single
 * sessions, events): the same bytes json-c writes with JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE, without building objects. */
#pragma once

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
