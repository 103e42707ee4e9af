/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Responses: JSON bodies, the one error shape, security headers, daemon errors → HTTP, and answering a
 * request with one. */
#pragma once

#include <json-c/json.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "buf.h"
#include "http-request.h"
#include "macro.h"

/* A response whose body is the serialised o (o is not consumed). */
struct MHD_Response *http_response_json(json_object *o);
/* A JSON response that takes over b's bytes (b is left empty; on failure b is kept). */
struct MHD_Response *http_response_json_buf(Buf *b);
/* An error response: {"error":{"code":code,"message":message}}. */
struct MHD_Response *http_response_error(const char *code, const char *message);
/* The headers every response carries; api adds Cache-Control: no-store. */
void http_response_add_headers(struct MHD_Response *r, bool api);
/* The code name of an HTTP status for the error shape. */
const char *http_response_code_name(unsigned status);
/* The HTTP status and message for a failed daemon call. */
unsigned http_response_bus_error_status(const sd_bus_error *error, const char **ret_message);

/* Answers req: takes the response (NULL: 500). Resumes the connection if it was suspended. */
void http_respond(HttpRequest *req, unsigned status, struct MHD_Response *resp);
/* Responds with o (consumed). */
void http_respond_json(HttpRequest *req, unsigned status, json_object *o);
void http_respond_empty(HttpRequest *req, unsigned status);
void http_respond_error(HttpRequest *req, unsigned status, const char *fmt, ...) _printf_(3, 4);
/* Maps a failed daemon call to a response (404 NoSuchSession, 409 Ambiguous/NotRunning, 503 …). */
void http_respond_bus_error(HttpRequest *req, const sd_bus_error *error);
/* A reply handler for calls that return nothing: the daemon's error, else 204 No Content. */
void http_respond_reply_empty(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
