/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Federation link messages come from the other machine: arbitrary bytes. Whatever the decoder accepts
 * must lie inside the input and re-encode to exactly the same bytes (one encoding per message). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "link-protocol.h"

static void check_inside(const uint8_t *buf, size_t size, const void *p, size_t n) {
        if (n > 0 && ((const uint8_t *) p < buf || (const uint8_t *) p + n > buf + size))
                abort();
}

static void one(const uint8_t *buf, size_t size) {
        _cleanup_buf_free_ Buf again = {};
        LinkMessage m;

        if (link_message_decode(buf, size, &m) < 0)
                return;
        switch (m.type) {
        case LINK_CALL:
                check_inside(buf, size, m.call.body.data, m.call.body.len);
                check_inside(buf, size, m.call.member.data, m.call.member.len);
                break;
        case LINK_STREAM_DATA:
                check_inside(buf, size, m.data.data, m.data.len);
                if (m.data.len == 0 || m.data.len > OLY_LINK_PAYLOAD_MAX)
                        abort();
                break;
        case LINK_ERROR:
                check_inside(buf, size, m.error.message.data, m.error.message.len);
                break;
        default:
                break;
        }
        if (link_message_encode(&m, &again) < 0 || again.len != size || memcmp(again.data, buf, size) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t off = 0, total;

        /* As one WebSocket message, and as a byte stream of messages. */
        one(data, size);
        while (off < size && link_header_peek(data + off, size - off, &total) > 0 && total <= size - off) {
                one(data + off, total);
                off += total;
        }
        return 0;
}
