/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The link codec: round trips of every message type, every truncation and extension of a valid message
 * refused, oversize refused, every field validated. With a directory argument, also writes the sample
 * messages there as the fuzzer's seed corpus (src/fuzz/corpus/link-*). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "link-protocol.h"
#include "macro.h"
#include "tests.h"

#define SAMPLES_MAX 32

typedef struct Sample {
        const char *name;
        Buf bytes;
} Sample;

static Sample samples[SAMPLES_MAX];
static size_t n_samples;
static Buf body_call, body_signal, body_reply;

static void add_sample(const char *name, const LinkMessage *m) {
        Sample *s = &samples[n_samples++];
        s->name = name;
        CHECK_INT(link_message_encode(m, &s->bytes), 0);
}

/* A body for "sa{sv}(ibt)asdgo": every basic type but h, arrays, a dict, a struct, variants. */
static void build_bodies(void) {
        Buf *b = &body_call;
        size_t arr, inner;

        CHECK_INT(link_body_put_string(b, 's', "sess1"), 0);
        CHECK_INT(link_body_begin_array(b, &arr), 0);
        /* {"title": <s "héllo">} */
        CHECK_INT(link_body_put_string(b, 's', "title"), 0);
        CHECK_INT(link_body_put_string(b, 'g', "s"), 0);
        CHECK_INT(link_body_put_string(b, 's', "h\xc3\xa9llo"), 0);
        /* {"rows": <q 24>} */
        CHECK_INT(link_body_put_string(b, 's', "rows"), 0);
        CHECK_INT(link_body_put_string(b, 'g', "q"), 0);
        CHECK_INT(link_body_put_u16(b, 24), 0);
        /* {"nested": <a(yn) [(1, -2)]>} */
        CHECK_INT(link_body_put_string(b, 's', "nested"), 0);
        CHECK_INT(link_body_put_string(b, 'g', "a(yn)"), 0);
        CHECK_INT(link_body_begin_array(b, &inner), 0);
        CHECK_INT(link_body_put_u8(b, 1), 0);
        CHECK_INT(link_body_put_u16(b, (uint16_t) -2), 0);
        link_body_end_array(b, inner, 1);
        link_body_end_array(b, arr, 3);
        CHECK_INT(link_body_put_u32(b, (uint32_t) -7), 0); /* (i */
        CHECK_INT(link_body_put_u8(b, 1), 0); /*  b */
        CHECK_INT(link_body_put_u64(b, UINT64_MAX), 0); /*  t) */
        CHECK_INT(link_body_begin_array(b, &arr), 0);
        CHECK_INT(link_body_put_string(b, 's', "a"), 0);
        CHECK_INT(link_body_put_string(b, 's', ""), 0);
        link_body_end_array(b, arr, 2);
        CHECK_INT(link_body_put_u64(b, 0x400921fb54442d18ULL), 0); /* d: pi */
        CHECK_INT(link_body_put_string(b, 'g', "a{sv}"), 0);
        CHECK_INT(link_body_put_string(b, 'o', "/org/openrelay/Oly1/session/abc"), 0);

        CHECK_INT(link_body_put_string(&body_signal, 's', "abcdefgh"), 0);
        CHECK_INT(link_body_put_string(&body_signal, 'o', "/org/openrelay/Oly1/session/abcdefgh"), 0);
        CHECK_INT(link_body_put_string(&body_reply, 's', "abcdefgh"), 0);
        CHECK_INT(link_body_put_string(&body_reply, 'o', "/"), 0);
}

