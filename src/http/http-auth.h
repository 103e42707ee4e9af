/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Authentication: login (Argon2id on a worker), tokens (random, stored in the daemon as SHA-256 digests,
 * validations cached for a few seconds), lockouts, client addresses, Origin checks. */
#pragma once

#include <stdbool.h>

#include "http-def.h"
#include "http-server.h"

int http_tokens_new(HttpTokenCache **ret);
HttpTokenCache *http_tokens_free(HttpTokenCache *c);
/* Whether digest was validated by the daemon less than HTTP_TOKEN_CACHE_USEC ago and has not expired. */
bool http_tokens_valid(HttpTokenCache *c, const char *digest, usec_t now);
void http_tokens_remember(HttpTokenCache *c, const char *digest, usec_t expires_at, usec_t now);
void http_tokens_forget(HttpTokenCache *c, const char *digest);
/* A new password revoked every login: nothing validated before is trusted any more. */
void http_tokens_forget_all(HttpTokenCache *c);

/* The lowercase hex SHA-256 of a well-formed token (43 characters of base64url); -EINVAL otherwise. */
int http_token_digest(const char *token, char ret[static HTTP_DIGEST_STRLEN + 1]);

/* Origin must be http://<host> or https://<host>. */
bool http_auth_origin_matches(const char *origin, const char *host);
/* Host names a loopback address (localhost, 127.0.0.0/8, [::1]), with or without a port. Without
 * authentication only such requests are served: a page on another name that resolves to 127.0.0.1
 * (DNS rebinding) must not reach the API. */
bool http_auth_host_is_loopback(const char *host);

/* Runs next(req, NULL, NULL) once req carries a valid token (or at once with --no-auth); else 401. */
void http_auth_require(HttpRequest *req, HttpReplyHandler next);

/* Routes */
void http_auth_status(HttpRequest *req);
void http_auth_login(HttpRequest *req);
void http_auth_logout(HttpRequest *req);
