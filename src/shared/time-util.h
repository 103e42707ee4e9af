/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Wall-clock and monotonic time in µs, RFC 3339 parsing and formatting, human ages. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;

usec_t now_usec(clockid_t clock);

/* Parses an RFC 3339 timestamp ("2026-11-23T10:00:00Z", "...T10:00:00.25+02:00", a space instead
 * of 'T' and a lowercase 't'/'z' are accepted as RFC 3339 allows). Returns 0 or -EINVAL/-ERANGE. */
int rfc3339_parse(const char *s, usec_t *ret);

/* Formats as "2026-11-23T10:00:00.123456Z" (UTC, microseconds). buf must hold RFC3339_MAX bytes. */
#define RFC3339_MAX 32
char *rfc3339_format(char *buf, size_t len, usec_t t);

/* "5s", "3m", "2h", "4d": a short age for tables. buf must hold AGE_MAX bytes. */
#define AGE_MAX 16
char *format_age(char *buf, size_t len, usec_t delta);
