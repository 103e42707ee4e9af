/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Authentication checks (see http-auth.h). The daemon keeps the token digests; oly-http caches their
 * validations (http-token.c). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

#include "http-auth.h"
#include "http-bus.h"
#include "http-response.h"
#include "http-token.h"
#include "log.h"
#include "oly-def.h"

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

const char *http_auth_request_token(HttpRequest *req) {
        const char *a =
                MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
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
                        return http_respond_error(req, 401, "the token is invalid or has expired");
                return http_respond_bus_error(req, error);
        }
        if (sd_bus_message_read(reply, "t", &expires) < 0)
                return http_respond_error(req, 500, "bad reply from the daemon");
        http_tokens_remember(req->context->tokens, req->digest, expires, now_usec(CLOCK_REALTIME));
        req->after_auth(req, NULL, NULL);
}

void http_auth_require(HttpRequest *req, HttpReplyHandler next) {
        HttpContext *s = req->context;
        const char *token;

        if (s->no_auth)
                return next(req, NULL, NULL);
        token = http_auth_request_token(req);
        if (!token)
                return http_respond_error(req, 401, "authentication required: log in first");
        if (http_token_digest(token, req->digest) < 0)
                return http_respond_error(req, 401, "the token is invalid or has expired");
        if (http_tokens_valid(s->tokens, req->digest, now_usec(CLOCK_REALTIME)))
                return next(req, NULL, NULL);
        req->after_auth = next;
        http_bus_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "CheckToken", 0, on_check_token, "s",
                      req->digest);
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

/* Every peer on this host is one client for the lockouts: any of the 2^24 loopback addresses is as easy to
 * send from as the next. */
#define HTTP_CLIENT_LOCAL "local"

/* The peer's address as text (IPv4-mapped IPv6 addresses as IPv4). */
static void peer_address(const struct sockaddr *sa, char *buf, size_t size) {
        snprintf(buf, size, "unknown");
        if (!sa)
                return;
        if (is_loopback(sa))
                snprintf(buf, size, HTTP_CLIENT_LOCAL);
        else if (sa->sa_family == AF_INET)
                (void) inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, buf,
                                 (socklen_t) size);
        else if (sa->sa_family == AF_INET6) {
                const struct in6_addr *a = &((const struct sockaddr_in6 *) sa)->sin6_addr;
                if (IN6_IS_ADDR_V4MAPPED(a))
                        (void) inet_ntop(AF_INET, a->s6_addr + 12, buf, (socklen_t) size);
                else
                        (void) inet_ntop(AF_INET6, a, buf, (socklen_t) size);
        }
}

/* The last entry of X-Forwarded-For (the one our proxy added), if it is an address; loopback ones are
 * HTTP_CLIENT_LOCAL too. */
static bool forwarded_address(const char *xff, char *buf, size_t size) {
        const char *comma = strrchr(xff, ',');
        const char *v = comma ? comma + 1 : xff;
        char tmp[HTTP_CLIENT_MAX];
        struct sockaddr_in a4 = { .sin_family = AF_INET };
        struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
        size_t n;

        while (*v == ' ' || *v == '\t')
                v++;
        n = strcspn(v, " \t");
        if (n == 0 || n >= sizeof tmp)
                return false;
        memcpy(tmp, v, n);
        tmp[n] = 0;
        if (inet_pton(AF_INET, tmp, &a4.sin_addr) == 1)
                peer_address((const struct sockaddr *) &a4, buf, size);
        else if (inet_pton(AF_INET6, tmp, &a6.sin6_addr) == 1)
                peer_address((const struct sockaddr *) &a6, buf, size);
        else
                return false;
        return true;
}

void http_auth_client_address(HttpRequest *req, bool trust_forwarded) {
        const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(req->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = ci ? ci->client_addr : NULL;
        const char *xff;

        peer_address(sa, req->client, sizeof req->client);
        xff = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "X-Forwarded-For");
        if (trust_forwarded && sa && is_loopback(sa) && xff)
                (void) forwarded_address(xff, req->client, sizeof req->client);
}

/* The daemon announces a new password (which revokes every login) as a change of Web.PasswordSet. */
static int on_web_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        HttpContext *c = userdata;
        const char *iface;

        if (sd_bus_message_read(m, "s", &iface) < 0 || !streq(iface, OLY_WEB_IFACE))
                return 0;
        http_tokens_forget_all(c->tokens);
        log_info("The web password changed: every earlier login is revoked.");
        return 0;
}

int http_auth_bus_changed(HttpContext *c, sd_bus *bus) {
        if (!bus)
                return 0;
        /* Floating: it goes away with the connection. */
        return sd_bus_match_signal(bus, NULL, NULL, OLY_MANAGER_PATH, "org.freedesktop.DBus.Properties",
                                   "PropertiesChanged", on_web_properties_changed, c);
}