static void build_samples(void) {
        static uint8_t data[300];
        for (size_t i = 0; i < sizeof data; i++)
                data[i] = (uint8_t) (i * 7);

        add_sample("hello", &(LinkMessage){ .type = LINK_HELLO,
                                            .hello = { 3, LINK_STR("build-box.1"), LINK_STR("0.1.0") } });
        add_sample("call", &(LinkMessage){ .type = LINK_CALL,
                                           .id = 1,
                                           .call = { 25 * 1000000ULL,
                                                     LINK_STR("/org/openrelay/Oly1"),
                                                     LINK_STR("org.openrelay.Oly1.Manager"),
                                                     LINK_STR("CreateSession"),
                                                     LINK_STR("sa{sv}(ibt)asdgo"),
                                                     { body_call.data, body_call.len } } });
        add_sample("call-noreply",
                   &(LinkMessage){
                           .type = LINK_CALL,
                           .flags = LINK_FLAG_NO_REPLY,
                           .id = UINT32_MAX,
                           .call = { 1, LINK_STR("/"), LINK_STR("a.b"), LINK_STR("M"), LINK_STR(""), {} } });
        add_sample("reply",
                   &(LinkMessage){ .type = LINK_REPLY,
                                   .id = 1,
                                   .reply = { LINK_STR("so"), { body_reply.data, body_reply.len } } });
        add_sample("reply-empty",
                   &(LinkMessage){ .type = LINK_REPLY, .id = 3, .reply = { LINK_STR(""), {} } });
        add_sample("error", &(LinkMessage){ .type = LINK_ERROR,
                                            .id = 5,
                                            .error = { LINK_STR("org.openrelay.Oly1.Error.NoSuchSession"),
                                                       LINK_STR("No session matches 'zz'.") } });
        add_sample("signal", &(LinkMessage){ .type = LINK_SIGNAL,
                                             .signal = { LINK_STR("/org/openrelay/Oly1"),
                                                         LINK_STR("org.openrelay.Oly1.Manager"),
                                                         LINK_STR("SessionCreated"),
                                                         LINK_STR("so"),
                                                         { body_signal.data, body_signal.len } } });
        add_sample("stream-open",
                   &(LinkMessage){ .type = LINK_STREAM_OPEN,
                                   .id = 7,
                                   .open = { LINK_STREAM_TERMINAL, 1, 256 * 1024,
                                             LINK_STR("/org/openrelay/Oly1/session/abcdefgh") } });
        add_sample("stream-open-accept", &(LinkMessage){ .type = LINK_STREAM_OPEN,
                                                         .flags = LINK_FLAG_ACCEPT,
                                                         .id = 7,
                                                         .open = { LINK_STREAM_TERMINAL, 0, 65536, {} } });
        add_sample("stream-open-log",
                   &(LinkMessage){
                           .type = LINK_STREAM_OPEN,
                           .id = 9,
                           .open = { LINK_STREAM_LOG, 0, 1, LINK_STR("/org/openrelay/Oly1/session/x") } });
        add_sample("stream-data",
                   &(LinkMessage){ .type = LINK_STREAM_DATA, .id = 7, .data = { data, sizeof data } });
        add_sample("stream-credit", &(LinkMessage){ .type = LINK_STREAM_CREDIT, .id = 7, .credit = 4096 });
        add_sample("stream-close",
                   &(LinkMessage){ .type = LINK_STREAM_CLOSE, .id = 7, .close = { 0, LINK_STR("exited") } });
        add_sample("stream-close-err",
                   &(LinkMessage){ .type = LINK_STREAM_CLOSE, .id = 9, .close = { ENOENT, {} } });
        add_sample("ping", &(LinkMessage){ .type = LINK_PING, .ping = 0x0123456789abcdefULL });
        add_sample("pong", &(LinkMessage){ .type = LINK_PONG, .ping = 0x0123456789abcdefULL });
}

static bool str_eq(LinkString s, const char *want) {
        return s.len == strlen(want) && memcmp(s.data, want, s.len) == 0;
}

