/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Terminal stream frames come from attached clients: arbitrary bytes, fed in arbitrary pieces. */
#include <stdlib.h>
#include <string.h>

#include "attach-protocol.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static FrameReader r;
        size_t off = 0;

        r.start = r.end = 0;
        while (off < size) {
                size_t space;
                uint8_t *dst = frame_reader_space(&r, &space);
                /* Piece sizes from the data itself, so the fuzzer explores splits too. */
                size_t n = 1 + data[off] % 97;
                n = n < space ? n : space;
                n = n < size - off ? n : size - off;
                if (n == 0)
                        break;
                memcpy(dst, data + off, n);
                frame_reader_fill(&r, n);
                off += n;
                for (;;) {
                        FrameType t;
                        const uint8_t *p;
                        uint32_t len;
                        int q = frame_reader_next(&r, &t, &p, &len);
                        if (q <= 0) {
                                if (q < 0)
                                        return 0; /* the daemon drops such a peer */
                                break;
                        }
                        if (len > OLY_FRAME_PAYLOAD_MAX || p < r.buf || p + len > r.buf + sizeof r.buf)
                                abort();
                        frame_reader_consume(&r);
                }
        }
        return 0;
}
