/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests the strict number parsers: parse_uint_range() and parse_seconds(). */

#include <errno.h>

#include "macro.h"
#include "parse-util.h"
#include "tests.h"

static int uint_r(const char *s, uint64_t min, uint64_t max) {
        uint64_t v = 4711;
        int r = parse_uint_range(s, min, max, &v);
        if (r < 0 && v != 4711) {
                fprintf(stderr, "parse_uint_range(\"%s\") failed but changed *ret\n", strempty(s));
                tests_failed++;
        }
        return r;
}

static int seconds_r(const char *s, uint64_t max_sec) {
        uint64_t v = 4711;
        int r = parse_seconds(s, max_sec, &v);
        if (r < 0 && v != 4711) {
                fprintf(stderr, "parse_seconds(\"%s\") failed but changed *ret\n", strempty(s));
                tests_failed++;
        }
        return r;
}

static void test_uint_ok(void) {
        uint64_t v;

        CHECK_INT(parse_uint_range("0", 0, 10, &v), 0);
        CHECK_INT(v, 0);
        CHECK_INT(parse_uint_range("1", 0, 10, &v), 0);
        CHECK_INT(v, 1);
        CHECK_INT(parse_uint_range("10", 0, 10, &v), 0);
        CHECK_INT(v, 10);
        CHECK_INT(parse_uint_range("8443", 1, 65535, &v), 0);
        CHECK_INT(v, 8443);
        CHECK_INT(parse_uint_range("65535", 1, 65535, &v), 0);
        CHECK_INT(v, 65535);
        CHECK_INT(parse_uint_range("007", 0, 10, &v), 0);
        CHECK_INT(v, 7);
        CHECK_INT(parse_uint_range("1234567890123", 0, UINT64_MAX, &v), 0);
        CHECK(v == UINT64_C(1234567890123));
        CHECK_INT(parse_uint_range("9223372036854775808", 0, UINT64_MAX, &v), 0);
        CHECK(v == UINT64_C(9223372036854775808));
        CHECK_INT(parse_uint_range("1844674407370955161", 0, UINT64_MAX, &v), 0);
        CHECK(v == UINT64_C(1844674407370955161));
}

static void test_uint_max(void) {
        uint64_t v = 0;

        /* The largest uint64_t values are in range when max is UINT64_MAX. */
        CHECK_INT(parse_uint_range("18446744073709551615", 0, UINT64_MAX, &v), 0);
        CHECK(v == UINT64_MAX);
        v = 0;
        CHECK_INT(parse_uint_range("18446744073709551610", 0, UINT64_MAX, &v), 0);
        CHECK(v == UINT64_MAX - 5);
        CHECK_INT(uint_r("18446744073709551616", 0, UINT64_MAX), -ERANGE);
        CHECK_INT(uint_r("18446744073709551620", 0, UINT64_MAX), -ERANGE);
}

static void test_uint_invalid(void) {
        CHECK_INT(uint_r(NULL, 0, 10), -EINVAL);
        CHECK_INT(uint_r("", 0, 10), -EINVAL);
        CHECK_INT(uint_r("-1", 0, 10), -EINVAL);
        CHECK_INT(uint_r("-0", 0, 10), -EINVAL);
        CHECK_INT(uint_r("+1", 0, 10), -EINVAL);
        CHECK_INT(uint_r("1x", 0, 10), -EINVAL);
        CHECK_INT(uint_r("x1", 0, 10), -EINVAL);
        CHECK_INT(uint_r(" 1", 0, 10), -EINVAL);
        CHECK_INT(uint_r("1 ", 0, 10), -EINVAL);
        CHECK_INT(uint_r("1\n", 0, 10), -EINVAL);
        CHECK_INT(uint_r("1.0", 0, 10), -EINVAL);
        CHECK_INT(uint_r("1e1", 0, 100), -EINVAL);
        CHECK_INT(uint_r("0x10", 0, 100), -EINVAL);
        CHECK_INT(uint_r("1_000", 0, 10000), -EINVAL);
        CHECK_INT(uint_r("\xd9\xa1", 0, 10), -EINVAL); /* ARABIC-INDIC DIGIT ONE */
}

static void test_uint_range(void) {
        CHECK_INT(uint_r("0", 1, 10), -ERANGE);
        CHECK_INT(uint_r("11", 1, 10), -ERANGE);
        CHECK_INT(uint_r("100", 1, 10), -ERANGE);
        CHECK_INT(uint_r("65536", 1, 65535), -ERANGE);
        CHECK_INT(uint_r("5", 6, 6), -ERANGE);
        CHECK_INT(uint_r("7", 6, 6), -ERANGE);
        CHECK_INT(uint_r("6", 6, 6), 0);
        CHECK_INT(uint_r("99999999999999999999999", 0, UINT64_MAX), -ERANGE);
        CHECK_INT(uint_r("99999999999999999999999", 0, 10), -ERANGE);
        CHECK_INT(uint_r("000000000000000000000000000001", 0, 10), 0);
}

