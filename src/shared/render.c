/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vterm.h>

#include "buf.h"
#include "macro.h"
#include "oly-def.h"
#include "render.h"
#include "vt-util.h"
#include "vterm-sym.h"

/* Start with this much of the log's end; grow (×4) while it holds too few lines. */
#define RENDER_WINDOW_MIN (64U * 1024U)
#define RENDER_BYTES_PER_LINE 512U

typedef struct Lines {
        char **v;
        size_t n, keep; /* a ring of the newest `keep` lines, oldest first after normalising */
        size_t head;
        const RenderOptions *o;
        bool altscreen;
        size_t pushed; /* lines that scrolled off in total */
} Lines;

static void lines_push(Lines *l, char *s) {
        if (l->keep == 0) {
                free(s);
                return;
        }
        if (l->n < l->keep) {
                l->v[(l->head + l->n) % l->keep] = s;
                l->n++;
        } else {
                free(l->v[l->head]);
                l->v[l->head] = s;
                l->head = (l->head + 1) % l->keep;
        }
}

static char *encode(const VTermScreenCell *cells, int cols, const RenderOptions *o) {
        Buf b = {};
        VtPen pen = {};
        int n = o->width > 0 ? MIN(cols, (int) o->width) : cols;
        /* Never cut a wide character in half: it would make the line one column too long. */
        if (n < cols && n > 0 && cells[n - 1].width > 1)
                n--;
        if (vt_append_cells(&b, cells, n, o->color, true, &pen) < 0 || buf_put(&b, "", 1) < 0) {
                buf_free(&b);
                return NULL;
        }
        return (char *) b.data ?: strdup("");
}

static int on_sb_pushline(int cols, const VTermScreenCell *cells, void *user) {
        Lines *l = user;
        char *s = encode(cells, cols, l->o);
        l->pushed++;
        if (s)
                lines_push(l, s);
        return 1;
}

static int on_settermprop(VTermProp prop, VTermValue *val, void *user) {
        Lines *l = user;
        if (prop == VTERM_PROP_ALTSCREEN)
                l->altscreen = val->boolean;
        return 1;
}

static const VTermScreenCallbacks render_callbacks = {
        .sb_pushline = on_sb_pushline,
        .settermprop = on_settermprop,
};

static void lines_free(Lines *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[(l->head + i) % l->keep]);
        free(l->v);
        memset(l, 0, sizeof *l);
}

static const RenderResize *size_at(const RenderResize *r, size_t n, uint64_t off, size_t *idx) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (r[i].offset <= off)
                        k = i;
        *idx = k;
        return &r[k];
}

