/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Authentication (see http-auth.h). The daemon keeps the password hash, the token digests and the
 * lockouts; oly-http only verifies the password (on a worker thread) and caches token validations. */
#include <argon2.h>
#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/random.h>

#include "base64url.h"
#include "http-auth.h"
#include "http-response.h"
#include "http-worker.h"
#include "log.h"
#include "oly-def.h"

typedef struct TokenEntry {
        char digest[HTTP_DIGEST_STRLEN + 1];
        usec_t checked_at, expires_at;
} TokenEntry;

struct HttpTokenCache {
        TokenEntry entries[HTTP_TOKEN_CACHE_SIZE];
};

int http_tokens_new(HttpTokenCache **ret) {
        *ret = calloc(1, sizeof(HttpTokenCache));
        return *ret ? 0 : -ENOMEM;
}

HttpTokenCache *http_tokens_free(HttpTokenCache *c) {
        if (c)
                explicit_bzero(c, sizeof *c);
        return mfree(c);
}

/* Digests are uniformly random: their first hex digits pick the slot. */
static TokenEntry *token_slot(HttpTokenCache *c, const char *digest) {
        unsigned v = 0;
        for (int i = 0; i < 6 && digest[i]; i++)
                v = v * 16 + (unsigned) (digest[i] <= '9' ? digest[i] - '0' : digest[i] - 'a' + 10);
        return &c->entries[v % HTTP_TOKEN_CACHE_SIZE];
}

bool http_tokens_valid(HttpTokenCache *c, const char *digest, usec_t now) {
        TokenEntry *e = token_slot(c, digest);
        return streq(e->digest, digest) && now < e->checked_at + HTTP_TOKEN_CACHE_USEC && now < e->expires_at;
}

void http_tokens_remember(HttpTokenCache *c, const char *digest, usec_t expires_at, usec_t now) {
        TokenEntry *e = token_slot(c, digest);
        snprintf(e->digest, sizeof e->digest, "%s", digest);
        e->checked_at = now;
        e->expires_at = expires_at;
}

void http_tokens_forget(HttpTokenCache *c, const char *digest) {
        TokenEntry *e = token_slot(c, digest);
        if (streq(e->digest, digest))
                *e = (TokenEntry) {};
}

void http_tokens_forget_all(HttpTokenCache *c) {
        explicit_bzero(c, sizeof *c);
}

