/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The federation link: the messages a secondary and its primary exchange over one WebSocket
 * (subprotocol OLY_LINK_SUBPROTOCOL, binary messages, one link message per WebSocket message).
 *
 * Every message is a 12-byte header and at most OLY_LINK_PAYLOAD_MAX payload bytes, all integers
 * little-endian:
 *
 *   offset  size  field
 *   0       1     version   OLY_LINK_VERSION; anything else is refused
 *   1       1     type      LinkType
 *   2       2     flags     per type (LINK_FLAG_*); a bit the type does not define is refused
 *   4       4     id        call id (CALL, REPLY, ERROR) or stream id (STREAM_*): not 0;
 *                           0 for HELLO, SIGNAL, PING, PONG
 *   8       4     length    payload bytes that follow, 0 .. OLY_LINK_PAYLOAD_MAX
 *
 * Payload fields, in order; "str16" is a u16 length and that many bytes, "sig" a u8 length and a D-Bus
 * signature, "rest" every byte up to the end. Strings are valid UTF-8 without NUL; names and paths
 * follow the D-Bus rules. A payload must be consumed exactly: trailing bytes are refused.
 *
 *   HELLO         u64 capabilities (LINK_CAP_*; unknown bits are ignored, not refused),
 *                 str16 node (1..OLY_NODE_NAME_MAX of [A-Za-z0-9._-]), str16 software version
 *                 (1..64 printable ASCII). Each side sends it first, once.
 *   CALL          u64 timeout µs (1..OLY_LINK_TIMEOUT_MAX_USEC, relative: the two clocks differ),
 *                 str16 path, str16 interface, str16 member, sig, rest = body.
 *                 flag LINK_FLAG_NO_REPLY: the caller wants no REPLY or ERROR.
 *   REPLY         sig, rest = body.                     (id = the CALL's)
 *   ERROR         str16 error name, str16 message (0..OLY_LINK_TEXT_MAX). (id = the CALL's)
 *   SIGNAL        str16 path, str16 interface, str16 member, sig, rest = body.
 *   STREAM_OPEN   u8 kind (LinkStreamKind), u64 kind flags (e.g. OpenTerminal's), u32 window, str16 path.
 *                 The opener asks; the peer accepts with a STREAM_OPEN of the same id, kind and
 *                 flag LINK_FLAG_ACCEPT, kind flags 0 and an empty path, or refuses with STREAM_CLOSE.
 *   STREAM_DATA   rest = 1..OLY_LINK_PAYLOAD_MAX bytes of the stream, in order.
 *   STREAM_CREDIT u32 bytes (>= 1) the sender grants the peer on this stream.
 *   STREAM_CLOSE  u32 code (0: ended normally, else a positive errno), str16 message (0..OLY_LINK_TEXT_MAX).
 *   PING, PONG    u64 opaque; PONG echoes the PING's (a sender's clock reading gives the round trip).
 *
 * Bodies carry a D-Bus method's or signal's arguments in an explicit typed encoding that follows the
 * signature, without D-Bus's alignment: y and b (0 or 1) one byte; n q two; i u four; x t d eight; s o
 * a u32 length and the bytes (no NUL); g a u8 length and the signature; a a u32 element count and the
 * elements; ( ) and { } their fields in order; v a u8 signature length, one complete type, its value.
 * h (a file descriptor) never crosses a machine: attach and log streams are STREAM_* instead. Why not
 * sd-bus's own marshalled bytes: libsystemd offers no public way to take a message's body out as bytes or
 * to build one from them; this encoding is also simpler to validate, and the link converts it to and
 * from sd_bus_message with the public read/append calls. Every element takes at least one byte, so an
 * element count is bounded by the bytes left and a walk is linear; nesting is bounded by
 * OLY_LINK_DEPTH_MAX.
 *
 * Flow control: a side sends at most as many STREAM_DATA bytes on a stream as the peer has granted
 * (its window in STREAM_OPEN, then each STREAM_CREDIT); one stream waiting for credit stalls no other.
 * Ids: the primary uses odd call and stream ids, the secondary even ones, so both may open at once. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"

#define OLY_LINK_VERSION 1
#define OLY_LINK_SUBPROTOCOL "oly-link.1"
#define OLY_LINK_HEADER_SIZE 12
#define OLY_LINK_PAYLOAD_MAX (1024U * 1024U) /* bytes after the header */
#define OLY_LINK_MESSAGE_MAX (OLY_LINK_HEADER_SIZE + OLY_LINK_PAYLOAD_MAX) /* a whole message */
#define OLY_LINK_NAME_MAX 255 /* path, interface, member, error name */
#define OLY_LINK_SIGNATURE_MAX 255
#define OLY_LINK_TEXT_MAX 4096 /* an error's or a close's message */
#define OLY_LINK_SOFTWARE_VERSION_MAX 64
#define OLY_LINK_DEPTH_MAX 64 /* nested arrays, structs, dict entries and variants in a body */
#define OLY_LINK_TIMEOUT_MAX_USEC (24ULL * 3600ULL * 1000000ULL)

typedef enum LinkType {
        LINK_HELLO = 1,
        LINK_CALL,
        LINK_REPLY,
        LINK_ERROR,
        LINK_SIGNAL,
        LINK_STREAM_OPEN,
        LINK_STREAM_DATA,
        LINK_STREAM_CREDIT,
        LINK_STREAM_CLOSE,
        LINK_PING,
        LINK_PONG,
        _LINK_TYPE_MAX,
        _LINK_TYPE_INVALID = -EINVAL,
} LinkType;

#define LINK_FLAG_NO_REPLY (UINT16_C(1) << 0) /* CALL */
#define LINK_FLAG_ACCEPT (UINT16_C(1) << 0) /* STREAM_OPEN */

typedef enum LinkStreamKind {
        LINK_STREAM_TERMINAL = 1, /* OpenTerminal: the attach protocol's frames (attach-protocol.h) */
        LINK_STREAM_LOG = 2, /* OpenLog: the log's bytes from the start */
        _LINK_STREAM_KIND_MAX,
} LinkStreamKind;

/* Capabilities in HELLO; none yet. */
#define LINK_CAP_NONE UINT64_C(0)

/* Views into the decoded buffer (or, to encode, into the caller's memory): not NUL-terminated. */
typedef struct LinkString {
        const char *data;
        size_t len;
} LinkString;

typedef struct LinkBytes {
        const uint8_t *data;
        size_t len;
} LinkBytes;

#define LINK_STR(s) ((LinkString){ .data = (s), .len = strlen(s) })

typedef struct LinkMessage {
        LinkType type;
        uint16_t flags;
        uint32_t id;
        union {
                struct {
                        uint64_t capabilities;
                        LinkString node, version;
                } hello;
                struct {
                        uint64_t timeout_usec;
                        LinkString path, interface, member, signature;
                        LinkBytes body;
                } call;
                struct {
                        LinkString path, interface, member, signature;
                        LinkBytes body;
                } signal;
                struct {
                        LinkString signature;
                        LinkBytes body;
                } reply;
                struct {
                        LinkString name, message;
                } error;
                struct {
                        uint8_t kind;
                        uint64_t flags;
                        uint32_t window;
                        LinkString path;
                } open;
                LinkBytes data;
                uint32_t credit;
                struct {
                        uint32_t code;
                        LinkString message;
                } close;
                uint64_t ping; /* PING and PONG */
        };
} LinkMessage;

const char *link_type_to_string(LinkType t);
LinkType link_type_from_string(const char *s);

/* For a byte stream: 1 and the whole message's size once the header is in, 0 while it is not,
 * -EBADMSG when the header is already wrong (version, type, length). */
int link_header_peek(const uint8_t *buf, size_t size, size_t *ret_total);

/* Decodes exactly one message that fills buf[0..size) (a WebSocket message). ret's views point into
 * buf. -EBADMSG on anything malformed; nothing is allocated. */
int link_message_decode(const uint8_t *buf, size_t size, LinkMessage *ret);

/* Appends one message to out. -EINVAL when m is not a message the decoder would accept, -EMSGSIZE
 * when its payload is larger than OLY_LINK_PAYLOAD_MAX; out is left as it was on failure. */
int link_message_encode(const LinkMessage *m, Buf *out);

/* D-Bus syntax, as the link checks it. */
bool link_object_path_is_valid(const char *p, size_t len);
bool link_interface_is_valid(const char *p, size_t len); /* also error names */
bool link_member_is_valid(const char *p, size_t len);
/* A sequence of complete types without 'h' (single: exactly one complete type). */
bool link_signature_is_valid(const char *p, size_t len, bool single);
bool link_utf8_is_valid(const char *p, size_t len); /* and no NUL */

/* 0 when body is exactly a sequence of values of signature sig, -EBADMSG otherwise. */
int link_body_validate(LinkString sig, LinkBytes body);

/* Reading a body (or a payload), bounds-checked: each returns -EBADMSG when too few bytes are left
 * and advances only on success. */
typedef struct LinkCursor {
        const uint8_t *p;
        size_t left;
} LinkCursor;

int link_cursor_u8(LinkCursor *c, uint8_t *ret);
int link_cursor_u16(LinkCursor *c, uint16_t *ret);
int link_cursor_u32(LinkCursor *c, uint32_t *ret);
int link_cursor_u64(LinkCursor *c, uint64_t *ret);
int link_cursor_bytes(LinkCursor *c, size_t n, const uint8_t **ret);
/* A body's s/o (u32 length) or g (u8 length) value, checked as that type. */
int link_cursor_body_string(LinkCursor *c, char type, LinkString *ret);

/* Writing a body: values in the encoding above, for the signature the caller follows. */
int link_body_put_u8(Buf *b, uint8_t v);
int link_body_put_u16(Buf *b, uint16_t v);
int link_body_put_u32(Buf *b, uint32_t v);
int link_body_put_u64(Buf *b, uint64_t v);
int link_body_put_string(Buf *b, char type, const char *s); /* 's', 'o' or 'g' */
/* An array: begin writes a placeholder count and returns where; end fills it in. */
int link_body_begin_array(Buf *b, size_t *ret_pos);
void link_body_end_array(Buf *b, size_t pos, uint32_t count);
