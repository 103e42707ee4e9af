/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Last-Event-ID, sent by any client reconnecting to /api/events: the first 8 bytes are the newest event's
 * seq, the rest the header. An id is taken only when it resumes within what the ring holds. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http-def.h"
#include "http-sse-id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char boot[] = "0123456789abcdef";
        uint64_t last_seq = 0, seq = UINT64_MAX;
        char *s;

        if (size < sizeof last_seq)
                return 0;
        memcpy(&last_seq, data, sizeof last_seq);
        /* Small values often, so that ids in the ring are found. */
        if (data[0] & 1)
                last_seq &= 0xffff;
        s = strndup((const char *) data + sizeof last_seq, size - sizeof last_seq);
        if (!s)
                abort();
        if (http_sse_id_parse(boot, last_seq, s, &seq)) {
                if (seq > last_seq || (last_seq >= HTTP_SSE_RING && last_seq - seq > HTTP_SSE_RING - 1) ||
                    strncmp(s, boot, strlen(boot)) != 0)
                        abort();
        } else if (seq != UINT64_MAX)
                abort(); /* written on failure */
        free(s);
        return 0;
}
