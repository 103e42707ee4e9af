/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "time-util.h"

usec_t now_usec(clockid_t clock) {
        struct timespec ts;
        if (clock_gettime(clock, &ts) < 0)
                abort(); /* cannot fail for the clocks we use */
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

static int parse_digits(const char **p, int n, int *ret) {
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char) (*p)[i]))
                        return -EINVAL;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return 0;
}

static bool is_leap(int y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        unsigned yoe = (unsigned) (y - era * 400);
        unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t) doe - 719468;
}

int rfc3339_parse(const char *s, usec_t *ret) {
        static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        int year, mon, day, hour, min, sec;
        const char *p = s;

        if (!s)
                return -EINVAL;
        if (parse_digits(&p, 4, &year) < 0 || *p++ != '-' || parse_digits(&p, 2, &mon) < 0 || *p++ != '-' ||
            parse_digits(&p, 2, &day) < 0)
                return -EINVAL;
        if (!(*p == 'T' || *p == 't' || *p == ' '))
                return -EINVAL;
        p++;
        if (parse_digits(&p, 2, &hour) < 0 || *p++ != ':' || parse_digits(&p, 2, &min) < 0 || *p++ != ':' ||
            parse_digits(&p, 2, &sec) < 0)
                return -EINVAL;

        if (mon < 1 || mon > 12 || day < 1)
                return -EINVAL;
        if (day > mdays[mon - 1] + (mon == 2 && is_leap(year)))
                return -EINVAL;
        if (hour > 23 || min > 59 || sec > 60) /* 60: a leap second, folded into the next second */
                return -EINVAL;

        usec_t frac = 0;
        if (*p == '.') {
                p++;
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                usec_t scale = 100000;
                for (; isdigit((unsigned char) *p); p++) {
                        frac += (usec_t) (*p - '0') * scale;
                        scale /= 10;
                }
        }

        int64_t offset = 0;
        if (*p == 'Z' || *p == 'z')
                p++;
        else if (*p == '+' || *p == '-') {
                int sign = *p++ == '-' ? -1 : 1, oh, om;
                if (parse_digits(&p, 2, &oh) < 0 || *p++ != ':' || parse_digits(&p, 2, &om) < 0)
                        return -EINVAL;
                if (oh > 23 || om > 59)
                        return -EINVAL;
                offset = sign * (oh * 3600 + om * 60);
        } else
                return -EINVAL;
        if (*p != '\0')
                return -EINVAL;

        int64_t t = days_from_civil(year, (unsigned) mon, (unsigned) day) * 86400 + hour * 3600 + min * 60 + sec -
                    offset;
        if (t < 0)
                return -ERANGE;
        *ret = (usec_t) t * USEC_PER_SEC + frac;
        return 0;
}

char *rfc3339_format(char *buf, size_t len, usec_t t) {
        time_t sec = (time_t) (t / USEC_PER_SEC);
        struct tm tm;
        if (!gmtime_r(&sec, &tm))
                return NULL;
        int n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned) (t % USEC_PER_SEC));
        if (n < 0 || (size_t) n >= len)
                return NULL;
        return buf;
}

char *format_age(char *buf, size_t len, usec_t d) {
        usec_t s = d / USEC_PER_SEC;
        if (s < 60)
                snprintf(buf, len, "%us", (unsigned) s);
        else if (s < 3600)
                snprintf(buf, len, "%um", (unsigned) (s / 60));
        else if (s < 86400)
                snprintf(buf, len, "%uh", (unsigned) (s / 3600));
        else
                snprintf(buf, len, "%ud", (unsigned) (s / 86400));
        return buf;
}
