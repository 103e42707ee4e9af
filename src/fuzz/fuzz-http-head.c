/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The first request head of every TCP connection is peeked and parsed before anything else: any bytes must
 * give a head, -EAGAIN or -EBADMSG, with every field NUL-terminated within its bounds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http-head.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        HttpHead h;
        char cookie[32];
        int r;

        r = http_head_parse((const char *) data, size, &h);
        if (r != 0 && r != -EAGAIN && r != -EBADMSG)
                abort();
        if (r == 0) {
                if (h.length > size || h.length < 4)
                        abort();
                if (strnlen(h.id, sizeof h.id) == sizeof h.id || strnlen(h.host, sizeof h.host) == sizeof h.host ||
                    strnlen(h.origin, sizeof h.origin) == sizeof h.origin ||
                    strnlen(h.token, sizeof h.token) == sizeof h.token)
                        abort();
                if (h.attach && h.id[0] == 0)
                        abort();
        }
        if (http_head_cookie((const char *) data, size, "oly_token", cookie, sizeof cookie) &&
            strnlen(cookie, sizeof cookie) == sizeof cookie)
                abort();
        return 0;
}
