/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <inttypes.h>

#include "json-writer.h"

/* The length of the UTF-8 sequence at s (1 to 4), or 0 when it is not valid UTF-8 (overlong forms,
 * surrogates and code points above U+10FFFF included). */
static size_t utf8_valid_length(const unsigned char *s) {
        unsigned char c = s[0];
        size_t n;
        uint32_t cp;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                n = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                n = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4, cp = c & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

void json_write_string(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                size_t n = utf8_valid_length(p);

                if (n == 0) {
                        fputs("\xef\xbf\xbd", f); /* U+FFFD for each byte that starts no valid sequence */
                        p++;
                        continue;
                }
                if (n > 1) {
                        fwrite(p, 1, n, f);
                        p += n;
                        continue;
                }
                switch (*p) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\b':
                        fputs("\\b", f);
                        break;
                case '\f':
                        fputs("\\f", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\r':
                        fputs("\\r", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                default:
                        if (*p < 0x20)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
                p++;
        }
        fputc('"', f);
}

static void indent(JsonWriter *w) {
        for (unsigned i = 0; i < w->depth; i++)
                fputs("  ", w->f);
}

/* Before a value: after "key": nothing; in an array, the separator and the indentation. */
static void begin_value(JsonWriter *w) {
        if (w->after_key) {
                w->after_key = false;
                return;
        }
        if (w->depth == 0)
                return;
        fputs(w->has_items[w->depth] ? ",\n" : "\n", w->f);
        w->has_items[w->depth] = true;
        indent(w);
}

static void begin_container(JsonWriter *w, char c) {
        begin_value(w);
        assert(w->depth < JSON_WRITER_DEPTH_MAX);
        fputc(c, w->f);
        w->has_items[++w->depth] = false;
}

static void end_container(JsonWriter *w, char c) {
        assert(w->depth > 0 && !w->after_key);
        w->depth--;
        fputc('\n', w->f);
        indent(w);
        fputc(c, w->f);
}

void json_writer_begin_array(JsonWriter *w) {
        begin_container(w, '[');
}

void json_writer_end_array(JsonWriter *w) {
        end_container(w, ']');
}

void json_writer_begin_object(JsonWriter *w) {
        begin_container(w, '{');
}

void json_writer_end_object(JsonWriter *w) {
        end_container(w, '}');
}

void json_writer_key(JsonWriter *w, const char *key) {
        assert(w->depth > 0 && !w->after_key);
        begin_value(w);
        json_write_string(w->f, key);
        fputs(": ", w->f);
        w->after_key = true;
}

void json_writer_string(JsonWriter *w, const char *s) {
        if (!s)
                return json_writer_null(w);
        begin_value(w);
        json_write_string(w->f, s);
}

void json_writer_null(JsonWriter *w) {
        begin_value(w);
        fputs("null", w->f);
}

void json_writer_bool(JsonWriter *w, bool b) {
        begin_value(w);
        fputs(b ? "true" : "false", w->f);
}

void json_writer_int(JsonWriter *w, int64_t i) {
        begin_value(w);
        fprintf(w->f, "%" PRIi64, i);
}
