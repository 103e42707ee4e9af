/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing Last-Event-ID (see http-sse-id.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "http-def.h"
#include "http-sse-id.h"
#include "macro.h"

bool http_sse_id_parse(const char *boot, uint64_t last_seq, const char *s, uint64_t *ret) {
        const char *rest = startswith(strempty(s), boot);
        char *end;
        uint64_t seq;

        if (isempty(boot) || !rest || *rest != '-' || !isdigit((unsigned char) rest[1]))
                return false;
        errno = 0;
        seq = strtoull(rest + 1, &end, 10);
        if (errno != 0 || *end || seq > last_seq)
                return false;
        /* The ring holds last_seq-RING+1 … last_seq; the client needs seq+1 onwards. */
        if (last_seq - seq > HTTP_SSE_RING - 1 && last_seq >= HTTP_SSE_RING)
                return false;
        *ret = seq;
        return true;
}
