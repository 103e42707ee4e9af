/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"

static const char b64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64url_encode(const uint8_t *p, size_t n, char **ret) {
        char *s = malloc(n / 3 * 4 + 5), *o = s;
        const char *a = b64url_alphabet;
        size_t i = 0;

        if (!s)
                return -ENOMEM;
        for (; i + 2 < n; i += 3) {
                uint32_t v = (uint32_t) p[i] << 16 | (uint32_t) p[i + 1] << 8 | p[i + 2];
                *o++ = a[v >> 18 & 63], *o++ = a[v >> 12 & 63], *o++ = a[v >> 6 & 63], *o++ = a[v & 63];
        }
        if (n - i == 1) {
                uint32_t v = (uint32_t) p[i] << 16;
                *o++ = a[v >> 18 & 63], *o++ = a[v >> 12 & 63];
        } else if (n - i == 2) {
                uint32_t v = (uint32_t) p[i] << 16 | (uint32_t) p[i + 1] << 8;
                *o++ = a[v >> 18 & 63], *o++ = a[v >> 12 & 63], *o++ = a[v >> 6 & 63];
        }
        *o = 0;
        *ret = s;
        return 0;
}

int base64url_decode(const char *s, uint8_t *buf, size_t size) {
        uint32_t acc = 0;
        size_t n = 0, len = strlen(s);
        unsigned bits = 0;

        while (len > 0 && s[len - 1] == '=')
                len--;
        if (len % 4 == 1)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                const char *c = s[i] ? strchr(b64url_alphabet, s[i]) : NULL;
                if (!c)
                        return -EINVAL;
                acc = acc << 6 | (uint32_t) (c - b64url_alphabet);
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        if (n >= size)
                                return -EMSGSIZE;
                        buf[n++] = (uint8_t) (acc >> bits);
                }
        }
        if (acc & ((1u << bits) - 1)) /* non-canonical trailing bits */
                return -EINVAL;
        return n == size ? 0 : -EMSGSIZE;
}
