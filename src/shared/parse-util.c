/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>

#include "macro.h"
#include "parse-util.h"

int parse_uint_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (isempty(s))
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                if (v > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_seconds(const char *s, uint64_t max_sec, uint64_t *ret_usec) {
        uint64_t sec = 0, frac = 0, scale = 100000;
        const char *p = s;

        if (isempty(s))
                return -EINVAL;
        if (!isdigit((unsigned char) *p))
                return -EINVAL;
        for (; isdigit((unsigned char) *p); p++) {
                sec = sec * 10 + (uint64_t) (*p - '0');
                if (sec > max_sec)
                        return -ERANGE;
        }
        if (*p == '.') {
                p++;
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                for (; isdigit((unsigned char) *p); p++) {
                        if (scale == 0)
                                return -EINVAL; /* finer than a microsecond */
                        frac += (uint64_t) (*p - '0') * scale;
                        scale /= 10;
                }
        }
        if (*p)
                return -EINVAL;
        if (sec == max_sec && frac > 0)
                return -ERANGE;
        *ret_usec = sec * USEC_PER_SEC + frac;
        return 0;
}
