/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A minimal harness for the unit tests beside the code: each check prints what failed and where. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tests_failed = 0;

#define CHECK(expr)                                                                          \
        do {                                                                                 \
                if (!(expr)) {                                                               \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
                        tests_failed++;                                                      \
                }                                                                            \
        } while (0)

#define CHECK_STREQ(a, b)                                                                    \
        do {                                                                                 \
                const char *_a = (a), *_b = (b);                                             \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                     \
                        fprintf(stderr, "%s:%d: \"%s\" != \"%s\" (%s vs %s)\n", __FILE__, __LINE__, \
                                _a ?: "(null)", _b ?: "(null)", #a, #b);                     \
                        tests_failed++;                                                      \
                }                                                                            \
        } while (0)

#define CHECK_INT(a, b)                                                                      \
        do {                                                                                 \
                long long _a = (long long) (a), _b = (long long) (b);                        \
                if (_a != _b) {                                                              \
                        fprintf(stderr, "%s:%d: %lld != %lld (%s vs %s)\n", __FILE__, __LINE__, _a, _b, #a, #b); \
                        tests_failed++;                                                      \
                }                                                                            \
        } while (0)

#define TESTS_END()                                                                          \
        do {                                                                                 \
                if (tests_failed) {                                                          \
                        fprintf(stderr, "%d check(s) failed\n", tests_failed);               \
                        return EXIT_FAILURE;                                                 \
                }                                                                            \
                return EXIT_SUCCESS;                                                         \
        } while (0)
