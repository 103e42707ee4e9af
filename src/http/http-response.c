/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Responses (see http-response.h). */
#include <stdarg.h>
#include <stdio.h>

#include "http-def.h"
#include "http-json.h"
#include "http-response.h"
#include "oly-def.h"

#define HTTP_CSP                                                                           \
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; " \
        "frame-ancestors 'none'"

void http_response_add_headers(struct MHD_Response *r, bool api) {
        (void) MHD_add_response_header(r, "Content-Security-Policy", HTTP_CSP);
        (void) MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        (void) MHD_add_response_header(r, "X-Frame-Options", "DENY");
        (void) MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
        if (api)
                (void) MHD_add_response_header(r, "Cache-Control", "no-store");
}

struct MHD_Response *http_response_json(json_object *o) {
        size_t len;
        const char *s = json_object_to_json_string_length(
                o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        struct MHD_Response *r;

        if (!s)
                return NULL;
        r = MHD_create_response_from_buffer(len, (void *) s, MHD_RESPMEM_MUST_COPY);
        if (r)
                (void) MHD_add_response_header(r, "Content-Type", "application/json");
        return r;
}

struct MHD_Response *http_response_error(const char *code, const char *message) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *e = json_object_new_object();
        if (!o || !e)
                return NULL;
        json_object_object_add(e, "code", json_object_new_string(code));
        json_object_object_add(e, "message", json_object_new_string(message));
        json_object_object_add(o, "error", TAKE_PTR(e));
        return http_response_json(o);
}

const char *http_response_code_name(unsigned status) {
        switch (status) {
        case 400:
                return "bad_request";
        case 401:
                return "unauthorized";
        case 403:
                return "forbidden";
        case 404:
                return "not_found";
        case 405:
                return "method_not_allowed";
        case 409:
                return "conflict";
        case 413:
                return "payload_too_large";
        case 429:
                return "too_many_requests";
        case 503:
                return "unavailable";
        case 504:
                return "timeout";
        default:
                return status >= 500 ? "internal" : "bad_request";
        }
}

struct MHD_Response *http_response_json_buf(Buf *b) {
        struct MHD_Response *r = MHD_create_response_from_buffer(b->len, b->data, MHD_RESPMEM_MUST_FREE);

        if (!r)
                return NULL;
        *b = (Buf){}; /* the response owns it */
        (void) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        return r;
}

void http_respond(HttpRequest *req, unsigned status, struct MHD_Response *resp) {
        if (!resp) {
                status = 500;
                resp = http_response_error("internal", "out of memory");
                if (!resp)
                        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        }
        if (req->response) { /* a route answered twice: keep the first */
                MHD_destroy_response(resp);
                return;
        }
        http_response_add_headers(resp, startswith(req->url, "/api/"));
        req->response = resp;
        req->status = status;
        http_request_resume(req);
}

void http_respond_json(HttpRequest *req, unsigned status, json_object *o) {
        struct MHD_Response *r = o ? http_response_json(o) : NULL;
        json_object_put(o);
        http_respond(req, status, r);
}

void http_respond_empty(HttpRequest *req, unsigned status) {
        http_respond(req, status, MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT));
}

void http_respond_error(HttpRequest *req, unsigned status, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        /* One line: a daemon message never breaks the shape. */
        for (char *p = msg; *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';
        http_respond(req, status, http_response_error(http_response_code_name(status), msg));
}

unsigned http_response_bus_error_status(const sd_bus_error *error, const char **ret_message) {
        static const struct {
                const char *name;
                unsigned status;
        } table[] = {
                { OLY_ERROR_NO_SUCH_SESSION, 404 },   { OLY_ERROR_NOT_FOUND, 404 },
                { OLY_ERROR_AMBIGUOUS_SESSION, 409 }, { OLY_ERROR_NOT_RUNNING, 409 },
                { OLY_ERROR_INVALID_ARGUMENT, 400 },  { OLY_ERROR_EXEC_FAILED, 400 },
                { OLY_ERROR_LIMIT_REACHED, 429 },     { OLY_ERROR_SHUTTING_DOWN, 503 },
                { OLY_ERROR_UNAUTHORIZED, 401 },      { SD_BUS_ERROR_NO_REPLY, 504 },
                { SD_BUS_ERROR_DISCONNECTED, 503 },   { SD_BUS_ERROR_TIMEOUT, 504 },
                { SD_BUS_ERROR_UNKNOWN_METHOD, 501 }, { SD_BUS_ERROR_UNKNOWN_INTERFACE, 501 },
                { SD_BUS_ERROR_UNKNOWN_OBJECT, 501 }, { SD_BUS_ERROR_UNKNOWN_PROPERTY, 501 },
        };
        unsigned status = 500;
        const char *message = error && error->message ? error->message : "the daemon call failed";

        for (size_t i = 0; error && error->name && i < ELEMENTSOF(table); i++)
                if (sd_bus_error_has_name(error, table[i].name)) {
                        status = table[i].status;
                        break;
                }
        if (error && (sd_bus_error_has_name(error, SD_BUS_ERROR_NO_REPLY) ||
                      sd_bus_error_has_name(error, SD_BUS_ERROR_TIMEOUT)))
                /* The daemon is there but slow to finish: e.g. input for a program that does not read. */
                message = "the oly daemon did not finish in time (a program that does not read its input?)";
        else if (status == 503 && (!error || !error->name || !startswith(error->name, OLY_ERROR_PREFIX)))
                message = "the oly daemon is not reachable";
        else if (status == 501) {
                status = 500;
                message = "the oly daemon does not implement this (is it older than oly-http?)";
        }
        *ret_message = message;
        return status;
}

void http_respond_bus_error(HttpRequest *req, const sd_bus_error *error) {
        const char *message;
        unsigned status = http_response_bus_error_status(error, &message);
        http_respond_error(req, status, "%s", message);
}

void http_respond_reply_empty(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        if (error)
                return http_respond_bus_error(req, error);
        http_respond_empty(req, 204);
}
