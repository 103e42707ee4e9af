/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests the --timeout duration grammar: plain milliseconds or ms/s/m/h suffixes. */
#include <errno.h>

#include "macro.h"
#include "parse-util.h"
#include "tests.h"

static int64_t dur(const char *s) {
        uint64_t v = 0;
        int r = parse_duration(s, 100ULL * 3600 * USEC_PER_SEC, &v);
        return r < 0 ? r : (int64_t) v;
}

int main(void) {
        CHECK_INT(dur("1500"), 1500 * 1000);
        CHECK_INT(dur("0"), 0);
        CHECK_INT(dur("500ms"), 500 * 1000);
        CHECK_INT(dur("2s"), 2 * 1000000);
        CHECK_INT(dur("1m"), 60 * 1000000LL);
        CHECK_INT(dur("1h"), 3600 * 1000000LL);
        CHECK_INT(dur("100h"), 100 * 3600 * 1000000LL);
        CHECK_INT(dur("101h"), -ERANGE);
        CHECK_INT(dur(""), -EINVAL);
        CHECK_INT(dur("s"), -EINVAL);
        CHECK_INT(dur("-1"), -EINVAL);
        CHECK_INT(dur("1.5s"), -EINVAL);
        CHECK_INT(dur("2 s"), -EINVAL);
        CHECK_INT(dur("2S"), -EINVAL);
        CHECK_INT(dur("2sec"), -EINVAL);
        CHECK_INT(dur("1d"), -EINVAL);
        CHECK_INT(dur("99999999999999999999999"), -ERANGE);
        TESTS_END();
}
