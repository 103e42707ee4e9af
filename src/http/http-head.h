/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The first request head of a connection, peeked before routing: enough of it to tell a WebSocket attach
 * request (which goes to the WebSocket bridge) from everything else (which goes to libmicrohttpd).
 * A pure parser of untrusted bytes (src/fuzz/fuzz-http-head.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_FIELD_MAX 256 /* bytes kept of Host, Origin and the token; longer ones are kept empty */
#define HTTP_HEAD_ID_MAX 64

typedef struct HttpHead {
        size_t length;           /* bytes of the head including the blank line */
        bool attach;             /* GET /api/sessions/<id>/attach with Upgrade: websocket */
        bool replay;             /* ?replay=1 */
        char id[HTTP_HEAD_ID_MAX + 1];
        char host[HTTP_HEAD_FIELD_MAX + 1];
        char origin[HTTP_HEAD_FIELD_MAX + 1];
        bool has_origin;
        char token[HTTP_HEAD_FIELD_MAX + 1]; /* from "Authorization: Bearer" or the oly_token cookie */
        bool http11;                         /* HTTP/1.1 or a later 1.x: Host is required */
        unsigned n_host;                     /* Host headers seen */
} HttpHead;

/* Parses buf[0..len). Returns 0 when a whole head was found (ret filled), -EAGAIN when the blank line
 * has not arrived yet, -EBADMSG when the bytes are not an HTTP/1.x request head: a request line that is
 * not "token SP visible-ASCII SP HTTP/1.d CRLF" (refused as soon as it is complete, and a method that
 * cannot be a token as soon as it is seen), a field name that is not a token, a control byte in a value. */
int http_head_parse(const char *buf, size_t len, HttpHead *ret);

/* The value of cookie name in a Cookie header value, copied into ret (size bytes); false if absent. */
bool http_head_cookie(const char *cookies, size_t len, const char *name, char *ret, size_t size);
