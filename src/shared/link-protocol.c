/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The federation link's codec: a strict decoder (every field checked, nothing read past the buffer,
 * nothing allocated) and an encoder that emits only what the decoder accepts. */
#include <errno.h>
#include <string.h>

#include "api-key.h"
#include "link-protocol.h"
#include "macro.h"

static const char *const link_type_table[_LINK_TYPE_MAX] = {
        [LINK_HELLO] = "hello",
        [LINK_CALL] = "call",
        [LINK_REPLY] = "reply",
        [LINK_ERROR] = "error",
        [LINK_SIGNAL] = "signal",
        [LINK_STREAM_OPEN] = "stream-open",
        [LINK_STREAM_DATA] = "stream-data",
        [LINK_STREAM_CREDIT] = "stream-credit",
        [LINK_STREAM_CLOSE] = "stream-close",
        [LINK_PING] = "ping",
        [LINK_PONG] = "pong",
};

const char *link_type_to_string(LinkType t) {
        return t > 0 && t < _LINK_TYPE_MAX ? link_type_table[t] : NULL;
}

LinkType link_type_from_string(const char *s) {
        for (int t = 1; s && t < _LINK_TYPE_MAX; t++)
                if (streq(s, link_type_table[t]))
                        return (LinkType) t;
        return _LINK_TYPE_INVALID;
}

/* The flags each type defines. */
static uint16_t type_flags(LinkType t) {
        return t == LINK_CALL ? LINK_FLAG_NO_REPLY : t == LINK_STREAM_OPEN ? LINK_FLAG_ACCEPT : 0;
}

static bool type_has_id(LinkType t) {
        return t != LINK_HELLO && t != LINK_SIGNAL && t != LINK_PING && t != LINK_PONG;
}

/* ---- little-endian cursor ---- */

int link_cursor_bytes(LinkCursor *c, size_t n, const uint8_t **ret) {
        if (n > c->left)
                return -EBADMSG;
        *ret = c->p;
        c->p += n;
        c->left -= n;
        return 0;
}

static uint64_t le(const uint8_t *p, size_t n) {
        uint64_t v = 0;
        for (size_t i = n; i > 0; i--)
                v = v << 8 | p[i - 1];
        return v;
}

#define DEFINE_CURSOR_INT(bits)                                       \
        int link_cursor_u##bits(LinkCursor *c, uint##bits##_t *ret) { \
                const uint8_t *p;                                     \
                int r = link_cursor_bytes(c, (bits) / 8, &p);         \
                if (r < 0)                                            \
                        return r;                                     \
                *ret = (uint##bits##_t) le(p, (bits) / 8);            \
                return 0;                                             \
        }
DEFINE_CURSOR_INT(8)
DEFINE_CURSOR_INT(16)
DEFINE_CURSOR_INT(32)
DEFINE_CURSOR_INT(64)

/* ---- syntax ---- */

bool link_utf8_is_valid(const char *s, size_t len) {
        const uint8_t *p = (const uint8_t *) s, *end = p + len;

        while (p < end) {
                uint8_t c = *p;
                size_t n;
                uint32_t cp;

                if (c == 0)
                        return false;
                if (c < 0x80) {
                        p++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        n = 1, cp = c & 0x1f;
                else if (c >= 0xe0 && c <= 0xef)
                        n = 2, cp = c & 0x0f;
                else if (c >= 0xf0 && c <= 0xf4)
                        n = 3, cp = c & 0x07;
                else
                        return false;
                if ((size_t) (end - p) <= n)
                        return false;
                for (size_t i = 1; i <= n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (p[i] & 0x3f);
                }
                /* overlong, surrogates, beyond U+10FFFF */
                if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                p += n + 1;
        }
        return true;
}

static bool name_char(char c, bool first) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
               (!first && c >= '0' && c <= '9');
}

bool link_object_path_is_valid(const char *p, size_t len) {
        if (len == 0 || len > OLY_LINK_NAME_MAX || p[0] != '/')
                return false;
        if (len == 1)
                return true;
        for (size_t i = 1; i < len; i++) {
                if (p[i] == '/') {
                        if (p[i - 1] == '/' || i == len - 1)
                                return false;
                } else if (!name_char(p[i], false))
                        return false;
        }
        return true;
}

bool link_interface_is_valid(const char *p, size_t len) {
        unsigned elements = 1;
        bool start = true;

        if (len == 0 || len > OLY_LINK_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (p[i] == '.') {
                        if (start)
                                return false;
                        elements++;
                        start = true;
                } else if (name_char(p[i], start))
                        start = false;
                else
                        return false;
        }
        return !start && elements >= 2;
}

