/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The browser's side of a WebSocket connection, scanned for unmasked frames as it arrives: whatever the
 * bytes and however they are cut into reads, the same bytes pass. The first byte picks the cut. */
#include <stdlib.h>

#include "fuzz.h"
#include "ws-guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        WsFrameScan whole = {}, pieces = {};
        size_t passed_whole, passed = 0, step;

        if (size < 1)
                return 0;
        step = data[0] % 16 + 1;
        data++;
        size--;
        passed_whole = ws_frame_scan(&whole, data, size);
        if (passed_whole > size)
                abort();
        for (size_t off = 0; off < size; off += step) {
                size_t n = size - off < step ? size - off : step;
                size_t ok = ws_frame_scan(&pieces, data + off, n);
                if (ok > n)
                        abort();
                passed += ok;
                if (ok < n)
                        break;
        }
        if (passed != passed_whole)
                abort();
        return 0;
}