/* One attempt over the window [start, size). Returns how many lines it produced in total. */
static int render_window(int fd, uint64_t start, uint64_t size, const RenderResize *rz, size_t n_rz,
                         const RenderOptions *o, Lines *l) {
        static const RenderResize fallback = { 0, 24, 80 };
        size_t ri;
        const RenderResize *cur = n_rz > 0 ? size_at(rz, n_rz, start, &ri) : (ri = 0, &fallback);
        /* Sizes come from resize.log, a file: clamp them to what a session may have. */
        unsigned rows = MIN(cur->rows ?: 24, (unsigned) OLY_ROWS_MAX), cols = MIN(cur->cols ?: 80, (unsigned) OLY_COLS_MAX);
        VTerm *vt = sym_vterm_new((int) rows, (int) cols);
        uint8_t buf[64 * 1024];
        int r = 0;

        if (!vt)
                return -ENOMEM;
        sym_vterm_set_utf8(vt, 1);
        VTermScreen *screen = sym_vterm_obtain_screen(vt);
        sym_vterm_screen_set_callbacks(screen, &render_callbacks, l);
        sym_vterm_screen_enable_altscreen(screen, 1);
        sym_vterm_screen_reset(screen, 1);

        for (uint64_t off = start; off < size;) {
                /* Stop at the next resize so it applies at the right byte. */
                uint64_t until = size;
                if (n_rz > 0 && ri + 1 < n_rz && rz[ri + 1].offset > off && rz[ri + 1].offset < until)
                        until = rz[ri + 1].offset;
                size_t want = (size_t) MIN((uint64_t) sizeof buf, until - off);
                ssize_t k = pread(fd, buf, want, (off_t) off);
                if (k < 0) {
                        r = -errno;
                        break;
                }
                if (k == 0)
                        break;
                sym_vterm_input_write(vt, (const char *) buf, (size_t) k);
                off += (uint64_t) k;
                while (n_rz > 0 && ri + 1 < n_rz && rz[ri + 1].offset <= off) {
                        ri++;
                        if (rz[ri].rows > 0 && rz[ri].cols > 0) {
                                rows = MIN(rz[ri].rows, (unsigned) OLY_ROWS_MAX);
                                cols = MIN(rz[ri].cols, (unsigned) OLY_COLS_MAX);
                                sym_vterm_set_size(vt, (int) rows, (int) cols);
                        }
                }
        }

        if (r >= 0) {
                /* The screen below the scrollback: up to its last non-blank row (or the cursor's). */
                VTermScreenCell *cells = calloc(cols, sizeof *cells);
                VTermPos cursor;
                sym_vterm_state_get_cursorpos(sym_vterm_obtain_state(vt), &cursor);
                if (!cells)
                        r = -ENOMEM;
                int last = cursor.row;
                for (int row = (int) rows - 1; cells && row > last; row--) {
                        vt_get_row(screen, row, (int) cols, cells);
                        for (unsigned c = 0; c < cols; c++)
                                if (cells[c].chars[0] && cells[c].chars[0] != ' ') {
                                        last = row;
                                        break;
                                }
                }
                /* A cursor alone on an empty last line (a finished program's final newline) adds nothing. */
                if (cells && last == cursor.row && cursor.col == 0 && last > 0) {
                        vt_get_row(screen, last, (int) cols, cells);
                        bool blank = true;
                        for (unsigned c = 0; c < cols && blank; c++)
                                blank = !cells[c].chars[0] || cells[c].chars[0] == ' ';
                        if (blank)
                                last--;
                }
                for (int row = 0; cells && row <= last; row++) {
                        vt_get_row(screen, row, (int) cols, cells);
                        char *s = encode(cells, (int) cols, o);
                        if (!s) {
                                r = -ENOMEM;
                                break;
                        }
                        lines_push(l, s);
                        l->pushed++;
                }
                free(cells);
        }
        sym_vterm_free(vt);
        return r;
}

int render_log_tail(int fd, uint64_t size, const RenderResize *resizes, size_t n_resizes, const RenderOptions *o,
                    char ***ret_lines, size_t *ret_n) {
        uint64_t window = MAX((uint64_t) RENDER_WINDOW_MIN, (uint64_t) o->tail * RENDER_BYTES_PER_LINE);
        int r;

        r = dlopen_vterm(NULL);
        if (r < 0)
                return r;
        for (;;) {
                Lines l = { .keep = o->tail, .o = o };
                uint64_t start = size > window ? size - window : 0;

                if (o->tail > 0) {
                        l.v = calloc(o->tail, sizeof(char *));
                        if (!l.v)
                                return -ENOMEM;
                }
                /* Begin at a line boundary so the first line is not a fragment. */
                if (start > 0) {
                        uint8_t buf[4096];
                        ssize_t k = pread(fd, buf, sizeof buf, (off_t) start);
                        uint8_t *nl = k > 0 ? memchr(buf, '\n', (size_t) k) : NULL;
                        if (nl)
                                start += (uint64_t) (nl - buf) + 1;
                }
                r = render_window(fd, start, size, resizes, n_resizes, o, &l);
                if (r < 0) {
                        lines_free(&l);
                        return r;
                }
                if (l.pushed >= o->tail || start == 0) {
                        char **v = calloc(l.n + 1, sizeof(char *));
                        if (!v) {
                                lines_free(&l);
                                return -ENOMEM;
                        }
                        for (size_t i = 0; i < l.n; i++)
                                v[i] = l.v[(l.head + i) % l.keep];
                        *ret_n = l.n;
                        free(l.v);
                        *ret_lines = v;
                        return 0;
                }
                lines_free(&l);
                window *= 4;
        }
}