static void test_seconds_ok(void) {
        uint64_t v;

        CHECK_INT(parse_seconds("5", 3600, &v), 0);
        CHECK_INT(v, 5 * USEC_PER_SEC);
        CHECK_INT(parse_seconds("2.5", 3600, &v), 0);
        CHECK_INT(v, 2500000);
        CHECK_INT(parse_seconds("0", 3600, &v), 0);
        CHECK_INT(v, 0);
        CHECK_INT(parse_seconds("0.0", 3600, &v), 0);
        CHECK_INT(v, 0);
        CHECK_INT(parse_seconds("0.000001", 3600, &v), 0);
        CHECK_INT(v, 1);
        CHECK_INT(parse_seconds("0.5", 3600, &v), 0);
        CHECK_INT(v, 500000);
        CHECK_INT(parse_seconds("1.000000", 3600, &v), 0);
        CHECK_INT(v, USEC_PER_SEC);
        CHECK_INT(parse_seconds("1.25", 3600, &v), 0);
        CHECK_INT(v, 1250000);
        CHECK_INT(parse_seconds("12.345678", 3600, &v), 0);
        CHECK_INT(v, 12345678);
        CHECK_INT(parse_seconds("05", 3600, &v), 0);
        CHECK_INT(v, 5 * USEC_PER_SEC);

        /* The maximum itself is allowed, with or without a zero fraction. */
        CHECK_INT(parse_seconds("3600", 3600, &v), 0);
        CHECK_INT(v, 3600 * USEC_PER_SEC);
        CHECK_INT(parse_seconds("3600.000", 3600, &v), 0);
        CHECK_INT(v, 3600 * USEC_PER_SEC);
        CHECK_INT(parse_seconds("3599.999999", 3600, &v), 0);
        CHECK_INT(v, 3600 * USEC_PER_SEC - 1);
        CHECK_INT(parse_seconds("0", 0, &v), 0);
        CHECK_INT(v, 0);
}

static void test_seconds_invalid(void) {
        CHECK_INT(seconds_r(NULL, 3600), -EINVAL);
        CHECK_INT(seconds_r("", 3600), -EINVAL);
        CHECK_INT(seconds_r("1.0000001", 3600), -EINVAL); /* finer than a microsecond */
        CHECK_INT(seconds_r("0.0000005", 3600), -EINVAL);
        CHECK_INT(seconds_r(".5", 3600), -EINVAL);
        CHECK_INT(seconds_r("5.", 3600), -EINVAL);
        CHECK_INT(seconds_r(".", 3600), -EINVAL);
        CHECK_INT(seconds_r("abc", 3600), -EINVAL);
        CHECK_INT(seconds_r("5s", 3600), -EINVAL);
        CHECK_INT(seconds_r("5 ", 3600), -EINVAL);
        CHECK_INT(seconds_r(" 5", 3600), -EINVAL);
        CHECK_INT(seconds_r("-1", 3600), -EINVAL);
        CHECK_INT(seconds_r("+1", 3600), -EINVAL);
        CHECK_INT(seconds_r("1,5", 3600), -EINVAL);
        CHECK_INT(seconds_r("1.5.0", 3600), -EINVAL);
        CHECK_INT(seconds_r("1e3", 3600), -EINVAL);
        CHECK_INT(seconds_r("1.x", 3600), -EINVAL);
        CHECK_INT(seconds_r("inf", 3600), -EINVAL);
}

static void test_seconds_range(void) {
        CHECK_INT(seconds_r("3601", 3600), -ERANGE);
        CHECK_INT(seconds_r("3600.000001", 3600), -ERANGE);
        CHECK_INT(seconds_r("3600.5", 3600), -ERANGE);
        CHECK_INT(seconds_r("10000", 3600), -ERANGE);
        CHECK_INT(seconds_r("99999999999999999999999", 3600), -ERANGE);
        CHECK_INT(seconds_r("0.5", 0), -ERANGE);
        CHECK_INT(seconds_r("1", 0), -ERANGE);
}

static void test_seconds_overflow(void) {
        /* A generous max_sec must not let the seconds or the µs result wrap around. */
        CHECK_INT(seconds_r("18446744073709551616", UINT64_MAX), -ERANGE);
        CHECK_INT(seconds_r("99999999999999999999999", UINT64_MAX), -ERANGE);
        CHECK_INT(seconds_r("18446744073710", UINT64_MAX), -ERANGE); /* > UINT64_MAX / 10^6 */

        uint64_t v = 0;
        CHECK_INT(parse_seconds("18446744073709", UINT64_MAX, &v), 0);
        CHECK(v == UINT64_C(18446744073709) * USEC_PER_SEC);
}

int main(void) {
        test_uint_ok();
        test_uint_max();
        test_uint_invalid();
        test_uint_range();
        test_seconds_ok();
        test_seconds_invalid();
        test_seconds_range();
        test_seconds_overflow();
        TESTS_END();
}