static void test_round_trips(void) {
        bool seen[_LINK_TYPE_MAX] = {};

        for (size_t i = 0; i < n_samples; i++) {
                Sample *s = &samples[i];
                _cleanup_buf_free_ Buf again = {};
                LinkMessage m;

                CHECK_INT(link_message_decode(s->bytes.data, s->bytes.len, &m), 0);
                seen[m.type] = true;
                /* Samples are named after their type. */
                CHECK(strncmp(s->name, link_type_to_string(m.type), strlen(link_type_to_string(m.type))) ==
                      0);
                CHECK_INT(link_type_from_string(link_type_to_string(m.type)), m.type);
                /* Canonical: re-encoding what was decoded gives the same bytes. */
                CHECK_INT(link_message_encode(&m, &again), 0);
                CHECK_INT(again.len, s->bytes.len);
                CHECK(again.len == s->bytes.len && memcmp(again.data, s->bytes.data, again.len) == 0);
        }
        for (int t = 1; t < _LINK_TYPE_MAX; t++)
                CHECK(seen[t]);

        /* Some fields, read back. */
        LinkMessage m;
        CHECK_INT(link_message_decode(samples[0].bytes.data, samples[0].bytes.len, &m), 0);
        CHECK_INT(m.type, LINK_HELLO);
        CHECK_INT(m.hello.capabilities, 3);
        CHECK(str_eq(m.hello.node, "build-box.1") && str_eq(m.hello.version, "0.1.0"));
        CHECK_INT(link_message_decode(samples[1].bytes.data, samples[1].bytes.len, &m), 0);
        CHECK_INT(m.type, LINK_CALL);
        CHECK_INT(m.id, 1);
        CHECK_INT(m.call.timeout_usec, 25000000);
        CHECK(str_eq(m.call.member, "CreateSession") && str_eq(m.call.signature, "sa{sv}(ibt)asdgo"));
        CHECK(m.call.body.len == body_call.len &&
              memcmp(m.call.body.data, body_call.data, body_call.len) == 0);
        CHECK_INT(link_message_decode(samples[2].bytes.data, samples[2].bytes.len, &m), 0);
        CHECK_INT(m.flags, LINK_FLAG_NO_REPLY);
        CHECK_INT(m.id, UINT32_MAX);
        CHECK_INT(link_type_from_string("nope"), -EINVAL);
        CHECK(link_type_to_string(0) == NULL && link_type_to_string(_LINK_TYPE_MAX) == NULL);
}

static void put32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++, v >>= 8)
                p[i] = (uint8_t) v;
}

static void test_truncations_and_extensions(void) {
        for (size_t i = 0; i < n_samples; i++) {
                const Buf *s = &samples[i].bytes;
                uint8_t copy[OLY_LINK_HEADER_SIZE + 1024];
                bool is_data = s->data[1] == LINK_STREAM_DATA;
                LinkMessage m;
                size_t total;

                CHECK(s->len + 1 <= sizeof copy);
                for (size_t n = 0; n < s->len; n++) {
                        /* Cut short: the header's length no longer matches. */
                        CHECK_INT(link_message_decode(s->data, n, &m), -EBADMSG);
                        CHECK_INT(link_header_peek(s->data, n, &total), n < OLY_LINK_HEADER_SIZE ? 0 : 1);
                        /* Cut short with a header that agrees: the payload itself is incomplete. */
                        if (n >= OLY_LINK_HEADER_SIZE && !(is_data && n > OLY_LINK_HEADER_SIZE)) {
                                memcpy(copy, s->data, n);
                                put32(copy + 8, (uint32_t) (n - OLY_LINK_HEADER_SIZE));
                                if (link_message_decode(copy, n, &m) != -EBADMSG) {
                                        fprintf(stderr, "%s cut to %zu bytes was accepted\n",
                                                samples[i].name, n);
                                        tests_failed++;
                                }
                        }
                }
                /* One byte more, counted in the header: trailing bytes are refused. */
                if (!is_data) {
                        memcpy(copy, s->data, s->len);
                        copy[s->len] = 0;
                        put32(copy + 8, (uint32_t) (s->len + 1 - OLY_LINK_HEADER_SIZE));
                        CHECK_INT(link_message_decode(copy, s->len + 1, &m), -EBADMSG);
                }
                /* One byte more, not counted. */
                CHECK_INT(link_message_decode(copy, s->len + 1, &m), -EBADMSG);
        }
}

static void test_stream_of_messages(void) {
        _cleanup_buf_free_ Buf all = {};
        size_t off = 0, count = 0, total;
        LinkMessage m;

        for (size_t i = 0; i < n_samples; i++)
                CHECK_INT(buf_put(&all, samples[i].bytes.data, samples[i].bytes.len), 0);
        while (off < all.len) {
                CHECK_INT(link_header_peek(all.data + off, all.len - off, &total), 1);
                CHECK(total <= all.len - off);
                CHECK_INT(link_message_decode(all.data + off, total, &m), 0);
                off += total;
                count++;
        }
        CHECK_INT(count, n_samples);
}

