/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tokens and their cache (see http-token.h). */
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include "base64url.h"
#include "http-token.h"
#include "macro.h"

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
        return streq(e->digest, digest) && now < e->checked_at + HTTP_TOKEN_CACHE_USEC &&
               now < e->expires_at;
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
                *e = (TokenEntry){};
}

void http_tokens_forget_all(HttpTokenCache *c) {
        explicit_bzero(c, sizeof *c);
}

static bool is_base64url(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_';
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

int http_token_new(char ret[static HTTP_TOKEN_STRLEN + 1]) {
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
