/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A growable byte buffer with a hard cap: appends fail with -ENOBUFS rather than grow without bound. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Buf {
        uint8_t *data;
        size_t len, cap, max; /* max 0: SIZE_MAX */
} Buf;

static inline void buf_free(Buf *b) {
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}
#define _cleanup_buf_free_ __attribute__((cleanup(buf_free)))

static inline int buf_reserve(Buf *b, size_t extra) {
        size_t max = b->max ? b->max : SIZE_MAX;
        if (extra > max - b->len)
                return -ENOBUFS;
        if (b->len + extra <= b->cap)
                return 0;
        size_t ncap = b->cap ? b->cap : 256;
        while (ncap < b->len + extra)
                ncap = ncap > SIZE_MAX / 2 ? SIZE_MAX : ncap * 2;
        if (ncap > max)
                ncap = max;
        uint8_t *d = realloc(b->data, ncap);
        if (!d)
                return -ENOMEM;
        b->data = d;
        b->cap = ncap;
        return 0;
}

static inline int buf_put(Buf *b, const void *p, size_t n) {
        int r = buf_reserve(b, n);
        if (r < 0)
                return r;
        if (n)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        return 0;
}

static inline int buf_puts(Buf *b, const char *s) {
        return buf_put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static inline int buf_printf(Buf *b, const char *fmt, ...) {
        char tmp[256];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;
        if ((size_t) n < sizeof tmp)
                return buf_put(b, tmp, (size_t) n);
        int r = buf_reserve(b, (size_t) n + 1);
        if (r < 0)
                return r;
        va_start(ap, fmt);
        vsnprintf((char *) b->data + b->len, (size_t) n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t) n;
        return 0;
}

/* Drops the first n bytes. */
static inline void buf_consume(Buf *b, size_t n) {
        if (n >= b->len) {
                b->len = 0;
                return;
        }
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
}
