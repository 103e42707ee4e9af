/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building responses: JSON bodies, the one error shape, security headers, daemon errors → HTTP. */
#pragma once

#include <json-c/json.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "buf.h"
#include "http-json.h"
#include "http-server.h"
#include "macro.h"
#include "time-util.h"

/* A response whose body is the serialised o (o is not consumed). */
struct MHD_Response *http_response_json(json_object *o);
/* A JSON response that takes over b's bytes (b is left empty; on failure b is kept). */
struct MHD_Response *http_response_json_buf(Buf *b);
/* An error response: {"error":{"code":code,"message":message}}. */
struct MHD_Response *http_response_error(const char *code, const char *message);
/* The headers every response carries; api adds Cache-Control: no-store. */
void http_response_add_headers(struct MHD_Response *r, bool api);

/* Responds with o (consumed). */
void http_respond_json(HttpRequest *req, unsigned status, json_object *o);
void http_respond_empty(HttpRequest *req, unsigned status);
void http_respond_error(HttpRequest *req, unsigned status, const char *code, const char *fmt, ...) _printf_(4, 5);
/* Maps a failed daemon call to a response (404 NoSuchSession, 409 Ambiguous/NotRunning, 503 …). */
void http_respond_bus_error(HttpRequest *req, const sd_bus_error *error);
/* The HTTP status and message for a failed daemon call. */
unsigned http_bus_error_status(const sd_bus_error *error, const char **ret_message);

/* The code name of an HTTP status for the error shape. */
const char *http_status_code_name(unsigned status);
