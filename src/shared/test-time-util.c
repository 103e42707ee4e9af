/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests RFC 3339 parsing and formatting, format_age() buckets and now_usec(). */

#include <errno.h>

#include "macro.h"
#include "tests.h"
#include "time-util.h"

/* Expected values were computed with `date -u -d <timestamp> +%s`. */
#define T_2026_11_23_10_00_00 UINT64_C(1795428000)

static usec_t parse_ok(const char *s, int line) {
        usec_t t = 0;
        int r = rfc3339_parse(s, &t);
        if (r != 0) {
                fprintf(stderr, "%s:%d: rfc3339_parse(\"%s\") = %d, expected 0\n", __FILE__, line, s, r);
                tests_failed++;
                return USEC_INFINITY;
        }
        return t;
}
#define PARSE_OK(s) parse_ok((s), __LINE__)

static int parse_r(const char *s) {
        usec_t t;
        return rfc3339_parse(s, &t);
}

static void test_parse_basic(void) {
        CHECK_INT(PARSE_OK("1970-01-01T00:00:00Z"), 0);
        CHECK_INT(PARSE_OK("1970-01-01T00:00:01Z"), 1000000);
        CHECK_INT(PARSE_OK("1970-01-02T00:00:00Z"), UINT64_C(86400) * USEC_PER_SEC);
        CHECK_INT(PARSE_OK("2026-11-23T10:00:00Z"), T_2026_11_23_10_00_00 * USEC_PER_SEC);
        CHECK_INT(PARSE_OK("2038-01-19T03:14:08Z"), UINT64_C(2147483648) * USEC_PER_SEC);
        CHECK_INT(PARSE_OK("9999-12-31T23:59:59Z"), UINT64_C(253402300799) * USEC_PER_SEC);
}

static void test_parse_offsets(void) {
        /* 10:00 at +02:00 is 08:00Z (1795420800); 10:00 at -05:30 is 15:30Z (1795447800). */
        CHECK_INT(PARSE_OK("2026-11-23T10:00:00+02:00"), UINT64_C(1795420800) * USEC_PER_SEC);
        CHECK_INT(PARSE_OK("2026-11-23T10:00:00-05:30"), UINT64_C(1795447800) * USEC_PER_SEC);
        CHECK_INT(PARSE_OK("2026-11-23T10:00:00+00:00"), T_2026_11_23_10_00_00 * USEC_PER_SEC);
        CHECK_INT(PARSE_OK("2026-11-23T10:00:00-00:00"), T_2026_11_23_10_00_00 * USEC_PER_SEC);
        CHECK_INT(PARSE_OK("2026-11-23T10:00:00+23:59"),
                  (T_2026_11_23_10_00_00 - 23 * 3600 - 59 * 60) * USEC_PER_SEC);
        /* An offset can move the instant across a day boundary. */
        CHECK_INT(PARSE_OK("2026-11-24T01:00:00+15:00"), T_2026_11_23_10_00_00 * USEC_PER_SEC);
        /* Before 1970 in local time, but not in UTC. */
        CHECK_INT(PARSE_OK("1969-12-31T23:00:00-01:00"), 0);
        CHECK_INT(PARSE_OK("1970-01-01T01:00:00+01:00"), 0);

        CHECK_INT(parse_r("2026-11-23T10:00:00+0200"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:00+02"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:00+2:00"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:00+24:00"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:00+02:60"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:00+"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:00 +02:00"), -EINVAL);
}

