/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Request arguments (see http-args.h). */
#include <inttypes.h>

#include "http-args.h"
#include "http-json.h"
#include "http-response.h"
#include "parse-util.h"

const char *http_args_query(HttpRequest *req, const char *key) {
        return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, key);
}

bool http_args_body(HttpRequest *req, bool optional) {
        if (req->body.len == 0 && optional) {
                req->json = json_object_new_object();
                if (!req->json) {
                        http_respond(req, 500, NULL);
                        return false;
                }
                return true;
        }
        if (http_json_parse_object(req->body.data, req->body.len, &req->json) < 0) {
                http_respond_error(req, 400, "the body must be a JSON object");
                return false;
        }
        return true;
}

json_object *http_args_member(HttpRequest *req, const char *key) {
        json_object *v = NULL;
        (void) json_object_object_get_ex(req->json, key, &v);
        return v;
}

bool http_args_int(HttpRequest *req, const char *key, int64_t min, int64_t max, int64_t def, int64_t *ret) {
        json_object *v = http_args_member(req, key);
        int64_t i;

        if (!v) {
                *ret = def;
                return true;
        }
        if (!json_object_is_type(v, json_type_int) || (i = json_object_get_int64(v)) < min || i > max) {
                http_respond_error(req, 400, "\"%s\" must be an integer from %" PRIi64 " to %" PRIi64, key,
                                   min, max);
                return false;
        }
        *ret = i;
        return true;
}

bool http_args_bool(HttpRequest *req, const char *key, bool def, bool *ret) {
        json_object *v = http_args_member(req, key);
        if (!v) {
                *ret = def;
                return true;
        }
        if (!json_object_is_type(v, json_type_boolean)) {
                http_respond_error(req, 400, "\"%s\" must be true or false", key);
                return false;
        }
        *ret = json_object_get_boolean(v);
        return true;
}

bool http_args_string(HttpRequest *req, const char *key, size_t max, const char **ret) {
        json_object *v = http_args_member(req, key);
        if (!v) {
                *ret = NULL;
                return true;
        }
        if (!json_object_is_type(v, json_type_string) || (size_t) json_object_get_string_len(v) > max ||
            strlen(json_object_get_string(v)) != (size_t) json_object_get_string_len(v)) {
                http_respond_error(req, 400, "\"%s\" must be a string of at most %zu bytes", key, max);
                return false;
        }
        *ret = json_object_get_string(v);
        return true;
}

bool http_args_query_uint(HttpRequest *req, const char *key, uint64_t min, uint64_t max, uint64_t def,
                          uint64_t *ret) {
        const char *v = http_args_query(req, key);
        if (!v) {
                *ret = def;
                return true;
        }
        if (parse_uint_range(v, min, max, ret) < 0) {
                http_respond_error(req, 400, "'%s' must be a number from %" PRIu64 " to %" PRIu64, key, min,
                                   max);
                return false;
        }
        return true;
}
