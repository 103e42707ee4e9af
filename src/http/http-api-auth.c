/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The auth routes: GET /api/auth/status, POST /api/auth/login (Argon2id verified on a worker), POST
 * /api/auth/logout. The daemon keeps the password hash, the token digests and the lockouts. */
#include <argon2.h>
#include <inttypes.h>
#include <stdio.h>

#include "http-api-auth.h"
#include "http-auth.h"
#include "http-bus.h"
#include "http-json.h"
#include "http-response.h"
#include "http-token.h"
#include "http-worker.h"
#include "list.h"
#include "log.h"
#include "oly-def.h"

/* ---- GET /api/auth/status ---- */

static void status_respond(HttpRequest *req, bool authenticated) {
        json_object *o = json_object_new_object();
        if (!o)
                return http_respond(req, 500, NULL);
        json_object_object_add(o, "auth_required", json_object_new_boolean(!req->context->no_auth));
        json_object_object_add(o, "authenticated", json_object_new_boolean(authenticated));
        json_object_object_add(o, "password_set", json_object_new_boolean(req->u1));
        http_respond_json(req, 200, o);
}

static void on_status_token(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        uint64_t expires;

        if (error && !sd_bus_error_has_name(error, OLY_ERROR_UNAUTHORIZED))
                return http_respond_bus_error(req, error);
        if (error || sd_bus_message_read(reply, "t", &expires) < 0)
                return status_respond(req, false);
        http_tokens_remember(req->context->tokens, req->digest, expires, now_usec(CLOCK_REALTIME));
        status_respond(req, true);
}

static void on_status_password(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        HttpContext *s = req->context;
        const char *token;
        int b;

        if (error)
                return http_respond_bus_error(req, error);
        if (sd_bus_message_read(reply, "v", "b", &b) < 0)
                return http_respond_error(req, 500, "bad reply from the daemon");
        req->u1 = b;
        if (s->no_auth)
                return status_respond(req, true);
        token = http_auth_request_token(req);
        if (!token || http_token_digest(token, req->digest) < 0)
                return status_respond(req, false);
        if (http_tokens_valid(s->tokens, req->digest, now_usec(CLOCK_REALTIME)))
                return status_respond(req, true);
        http_bus_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "CheckToken", 0, on_status_token, "s",
                      req->digest);
}

void http_api_auth_status(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        http_bus_call(req, OLY_MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", 0, on_status_password,
                      "ss", OLY_WEB_IFACE, "PasswordSet");
}

/* ---- POST /api/auth/login ---- */

typedef struct HttpLogin Login;
struct HttpLogin {
        HttpRequest *req;
        char *password;
        char *phc;
        int result; /* ARGON2_* */
        char token[HTTP_TOKEN_STRLEN + 1];
        bool listed;
        LIST_FIELDS(Login, logins);
};

static void login_unlist(Login *l) {
        if (!l->listed)
                return;
        LIST_REMOVE(logins, l->req->context->logins, l);
        l->req->context->n_logins--;
        l->listed = false;
}

/* The lockout is checked before the password is verified, and a failure recorded after: logins that overlap
 * would all pass the check before the first failure counts, turning 3 guesses per lockout into as many as
 * the worker queue holds. So one login per client is verified at a time, and only a few from all clients
 * together: the bound on all clients' failures is overshot by no more than those. */
static int login_list(Login *l) {
        HttpContext *c = l->req->context;

        LIST_FOREACH (logins, i, c->logins)
                if (streq(i->req->client, l->req->client))
                        return -EBUSY;
        if (c->n_logins >= HTTP_LOGINS_CHECKING_MAX)
                return -EAGAIN;
        LIST_PREPEND(logins, c->logins, l);
        c->n_logins++;
        l->listed = true;
        return 0;
}

static void login_free(void *p) {
        Login *l = p;
        if (!l)
                return;
        login_unlist(l);
        erase_and_free(l->password);
        free(l->phc);
        explicit_bzero(l->token, sizeof l->token);
        free(l);
}

static void login_respond_token(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        Login *l = req->data;
        _cleanup_(json_object_putp) json_object *o = NULL;
        struct MHD_Response *r;
        char cookie[256];
        uint64_t expires, now = now_usec(CLOCK_REALTIME);

        if (error)
                return http_respond_bus_error(req, error);
        if (sd_bus_message_read(reply, "t", &expires) < 0)
                return http_respond_error(req, 500, "bad reply from the daemon");
        http_tokens_remember(req->context->tokens, req->digest, expires, now);
        o = json_object_new_object();
        if (!o)
                return http_respond(req, 500, NULL);
        json_object_object_add(o, "token", json_object_new_string(l->token));
        json_object_object_add(o, "expires_at", http_json_time(expires));
        r = http_response_json(o);
        if (!r)
                return http_respond(req, 500, NULL);
        snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%" PRIu64,
                 HTTP_COOKIE_NAME, l->token, expires > now ? (expires - now) / USEC_PER_SEC : 0);
        (void) MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
        explicit_bzero(cookie, sizeof cookie);
        http_respond(req, 200, r);
}

static void login_add_token(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        Login *l = req->data;
        int r;

        if (error)
                log_warning("Failed to reset the login failures of %s: %s", req->client, error->message);
        r = http_token_new(l->token);
        if (r >= 0)
                r = http_token_digest(l->token, req->digest);
        if (r < 0)
                return http_respond_error(req, 500, "cannot make a token: %s", strerror(-r));
        http_bus_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "AddToken", 0, login_respond_token, "s",
                      req->digest);
}