static bool is_base64url(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int http_token_digest(const char *token, char ret[static HTTP_DIGEST_STRLEN + 1]) {
        static const char hex[] = "0123456789abcdef";
        uint8_t d[32];

        if (!token || strlen(token) != HTTP_TOKEN_STRLEN)
                return -EINVAL;
        for (size_t i = 0; i < HTTP_TOKEN_STRLEN; i++)
                if (!is_base64url(token[i]))
                        return -EINVAL;
        if (gnutls_hash_fast(GNUTLS_DIG_SHA256, token, HTTP_TOKEN_STRLEN, d) < 0)
                return -EIO;
        for (size_t i = 0; i < sizeof d; i++) {
                ret[2 * i] = hex[d[i] >> 4];
                ret[2 * i + 1] = hex[d[i] & 15];
        }
        ret[HTTP_DIGEST_STRLEN] = 0;
        return 0;
}

/* 32 random bytes as 43 characters of unpadded base64url. */
static int token_new(char ret[static HTTP_TOKEN_STRLEN + 1]) {
        uint8_t b[HTTP_TOKEN_BYTES];
        _cleanup_(erase_and_freep) char *s = NULL;
        int r;

        if (getrandom(b, sizeof b, 0) != (ssize_t) sizeof b)
                return -errno ?: -EIO;
        r = base64url_encode(b, sizeof b, &s);
        explicit_bzero(b, sizeof b);
        if (r < 0)
                return r;
        if (strlen(s) != HTTP_TOKEN_STRLEN)
                return -EINVAL;
        memcpy(ret, s, HTTP_TOKEN_STRLEN + 1);
        return 0;
}

bool http_auth_origin_matches(const char *origin, const char *host) {
        const char *rest;

        if (isempty(host))
                return false;
        rest = startswith(origin, "http://") ?: startswith(origin, "https://");
        return rest && strcasecmp(rest, host) == 0;
}

bool http_auth_host_is_loopback(const char *host) {
        char name[HTTP_HOST_NAME_MAX];
        const char *end;
        struct in_addr a4;
        struct in6_addr a6;

        if (isempty(host))
                return false;
        if (host[0] == '[') {
                end = strchr(host, ']');
                if (!end || (end[1] != 0 && end[1] != ':'))
                        return false;
                host++;
        } else {
                end = strchr(host, ':');
                if (!end)
                        end = host + strlen(host);
                else if (strchr(end + 1, ':'))
                        return false; /* an unbracketed IPv6 address is not a Host */
        }
        if ((size_t) (end - host) >= sizeof name)
                return false;
        memcpy(name, host, (size_t) (end - host));
        name[end - host] = 0;
        if (strcasecmp(name, "localhost") == 0)
                return true;
        if (inet_pton(AF_INET, name, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;
        if (inet_pton(AF_INET6, name, &a6) == 1)
                return IN6_IS_ADDR_LOOPBACK(&a6);
        return false;
}

/* The token a request carries: "Authorization: Bearer <t>" first, else the cookie. */
static const char *request_token(HttpRequest *req) {
        const char *a = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        if (a && strncasecmp(a, "Bearer ", 7) == 0) {
                a += 7;
                while (*a == ' ')
                        a++;
                return a;
        }
        return MHD_lookup_connection_value(req->connection, MHD_COOKIE_KIND, HTTP_COOKIE_NAME);
}

static void on_check_token(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        uint64_t expires;

        if (error) {
                if (sd_bus_error_has_name(error, OLY_ERROR_UNAUTHORIZED))
                        return http_respond_error(req, 401, NULL, "the token is invalid or has expired");
                return http_respond_bus_error(req, error);
        }
        if (sd_bus_message_read(reply, "t", &expires) < 0)
                return http_respond_error(req, 500, NULL, "bad reply from the daemon");
        http_tokens_remember(req->server->tokens, req->digest, expires, now_usec(CLOCK_REALTIME));
        req->after_auth(req, NULL, NULL);
}

void http_auth_require(HttpRequest *req, HttpReplyHandler next) {
        HttpServer *s = req->server;
        const char *token;

        if (s->no_auth)
                return next(req, NULL, NULL);
        token = request_token(req);
        if (!token)
                return http_respond_error(req, 401, NULL, "authentication required: log in first");
        if (http_token_digest(token, req->digest) < 0)
                return http_respond_error(req, 401, NULL, "the token is invalid or has expired");
        if (http_tokens_valid(s->tokens, req->digest, now_usec(CLOCK_REALTIME)))
                return next(req, NULL, NULL);
        req->after_auth = next;
        http_request_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "CheckToken", 0, on_check_token, "s", req->digest);
}

/* ---- GET /api/auth/status ---- */

static void status_respond(HttpRequest *req, bool authenticated) {
        json_object *o = json_object_new_object();
        if (!o)
                return http_request_respond(req, 500, NULL);
        json_object_object_add(o, "auth_required", json_object_new_boolean(!req->server->no_auth));
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
        http_tokens_remember(req->server->tokens, req->digest, expires, now_usec(CLOCK_REALTIME));
        status_respond(req, true);
}

static void on_status_password(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        HttpServer *s = req->server;
        const char *token;
        int b;

        if (error)
                return http_respond_bus_error(req, error);
        if (sd_bus_message_read(reply, "v", "b", &b) < 0)
                return http_respond_error(req, 500, NULL, "bad reply from the daemon");
        req->u1 = b;
        if (s->no_auth)
                return status_respond(req, true);
        token = request_token(req);
        if (!token || http_token_digest(token, req->digest) < 0)
                return status_respond(req, false);
        if (http_tokens_valid(s->tokens, req->digest, now_usec(CLOCK_REALTIME)))
                return status_respond(req, true);
        http_request_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "CheckToken", 0, on_status_token, "s", req->digest);
}

void http_auth_status(HttpRequest *req) {
        http_request_call(req, OLY_MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", 0, on_status_password,
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
        Login *next, *prev;
};

static void login_unlist(Login *l) {
        HttpServer *s = l->req->server;

        if (!l->listed)
                return;
        if (l->prev)
                l->prev->next = l->next;
        else
                s->logins = l->next;
        if (l->next)
                l->next->prev = l->prev;
        l->next = l->prev = NULL;
        l->listed = false;
}

/* The lockout is checked before the password is verified, and a failure recorded after: logins from one
 * client that overlap would all pass the check before the first failure counts, turning 3 guesses per
 * lockout into as many as the worker queue holds. So one login per client is verified at a time. */
static bool login_list(Login *l) {
        HttpServer *s = l->req->server;

        for (Login *i = s->logins; i; i = i->next)
                if (streq(i->req->client, l->req->client))
                        return false;
        l->next = s->logins;
        if (s->logins)
                s->logins->prev = l;
        s->logins = l;
        l->listed = true;
        return true;
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

static bool is_loopback(const struct sockaddr *sa) {
        if (sa->sa_family == AF_INET)
                return (ntohl(((const struct sockaddr_in *) sa)->sin_addr.s_addr) >> 24) == 127;
        if (sa->sa_family == AF_INET6) {
                const struct in6_addr *a = &((const struct sockaddr_in6 *) sa)->sin6_addr;
                return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
        }
        return sa->sa_family == AF_UNIX;
}

/* The peer's address as text (IPv4-mapped IPv6 addresses as IPv4). */
static void peer_address(const struct sockaddr *sa, char *buf, size_t size) {
        snprintf(buf, size, "unknown");
        if (!sa)
                return;
        if (sa->sa_family == AF_INET)
                (void) inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, buf, (socklen_t) size);
        else if (sa->sa_family == AF_INET6) {
                const struct in6_addr *a = &((const struct sockaddr_in6 *) sa)->sin6_addr;
                if (IN6_IS_ADDR_V4MAPPED(a))
                        (void) inet_ntop(AF_INET, a->s6_addr + 12, buf, (socklen_t) size);
                else
                        (void) inet_ntop(AF_INET6, a, buf, (socklen_t) size);
        } else if (sa->sa_family == AF_UNIX)
                snprintf(buf, size, "local");
}

/* The last entry of X-Forwarded-For (the one our proxy added), if it is an address. */
static bool forwarded_address(const char *xff, char *buf, size_t size) {
        const char *comma = strrchr(xff, ',');
        const char *v = comma ? comma + 1 : xff;
        char tmp[HTTP_CLIENT_MAX];
        uint8_t bin[sizeof(struct in6_addr)];
        size_t n;

        while (*v == ' ' || *v == '\t')
                v++;
        n = strcspn(v, " \t");
        if (n == 0 || n >= sizeof tmp)
                return false;
        memcpy(tmp, v, n);
        tmp[n] = 0;
        if (inet_pton(AF_INET, tmp, bin) != 1 && inet_pton(AF_INET6, tmp, bin) != 1)
                return false;
        snprintf(buf, size, "%s", tmp);
        return true;
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
                return http_respond_error(req, 500, NULL, "bad reply from the daemon");
        http_tokens_remember(req->server->tokens, req->digest, expires, now);
        o = json_object_new_object();
        if (!o)
                return http_request_respond(req, 500, NULL);
        json_object_object_add(o, "token", json_object_new_string(l->token));
        json_object_object_add(o, "expires_at", http_json_time(expires));
        r = http_response_json(o);
        if (!r)
                return http_request_respond(req, 500, NULL);
        snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%" PRIu64,
                 HTTP_COOKIE_NAME, l->token, expires > now ? (expires - now) / USEC_PER_SEC : 0);
        (void) MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
        explicit_bzero(cookie, sizeof cookie);
        http_request_respond(req, 200, r);
}

static void login_add_token(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        Login *l = req->data;
        int r;

        if (error)
                log_warning("Failed to reset the login failures of %s: %s", req->client, error->message);
        r = token_new(l->token);
        if (r >= 0)
                r = http_token_digest(l->token, req->digest);
        if (r < 0)
                return http_respond_error(req, 500, NULL, "cannot make a token: %s", strerror(-r));
        http_request_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "AddToken", 0, login_respond_token, "s", req->digest);
}

