/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* strv.h and list.h: the shared array and list helpers. */
#include "list.h"
#include "strv.h"
#include "tests.h"

typedef struct Item {
        int v;
        LIST_FIELDS(struct Item, items);
} Item;

static void test_strv(void) {
        char *src[] = { (char *) "a", (char *) "bb", (char *) "PATH=/bin", NULL };
        _cleanup_strv_free_ char **c = strv_copy(src), **e = strv_copy(NULL);
        size_t bytes = 0;

        CHECK(c);
        CHECK(strv_length(c) == 3);
        CHECK(c[0] != src[0] && streq(c[1], "bb") && !c[3]);
        CHECK(e && strv_length(e) == 0 && strv_length(NULL) == 0);
        CHECK(strv_bounded(c, 3, &bytes) && bytes == 2 + 3 + 10);
        CHECK(!strv_bounded(c, 2, &bytes));
        CHECK(streq(strv_env_get(c, "PATH"), "/bin"));
        CHECK(!strv_env_get(c, "PAT") && !strv_env_get(NULL, "PATH"));
        CHECK(strv_contains(c, "a") && !strv_contains(c, "b"));
        CHECK(strv_free(NULL) == NULL);
}

static void test_list(void) {
        Item it[4] = { { .v = 0 }, { .v = 1 }, { .v = 2 }, { .v = 3 } };
        Item *head = NULL;
        int sum = 0, n = 0;

        for (int i = 0; i < 4; i++)
                LIST_PREPEND(items, head, &it[i]);
        CHECK(head == &it[3] && it[0].items_next == NULL && it[3].items_prev == NULL);
        LIST_REMOVE(items, head, &it[2]); /* middle */
        CHECK(it[3].items_next == &it[1] && it[1].items_prev == &it[3] && LIST_JUST_US(items, &it[2]));
        LIST_REMOVE(items, head, &it[3]); /* head */
        CHECK(head == &it[1] && it[1].items_prev == NULL);
        LIST_FOREACH(items, i, head) {
                sum += i->v;
                n++;
        }
        CHECK(n == 2 && sum == 1);
        LIST_FOREACH_SAFE(items, i, next, head)
                LIST_REMOVE(items, head, i);
        CHECK(head == NULL && LIST_JUST_US(items, &it[0]) && LIST_JUST_US(items, &it[1]));
}

int main(void) {
        test_strv();
        test_list();
        TESTS_END();
}