static void login_failed(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        if (error)
                log_warning("Failed to record a login failure of %s: %s", req->client, error->message);
        log_notice("Failed web login from %s.", req->client);
        http_respond_error(req, 401, "wrong password");
}

static void login_verify_work(void *userdata) {
        Login *l = userdata;
        l->result = argon2id_verify(l->phc, l->password, strlen(l->password));
}

static void login_verify_done(void *userdata) {
        Login *l = userdata;
        HttpRequest *req = l->req;

        req->working = false;
        erase_and_free(TAKE_PTR(l->password));
        if (l->result == ARGON2_OK)
                http_bus_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "ResetLoginFailures", 0, login_add_token,
                              "s", req->client);
        else if (l->result == ARGON2_VERIFY_MISMATCH)
                http_bus_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "RecordLoginFailure", 0, login_failed,
                              "s", req->client);
        else {
                log_error("Cannot verify the web password: %s", argon2_error_message(l->result));
                http_respond_error(req, 500, "the stored password hash cannot be used: %s",
                                   argon2_error_message(l->result));
        }
}

static void login_check_password(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        Login *l = req->data;
        const char *phc;
        int r;

        if (error)
                return http_respond_bus_error(req, error);
        if (sd_bus_message_read(reply, "s", &phc) < 0)
                return http_respond_error(req, 500, "bad reply from the daemon");
        if (isempty(phc))
                return http_respond_error(req, 403,
                                          "no web password has been set (set one with the oly CLI)");
        l->phc = strdup(phc);
        if (!l->phc)
                return http_respond(req, 500, NULL);
        r = http_workers_submit(req->context->workers, login_verify_work, login_verify_done, l);
        if (r < 0)
                return http_respond_error(req, 503, "too many logins in progress, try again");
        req->working = true;
}

static void login_respond_busy(HttpRequest *req, uint64_t sec, const char *message) {
        struct MHD_Response *r = http_response_error("too_many_requests", message);
        char retry[32];

        if (r) {
                snprintf(retry, sizeof retry, "%" PRIu64, sec);
                (void) MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry);
        }
        http_respond(req, 429, r);
}

static void login_check_lockout(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        uint64_t until, now = now_usec(CLOCK_REALTIME);

        if (error)
                return http_respond_bus_error(req, error);
        if (sd_bus_message_read(reply, "t", &until) < 0)
                return http_respond_error(req, 500, "bad reply from the daemon");
        if (until > now)
                return login_respond_busy(req, (until - now + USEC_PER_SEC - 1) / USEC_PER_SEC,
                                          "too many failed logins; try later");
        http_bus_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "GetPasswordHash", 0, login_check_password,
                      NULL);
}

static void login_trust(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        int trust = 0, r;

        if (error)
                return http_respond_bus_error(req, error);
        if (sd_bus_message_read(reply, "v", "b", &trust) < 0)
                return http_respond_error(req, 500, "bad reply from the daemon");
        http_auth_client_address(req, trust);
        r = login_list(req->data);
        if (r == -EBUSY)
                return login_respond_busy(req, 1, "a login from this address is in progress; try again");
        if (r < 0)
                return login_respond_busy(req, 1, "too many logins in progress; try again");
        http_bus_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "GetLoginLockout", 0, login_check_lockout, "s",
                      req->client);
}

void http_api_auth_login(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        json_object *p;
        Login *l;

        if (http_json_parse_object(req->body.data, req->body.len, &req->json) < 0)
                return http_respond_error(req, 400,
                                          "the body must be a JSON object: {\"password\": \"...\"}");
        if (!json_object_object_get_ex(req->json, "password", &p) ||
            !json_object_is_type(p, json_type_string))
                return http_respond_error(req, 400, "\"password\" must be a string");
        if ((size_t) json_object_get_string_len(p) > HTTP_PASSWORD_MAX)
                return http_respond_error(req, 400, "the password is longer than %u bytes",
                                          HTTP_PASSWORD_MAX);
        /* Verified as a C string: a NUL would make "secret\0anything" pass as "secret". */
        if (strlen(json_object_get_string(p)) != (size_t) json_object_get_string_len(p))
                return http_respond_error(req, 400, "the password must not contain NUL characters");
        l = calloc(1, sizeof *l);
        if (!l || !(l->password = strdup(json_object_get_string(p)))) {
                free(l);
                return http_respond(req, 500, NULL);
        }
        l->req = req;
        req->data = l;
        req->data_free = login_free;
        /* The password lives on in Login only. */
        explicit_bzero(req->body.data, req->body.len);
        json_object_put(TAKE_PTR(req->json));
        http_bus_call(req, OLY_MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", 0, login_trust, "ss",
                      OLY_WEB_IFACE, "TrustForwardedFor");
}

/* ---- POST /api/auth/logout ---- */

static void logout_done(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        struct MHD_Response *r;

        if (error)
                return http_respond_bus_error(req, error);
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (r)
                (void) MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE,
                                               HTTP_COOKIE_NAME
                                               "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        http_respond(req, 204, r);
}

static void logout_authenticated(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        if (isempty(req->digest)) /* --no-auth without a token */
                return logout_done(req, NULL, NULL);
        http_tokens_forget(req->context->tokens, req->digest);
        http_bus_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "RevokeToken", 0, logout_done, "s", req->digest);
}

void http_api_auth_logout(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        /* A public route (one method, named in its 405): the token is checked here. */
        http_auth_require(req, logout_authenticated);
}
