/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json-writer.h: json-c's pretty layout, escaping, and valid output from bytes that are not UTF-8. */
#include "json-writer.h"
#include "macro.h"
#include "tests.h"

static char *escaped(const char *s) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        json_write_string(f, s);
        fclose(f);
        return buf;
}

static void test_escape(void) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "", "\"\"" },
                { "plain/slash", "\"plain/slash\"" },
                { "q\"b\\", "\"q\\\"b\\\\\"" },
                { "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"" },
                { "\x01\x1f\x7f", "\"\\u0001\\u001f\x7f\"" },
                { "é 漢 😀", "\"é 漢 😀\"" },
                { "a\xffz", "\"a\xef\xbf\xbdz\"" }, /* a byte that is never UTF-8 */
                { "\xc3", "\"\xef\xbf\xbd\"" }, /* truncated at the end */
                { "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"" }, /* overlong '/' */
                { "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" }, /* a surrogate */
                { "\xf4\x90\x80\x80",
                  "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" }, /* > U+10FFFF */
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *s = escaped(cases[i].in);
                CHECK_STREQ(s, cases[i].out);
        }
}

static void test_layout(void) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        JsonWriter w = JSON_WRITER_INIT(f);

        json_writer_begin_array(&w);
        json_writer_begin_object(&w);
        json_writer_key(&w, "id");
        json_writer_string(&w, "ab");
        json_writer_key(&w, "title");
        json_writer_string(&w, NULL);
        json_writer_key(&w, "args");
        json_writer_begin_array(&w);
        json_writer_end_array(&w);
        json_writer_key(&w, "more");
        json_writer_begin_array(&w);
        json_writer_string(&w, "x");
        json_writer_int(&w, -5);
        json_writer_end_array(&w);
        json_writer_key(&w, "ok");
        json_writer_bool(&w, true);
        json_writer_end_object(&w);
        json_writer_begin_object(&w);
        json_writer_end_object(&w);
        json_writer_end_array(&w);
        fclose(f);
        /* What json-c prints with JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED. */
        CHECK_STREQ(buf, "[\n"
                         "  {\n"
                         "    \"id\": \"ab\",\n"
                         "    \"title\": null,\n"
                         "    \"args\": [\n"
                         "    ],\n"
                         "    \"more\": [\n"
                         "      \"x\",\n"
                         "      -5\n"
                         "    ],\n"
                         "    \"ok\": true\n"
                         "  },\n"
                         "  {\n"
                         "  }\n"
                         "]");
        free(buf);

        buf = NULL;
        f = open_memstream(&buf, &len);
        w = JSON_WRITER_INIT(f);
        json_writer_begin_array(&w);
        json_writer_end_array(&w);
        fclose(f);
        CHECK_STREQ(buf, "[\n]");
        free(buf);
}

int main(void) {
        test_escape();
        test_layout();
        TESTS_END();
}
