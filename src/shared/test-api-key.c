/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "api-key.h"
#include "tests.h"

static void test_names(void) {
        char long_name[OLY_NODE_NAME_MAX + 2];

        CHECK(api_key_name_is_valid("a"));
        CHECK(api_key_name_is_valid("build-box_2.example"));
        CHECK(api_key_name_is_valid("-x")); /* the CLI takes it after "--" */
        CHECK(!api_key_name_is_valid(NULL));
        CHECK(!api_key_name_is_valid(""));
        CHECK(!api_key_name_is_valid("a b"));
        CHECK(!api_key_name_is_valid("a/b"));
        CHECK(!api_key_name_is_valid("é"));
        CHECK(!api_key_name_is_valid("a\n"));
        memset(long_name, 'a', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = 0;
        CHECK(!api_key_name_is_valid(long_name));
        long_name[OLY_NODE_NAME_MAX] = 0;
        CHECK(api_key_name_is_valid(long_name));
}

static void test_new_and_parse(void) {
        char key[OLY_API_KEY_STRLEN], key2[OLY_API_KEY_STRLEN], id[OLY_API_KEY_ID_STRLEN],
                id2[OLY_API_KEY_ID_STRLEN];

        CHECK_INT(api_key_new(key, id), 0);
        CHECK_INT(strlen(key), OLY_API_KEY_LEN);
        CHECK_INT(strlen(key), 60);
        CHECK(strncmp(key, "oly_", 4) == 0);
        CHECK_INT(api_key_parse(key, id2), 0);
        CHECK_STREQ(id2, id);
        CHECK_INT(api_key_new(key2, id2), 0);
        CHECK(strcmp(key, key2) != 0);
        CHECK(strcmp(id, id2) != 0);

        /* Every single-character change of shape is refused. */
        char bad[OLY_API_KEY_STRLEN + 1];
        strcpy(bad, key);
        bad[0] = 'O';
        CHECK_INT(api_key_parse(bad, id2), -EINVAL);
        strcpy(bad, key);
        bad[4] = 'i'; /* not in the id alphabet */
        CHECK_INT(api_key_parse(bad, id2), -EINVAL);
        strcpy(bad, key);
        bad[4 + OLY_API_KEY_ID_LEN] = '-';
        CHECK_INT(api_key_parse(bad, id2), -EINVAL);
        strcpy(bad, key);
        bad[30] = '=';
        CHECK_INT(api_key_parse(bad, id2), -EINVAL);
        strcpy(bad, key);
        bad[OLY_API_KEY_LEN - 1] = 'B'; /* low bits set: not canonical */
        CHECK_INT(api_key_parse(bad, id2), -EINVAL);
        strcpy(bad, key);
        bad[OLY_API_KEY_LEN - 1] = 0; /* short */
        CHECK_INT(api_key_parse(bad, id2), -EINVAL);
        strcpy(bad, key);
        strcat(bad, "A"); /* long */
        CHECK_INT(api_key_parse(bad, id2), -EINVAL);
        CHECK_INT(api_key_parse("", id2), -EINVAL);
        CHECK_INT(api_key_parse(NULL, id2), -EINVAL);
        CHECK_INT(api_key_parse("oly_", id2), -EINVAL);
        CHECK_INT(api_key_parse("oly_abcdefghjkmn_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", id2), 0);
        CHECK_STREQ(id2, "abcdefghjkmn");
}

int main(void) {
        test_names();
        test_new_and_parse();
        TESTS_END();
}
