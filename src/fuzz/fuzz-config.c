/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config.json is user input: any bytes must parse or give one error line. */
#include <stdlib.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        OlyConfig c;
        char *err = NULL;
        oly_config_init(&c);
        int r = oly_config_parse(&c, (const char *) data, size, &err);
        if (r < 0 && !err && r == -22)
                abort(); /* every rejection says why */
        free(err);
        oly_config_done(&c);
        return 0;
}
