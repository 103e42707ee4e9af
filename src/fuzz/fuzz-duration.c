/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --timeout values and RFC 3339 timestamps from the command line (and, later, HTTP queries). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "parse-util.h"
#include "time-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);
        uint64_t v;
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;
        (void) parse_duration(s, UINT64_MAX, &v);
        (void) parse_seconds(s, 3600, &v);
        (void) parse_uint_range(s, 0, UINT64_MAX, &v);
        (void) rfc3339_parse(s, &v);
        free(s);
        return 0;
}
