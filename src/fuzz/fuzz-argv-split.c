/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* notification_hook command lines: quotes and backslashes in any combination. */
#include <stdlib.h>
#include <string.h>

#include "argv-split.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1), **v = NULL;
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;
        if (argv_split(s, 64, &v) >= 0)
                argv_free(v);
        free(s);
        return 0;
}