static void login_failed(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        if (error)
                log_warning("Failed to record a login failure of %s: %s", req->client, error->message);
        log_notice("Failed web login from %s.", req->client);
        http_respond_error(req, 401, NULL, "wrong password");
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
                http_request_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "ResetLoginFailures", 0, login_add_token, "s",
                                  req->client);
        else if (l->result == ARGON2_VERIFY_MISMATCH)
                http_request_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "RecordLoginFailure", 0, login_failed, "s",
                                  req->client);
        else {
                log_error("Cannot verify the web password: %s", argon2_error_message(l->result));
                http_respond_error(req, 500, NULL, "the stored password hash cannot be used: %s",
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
                return http_respond_error(req, 500, NULL, "bad reply from the daemon");
        if (isempty(phc))
                return http_respond_error(req, 403, NULL, "no web password has been set (set one with the oly CLI)");
        l->phc = strdup(phc);
        if (!l->phc)
                return http_request_respond(req, 500, NULL);
        r = http_workers_submit(req->server->workers, login_verify_work, login_verify_done, l);
        if (r < 0)
                return http_respond_error(req, 503, NULL, "too many logins in progress, try again");
        req->working = true;
}

static void login_respond_busy(HttpRequest *req, uint64_t sec, const char *message) {
        struct MHD_Response *r = http_response_error("too_many_requests", message);
        char retry[32];

        if (r) {
                snprintf(retry, sizeof retry, "%" PRIu64, sec);
                (void) MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry);
        }
        http_request_respond(req, 429, r);
}

