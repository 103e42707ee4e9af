/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The terminal stream protocol on the socket OpenTerminal returns (dtach/abduco style): every frame is
 * a one-byte type, a 32-bit little-endian payload length and at most OLY_FRAME_PAYLOAD_MAX payload bytes.
 * A peer that sends an unknown type, an oversized length or a malformed payload is dropped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define OLY_ATTACH_PROTOCOL_VERSION 1
#define OLY_FRAME_HEADER_SIZE 5
#define OLY_FRAME_PAYLOAD_MAX (256U * 1024U)

typedef enum FrameType {
        /* daemon → client */
        FRAME_HELLO = 'H',    /* u32 protocol version, u16 rows, u16 cols; always first */
        FRAME_SNAPSHOT = 'S', /* bytes that redraw the screen, cursor and modes on a fresh terminal */
        FRAME_OUTPUT = 'O',   /* PTY output, in order, every byte */
        FRAME_EXIT = 'X',     /* i32 exit code, then the status name; the stream ends after it */
        FRAME_NOTICE = 'N',   /* a one-line message for the user (e.g. why the daemon dropped us) */
        /* client → daemon */
        FRAME_INPUT = 'i',  /* bytes for the PTY */
        FRAME_RESIZE = 'r', /* u16 rows, u16 cols */
        FRAME_DETACH = 'd', /* empty; the daemon closes the stream */
} FrameType;

static inline void frame_header(uint8_t h[OLY_FRAME_HEADER_SIZE], FrameType type, uint32_t len) {
        h[0] = (uint8_t) type;
        h[1] = (uint8_t) len;
        h[2] = (uint8_t) (len >> 8);
        h[3] = (uint8_t) (len >> 16);
        h[4] = (uint8_t) (len >> 24);
}

/* Appends one whole frame, header and payload, to b. */
static inline int frame_append(Buf *b, FrameType type, const void *payload, size_t n) {
        uint8_t h[OLY_FRAME_HEADER_SIZE];
        frame_header(h, type, (uint32_t) n);
        int r = buf_put(b, h, sizeof h);
        return r < 0 ? r : buf_put(b, payload, n);
}

static inline uint32_t frame_len(const uint8_t h[OLY_FRAME_HEADER_SIZE]) {
        return (uint32_t) h[1] | (uint32_t) h[2] << 8 | (uint32_t) h[3] << 16 | (uint32_t) h[4] << 24;
}

static inline void put_u16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}
static inline uint16_t get_u16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}
static inline void put_u32(uint8_t *p, uint32_t v) {
        put_u16(p, (uint16_t) v);
        put_u16(p + 2, (uint16_t) (v >> 16));
}
static inline uint32_t get_u32(const uint8_t *p) {
        return (uint32_t) get_u16(p) | (uint32_t) get_u16(p + 2) << 16;
}

/* Incremental reader: feed it what read() returned, take whole frames out. */
typedef struct FrameReader {
        size_t start, end; /* buffered bytes are buf[start..end) */
        uint8_t buf[OLY_FRAME_HEADER_SIZE + OLY_FRAME_PAYLOAD_MAX];
} FrameReader;

/* Where the next read() should go, and how much fits (never 0 while a whole frame can still arrive). */
uint8_t *frame_reader_space(FrameReader *r, size_t *ret_size);
void frame_reader_fill(FrameReader *r, size_t n);

/* Returns 1 and the frame when a whole one is buffered, 0 when more bytes are needed, -EBADMSG on an
 * oversized frame. The payload pointer is valid until frame_reader_consume(). */
int frame_reader_next(FrameReader *r, FrameType *ret_type, const uint8_t **ret_payload, uint32_t *ret_len);
void frame_reader_consume(FrameReader *r);