static void test_oversize(void) {
        _cleanup_buf_free_ Buf out = {};
        uint8_t h[OLY_LINK_HEADER_SIZE] = { OLY_LINK_VERSION, LINK_STREAM_DATA, 0, 0, 1, 0, 0, 0 };
        size_t total;
        uint8_t *big = calloc(1, OLY_LINK_PAYLOAD_MAX + 1);
        LinkMessage m = { .type = LINK_STREAM_DATA, .id = 1, .data = { big, OLY_LINK_PAYLOAD_MAX } };

        CHECK(big);
        if (!big)
                return;
        put32(h + 8, OLY_LINK_PAYLOAD_MAX + 1);
        CHECK_INT(link_header_peek(h, sizeof h, &total), -EBADMSG);
        put32(h + 8, UINT32_MAX);
        CHECK_INT(link_header_peek(h, sizeof h, &total), -EBADMSG);
        put32(h + 8, OLY_LINK_PAYLOAD_MAX);
        CHECK_INT(link_header_peek(h, sizeof h, &total), 1);
        CHECK_INT(total, OLY_LINK_MESSAGE_MAX);

        CHECK_INT(link_message_encode(&m, &out), 0); /* exactly the most */
        CHECK_INT(out.len, OLY_LINK_MESSAGE_MAX);
        CHECK_INT(link_message_decode(out.data, out.len, &m), 0);
        m = (LinkMessage){ .type = LINK_STREAM_DATA, .id = 1, .data = { big, OLY_LINK_PAYLOAD_MAX + 1 } };
        CHECK_INT(link_message_encode(&m, &out), -EMSGSIZE);
        m = (LinkMessage){ .type = LINK_REPLY,
                           .id = 1,
                           .reply = { LINK_STR("ay"), { big, OLY_LINK_PAYLOAD_MAX } } };
        CHECK_INT(link_message_encode(&m, &out), -EMSGSIZE);
        CHECK_INT(out.len, OLY_LINK_MESSAGE_MAX); /* left as it was */
        free(big);
}

/* Decodes a message built from a header and payload; returns the decoder's answer. */
static int decode_raw(uint8_t type, uint16_t flags, uint32_t id, const void *payload, size_t n) {
        _cleanup_buf_free_ Buf b = {};
        uint8_t h[OLY_LINK_HEADER_SIZE] = { OLY_LINK_VERSION, type, (uint8_t) flags,
                                            (uint8_t) (flags >> 8) };
        LinkMessage m;

        put32(h + 4, id);
        put32(h + 8, (uint32_t) n);
        if (buf_put(&b, h, sizeof h) < 0 || buf_put(&b, payload, n) < 0)
                return -ENOMEM;
        return link_message_decode(b.data, b.len, &m);
}

static void test_header_fields(void) {
        const Buf *ping = NULL, *credit = NULL;
        uint8_t copy[64];
        LinkMessage m;

        for (size_t i = 0; i < n_samples; i++) {
                if (streq(samples[i].name, "ping"))
                        ping = &samples[i].bytes;
                if (streq(samples[i].name, "stream-credit"))
                        credit = &samples[i].bytes;
        }
        CHECK(ping && credit);
        if (!ping || !credit)
                return;
        memcpy(copy, ping->data, ping->len);
        copy[0] = 2; /* version */
        CHECK_INT(link_message_decode(copy, ping->len, &m), -EBADMSG);
        copy[0] = 0;
        CHECK_INT(link_message_decode(copy, ping->len, &m), -EBADMSG);
        memcpy(copy, ping->data, ping->len);
        copy[1] = 0; /* type */
        CHECK_INT(link_message_decode(copy, ping->len, &m), -EBADMSG);
        copy[1] = _LINK_TYPE_MAX;
        CHECK_INT(link_message_decode(copy, ping->len, &m), -EBADMSG);
        copy[1] = 0xff;
        CHECK_INT(link_message_decode(copy, ping->len, &m), -EBADMSG);
        memcpy(copy, ping->data, ping->len);
        copy[2] = 1; /* flags PING does not define */
        CHECK_INT(link_message_decode(copy, ping->len, &m), -EBADMSG);
        memcpy(copy, ping->data, ping->len);
        copy[4] = 1; /* PING has no id */
        CHECK_INT(link_message_decode(copy, ping->len, &m), -EBADMSG);
        memcpy(copy, credit->data, credit->len);
        put32(copy + 4, 0); /* a stream message needs one */
        CHECK_INT(link_message_decode(copy, credit->len, &m), -EBADMSG);
        memcpy(copy, credit->data, credit->len);
        copy[3] = 0x80;
        CHECK_INT(link_message_decode(copy, credit->len, &m), -EBADMSG);
}