bool link_member_is_valid(const char *p, size_t len) {
        if (len == 0 || len > OLY_LINK_NAME_MAX || !name_char(p[0], true))
                return false;
        for (size_t i = 1; i < len; i++)
                if (!name_char(p[i], false))
                        return false;
        return true;
}

static bool basic_type(char c) {
        return c && strchr("ybnqiuxtdsog", c);
}

/* One complete type at p[*i], advancing *i past it. Depths as D-Bus counts them. */
static bool signature_one(const char *p, size_t len, size_t *i, unsigned arrays, unsigned structs) {
        if (*i >= len)
                return false;
        char c = p[(*i)++];
        if (basic_type(c) || c == 'v')
                return true;
        if (c == 'a') {
                if (arrays >= 32 || *i >= len)
                        return false;
                if (p[*i] == '{') {
                        (*i)++;
                        if (*i >= len || !basic_type(p[*i]))
                                return false;
                        (*i)++;
                        if (!signature_one(p, len, i, arrays + 1, structs + 1))
                                return false;
                        return *i < len && p[(*i)++] == '}';
                }
                return signature_one(p, len, i, arrays + 1, structs);
        }
        if (c == '(') {
                if (structs >= 32 || *i >= len || p[*i] == ')')
                        return false;
                while (*i < len && p[*i] != ')')
                        if (!signature_one(p, len, i, arrays, structs + 1))
                                return false;
                return *i < len && p[(*i)++] == ')';
        }
        return false; /* 'h', '{' outside an array, ')', '}', anything else */
}

bool link_signature_is_valid(const char *p, size_t len, bool single) {
        size_t i = 0;

        if (len > OLY_LINK_SIGNATURE_MAX)
                return false;
        if (single)
                return signature_one(p, len, &i, 0, 0) && i == len;
        while (i < len)
                if (!signature_one(p, len, &i, 0, 0))
                        return false;
        return true;
}

/* ---- bodies ---- */

int link_cursor_body_string(LinkCursor *c, char type, LinkString *ret) {
        const uint8_t *p;
        uint32_t n;
        int r;

        if (type == 'g') {
                uint8_t n8;
                r = link_cursor_u8(c, &n8);
                n = n8;
        } else
                r = link_cursor_u32(c, &n);
        if (r < 0)
                return r;
        r = link_cursor_bytes(c, n, &p);
        if (r < 0)
                return r;
        if (!link_utf8_is_valid((const char *) p, n))
                return -EBADMSG;
        if (type == 'o' && !link_object_path_is_valid((const char *) p, n))
                return -EBADMSG;
        if (type == 'g' && !link_signature_is_valid((const char *) p, n, false))
                return -EBADMSG;
        *ret = (LinkString){ (const char *) p, n };
        return 0;
}

/* Validates one value of the complete type at sig[*i], advancing both. */
static int body_value(const char *sig, size_t len, size_t *i, LinkCursor *c, unsigned depth) {
        const uint8_t *p;
        LinkString s;
        int r;

        if (depth > OLY_LINK_DEPTH_MAX || *i >= len)
                return -EBADMSG;
        char t = sig[(*i)++];
        switch (t) {
        case 'y':
                return link_cursor_bytes(c, 1, &p);
        case 'b':
                r = link_cursor_bytes(c, 1, &p);
                return r < 0 ? r : *p <= 1 ? 0 : -EBADMSG;
        case 'n':
        case 'q':
                return link_cursor_bytes(c, 2, &p);
        case 'i':
        case 'u':
                return link_cursor_bytes(c, 4, &p);
        case 'x':
        case 't':
        case 'd':
                return link_cursor_bytes(c, 8, &p);
        case 's':
        case 'o':
        case 'g':
                return link_cursor_body_string(c, t, &s);
        case 'v': {
                size_t j = 0;
                r = link_cursor_body_string(c, 'g', &s);
                if (r < 0)
                        return r;
                if (!link_signature_is_valid(s.data, s.len, true))
                        return -EBADMSG;
                return body_value(s.data, s.len, &j, c, depth + 1);
        }
        case 'a': {
                size_t elem = *i, after = *i - 1;
                uint32_t n;
                /* Where the array's type ends (the signature was checked already). */
                if (!signature_one(sig, len, &after, 0, 0))
                        return -EBADMSG;
                r = link_cursor_u32(c, &n);
                if (r < 0)
                        return r;
                if (n > c->left) /* every element takes at least one byte */
                        return -EBADMSG;
                for (uint32_t k = 0; k < n; k++) {
                        size_t j = elem;
                        if (sig[elem] == '{') {
                                j = elem + 1; /* key and value, up to the '}' */
                                r = body_value(sig, after - 1, &j, c, depth + 1);
                                if (r >= 0)
                                        r = body_value(sig, after - 1, &j, c, depth + 1);
                        } else
                                r = body_value(sig, after, &j, c, depth + 1);
                        if (r < 0)
                                return r;
                }
                *i = after;
                return 0;
        }
        case '(':
                while (*i < len && sig[*i] != ')') {
                        r = body_value(sig, len, i, c, depth + 1);
                        if (r < 0)
                                return r;
                }
                if (*i >= len)
                        return -EBADMSG;
                (*i)++;
                return 0;
        default:
                return -EBADMSG;
        }
}

