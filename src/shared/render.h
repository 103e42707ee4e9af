/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rendering an output log as a terminal would have shown it: replays the log's tail through libvterm at
 * the sizes the session had (its resize history), so \r redraws, cursor motion and full-screen programs
 * come out as lines of text. The cost grows with the tail asked for, not with the size of the log. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct RenderResize {
        uint64_t offset; /* from this byte of the log on ... */
        unsigned rows, cols; /* ... the terminal had this size */
} RenderResize;

typedef struct RenderOptions {
        unsigned tail;  /* lines wanted (the last ones) */
        unsigned width; /* cut lines at this many columns; 0: never */
        bool color;     /* keep SGR colours */
} RenderOptions;

/* Renders the last lines of the log in fd (size bytes). Returns the lines (without newline), newest
 * last; the caller frees each and the array. -EOPNOTSUPP when libvterm cannot be loaded (vterm-sym.h). */
int render_log_tail(int fd, uint64_t size, const RenderResize *resizes, size_t n_resizes, const RenderOptions *o,
                    char ***ret_lines, size_t *ret_n);
