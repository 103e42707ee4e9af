/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "attach-protocol.h"

uint8_t *frame_reader_space(FrameReader *r, size_t *ret_size) {
        if (r->start > 0) {
                memmove(r->buf, r->buf + r->start, r->end - r->start);
                r->end -= r->start;
                r->start = 0;
        }
        *ret_size = sizeof r->buf - r->end;
        return r->buf + r->end;
}

void frame_reader_fill(FrameReader *r, size_t n) {
        r->end += n;
}

int frame_reader_next(FrameReader *r, FrameType *ret_type, const uint8_t **ret_payload, uint32_t *ret_len) {
        const uint8_t *h = r->buf + r->start;
        size_t have = r->end - r->start;

        if (have < OLY_FRAME_HEADER_SIZE)
                return 0;
        uint32_t len = frame_len(h);
        if (len > OLY_FRAME_PAYLOAD_MAX)
                return -EBADMSG;
        if (have < OLY_FRAME_HEADER_SIZE + len)
                return 0;
        *ret_type = (FrameType) h[0];
        *ret_payload = h + OLY_FRAME_HEADER_SIZE;
        *ret_len = len;
        return 1;
}

void frame_reader_consume(FrameReader *r) {
        size_t used = OLY_FRAME_HEADER_SIZE + frame_len(r->buf + r->start);
        r->start += used;
        if (r->start >= r->end)
                r->start = r->end = 0;
}