static void test_payload_fields(void) {
        uint8_t zero4[4] = {}, one4[4] = { 1 };
        _cleanup_buf_free_ Buf b = {};

        /* credit 0, empty data */
        CHECK_INT(decode_raw(LINK_STREAM_CREDIT, 0, 1, zero4, 4), -EBADMSG);
        CHECK_INT(decode_raw(LINK_STREAM_CREDIT, 0, 1, one4, 4), 0);
        CHECK_INT(decode_raw(LINK_STREAM_DATA, 0, 1, "", 0), -EBADMSG);
        CHECK_INT(decode_raw(LINK_STREAM_DATA, 0, 1, "x", 1), 0);
        CHECK_INT(decode_raw(LINK_PING, 0, 0, "1234567", 7), -EBADMSG);

        /* Messages the encoder refuses (and so never sends), each for one bad field. */
        const LinkMessage bad[] = {
                { .type = LINK_HELLO, .hello = { 0, LINK_STR(""), LINK_STR("1") } },
                { .type = LINK_HELLO, .hello = { 0, LINK_STR("a b"), LINK_STR("1") } },
                { .type = LINK_HELLO, .hello = { 0, LINK_STR("a"), LINK_STR("") } },
                { .type = LINK_HELLO, .hello = { 0, LINK_STR("a"), LINK_STR("1 2") } },
                { .type = LINK_HELLO, .id = 1, .hello = { 0, LINK_STR("a"), LINK_STR("1") } },
                { .type = LINK_CALL,
                  .id = 1,
                  .call = { 0, LINK_STR("/"), LINK_STR("a.b"), LINK_STR("M"), {}, {} } },
                { .type = LINK_CALL,
                  .id = 1,
                  .call = { OLY_LINK_TIMEOUT_MAX_USEC + 1,
                            LINK_STR("/"),
                            LINK_STR("a.b"),
                            LINK_STR("M"),
                            {},
                            {} } },
                { .type = LINK_CALL,
                  .id = 0,
                  .call = { 1, LINK_STR("/"), LINK_STR("a.b"), LINK_STR("M"), {}, {} } },
                { .type = LINK_CALL,
                  .id = 1,
                  .call = { 1, LINK_STR("/a/"), LINK_STR("a.b"), LINK_STR("M"), {}, {} } },
                { .type = LINK_CALL,
                  .id = 1,
                  .call = { 1, LINK_STR("a"), LINK_STR("a.b"), LINK_STR("M"), {}, {} } },
                { .type = LINK_CALL,
                  .id = 1,
                  .call = { 1, LINK_STR("//"), LINK_STR("a.b"), LINK_STR("M"), {}, {} } },
                { .type = LINK_CALL,
                  .id = 1,
                  .call = { 1, LINK_STR("/"), LINK_STR("ab"), LINK_STR("M"), {}, {} } },
                { .type = LINK_CALL,
                  .id = 1,
                  .call = { 1, LINK_STR("/"), LINK_STR("a..b"), LINK_STR("M"), {}, {} } },
                { .type = LINK_CALL,
                  .id = 1,
                  .call = { 1, LINK_STR("/"), LINK_STR("a.1b"), LINK_STR("M"), {}, {} } },
                { .type = LINK_CALL,
                  .id = 1,
                  .call = { 1, LINK_STR("/"), LINK_STR("a.b"), LINK_STR("M.x"), {}, {} } },
                { .type = LINK_CALL,
                  .id = 1,
                  .call = { 1, LINK_STR("/"), LINK_STR("a.b"), LINK_STR("1M"), {}, {} } },
                { .type = LINK_CALL,
                  .id = 1,
                  .call = { 1, LINK_STR("/"), LINK_STR("a.b"), LINK_STR(""), {}, {} } },
                { .type = LINK_CALL,
                  .id = 1,
                  .call = { 1, LINK_STR("/"), LINK_STR("a.b"), LINK_STR("M"), LINK_STR("h"), { one4, 4 } } },
                { .type = LINK_CALL,
                  .id = 1,
                  .call = { 1, LINK_STR("/"), LINK_STR("a.b"), LINK_STR("M"), LINK_STR("u"), { one4, 3 } } },
                { .type = LINK_CALL,
                  .id = 1,
                  .call = { 1, LINK_STR("/"), LINK_STR("a.b"), LINK_STR("M"), LINK_STR(""), { one4, 1 } } },
                { .type = LINK_CALL,
                  .id = 1,
                  .call = { 1,
                            LINK_STR("/"),
                            LINK_STR("a.b"),
                            LINK_STR("M"),
                            LINK_STR("b"),
                            { (uint8_t[]){ 2 }, 1 } } },
                { .type = LINK_ERROR, .id = 1, .error = { LINK_STR("NoDots"), {} } },
                { .type = LINK_ERROR, .id = 1, .error = { LINK_STR("a.b"), { "\xff", 1 } } },
                { .type = LINK_STREAM_OPEN, .id = 1, .open = { 0, 0, 1, LINK_STR("/") } },
                { .type = LINK_STREAM_OPEN,
                  .id = 1,
                  .open = { _LINK_STREAM_KIND_MAX, 0, 1, LINK_STR("/") } },
                { .type = LINK_STREAM_OPEN, .id = 1, .open = { LINK_STREAM_LOG, 0, 1, {} } },
                { .type = LINK_STREAM_OPEN,
                  .flags = LINK_FLAG_ACCEPT,
                  .id = 1,
                  .open = { 1, 0, 1, LINK_STR("/") } },
                { .type = LINK_STREAM_OPEN, .flags = LINK_FLAG_ACCEPT, .id = 1, .open = { 1, 1, 1, {} } },
                { .type = LINK_STREAM_OPEN, .flags = 2, .id = 1, .open = { 1, 0, 1, LINK_STR("/") } },
                { .type = LINK_STREAM_CLOSE, .id = 1, .close = { (uint32_t) INT32_MAX + 1, {} } },
                { .type = LINK_STREAM_CREDIT, .id = 1, .credit = 0 },
                { .type = LINK_STREAM_DATA, .id = 1, .data = {} },
                { .type = LINK_PING, .id = 1 },
                { .type = LINK_REPLY,
                  .id = 1,
                  .reply = { LINK_STR("s"), { (const uint8_t *) "\1\0\0\0\0", 5 } } },
                { .type = LINK_REPLY,
                  .id = 1,
                  .reply = { LINK_STR("s"), { (const uint8_t *) "\2\0\0\0\xc0\x80", 6 } } },
                { .type = LINK_REPLY,
                  .id = 1,
                  .reply = { LINK_STR("s"), { (const uint8_t *) "\3\0\0\0\xed\xa0\x80", 7 } } },
                { .type = LINK_REPLY,
                  .id = 1,
                  .reply = { LINK_STR("as"), { (const uint8_t *) "\xff\xff\xff\xff", 4 } } },
                { .type = LINK_REPLY,
                  .id = 1,
                  .reply = { LINK_STR("o"), { (const uint8_t *) "\1\0\0\0a", 5 } } },
                { .type = LINK_REPLY, .id = 1, .reply = { LINK_STR("g"), { (const uint8_t *) "\1h", 2 } } },
                { .type = LINK_REPLY,
                  .id = 1,
                  .reply = { LINK_STR("v"), { (const uint8_t *) "\2yy\0", 4 } } },
                { .type = LINK_REPLY, .id = 1, .reply = { LINK_STR("v"), { (const uint8_t *) "\0", 1 } } },
                { .type = _LINK_TYPE_MAX },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                b.len = 0;
                if (link_message_encode(&bad[i], &b) != -EINVAL || b.len != 0) {
                        fprintf(stderr, "bad message %zu was encoded\n", i);
                        tests_failed++;
                }
        }
}