static void login_check_lockout(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        uint64_t until, now = now_usec(CLOCK_REALTIME);

        if (error)
                return http_respond_bus_error(req, error);
        if (sd_bus_message_read(reply, "t", &until) < 0)
                return http_respond_error(req, 500, NULL, "bad reply from the daemon");
        if (until > now)
                return login_respond_busy(req, (until - now + USEC_PER_SEC - 1) / USEC_PER_SEC,
                                          "too many failed logins from this address; try later");
        http_request_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "GetPasswordHash", 0, login_check_password, NULL);
}

static void login_trust(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        const union MHD_ConnectionInfo *ci;
        const struct sockaddr *sa;
        const char *xff;
        int trust = 0;

        if (error)
                return http_respond_bus_error(req, error);
        if (sd_bus_message_read(reply, "v", "b", &trust) < 0)
                return http_respond_error(req, 500, NULL, "bad reply from the daemon");
        ci = MHD_get_connection_info(req->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        sa = ci ? ci->client_addr : NULL;
        peer_address(sa, req->client, sizeof req->client);
        xff = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "X-Forwarded-For");
        if (trust && sa && is_loopback(sa) && xff)
                (void) forwarded_address(xff, req->client, sizeof req->client);
        if (!login_list(req->data))
                return login_respond_busy(req, 1, "a login from this address is in progress; try again");
        http_request_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "GetLoginLockout", 0, login_check_lockout, "s",
                          req->client);
}

void http_auth_login(HttpRequest *req) {
        json_object *p;
        Login *l;

        if (http_json_parse_object(req->body.data, req->body.len, &req->json) < 0)
                return http_respond_error(req, 400, NULL, "the body must be a JSON object: {\"password\": \"...\"}");
        if (!json_object_object_get_ex(req->json, "password", &p) || !json_object_is_type(p, json_type_string))
                return http_respond_error(req, 400, NULL, "\"password\" must be a string");
        if ((size_t) json_object_get_string_len(p) > HTTP_PASSWORD_MAX)
                return http_respond_error(req, 400, NULL, "the password is longer than %u bytes", HTTP_PASSWORD_MAX);
        /* Verified as a C string: a NUL would make "secret\0anything" pass as "secret". */
        if (strlen(json_object_get_string(p)) != (size_t) json_object_get_string_len(p))
                return http_respond_error(req, 400, NULL, "the password must not contain NUL characters");
        l = calloc(1, sizeof *l);
        if (!l || !(l->password = strdup(json_object_get_string(p)))) {
                free(l);
                return http_request_respond(req, 500, NULL);
        }
        l->req = req;
        req->data = l;
        req->data_free = login_free;
        /* The password lives on in Login only. */
        explicit_bzero(req->body.data, req->body.len);
        json_object_put(TAKE_PTR(req->json));
        http_request_call(req, OLY_MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", 0, login_trust, "ss",
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
                                               HTTP_COOKIE_NAME "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        http_request_respond(req, 204, r);
}

static void logout_authenticated(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        if (isempty(req->digest)) /* --no-auth without a token */
                return logout_done(req, NULL, NULL);
        http_tokens_forget(req->server->tokens, req->digest);
        http_request_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "RevokeToken", 0, logout_done, "s", req->digest);
}

void http_auth_logout(HttpRequest *req) {
        http_auth_require(req, logout_authenticated);
}
