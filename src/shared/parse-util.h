/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict parsers for what users type: counts, ports, grace periods. */
#pragma once

#include <stdint.h>

/* A decimal integer in [min, max] with nothing around it. -EINVAL: not a number; -ERANGE: outside. */
int parse_uint_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* Seconds as "5" or "2.5" (at most microsecond precision), up to max_sec. Returns µs. */
int parse_seconds(const char *s, uint64_t max_sec, uint64_t *ret_usec);

/* A duration: plain milliseconds ("1500") or a number with ms, s, m or h ("500ms", "2s", "1m", "1h").
 * Returns µs. -EINVAL for anything else, -ERANGE beyond max_usec. */
int parse_duration(const char *s, uint64_t max_usec, uint64_t *ret_usec);