static void test_parse_fraction(void) {
        usec_t base = T_2026_11_23_10_00_00 * USEC_PER_SEC;

        CHECK_INT(PARSE_OK("2026-11-23T10:00:00.25Z"), base + 250000);
        CHECK_INT(PARSE_OK("2026-11-23T10:00:00.5Z"), base + 500000);
        CHECK_INT(PARSE_OK("2026-11-23T10:00:00.000001Z"), base + 1);
        CHECK_INT(PARSE_OK("2026-11-23T10:00:00.123456Z"), base + 123456);
        CHECK_INT(PARSE_OK("2026-11-23T10:00:00.000000Z"), base);
        CHECK_INT(PARSE_OK("2026-11-23T10:00:00.999999Z"), base + 999999);
        CHECK_INT(PARSE_OK("2026-11-23T10:00:00.25+02:00"), base - 7200 * USEC_PER_SEC + 250000);
        CHECK_INT(PARSE_OK("1970-01-01T00:00:01.5Z"), 1500000);

        /* More digits than µs precision are allowed by RFC 3339; they must not spill into the seconds. */
        usec_t t = PARSE_OK("2026-11-23T10:00:00.1234567Z");
        CHECK(t >= base + 123456 && t <= base + 123457);
        t = PARSE_OK("2026-11-23T10:00:00.999999999Z");
        CHECK(t >= base + 999999 && t <= base + USEC_PER_SEC);

        CHECK_INT(parse_r("2026-11-23T10:00:00.Z"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:00."), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:00,5Z"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:00.5x"), -EINVAL);
}

static void test_parse_separators(void) {
        usec_t base = T_2026_11_23_10_00_00 * USEC_PER_SEC;

        CHECK_INT(PARSE_OK("2026-11-23t10:00:00Z"), base);
        CHECK_INT(PARSE_OK("2026-11-23T10:00:00z"), base);
        CHECK_INT(PARSE_OK("2026-11-23t10:00:00z"), base);
        CHECK_INT(PARSE_OK("2026-11-23 10:00:00Z"), base);
        CHECK_INT(PARSE_OK("2026-11-23 10:00:00.5+02:00"), base - 7200 * USEC_PER_SEC + 500000);

        CHECK_INT(parse_r("2026-11-23X10:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23_10:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-11-2310:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026/11/23T10:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10-00-00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00Z"), -EINVAL);
}

static void test_parse_calendar(void) {
        /* Leap years: divisible by 4, except centuries not divisible by 400. */
        CHECK_INT(PARSE_OK("2024-02-29T00:00:00Z"), UINT64_C(1709164800) * USEC_PER_SEC);
        CHECK_INT(PARSE_OK("2000-02-29T12:34:56Z"), UINT64_C(951827696) * USEC_PER_SEC);
        CHECK_INT(parse_r("2023-02-29T00:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2100-02-29T00:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2024-02-30T00:00:00Z"), -EINVAL);
        (void) PARSE_OK("2023-02-28T23:59:59Z");

        /* Month lengths. */
        (void) PARSE_OK("2026-01-31T00:00:00Z");
        (void) PARSE_OK("2026-12-31T00:00:00Z");
        CHECK_INT(parse_r("2026-04-31T00:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-06-31T00:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-01-32T00:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-01-00T00:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-13-01T00:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-00-01T00:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-99-01T00:00:00Z"), -EINVAL);

        /* Time of day. */
        (void) PARSE_OK("2026-11-23T23:59:59Z");
        CHECK_INT(parse_r("2026-11-23T24:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:60:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:61Z"), -EINVAL);
        /* A leap second is folded into the next second. */
        CHECK_INT(PARSE_OK("2016-12-31T23:59:60Z"), UINT64_C(1483228800) * USEC_PER_SEC);

        /* Field widths are fixed. */
        CHECK_INT(parse_r("26-11-23T10:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-1-23T10:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-11-3T10:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T1:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("+2026-11-23T10:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("-2026-11-23T10:00:00Z"), -EINVAL);
}

static void test_parse_malformed(void) {
        CHECK_INT(parse_r(NULL), -EINVAL);
        CHECK_INT(parse_r(""), -EINVAL);
        CHECK_INT(parse_r("now"), -EINVAL);
        CHECK_INT(parse_r("2026"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:00"), -EINVAL); /* no offset */
        CHECK_INT(parse_r("2026-11-23T10:00:00ZZ"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:00Z "), -EINVAL);
        CHECK_INT(parse_r(" 2026-11-23T10:00:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:00Zjunk"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:00+02:00x"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:00+02:00Z"), -EINVAL);
        CHECK_INT(parse_r("2026-11-23T10:00:00UTC"), -EINVAL);
}

static void test_parse_range(void) {
        CHECK_INT(parse_r("1969-12-31T23:59:59Z"), -ERANGE);
        CHECK_INT(parse_r("1969-12-31T23:59:59.999999Z"), -ERANGE);
        CHECK_INT(parse_r("1900-01-01T00:00:00Z"), -ERANGE);
        CHECK_INT(parse_r("0000-01-01T00:00:00Z"), -ERANGE);
        CHECK_INT(parse_r("1970-01-01T00:00:00+00:01"), -ERANGE);
        CHECK_INT(parse_r("1970-01-01T00:59:59+01:00"), -ERANGE);
}

static void test_parse_keeps_ret_on_error(void) {
        usec_t t = 4711;
        CHECK(rfc3339_parse("2023-02-29T00:00:00Z", &t) < 0);
        CHECK_INT(t, 4711);
        CHECK(rfc3339_parse("1969-12-31T23:59:59Z", &t) < 0);
        CHECK_INT(t, 4711);
}

static void test_format(void) {
        char buf[RFC3339_MAX];

        CHECK_STREQ(rfc3339_format(buf, sizeof buf, 0), "1970-01-01T00:00:00.000000Z");
        CHECK_STREQ(rfc3339_format(buf, sizeof buf, 1), "1970-01-01T00:00:00.000001Z");
        CHECK_STREQ(rfc3339_format(buf, sizeof buf, T_2026_11_23_10_00_00 * USEC_PER_SEC),
                    "2026-11-23T10:00:00.000000Z");
        CHECK_STREQ(rfc3339_format(buf, sizeof buf, T_2026_11_23_10_00_00 * USEC_PER_SEC + 123456),
                    "2026-11-23T10:00:00.123456Z");
        CHECK_STREQ(rfc3339_format(buf, sizeof buf, UINT64_C(1709164800) * USEC_PER_SEC + 999999),
                    "2024-02-29T00:00:00.999999Z");
        CHECK_STREQ(rfc3339_format(buf, sizeof buf, UINT64_C(253402300799) * USEC_PER_SEC),
                    "9999-12-31T23:59:59.000000Z");
        CHECK_STREQ(rfc3339_format(buf, sizeof buf, UINT64_C(1483228800) * USEC_PER_SEC - 1),
                    "2016-12-31T23:59:59.999999Z");

        /* The result is returned in the caller's buffer. */
        CHECK(rfc3339_format(buf, sizeof buf, 0) == buf);

        /* "YYYY-MM-DDTHH:MM:SS.ffffffZ" is 27 characters: 28 bytes fit, 27 do not. */
        char small[28];
        CHECK(rfc3339_format(small, 28, 0) == small);
        CHECK(rfc3339_format(small, 27, 0) == NULL);
        CHECK(rfc3339_format(small, 10, 0) == NULL);
}

static void test_format_round_trip(void) {
        static const usec_t values[] = {
                0,
                1,
                999999,
                1000000,
                UINT64_C(951827696) * USEC_PER_SEC + 500000,
                UINT64_C(1709164800) * USEC_PER_SEC,
                UINT64_C(1795428000) * USEC_PER_SEC + 123456,
                UINT64_C(2147483648) * USEC_PER_SEC + 7,
                UINT64_C(253402300799) * USEC_PER_SEC + 999999,
        };
        char buf[RFC3339_MAX];

        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                usec_t t = USEC_INFINITY;
                CHECK(rfc3339_format(buf, sizeof buf, values[i]) != NULL);
                CHECK_INT(rfc3339_parse(buf, &t), 0);
                CHECK_INT(t, values[i]);
        }

        /* And the other way: a canonical string formats back to itself. */
        usec_t t = 0;
        CHECK_INT(rfc3339_parse("2026-11-23T10:00:00.250000Z", &t), 0);
        CHECK_STREQ(rfc3339_format(buf, sizeof buf, t), "2026-11-23T10:00:00.250000Z");
        CHECK_INT(rfc3339_parse("2026-11-23T12:00:00.25+02:00", &t), 0);
        CHECK_STREQ(rfc3339_format(buf, sizeof buf, t), "2026-11-23T10:00:00.250000Z");
}

static void test_format_age(void) {
        char buf[AGE_MAX];

        CHECK_STREQ(format_age(buf, sizeof buf, 0), "0s");
        CHECK_STREQ(format_age(buf, sizeof buf, 999999), "0s");
        CHECK_STREQ(format_age(buf, sizeof buf, 1 * USEC_PER_SEC), "1s");
        CHECK_STREQ(format_age(buf, sizeof buf, 5 * USEC_PER_SEC), "5s");
        CHECK_STREQ(format_age(buf, sizeof buf, 60 * USEC_PER_SEC - 1), "59s");
        CHECK_STREQ(format_age(buf, sizeof buf, 60 * USEC_PER_SEC), "1m");
        CHECK_STREQ(format_age(buf, sizeof buf, 179 * USEC_PER_SEC), "2m");
        CHECK_STREQ(format_age(buf, sizeof buf, 3599 * USEC_PER_SEC), "59m");
        CHECK_STREQ(format_age(buf, sizeof buf, 3600 * USEC_PER_SEC), "1h");
        CHECK_STREQ(format_age(buf, sizeof buf, 2 * 3600 * USEC_PER_SEC + 59 * 60 * USEC_PER_SEC), "2h");
        CHECK_STREQ(format_age(buf, sizeof buf, 86399 * USEC_PER_SEC), "23h");
        CHECK_STREQ(format_age(buf, sizeof buf, 86400 * USEC_PER_SEC), "1d");
        CHECK_STREQ(format_age(buf, sizeof buf, 4 * 86400 * USEC_PER_SEC + 86399 * USEC_PER_SEC), "4d");
        CHECK_STREQ(format_age(buf, sizeof buf, 1000 * 86400 * USEC_PER_SEC), "1000d");
        CHECK(format_age(buf, sizeof buf, 0) == buf);

        /* Even the largest delta fits AGE_MAX. */
        CHECK(strlen(format_age(buf, sizeof buf, USEC_INFINITY)) < AGE_MAX);
        CHECK(buf[strlen(buf) - 1] == 'd');
}

static void test_now_usec(void) {
        /* 2020-01-01T00:00:00Z is 1577836800. */
        CHECK(now_usec(CLOCK_REALTIME) > UINT64_C(1577836800) * USEC_PER_SEC);

        usec_t a = now_usec(CLOCK_MONOTONIC), b = now_usec(CLOCK_MONOTONIC);
        CHECK(a > 0);
        CHECK(b >= a);
}

int main(void) {
        test_parse_basic();
        test_parse_offsets();
        test_parse_fraction();
        test_parse_separators();
        test_parse_calendar();
        test_parse_malformed();
        test_parse_range();
        test_parse_keeps_ret_on_error();
        test_format();
        test_format_round_trip();
        test_format_age();
        test_now_usec();
        TESTS_END();
}
