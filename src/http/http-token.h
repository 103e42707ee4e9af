/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Login tokens: random, stored in the daemon as SHA-256 digests; the validations the daemon made are
 * cached here for a few seconds. */
#pragma once

#include <stdbool.h>

#include "http-context.h"
#include "http-def.h"
#include "time-util.h"

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
/* A new token: HTTP_TOKEN_BYTES random bytes as unpadded base64url. */
int http_token_new(char ret[static HTTP_TOKEN_STRLEN + 1]);
