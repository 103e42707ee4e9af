/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing Argon2id PHC strings (see argon2-phc.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "argon2-phc.h"
#include "macro.h"

/* "prefix" at *p, moving past it. */
static bool skip(const char **p, const char *e, const char *prefix) {
        size_t n = strlen(prefix);

        if ((size_t) (e - *p) < n || memcmp(*p, prefix, n) != 0)
                return false;
        *p += n;
        return true;
}

/* A decimal in [1, max] without sign or leading zero; -ERANGE above max. */
static int decimal(const char **p, const char *e, uint32_t max, uint32_t *ret) {
        uint64_t v = 0;
        const char *s = *p;

        if (s >= e || *s < '1' || *s > '9')
                return -EINVAL;
        for (; s < e && *s >= '0' && *s <= '9'; s++) {
                v = v * 10 + (uint64_t) (*s - '0');
                if (v > UINT32_MAX)
                        v = (uint64_t) UINT32_MAX + 1; /* keep reading, then refuse */
        }
        *p = s;
        if (v > max)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

static int base64_value(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

/* The bytes an unpadded standard base64 field of [s, e) decodes to; -EINVAL when it is not canonical. */
static int base64_length(const char *s, const char *e, size_t *ret) {
        size_t n = (size_t) (e - s);
        int last = 0;

        if (n == 0 || n % 4 == 1)
                return -EINVAL;
        for (const char *c = s; c < e; c++) {
                last = base64_value(*c);
                if (last < 0)
                        return -EINVAL;
        }
        /* The bits past the last whole byte must be zero, or two strings would decode the same. */
        if ((n % 4 == 2 && (last & 0x0f)) || (n % 4 == 3 && (last & 0x03)))
                return -EINVAL;
        *ret = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
        return 0;
}

int argon2_phc_parse(const char *s, size_t len, Argon2Phc *ret) {
        const char *p = s, *e = s + len, *salt, *hash;
        Argon2Phc a = {};
        uint32_t version;
        int r, range = 0;

        if (!skip(&p, e, "$argon2id$v="))
                return -EINVAL;
        r = decimal(&p, e, UINT32_MAX, &version);
        if (r < 0)
                return r;
        if (version != ARGON2_PHC_VERSION)
                return -EINVAL;
        if (!skip(&p, e, "$m="))
                return -EINVAL;
        r = decimal(&p, e, ARGON2_PHC_M_MAX_KIB, &a.m_kib);
        if (r == -ERANGE)
                range = r;
        else if (r < 0)
                return r;
        if (!skip(&p, e, ",t="))
                return -EINVAL;
        r = decimal(&p, e, ARGON2_PHC_T_MAX, &a.t);
        if (r == -ERANGE)
                range = r;
        else if (r < 0)
                return r;
        if (!skip(&p, e, ",p="))
                return -EINVAL;
        r = decimal(&p, e, ARGON2_PHC_P_MAX, &a.p);
        if (r == -ERANGE)
                range = r;
        else if (r < 0)
                return r;
        if (!skip(&p, e, "$"))
                return -EINVAL;
        salt = p;
        p = memchr(p, '$', (size_t) (e - p));
        if (!p)
                return -EINVAL;
        r = base64_length(salt, p, &a.salt_len);
        if (r < 0)
                return r;
        hash = ++p;
        r = base64_length(hash, e, &a.hash_len);
        if (r < 0)
                return r;
        if (range < 0)
                return range;
        if ((a.p > 0 && a.m_kib < 8 * a.p) || a.salt_len < ARGON2_PHC_SALT_MIN ||
            a.salt_len > ARGON2_PHC_SALT_MAX || a.hash_len < ARGON2_PHC_HASH_MIN ||
            a.hash_len > ARGON2_PHC_HASH_MAX)
                return -ERANGE;
        if (ret)
                *ret = a;
        return 0;
}
