/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A request's arguments: query parameters and members of its JSON body, each checked against its range.
 * The checks respond 400 with a message naming the argument and return false on a bad one. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "http-request.h"

/* The query parameter key, or NULL. */
const char *http_args_query(HttpRequest *req, const char *key);
/* The query parameter key as a number in [min, max]; absent: def. */
bool http_args_query_uint(HttpRequest *req, const char *key, uint64_t min, uint64_t max, uint64_t def,
                          uint64_t *ret);

/* Parses the body into req->json. An empty body is {} when optional. */
bool http_args_body(HttpRequest *req, bool optional);
/* The member key of the body: NULL when absent or null. */
json_object *http_args_member(HttpRequest *req, const char *key);
/* An integer member in [min, max]; absent: def. */
bool http_args_int(HttpRequest *req, const char *key, int64_t min, int64_t max, int64_t def, int64_t *ret);
/* A boolean member; absent: def. */
bool http_args_bool(HttpRequest *req, const char *key, bool def, bool *ret);
/* A string member of at most max bytes without NUL; absent: NULL. */
bool http_args_string(HttpRequest *req, const char *key, size_t max, const char **ret);