int link_body_validate(LinkString sig, LinkBytes body) {
        LinkCursor c = { body.data, body.len };
        size_t i = 0;
        int r;

        if (!link_signature_is_valid(sig.data, sig.len, false))
                return -EBADMSG;
        while (i < sig.len) {
                r = body_value(sig.data, sig.len, &i, &c, 0);
                if (r < 0)
                        return r;
        }
        return c.left == 0 ? 0 : -EBADMSG;
}

/* ---- payload fields ---- */

static int read_str16(LinkCursor *c, size_t max, LinkString *ret) {
        const uint8_t *p;
        uint16_t n;
        int r;

        r = link_cursor_u16(c, &n);
        if (r < 0)
                return r;
        if (n > max)
                return -EBADMSG;
        r = link_cursor_bytes(c, n, &p);
        if (r < 0)
                return r;
        if (!link_utf8_is_valid((const char *) p, n))
                return -EBADMSG;
        *ret = (LinkString){ (const char *) p, n };
        return 0;
}

static int read_sig(LinkCursor *c, LinkString *ret) {
        const uint8_t *p;
        uint8_t n;
        int r;

        r = link_cursor_u8(c, &n);
        if (r < 0)
                return r;
        r = link_cursor_bytes(c, n, &p);
        if (r < 0)
                return r;
        if (!link_signature_is_valid((const char *) p, n, false))
                return -EBADMSG;
        *ret = (LinkString){ (const char *) p, n };
        return 0;
}

static int read_member_triple(LinkCursor *c, LinkString *path, LinkString *iface, LinkString *member) {
        if (read_str16(c, OLY_LINK_NAME_MAX, path) < 0 ||
            !link_object_path_is_valid(path->data, path->len) ||
            read_str16(c, OLY_LINK_NAME_MAX, iface) < 0 ||
            !link_interface_is_valid(iface->data, iface->len) ||
            read_str16(c, OLY_LINK_NAME_MAX, member) < 0 || !link_member_is_valid(member->data, member->len))
                return -EBADMSG;
        return 0;
}

static LinkBytes rest(LinkCursor *c) {
        LinkBytes b = { c->p, c->left };
        c->p += c->left;
        c->left = 0;
        return b;
}

static bool node_name_ok(LinkString s) {
        char buf[OLY_NODE_NAME_MAX + 1];
        if (s.len == 0 || s.len > OLY_NODE_NAME_MAX)
                return false;
        memcpy(buf, s.data, s.len);
        buf[s.len] = 0;
        return api_key_name_is_valid(buf);
}

static bool software_version_ok(LinkString s) {
        if (s.len == 0 || s.len > OLY_LINK_SOFTWARE_VERSION_MAX)
                return false;
        for (size_t i = 0; i < s.len; i++)
                if (s.data[i] < 0x21 || s.data[i] > 0x7e)
                        return false;
        return true;
}

