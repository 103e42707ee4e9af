/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Turning libvterm cells back into bytes: text with (or without) SGR colour changes. Shared by the
 * daemon's attach snapshots and the CLI's rendered logs. */
#pragma once

#include <stdbool.h>
#include <vterm.h>

#include "buf.h"

/* The SGR state last emitted, so that only changes are written. */
typedef struct VtPen {
        bool valid;
        VTermScreenCellAttrs attrs;
        VTermColor fg, bg;
} VtPen;

/* Appends n cells (a row). color: emit SGR; trim: drop trailing blank default-background cells.
 * Ends with the pen reset when color is set and anything was coloured. */
int vt_append_cells(Buf *b, const VTermScreenCell *cells, int n, bool color, bool trim, VtPen *pen);

/* Reads row `row` of a screen into cells (n = cols). */
void vt_get_row(VTermScreen *screen, int row, int cols, VTermScreenCell *cells);

int vt_append_utf8(Buf *b, uint32_t c);