static void test_signatures(void) {
        static const char *const good[] = { "",       "s",          "a{sv}", "(ias)",           "aa{ya(vv)}",
                                            "a(yb)g", "oa{oa{sv}}", "v",     "sa{sv}(ibt)asdgo" };
        static const char *const bad[] = { "h",    "a",      "(",    ")",  "()", "{ss}",    "a{vs}",
                                           "a{s}", "a{sss}", "a{ss", "(s", "z",  "a{(s)s}", "sh" };
        char deep[80];

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                CHECK(link_signature_is_valid(good[i], strlen(good[i]), false));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (link_signature_is_valid(bad[i], strlen(bad[i]), false)) {
                        fprintf(stderr, "signature '%s' was accepted\n", bad[i]);
                        tests_failed++;
                }
        CHECK(link_signature_is_valid("a{sv}", 5, true));
        CHECK(!link_signature_is_valid("ss", 2, true));
        CHECK(!link_signature_is_valid("", 0, true));
        memset(deep, 'a', 32);
        deep[32] = 'y';
        CHECK(link_signature_is_valid(deep, 33, true));
        memset(deep, 'a', 33);
        deep[33] = 'y';
        CHECK(!link_signature_is_valid(deep, 34, true));
        for (int i = 0; i < 33; i++)
                deep[i] = '(', deep[34 + i] = ')';
        deep[33] = 'y';
        CHECK(!link_signature_is_valid(deep, 67, true));
        CHECK(link_signature_is_valid(deep + 1, 65, true));

        CHECK(link_object_path_is_valid("/", 1));
        CHECK(link_object_path_is_valid("/org/openrelay/Oly1/node/a_2", 28));
        CHECK(!link_object_path_is_valid("/a-b", 4));
        CHECK(link_interface_is_valid("org.openrelay.Oly1.Error.Exists", 31));
        CHECK(!link_interface_is_valid(".a.b", 4));
        CHECK(!link_interface_is_valid("a.b.", 4));
        CHECK(link_utf8_is_valid("h\xc3\xa9\xf0\x9f\x98\x80", 7));
        CHECK(!link_utf8_is_valid("\xc3", 1));
        CHECK(!link_utf8_is_valid("a\0b", 3));
        CHECK(!link_utf8_is_valid("\xf4\x90\x80\x80", 4)); /* beyond U+10FFFF */
        CHECK(!link_utf8_is_valid("\xe0\x80\xaf", 3)); /* overlong */
}