static int decode_payload(LinkMessage *m, LinkCursor *c) {
        int r;

        switch (m->type) {
        case LINK_HELLO:
                if (link_cursor_u64(c, &m->hello.capabilities) < 0 ||
                    read_str16(c, OLY_NODE_NAME_MAX, &m->hello.node) < 0 || !node_name_ok(m->hello.node) ||
                    read_str16(c, OLY_LINK_SOFTWARE_VERSION_MAX, &m->hello.version) < 0 ||
                    !software_version_ok(m->hello.version))
                        return -EBADMSG;
                return 0;
        case LINK_CALL:
                if (link_cursor_u64(c, &m->call.timeout_usec) < 0 || m->call.timeout_usec == 0 ||
                    m->call.timeout_usec > OLY_LINK_TIMEOUT_MAX_USEC ||
                    read_member_triple(c, &m->call.path, &m->call.interface, &m->call.member) < 0 ||
                    read_sig(c, &m->call.signature) < 0)
                        return -EBADMSG;
                m->call.body = rest(c);
                return link_body_validate(m->call.signature, m->call.body);
        case LINK_SIGNAL:
                if (read_member_triple(c, &m->signal.path, &m->signal.interface, &m->signal.member) < 0 ||
                    read_sig(c, &m->signal.signature) < 0)
                        return -EBADMSG;
                m->signal.body = rest(c);
                return link_body_validate(m->signal.signature, m->signal.body);
        case LINK_REPLY:
                r = read_sig(c, &m->reply.signature);
                if (r < 0)
                        return r;
                m->reply.body = rest(c);
                return link_body_validate(m->reply.signature, m->reply.body);
        case LINK_ERROR:
                if (read_str16(c, OLY_LINK_NAME_MAX, &m->error.name) < 0 ||
                    !link_interface_is_valid(m->error.name.data, m->error.name.len) ||
                    read_str16(c, OLY_LINK_TEXT_MAX, &m->error.message) < 0)
                        return -EBADMSG;
                return 0;
        case LINK_STREAM_OPEN: {
                bool accept = m->flags & LINK_FLAG_ACCEPT;
                if (link_cursor_u8(c, &m->open.kind) < 0 || m->open.kind == 0 ||
                    m->open.kind >= _LINK_STREAM_KIND_MAX || link_cursor_u64(c, &m->open.flags) < 0 ||
                    link_cursor_u32(c, &m->open.window) < 0 ||
                    read_str16(c, OLY_LINK_NAME_MAX, &m->open.path) < 0)
                        return -EBADMSG;
                if (accept ? m->open.flags != 0 || m->open.path.len != 0
                           : !link_object_path_is_valid(m->open.path.data, m->open.path.len))
                        return -EBADMSG;
                return 0;
        }
        case LINK_STREAM_DATA:
                m->data = rest(c);
                return m->data.len > 0 ? 0 : -EBADMSG;
        case LINK_STREAM_CREDIT:
                if (link_cursor_u32(c, &m->credit) < 0 || m->credit == 0)
                        return -EBADMSG;
                return 0;
        case LINK_STREAM_CLOSE:
                if (link_cursor_u32(c, &m->close.code) < 0 || m->close.code > INT32_MAX ||
                    read_str16(c, OLY_LINK_TEXT_MAX, &m->close.message) < 0)
                        return -EBADMSG;
                return 0;
        case LINK_PING:
        case LINK_PONG:
                return link_cursor_u64(c, &m->ping);
        default:
                return -EBADMSG;
        }
}

int link_header_peek(const uint8_t *buf, size_t size, size_t *ret_total) {
        if (size < OLY_LINK_HEADER_SIZE)
                return 0;
        uint32_t len = (uint32_t) le(buf + 8, 4);
        if (buf[0] != OLY_LINK_VERSION || buf[1] == 0 || buf[1] >= _LINK_TYPE_MAX ||
            len > OLY_LINK_PAYLOAD_MAX)
                return -EBADMSG;
        *ret_total = OLY_LINK_HEADER_SIZE + (size_t) len;
        return 1;
}

int link_message_decode(const uint8_t *buf, size_t size, LinkMessage *ret) {
        LinkMessage m = {};
        size_t total;
        int r;

        r = link_header_peek(buf, size, &total);
        if (r <= 0 || total != size)
                return -EBADMSG;
        m.type = (LinkType) buf[1];
        m.flags = (uint16_t) le(buf + 2, 2);
        m.id = (uint32_t) le(buf + 4, 4);
        if ((m.flags & ~type_flags(m.type)) || (m.id != 0) != type_has_id(m.type))
                return -EBADMSG;

        LinkCursor c = { buf + OLY_LINK_HEADER_SIZE, size - OLY_LINK_HEADER_SIZE };
        r = decode_payload(&m, &c);
        if (r < 0 || c.left != 0)
                return -EBADMSG;
        *ret = m;
        return 0;
}

/* ---- encoding ---- */

static void put_le(uint8_t *p, uint64_t v, size_t n) {
        for (size_t i = 0; i < n; i++, v >>= 8)
                p[i] = (uint8_t) v;
}

static int put_int(Buf *b, uint64_t v, size_t n) {
        uint8_t p[8];
        put_le(p, v, n);
        return buf_put(b, p, n);
}

int link_body_put_u8(Buf *b, uint8_t v) {
        return put_int(b, v, 1);
}
int link_body_put_u16(Buf *b, uint16_t v) {
        return put_int(b, v, 2);
}
int link_body_put_u32(Buf *b, uint32_t v) {
        return put_int(b, v, 4);
}
int link_body_put_u64(Buf *b, uint64_t v) {
        return put_int(b, v, 8);
}

