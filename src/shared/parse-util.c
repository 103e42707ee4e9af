/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>

#include "macro.h"
#include "parse-util.h"

int parse_uint_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (isempty(s))
                return -EINVAL;
        for (const char *p = s; *p; p++)
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
        for (const char *p = s; *p; p++) {
                uint64_t d = (uint64_t) (*p - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
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
                uint64_t d = (uint64_t) (*p - '0');
                if (sec > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                sec = sec * 10 + d;
                if (sec > max_sec || sec > UINT64_MAX / USEC_PER_SEC)
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
        if (sec * USEC_PER_SEC > UINT64_MAX - frac)
                return -ERANGE;
        *ret_usec = sec * USEC_PER_SEC + frac;
        return 0;
}

int parse_duration(const char *s, uint64_t max_usec, uint64_t *ret_usec) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "ms", USEC_PER_MSEC }, { "s", USEC_PER_SEC }, { "m", 60 * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC }, { "", USEC_PER_MSEC },
        };
        uint64_t v = 0;
        const char *p = s;

        if (isempty(s) || !isdigit((unsigned char) *p))
                return -EINVAL;
        for (; isdigit((unsigned char) *p); p++) {
                uint64_t d = (uint64_t) (*p - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (streq(p, units[i].suffix)) {
                        if (v > max_usec / units[i].usec)
                                return -ERANGE;
                        *ret_usec = v * units[i].usec;
                        return 0;
                }
        return -EINVAL;
}