/* A variant holding a variant holding ...: nesting is bounded, not a stack overflow. */
static void test_variant_bomb(void) {
        _cleanup_buf_free_ Buf body = {};
        LinkString sig = LINK_STR("v");

        for (int i = 0; i < 10000; i++)
                CHECK_INT(link_body_put_string(&body, 'g', "v"), 0);
        CHECK_INT(link_body_validate(sig, (LinkBytes){ body.data, body.len }), -EBADMSG);

        /* 60 deep is fine. */
        body.len = 0;
        for (int i = 0; i < 60; i++)
                CHECK_INT(link_body_put_string(&body, 'g', "v"), 0);
        CHECK_INT(link_body_put_string(&body, 'g', "y"), 0);
        CHECK_INT(link_body_put_u8(&body, 9), 0);
        CHECK_INT(link_body_validate(sig, (LinkBytes){ body.data, body.len }), 0);
}

static int write_corpus(const char *dir) {
        for (size_t i = 0; i < n_samples; i++) {
                char path[4096];
                snprintf(path, sizeof path, "%s/link-%s", dir, samples[i].name);
                int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || write(fd, samples[i].bytes.data, samples[i].bytes.len) !=
                                      (ssize_t) samples[i].bytes.len) {
                        perror(path);
                        return EXIT_FAILURE;
                }
                close(fd);
        }
        return EXIT_SUCCESS;
}

int main(int argc, char *argv[]) {
        build_bodies();
        build_samples();
        if (argc > 1)
                return write_corpus(argv[1]);
        test_round_trips();
        test_truncations_and_extensions();
        test_stream_of_messages();
        test_oversize();
        test_header_fields();
        test_payload_fields();
        test_signatures();
        test_variant_bomb();
        for (size_t i = 0; i < n_samples; i++)
                buf_free(&samples[i].bytes);
        buf_free(&body_call);
        buf_free(&body_signal);
        buf_free(&body_reply);
        TESTS_END();
}
