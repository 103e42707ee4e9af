/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dlopen-util.h: all or nothing, and one message naming what is missing. */
#include <errno.h>
#include <string.h>

#include "dlopen-util.h"
#include "macro.h"
#include "tests.h"

static DLSYM_PROTOTYPE(strlen) = NULL;
static size_t (*sym_no_such_symbol)(const char *) = NULL;

int main(void) {
        void *dl = NULL;
        char *err = NULL;
        const DlSymbol good[] = { DLSYM_ARG(strlen) };
        const DlSymbol bad[] = { DLSYM_ARG(strlen),
                                 { "oly_no_such_symbol", (void **) &sym_no_such_symbol } };

        CHECK_INT(dlopen_many_sym(&dl, "liboly-no-such-library.so.0", good, ELEMENTSOF(good), &err),
                  -EOPNOTSUPP);
        CHECK(!dl && err && strstr(err, "liboly-no-such-library.so.0"));
        free(err);
        err = NULL;

        CHECK_INT(dlopen_many_sym(&dl, "libc.so.6", bad, ELEMENTSOF(bad), &err), -EOPNOTSUPP);
        CHECK(!dl && !sym_strlen && err && strstr(err, "oly_no_such_symbol"));
        free(err);
        err = NULL;

        CHECK_INT(dlopen_many_sym(&dl, "libc.so.6", good, ELEMENTSOF(good), &err), 0);
        CHECK(dl && sym_strlen && sym_strlen("abc") == 3 && !err);
        CHECK_INT(dlopen_many_sym(&dl, "libc.so.6", good, ELEMENTSOF(good), NULL),
                  0); /* once loaded: at once */
        TESTS_END();
}
