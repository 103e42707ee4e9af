/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests the notification_hook word splitting: quotes, escapes, placeholders kept whole, errors. */
#include <errno.h>

#include "argv-split.h"
#include "tests.h"

static void check(const char *s, const char *const *want) {
        char **v = NULL;
        int r = argv_split(s, 64, &v);
        CHECK_INT(r, 0);
        if (r < 0)
                return;
        size_t i = 0;
        for (; want[i]; i++)
                CHECK_STREQ(v[i], want[i]);
        CHECK(v[i] == NULL);
        argv_free(v);
}

int main(void) {
        char **v;
        check("notify-send oly", (const char *[]) { "notify-send", "oly", NULL });
        check("  a   b\tc  ", (const char *[]) { "a", "b", "c", NULL });
        check("/bin/hook '{title} needs you' {id}", (const char *[]) { "/bin/hook", "{title} needs you", "{id}", NULL });
        check("a\"b c\"d", (const char *[]) { "ab cd", NULL });
        check("\"x \\\" y \\\\ \\n\"", (const char *[]) { "x \" y \\ \\n", NULL });
        check("a\\ b", (const char *[]) { "a b", NULL });
        check("''", (const char *[]) { "", NULL });
        check("'$HOME' \"$HOME\"", (const char *[]) { "$HOME", "$HOME", NULL });
        check("", (const char *[]) { NULL });
        CHECK_INT(argv_split("'open", 64, &v), -EINVAL);
        CHECK_INT(argv_split("\"open", 64, &v), -EINVAL);
        CHECK_INT(argv_split("trailing\\", 64, &v), -EINVAL);
        CHECK_INT(argv_split("a b c", 2, &v), -E2BIG);
        TESTS_END();
}
