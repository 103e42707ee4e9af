/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small streaming JSON writer, for programs that print JSON but need no parser (the CLI's 'ls --json'):
 * json-c's pretty layout ("key": value, two spaces per level), so output stays the same as before. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_WRITER_DEPTH_MAX 16

typedef struct JsonWriter {
        FILE *f;
        unsigned depth;
        bool after_key; /* the next value completes "key": */
        bool has_items[JSON_WRITER_DEPTH_MAX + 1]; /* per open container: an element was written */
} JsonWriter;

#define JSON_WRITER_INIT(file) ((JsonWriter){ .f = (file) })

/* Containers nest at most JSON_WRITER_DEPTH_MAX deep (deeper is a programmer error). */
void json_writer_begin_array(JsonWriter *w);
void json_writer_end_array(JsonWriter *w);
void json_writer_begin_object(JsonWriter *w);
void json_writer_end_object(JsonWriter *w);
/* Starts a member of the current object; the next call writes its value. */
void json_writer_key(JsonWriter *w, const char *key);

/* s == NULL writes null. Quotes, backslashes and control characters are escaped (\n, \u001f, ...);
 * bytes that are not UTF-8 become U+FFFD, so the output is valid JSON whatever s holds. */
void json_writer_string(JsonWriter *w, const char *s);
void json_writer_null(JsonWriter *w);
void json_writer_bool(JsonWriter *w, bool b);
void json_writer_int(JsonWriter *w, int64_t i);

/* The string escaping above, on its own (with the quotes). */
void json_write_string(FILE *f, const char *s);
