/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "macro.h"
#include "vt-util.h"
#include "vterm-sym.h"

int vt_append_utf8(Buf *b, uint32_t c) {
        uint8_t u[4];
        size_t n;
        if (c < 0x80) {
                u[0] = (uint8_t) c;
                n = 1;
        } else if (c < 0x800) {
                u[0] = (uint8_t) (0xc0 | c >> 6);
                u[1] = (uint8_t) (0x80 | (c & 0x3f));
                n = 2;
        } else if (c < 0x10000) {
                u[0] = (uint8_t) (0xe0 | c >> 12);
                u[1] = (uint8_t) (0x80 | ((c >> 6) & 0x3f));
                u[2] = (uint8_t) (0x80 | (c & 0x3f));
                n = 3;
        } else if (c < 0x110000) {
                u[0] = (uint8_t) (0xf0 | c >> 18);
                u[1] = (uint8_t) (0x80 | ((c >> 12) & 0x3f));
                u[2] = (uint8_t) (0x80 | ((c >> 6) & 0x3f));
                u[3] = (uint8_t) (0x80 | (c & 0x3f));
                n = 4;
        } else
                return buf_put(b, "\xef\xbf\xbd", 3); /* U+FFFD */
        return buf_put(b, u, n);
}

static bool color_eq(const VTermColor *a, const VTermColor *b) {
        if (a->type != b->type)
                return false;
        if (VTERM_COLOR_IS_DEFAULT_FG(a) || VTERM_COLOR_IS_DEFAULT_BG(a))
                return true;
        if (VTERM_COLOR_IS_INDEXED(a))
                return a->indexed.idx == b->indexed.idx;
        return a->rgb.red == b->rgb.red && a->rgb.green == b->rgb.green && a->rgb.blue == b->rgb.blue;
}

static bool attrs_eq(const VTermScreenCellAttrs *a, const VTermScreenCellAttrs *b) {
        return a->bold == b->bold && a->underline == b->underline && a->italic == b->italic &&
               a->blink == b->blink && a->reverse == b->reverse && a->strike == b->strike;
}

static bool pen_is_default(const VTermScreenCellAttrs *a, const VTermColor *fg, const VTermColor *bg) {
        return !a->bold && !a->underline && !a->italic && !a->blink && !a->reverse && !a->strike &&
               VTERM_COLOR_IS_DEFAULT_FG(fg) && VTERM_COLOR_IS_DEFAULT_BG(bg);
}

static int append_color(Buf *b, const VTermColor *c, bool fg) {
        if (fg ? VTERM_COLOR_IS_DEFAULT_FG(c) : VTERM_COLOR_IS_DEFAULT_BG(c))
                return 0;
        if (VTERM_COLOR_IS_INDEXED(c)) {
                unsigned i = c->indexed.idx;
                if (i < 8)
                        return buf_printf(b, ";%u", (fg ? 30 : 40) + i);
                if (i < 16)
                        return buf_printf(b, ";%u", (fg ? 90 : 100) + i - 8);
                return buf_printf(b, ";%u;5;%u", fg ? 38 : 48, i);
        }
        return buf_printf(b, ";%u;2;%u;%u;%u", fg ? 38 : 48, c->rgb.red, c->rgb.green, c->rgb.blue);
}

static int append_sgr(Buf *b, const VTermScreenCell *cell) {
        const VTermScreenCellAttrs *a = &cell->attrs;
        int r = buf_puts(b, "\033[0");
        if (r >= 0 && a->bold)
                r = buf_puts(b, ";1");
        if (r >= 0 && a->italic)
                r = buf_puts(b, ";3");
        if (r >= 0 && a->underline)
                r = buf_puts(b, a->underline == 2 ? ";21" : ";4");
        if (r >= 0 && a->blink)
                r = buf_puts(b, ";5");
        if (r >= 0 && a->reverse)
                r = buf_puts(b, ";7");
        if (r >= 0 && a->strike)
                r = buf_puts(b, ";9");
        if (r >= 0)
                r = append_color(b, &cell->fg, true);
        if (r >= 0)
                r = append_color(b, &cell->bg, false);
        if (r >= 0)
                r = buf_puts(b, "m");
        return r;
}

static bool cell_blank(const VTermScreenCell *c) {
        return (c->chars[0] == 0 || c->chars[0] == ' ') && VTERM_COLOR_IS_DEFAULT_BG(&c->bg) && !c->attrs.reverse &&
               !c->attrs.underline && !c->attrs.strike;
}

void vt_get_row(VTermScreen *screen, int row, int cols, VTermScreenCell *cells) {
        for (int c = 0; c < cols; c++)
                if (!sym_vterm_screen_get_cell(screen, (VTermPos) { .row = row, .col = c }, &cells[c]))
                        memset(&cells[c], 0, sizeof cells[c]);
}

int vt_append_cells(Buf *b, const VTermScreenCell *cells, int n, bool color, bool trim, VtPen *pen) {
        int end = n, r = 0;

        if (trim)
                while (end > 0 && cell_blank(&cells[end - 1]))
                        end--;

        for (int i = 0; i < end && r >= 0;) {
                const VTermScreenCell *c = &cells[i];
                if (color) {
                        bool same = pen->valid && attrs_eq(&pen->attrs, &c->attrs) && color_eq(&pen->fg, &c->fg) &&
                                    color_eq(&pen->bg, &c->bg);
                        if (!same && !(!pen->valid && pen_is_default(&c->attrs, &c->fg, &c->bg))) {
                                r = append_sgr(b, c);
                                if (r < 0)
                                        break;
                        }
                        pen->valid = true;
                        pen->attrs = c->attrs;
                        pen->fg = c->fg;
                        pen->bg = c->bg;
                }
                if (c->chars[0] == 0 || c->chars[0] == (uint32_t) -1)
                        r = buf_put(b, " ", 1);
                else
                        for (int k = 0; k < VTERM_MAX_CHARS_PER_CELL && c->chars[k] && r >= 0; k++)
                                r = vt_append_utf8(b, c->chars[k]);
                i += c->width > 1 ? c->width : 1;
        }
        if (r >= 0 && color && pen->valid && !pen_is_default(&pen->attrs, &pen->fg, &pen->bg)) {
                r = buf_puts(b, "\033[0m");
                pen->valid = false;
        }
        return r;
}
