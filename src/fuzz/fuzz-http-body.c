/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The JSON bodies of every route that takes one, through the routes' own code: the first byte picks the
 * route, the rest is the body. Below the routes, the daemon and MHD are stand-ins that record what the
 * route did: every body must end in exactly one answer or one daemon call, and a daemon call only with
 * a message that was built whole. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "http-api-auth.h"
#include "http-api-control.h"
#include "http-api-push.h"
#include "http-api-sessions.h"
#include "http-args.h"
#include "http-auth.h"
#include "http-bus.h"
#include "http-json.h"
#include "http-response.h"
#include "http-token.h"
#include "http-worker.h"
#include "oly-def.h"

static unsigned outcomes;
static sd_bus *bus;

static void outcome(void) {
        outcomes++;
}

/* ---- stand-ins for MHD responses and the daemon ---- */

void http_respond(HttpRequest *req, unsigned status, struct MHD_Response *resp) {
        if (status < 100 || status > 599)
                abort();
        if (resp)
                MHD_destroy_response(resp);
        outcome();
}

void http_respond_error(HttpRequest *req, unsigned status, const char *fmt, ...) {
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (status < 400 || status > 599 || msg[0] == 0)
                abort();
        outcome();
}

void http_respond_json(HttpRequest *req, unsigned status, json_object *o) {
        json_object_put(o);
        outcome();
}

void http_respond_bus_error(HttpRequest *req, const sd_bus_error *error) {
        outcome();
}

void http_respond_reply_empty(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        outcome();
}

struct MHD_Response *http_response_json(json_object *o) {
        return NULL;
}

struct MHD_Response *http_response_json_buf(Buf *b) {
        return NULL;
}

struct MHD_Response *http_response_error(const char *code, const char *message) {
        return NULL;
}

void http_bus_call(HttpRequest *req, const char *path, const char *iface, const char *method,
                   uint64_t timeout_usec, HttpReplyHandler handler, const char *types, ...) {
        if (!handler || !method)
                abort();
        outcome();
}

int http_bus_message_new(HttpRequest *req, const char *method, sd_bus_message **ret) {
        int r = sd_bus_message_new_method_call(bus, ret, OLY_BUS_NAME, OLY_MANAGER_PATH, OLY_MANAGER_IFACE,
                                               method);
        if (r < 0)
                abort();
        return r;
}

void http_bus_call_message(HttpRequest *req, sd_bus_message *m, uint64_t timeout_usec,
                           HttpReplyHandler handler) {
        /* Sealing checks that every container was closed. The caller keeps its reference. */
        if (!handler || sd_bus_message_seal(m, 1, 0) < 0)
                abort();
        outcome();
}

int http_workers_submit(HttpWorkers *w, HttpWorkFunc work, HttpWorkDone done, void *userdata) {
        return -EBUSY;
}

bool http_tokens_valid(HttpTokenCache *c, const char *digest, usec_t now) {
        return false;
}
void http_tokens_remember(HttpTokenCache *c, const char *digest, usec_t expires_at, usec_t now) {
}
void http_tokens_forget(HttpTokenCache *c, const char *digest) {
}
int http_token_digest(const char *token, char ret[static HTTP_DIGEST_STRLEN + 1]) {
        return -EINVAL;
}
int http_token_new(char ret[static HTTP_TOKEN_STRLEN + 1]) {
        return -EIO;
}
const char *http_auth_request_token(HttpRequest *req) {
        return NULL;
}
void http_auth_require(HttpRequest *req, HttpReplyHandler next) {
        next(req, NULL, NULL);
}
void http_auth_client_address(HttpRequest *req, bool trust_forwarded) {
        snprintf(req->client, sizeof req->client, "local");
}

/* ---- the routes ---- */

static const HttpReplyHandler routes[] = {
        http_api_auth_login,     http_api_sessions_create, http_api_control_input,
        http_api_control_resize, http_api_push_subscribe,  http_api_push_unsubscribe,
        http_api_control_stop,   http_api_control_kill,    http_api_control_notifications,
};

static sd_bus *fake_bus(void) {
        int fds[2];
        sd_bus *b = NULL;

        /* Messages are only built, never sent: a started bus on a socketpair nobody answers will do. */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) < 0 ||
            sd_bus_new(&b) < 0 || sd_bus_set_fd(b, fds[0], fds[0]) < 0 || sd_bus_start(b) < 0)
                abort();
        return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        HttpContext context = { .static_fd = -EBADF };
        HttpRequest req = { .context = &context };

        if (size < 1)
                return 0;
        if (!bus)
                bus = fake_bus();
        snprintf(req.id, sizeof req.id, "abcdefgh");
        if (size > 1) {
                req.body.data = malloc(size - 1);
                if (!req.body.data)
                        abort();
                memcpy(req.body.data, data + 1, size - 1);
                req.body.len = req.body.cap = size - 1;
        }
        outcomes = 0;
        routes[data[0] % ELEMENTSOF(routes)](&req, NULL, NULL);
        if (outcomes != 1)
                abort();
        if (req.data_free)
                req.data_free(req.data);
        json_object_putp(&req.json);
        free(req.body.data);
        return 0;
}
