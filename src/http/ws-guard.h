/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RFC 6455 §5.1 for libwebsockets 4.1, which takes unmasked frames from a client: the browser's socket is
 * relayed to lws over a socketpair, and every frame header is read on the way. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

/* The browser's side of the stream: the upgrade request, then frames. A pure scanner of untrusted bytes. */
typedef struct WsFrameScan {
        uint32_t last4; /* the last bytes of the request head, until its blank line */
        bool in_frames;
        uint8_t hdr[14];
        size_t hdr_len;
        uint64_t payload_left;
} WsFrameScan;

/* Scans n more bytes. Returns how many of them may pass: n, or the offset of the second byte of a frame
 * header without the mask bit (everything from there on is refused). A scan that refused is not called
 * again. */
size_t ws_frame_scan(WsFrameScan *s, const uint8_t *p, size_t n);

typedef struct WsGuard WsGuard;
typedef void (*WsGuardRefused)(void *userdata);

/* Relays peer_fd (taken, also on failure) to a new socketpair whose other end *ret_fd is for lws. When the
 * browser sends an unmasked frame, nothing more of its bytes passes and refused(userdata) is called. The
 * guard frees itself when lws is done or a side fails, and then sets *ret to NULL; *list keeps every
 * guard, for ws_guard_free_all(). */
int ws_guard_new(sd_event *e, int peer_fd, WsGuard **list, WsGuardRefused refused, void *userdata,
                 WsGuard **ret, int *ret_fd);
/* The connection the callback and *ret were for is gone. */
void ws_guard_forget(WsGuard *g);
void ws_guard_free_all(WsGuard **list);
