/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests the terminal stream framing: partial headers, split payloads, several frames, oversize rejects. */
#include <errno.h>

#include "attach-protocol.h"
#include "tests.h"

static void feed(FrameReader *r, const uint8_t *p, size_t n) {
        size_t space;
        uint8_t *d = frame_reader_space(r, &space);
        CHECK(space >= n);
        memcpy(d, p, n);
        frame_reader_fill(r, n);
}

int main(void) {
        static FrameReader r;
        uint8_t buf[64];
        FrameType t;
        const uint8_t *p;
        uint32_t len;

        frame_header(buf, FRAME_INPUT, 3);
        memcpy(buf + 5, "abc", 3);
        frame_header(buf + 8, FRAME_RESIZE, 4);
        put_u16(buf + 13, 24);
        put_u16(buf + 15, 80);

        /* Byte by byte: nothing until the whole first frame is there. */
        for (size_t i = 0; i < 7; i++) {
                feed(&r, buf + i, 1);
                CHECK_INT(frame_reader_next(&r, &t, &p, &len), 0);
        }
        feed(&r, buf + 7, 10);
        CHECK_INT(frame_reader_next(&r, &t, &p, &len), 1);
        CHECK_INT(t, FRAME_INPUT);
        CHECK_INT(len, 3);
        CHECK(memcmp(p, "abc", 3) == 0);
        frame_reader_consume(&r);
        CHECK_INT(frame_reader_next(&r, &t, &p, &len), 1);
        CHECK_INT(t, FRAME_RESIZE);
        CHECK_INT(get_u16(p), 24);
        CHECK_INT(get_u16(p + 2), 80);
        frame_reader_consume(&r);
        CHECK_INT(frame_reader_next(&r, &t, &p, &len), 0);
        CHECK_INT(r.start, 0);
        CHECK_INT(r.end, 0);

        /* An empty frame. */
        frame_header(buf, FRAME_DETACH, 0);
        feed(&r, buf, 5);
        CHECK_INT(frame_reader_next(&r, &t, &p, &len), 1);
        CHECK_INT(t, FRAME_DETACH);
        CHECK_INT(len, 0);
        frame_reader_consume(&r);

        /* Oversized: rejected from the header alone. */
        frame_header(buf, FRAME_INPUT, OLY_FRAME_PAYLOAD_MAX + 1);
        feed(&r, buf, 5);
        CHECK_INT(frame_reader_next(&r, &t, &p, &len), -EBADMSG);

        /* A maximal frame fits the reader. */
        static FrameReader r2;
        size_t space;
        frame_reader_space(&r2, &space);
        CHECK(space >= OLY_FRAME_HEADER_SIZE + OLY_FRAME_PAYLOAD_MAX);

        CHECK_INT(get_u32((const uint8_t *) "\x78\x56\x34\x12"), 0x12345678);
        TESTS_END();
}
