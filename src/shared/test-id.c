/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests session id generation, id and prefix validation, and prefix resolution. */

#include <ctype.h>
#include <errno.h>

#include "id.h"
#include "macro.h"
#include "tests.h"

#define N_IDS 1000

static void test_new(void) {
        static char ids[N_IDS][OLY_ID_STRLEN];

        for (size_t i = 0; i < N_IDS; i++) {
                memset(ids[i], 'X', sizeof ids[i]);
                CHECK_INT(session_id_new(ids[i]), 0);
                CHECK_INT(strnlen(ids[i], sizeof ids[i]), OLY_ID_LEN);
                CHECK(session_id_is_valid(ids[i]));
                CHECK(session_id_prefix_is_valid(ids[i]));
                CHECK(!isdigit((unsigned char) ids[i][0]));
                for (size_t j = 0; j < OLY_ID_LEN; j++)
                        CHECK(strchr(OLY_ID_ALPHABET, ids[i][j]) != NULL);
        }

        /* 40 random bits each: 1000 ids must all differ. */
        for (size_t i = 0; i < N_IDS; i++)
                for (size_t j = i + 1; j < N_IDS; j++)
                        if (streq(ids[i], ids[j])) {
                                fprintf(stderr, "duplicate id %s at %zu and %zu\n", ids[i], i, j);
                                CHECK(!"ids are distinct");
                        }

        /* Digits do appear, just never first. */
        bool digit = false;
        for (size_t i = 0; i < N_IDS && !digit; i++)
                for (size_t j = 1; j < OLY_ID_LEN; j++)
                        if (isdigit((unsigned char) ids[i][j]))
                                digit = true;
        CHECK(digit);
}

static void test_is_valid(void) {
        CHECK(session_id_is_valid("abcdefgh"));
        CHECK(session_id_is_valid("k2345678"));
        CHECK(session_id_is_valid("zzzzzzzz"));
        CHECK(session_id_is_valid("a0000000"));

        CHECK(!session_id_is_valid(NULL));
        CHECK(!session_id_is_valid(""));
        CHECK(!session_id_is_valid("abcdefg"));   /* too short */
        CHECK(!session_id_is_valid("abcdefghj")); /* too long */
        CHECK(!session_id_is_valid("ABCDEFGH"));  /* full ids are lower case */
        CHECK(!session_id_is_valid("abcdefgi"));
        CHECK(!session_id_is_valid("abcdefgl"));
        CHECK(!session_id_is_valid("abcdefgo"));
        CHECK(!session_id_is_valid("abcdefgu"));
        CHECK(!session_id_is_valid("abcd-fgh"));
        CHECK(!session_id_is_valid("abcd_fgh"));
        CHECK(!session_id_is_valid("abcd fgh"));
        CHECK(!session_id_is_valid("abcd/fgh"));
        CHECK(!session_id_is_valid("abcd.fgh"));
        CHECK(!session_id_is_valid("abcd\xc3\xa9gh"));
}

static void test_prefix_is_valid(void) {
        char buf[OLY_ID_LEN + 2];

        CHECK(session_id_prefix_is_valid("a"));
        CHECK(session_id_prefix_is_valid("k2"));
        CHECK(session_id_prefix_is_valid("abcdefgh"));
        CHECK(session_id_prefix_is_valid("0"));
        /* Upper case is accepted for prefixes. */
        CHECK(session_id_prefix_is_valid("A"));
        CHECK(session_id_prefix_is_valid("ABCDEFGH"));
        CHECK(session_id_prefix_is_valid("AbCd"));

        CHECK(!session_id_prefix_is_valid(NULL));
        CHECK(!session_id_prefix_is_valid(""));
        CHECK(!session_id_prefix_is_valid("abcdefghj")); /* longer than an id */
        memset(buf, 'a', OLY_ID_LEN + 1);
        buf[OLY_ID_LEN + 1] = 0;
        CHECK(!session_id_prefix_is_valid(buf));
        buf[OLY_ID_LEN] = 0;
        CHECK(session_id_prefix_is_valid(buf));

        /* Letters left out of the alphabet, in either case. */
        CHECK(!session_id_prefix_is_valid("i"));
        CHECK(!session_id_prefix_is_valid("l"));
        CHECK(!session_id_prefix_is_valid("o"));
        CHECK(!session_id_prefix_is_valid("u"));
        CHECK(!session_id_prefix_is_valid("I"));
        CHECK(!session_id_prefix_is_valid("L"));
        CHECK(!session_id_prefix_is_valid("O"));
        CHECK(!session_id_prefix_is_valid("U"));
        CHECK(!session_id_prefix_is_valid("ab-c"));
        CHECK(!session_id_prefix_is_valid("-"));
        CHECK(!session_id_prefix_is_valid("ab c"));
        CHECK(!session_id_prefix_is_valid("ab*"));
        CHECK(!session_id_prefix_is_valid("a/"));
}

