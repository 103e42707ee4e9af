/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* http-json.c: the JSON writers must give the bytes json-c gives, the Session object its documented shape,
 * and the body parser must take objects only. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http-def.h"
#include "http-json.h"
#include "macro.h"
#include "tests.h"

/* The buffer's bytes as a string (the writers do not NUL-terminate). */
static const char *text(Buf *b) {
        if (buf_put(b, "", 1) < 0)
                return NULL;
        b->len--;
        return (const char *) b->data;
}

static const char *json_c_string(const char *s) {
        static char out[4096];
        json_object *o = json_object_new_string(s);
        snprintf(out, sizeof out, "%s",
                 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return out;
}

static void check_string(const char *in, const char *want) {
        _cleanup_buf_free_ Buf b = {};

        CHECK_INT(http_json_put_string(&b, in), 0);
        CHECK_STREQ(text(&b), want);
        CHECK_STREQ(text(&b), json_c_string(in));
}

static void test_put_string(void) {
        check_string("", "\"\"");
        check_string("plain text", "\"plain text\"");
        check_string("say \"hi\"", "\"say \\\"hi\\\"\"");
        check_string("a\\b", "\"a\\\\b\"");
        check_string("/path/", "\"/path/\"");
        check_string("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
        check_string("\x01\x1f\x7f", "\"\\u0001\\u001f\x7f\"");
        check_string("\x1b[31mred", "\"\\u001b[31mred\"");
        check_string("caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\"");
        /* Bytes that are not UTF-8 are passed through as they are, as json-c does. */
        check_string("\xff\xfe \xc3 \x80", "\"\xff\xfe \xc3 \x80\"");

        /* Every byte, alone and in company: the same as json-c. */
        for (unsigned c = 1; c < 256; c++) {
                _cleanup_buf_free_ Buf b = {};
                char s[4] = { 'x', (char) c, 'y', 0 };
                CHECK_INT(http_json_put_string(&b, s), 0);
                CHECK_STREQ(text(&b), json_c_string(s));
        }

        /* A bounded buffer refuses what does not fit (the worst case is reserved) and keeps what it had. */
        Buf small = { .max = 24 };
        CHECK_INT(http_json_put_string(&small, "abc"), 0);
        CHECK_INT(small.len, 5);
        CHECK_INT(http_json_put_string(&small, "abcdef"), -ENOBUFS);
        CHECK_INT(small.len, 5);
        buf_free(&small);
}

static void check_time(usec_t t) {
        _cleanup_buf_free_ Buf b = {};
        char want[RFC3339_MAX + 2];
        json_object *o = http_json_time(t);

        CHECK(rfc3339_format(want + 1, sizeof want - 2, t));
        want[0] = '"';
        strcat(want, "\"");
        CHECK_INT(http_json_put_time(&b, t), 0);
        CHECK_STREQ(text(&b), want);
        CHECK(o);
        if (o) {
                CHECK_INT(strlen(json_object_get_string(o)) + 2, strlen(want));
                CHECK(strncmp(json_object_get_string(o), want + 1, strlen(want) - 2) == 0);
        }
        json_object_put(o);
}

static void test_time(void) {
        _cleanup_buf_free_ Buf b = {};

        CHECK_INT(http_json_put_time(&b, 0), 0);
        CHECK_STREQ(text(&b), "null");
        CHECK(http_json_time(0) == NULL);

        b.len = 0;
        CHECK_INT(http_json_put_time(&b, 1), 0);
        CHECK_STREQ(text(&b), "\"1970-01-01T00:00:00.000001Z\"");
        b.len = 0;
        CHECK_INT(http_json_put_time(&b, UINT64_C(1709164800) * USEC_PER_SEC + 123456), 0);
        CHECK_STREQ(text(&b), "\"2024-02-29T00:00:00.123456Z\"");

        /* The fast path agrees with rfc3339_format: month and leap-year edges, and beyond year 9999. */
        static const usec_t seconds[] = {
                59,
                86399,
                86400,
                951782400 /* 2000-02-29 */,
                951868800,
                946684799,
                978307199,
                1709251199,
                4102444800 /* 2100-01-01 */,
                5097600000,
                253402300799 /* 9999-12-31T23:59:59 */,
                253402300800,
        };
        for (size_t i = 0; i < ELEMENTSOF(seconds); i++) {
                check_time(seconds[i] * USEC_PER_SEC);
                check_time(seconds[i] * USEC_PER_SEC + 999999);
        }
        for (usec_t t = 1; t < UINT64_C(4000000000) * USEC_PER_SEC; t = t * 3 + 7)
                check_time(t);
}

#define PARSE(s) http_json_parse_object(s, strlen(s), &o)

static void test_parse_object(void) {
        static const char nul_after[] = "{}\0";
        json_object *o = NULL, *v;

        CHECK_INT(PARSE("{}"), 0);
        CHECK(o && json_object_is_type(o, json_type_object));
        json_object_put(o);
        o = NULL;

        CHECK_INT(PARSE(" {\"a\": [1, \"x\"], \"b\": null}\r\n\t "), 0);
        CHECK(o && json_object_object_get_ex(o, "a", &v) && json_object_array_length(v) == 2);
        json_object_put(o);
        o = NULL;

        CHECK_INT(PARSE(""), -EINVAL);
        CHECK_INT(PARSE("[]"), -EINVAL);
        CHECK_INT(PARSE("\"s\""), -EINVAL);
        CHECK_INT(PARSE("42"), -EINVAL);
        CHECK_INT(PARSE("{} {}"), -EINVAL);
        CHECK_INT(PARSE("{}x"), -EINVAL);
        CHECK_INT(http_json_parse_object(nul_after, sizeof nul_after, &o), -EINVAL);
        CHECK_INT(PARSE("{"), -EINVAL);
        CHECK_INT(PARSE("{\"a\": 1,}"), -EINVAL);
        CHECK_INT(PARSE("{\"a\": \"\xff\"}"), -EINVAL);
        CHECK(o == NULL);

        /* Depth is bounded. */
        char deep[128] = "{\"a\":";
        size_t n = strlen(deep);
        for (unsigned i = 0; i < HTTP_JSON_DEPTH_MAX + 1; i++)
                deep[n++] = '[';
        for (unsigned i = 0; i < HTTP_JSON_DEPTH_MAX + 1; i++)
                deep[n++] = ']';
        deep[n++] = '}';
        CHECK_INT(http_json_parse_object(deep, n, &o), -EINVAL);

        /* Larger than a body may be: refused without parsing. */
        CHECK_INT(http_json_parse_object("{}", HTTP_BODY_MAX + 1, &o), -EINVAL);
}

/* A message to read Session structs from: sd-bus only builds messages on a started bus, so one is started
 * on a socket pair nobody answers. */
static sd_bus_message *session_message(sd_bus **ret_bus, int fds[2]) {
        sd_bus_message *m = NULL;
        sd_bus *bus = NULL;
        int r;

        r = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
        CHECK(r >= 0);
        r = sd_bus_new(&bus);
        CHECK(r >= 0);
        if (r < 0)
                return NULL;
        CHECK(sd_bus_set_fd(bus, fds[0], fds[0]) >= 0);
        CHECK(sd_bus_start(bus) >= 0);
        CHECK(sd_bus_message_new_method_call(bus, &m, "org.example", "/", "org.example", "X") >= 0);
        CHECK(sd_bus_message_append(m, "a(sssasssuitttbb)", 2,
                                    /* every field set */
                                    "abc123", "build \"1\"\n", "/bin/sh", 2, "-c", "echo \x1b", "/tmp",
                                    "running", (uint32_t) 42, (int32_t) -1, UINT64_C(1700000000000001),
                                    UINT64_C(1700000000500000), UINT64_C(0), 1, 0,
                                    /* the optional ones empty */
                                    "def456", "", "true", 0, "/", "stopped", (uint32_t) 0, (int32_t) 3,
                                    UINT64_C(86400000000), UINT64_C(0), UINT64_C(86401000000), 0, 1) >= 0);
        CHECK(sd_bus_message_seal(m, 1, 0) >= 0);
        CHECK(sd_bus_message_rewind(m, true) >= 0);
        *ret_bus = bus;
        return m;
}

static void test_put_session(void) {
        _cleanup_buf_free_ Buf b = {};
        sd_bus *bus = NULL;
        int fds[2] = { -EBADF, -EBADF };
        sd_bus_message *m = session_message(&bus, fds);
        const char *id = NULL;
        uint64_t created = 0;
        json_object *o = NULL, *v;

        CHECK(m);
        if (!m)
                return;
        CHECK(sd_bus_message_enter_container(m, 'a', "(sssasssuitttbb)") > 0);

        CHECK_INT(http_json_put_session(&b, m, &id, &created), 1);
        CHECK_STREQ(id, "abc123");
        CHECK_INT(created, UINT64_C(1700000000000001));
        CHECK_STREQ(text(&b),
                    "{\"id\":\"abc123\",\"title\":\"build \\\"1\\\"\\n\",\"command\":\"/bin/sh\","
                    "\"args\":[\"-c\",\"echo \\u001b\"],\"cwd\":\"/tmp\",\"status\":\"running\",\"pid\":42,"
                    "\"exit_code\":null,\"created_at\":\"2023-11-14T22:13:20.000001Z\","
                    "\"started_at\":\"2023-11-14T22:13:20.500000Z\",\"ended_at\":null,\"input_needed\":true,"
                    "\"notifications_enabled\":false}");
        /* It is JSON that json-c reads back to the same values. */
        CHECK_INT(http_json_parse_object(b.data, b.len, &o), 0);
        CHECK(json_object_object_get_ex(o, "title", &v) &&
              streq(json_object_get_string(v), "build \"1\"\n"));
        CHECK(json_object_object_get_ex(o, "args", &v) && json_object_array_length(v) == 2);
        json_object_put(o);

        b.len = 0;
        CHECK_INT(http_json_put_session(&b, m, NULL, NULL), 1);
        CHECK_STREQ(
                text(&b),
                "{\"id\":\"def456\",\"title\":null,\"command\":\"true\",\"args\":[],\"cwd\":\"/\","
                "\"status\":\"stopped\",\"pid\":null,\"exit_code\":3,\"created_at\":\"1970-01-02T00:00:00."
                "000000Z\","
                "\"started_at\":null,\"ended_at\":\"1970-01-02T00:00:01.000000Z\",\"input_needed\":false,"
                "\"notifications_enabled\":true}");

        /* The end of the array. */
        b.len = 0;
        CHECK_INT(http_json_put_session(&b, m, &id, &created), 0);
        CHECK_INT(b.len, 0);

        sd_bus_message_unref(m);
        /* Not flushed: the handshake never completes, and flushing would wait for it. */
        sd_bus_close(bus);
        sd_bus_unref(bus);
        if (fds[1] >= 0)
                close(fds[1]);
}

int main(void) {
        test_put_string();
        test_time();
        test_parse_object();
        test_put_session();
        TESTS_END();
}