int link_body_put_string(Buf *b, char type, const char *s) {
        size_t n = strlen(s);
        int r;

        if (type == 'g') {
                if (n > OLY_LINK_SIGNATURE_MAX)
                        return -EINVAL;
                r = put_int(b, n, 1);
        } else {
                if (n > UINT32_MAX)
                        return -EINVAL;
                r = put_int(b, n, 4);
        }
        return r < 0 ? r : buf_put(b, s, n);
}

int link_body_begin_array(Buf *b, size_t *ret_pos) {
        size_t pos = b->len;
        int r = put_int(b, 0, 4);
        if (r < 0)
                return r;
        *ret_pos = pos;
        return 0;
}

void link_body_end_array(Buf *b, size_t pos, uint32_t count) {
        put_le(b->data + pos, count, 4);
}

static int put_str16(Buf *b, LinkString s) {
        if (s.len > UINT16_MAX)
                return -EINVAL;
        int r = put_int(b, s.len, 2);
        return r < 0 ? r : buf_put(b, s.data, s.len);
}

static int put_sig(Buf *b, LinkString s) {
        if (s.len > OLY_LINK_SIGNATURE_MAX)
                return -EINVAL;
        int r = put_int(b, s.len, 1);
        return r < 0 ? r : buf_put(b, s.data, s.len);
}

static int encode_payload(const LinkMessage *m, Buf *b) {
        int r;

#define TRY(x)                    \
        do {                      \
                r = (x);          \
                if (r < 0)        \
                        return r; \
        } while (0)

        switch (m->type) {
        case LINK_HELLO:
                TRY(put_int(b, m->hello.capabilities, 8));
                TRY(put_str16(b, m->hello.node));
                return put_str16(b, m->hello.version);
        case LINK_CALL:
                TRY(put_int(b, m->call.timeout_usec, 8));
                TRY(put_str16(b, m->call.path));
                TRY(put_str16(b, m->call.interface));
                TRY(put_str16(b, m->call.member));
                TRY(put_sig(b, m->call.signature));
                return buf_put(b, m->call.body.data, m->call.body.len);
        case LINK_SIGNAL:
                TRY(put_str16(b, m->signal.path));
                TRY(put_str16(b, m->signal.interface));
                TRY(put_str16(b, m->signal.member));
                TRY(put_sig(b, m->signal.signature));
                return buf_put(b, m->signal.body.data, m->signal.body.len);
        case LINK_REPLY:
                TRY(put_sig(b, m->reply.signature));
                return buf_put(b, m->reply.body.data, m->reply.body.len);
        case LINK_ERROR:
                TRY(put_str16(b, m->error.name));
                return put_str16(b, m->error.message);
        case LINK_STREAM_OPEN:
                TRY(put_int(b, m->open.kind, 1));
                TRY(put_int(b, m->open.flags, 8));
                TRY(put_int(b, m->open.window, 4));
                return put_str16(b, m->open.path);
        case LINK_STREAM_DATA:
                return buf_put(b, m->data.data, m->data.len);
        case LINK_STREAM_CREDIT:
                return put_int(b, m->credit, 4);
        case LINK_STREAM_CLOSE:
                TRY(put_int(b, m->close.code, 4));
                return put_str16(b, m->close.message);
        case LINK_PING:
        case LINK_PONG:
                return put_int(b, m->ping, 8);
        default:
                return -EINVAL;
        }
#undef TRY
}

int link_message_encode(const LinkMessage *m, Buf *out) {
        size_t start = out->len, payload;
        uint8_t h[OLY_LINK_HEADER_SIZE] = {};
        LinkMessage check;
        int r;

        if (m->type <= 0 || m->type >= _LINK_TYPE_MAX)
                return -EINVAL;
        r = buf_put(out, h, sizeof h); /* filled in below */
        if (r >= 0)
                r = encode_payload(m, out);
        if (r >= 0 && out->len - start - OLY_LINK_HEADER_SIZE > OLY_LINK_PAYLOAD_MAX)
                r = -EMSGSIZE;
        if (r < 0) {
                out->len = start;
                return r;
        }
        payload = out->len - start - OLY_LINK_HEADER_SIZE;
        out->data[start] = OLY_LINK_VERSION;
        out->data[start + 1] = (uint8_t) m->type;
        put_le(out->data + start + 2, m->flags, 2);
        put_le(out->data + start + 4, m->id, 4);
        put_le(out->data + start + 8, payload, 4);

        /* Never send what the peer would refuse. */
        if (link_message_decode(out->data + start, out->len - start, &check) < 0) {
                out->len = start;
                return -EINVAL;
        }
        return 0;
}