static void test_resolve(void) {
        const char *const ids[] = { "abcdefgh", "abxyz234", "k2345678", "mnpqrstv" };
        size_t n = ELEMENTSOF(ids);

        /* Unique prefixes. */
        CHECK_INT(session_id_resolve("k", ids, n), 2);
        CHECK_INT(session_id_resolve("k2", ids, n), 2);
        CHECK_INT(session_id_resolve("abc", ids, n), 0);
        CHECK_INT(session_id_resolve("abx", ids, n), 1);
        CHECK_INT(session_id_resolve("m", ids, n), 3);

        /* Exact full ids. */
        for (size_t i = 0; i < n; i++)
                CHECK_INT(session_id_resolve(ids[i], ids, n), (int) i);

        /* Case-insensitive. */
        CHECK_INT(session_id_resolve("K", ids, n), 2);
        CHECK_INT(session_id_resolve("ABC", ids, n), 0);
        CHECK_INT(session_id_resolve("AbX", ids, n), 1);
        CHECK_INT(session_id_resolve("ABCDEFGH", ids, n), 0);
        CHECK_INT(session_id_resolve("MNPQRSTV", ids, n), 3);

        /* None. */
        CHECK_INT(session_id_resolve("z", ids, n), -ENXIO);
        CHECK_INT(session_id_resolve("abd", ids, n), -ENXIO);
        CHECK_INT(session_id_resolve("abcdefgj", ids, n), -ENXIO);
        CHECK_INT(session_id_resolve("abcdefghj", ids, n), -ENXIO); /* longer than the id */
        CHECK_INT(session_id_resolve("a", ids, 0), -ENXIO);
        CHECK_INT(session_id_resolve("a", NULL, 0), -ENXIO);

        /* Ambiguous. */
        CHECK_INT(session_id_resolve("a", ids, n), -ENOTUNIQ);
        CHECK_INT(session_id_resolve("ab", ids, n), -ENOTUNIQ);
        CHECK_INT(session_id_resolve("AB", ids, n), -ENOTUNIQ);

        /* Only the first n candidates are considered. */
        CHECK_INT(session_id_resolve("ab", ids, 1), 0);
        CHECK_INT(session_id_resolve("k", ids, 2), -ENXIO);
}

static void test_resolve_ambiguity(void) {
        /* Three matches stay ambiguous (the third must not reset the state). */
        const char *const three[] = { "abcdefgh", "abcdefgj", "abcdefgk", "zzzzzzzz" };
        CHECK_INT(session_id_resolve("abc", three, ELEMENTSOF(three)), -ENOTUNIQ);
        CHECK_INT(session_id_resolve("abcdefg", three, ELEMENTSOF(three)), -ENOTUNIQ);
        CHECK_INT(session_id_resolve("abcdefgk", three, ELEMENTSOF(three)), 2);
        CHECK_INT(session_id_resolve("z", three, ELEMENTSOF(three)), 3);

        /* The match may be the last candidate, after non-matching ones. */
        const char *const last[] = { "bbbbbbbb", "cccccccc", "dddddddd", "eeeeeeee" };
        CHECK_INT(session_id_resolve("e", last, ELEMENTSOF(last)), 3);
        CHECK_INT(session_id_resolve("b", last, ELEMENTSOF(last)), 0);

        /* An exact match wins over longer candidates, before or after it in the list. */
        const char *const mixed1[] = { "abcdefghj", "abcdefgh", "abcdefghk" };
        CHECK_INT(session_id_resolve("abcdefgh", mixed1, ELEMENTSOF(mixed1)), 1);
        CHECK_INT(session_id_resolve("ABCDEFGH", mixed1, ELEMENTSOF(mixed1)), 1);
        CHECK_INT(session_id_resolve("abcdefg", mixed1, ELEMENTSOF(mixed1)), -ENOTUNIQ);
        const char *const mixed2[] = { "abcdefgh", "abcdefghj" };
        CHECK_INT(session_id_resolve("abcdefgh", mixed2, ELEMENTSOF(mixed2)), 0);
        CHECK_INT(session_id_resolve("abcdefghj", mixed2, ELEMENTSOF(mixed2)), 1);
}

int main(void) {
        test_new();
        test_is_valid();
        test_prefix_is_valid();
        test_resolve();
        test_resolve_ambiguity();
        TESTS_END();
}
