/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The key grammar of 'oly send' (spec §6.3): "key:<spec>" chunks turned into terminal bytes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYSPEC_BYTES_MAX 256 /* bytes one key spec can produce (hex: included) */

/* Encodes one key spec (the part after "key:"): a named key (enter, tab, esc, backspace, up, down, left,
 * right, home, end, pageup, pagedown, delete, insert, space, f1…f12), ctrl+<char>, alt+<char|key>,
 * meta+<char|key> (same as alt), shift+tab, or hex:<hex bytes>. Names are case-insensitive.
 * app_cursor: the terminal is in application cursor mode (DECCKM), so arrows/home/end are sent as SS3.
 * Returns the number of bytes written to buf, or -EINVAL (bad spec), -E2BIG (too long). */
int keyspec_encode(const char *spec, bool app_cursor, uint8_t *buf, size_t size);

/* Validates a spec without a terminal mode: 0 or -EINVAL/-E2BIG. */
int keyspec_validate(const char *spec);
