/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Key specs come from users and from HTTP clients: any string must give bytes or -EINVAL/-E2BIG. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "keyspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);
        uint8_t out[KEYSPEC_BYTES_MAX];
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;
        for (int app = 0; app < 2; app++) {
                int r = keyspec_encode(s, app, out, sizeof out);
                if (r > (int) sizeof out)
                        abort();
        }
        free(s);
        return 0;
}
