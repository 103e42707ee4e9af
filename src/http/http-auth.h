/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Authentication checks: Host and Origin, the token a request carries, the client's address for lockouts,
 * and the revocation of every login when the password changes. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "http-context.h"
#include "http-request.h"

/* Origin must be http://<host> or https://<host>. */
bool http_auth_origin_matches(const char *origin, const char *host);
/* Host names a loopback address (localhost, 127.0.0.0/8, [::1]), with or without a port. Without
 * authentication only such requests are served: a page on another name that resolves to 127.0.0.1
 * (DNS rebinding) must not reach the API. */
bool http_auth_host_is_loopback(const char *host);

/* The token req carries: "Authorization: Bearer <t>" first, else the cookie; NULL if none. */
const char *http_auth_request_token(HttpRequest *req);
/* Runs next(req, NULL, NULL) once req carries a valid token (or at once with --no-auth); else 401. */
void http_auth_require(HttpRequest *req, HttpReplyHandler next);
/* Fills req->client with the peer's address, "local" for any peer on this host (loopback, UNIX socket); with
 * trust_forwarded, a loopback peer's (a reverse proxy's) last X-Forwarded-For entry instead. */
void http_auth_client_address(HttpRequest *req, bool trust_forwarded);
/* Watches a new connection to the daemon for the password changing (bus NULL: it went away). */
int http_auth_bus_changed(HttpContext *c, sd_bus *bus);
