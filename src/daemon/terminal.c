/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <unistd.h>

#include "macro.h"
#include "terminal.h"
#include "vt-util.h"

static int on_settermprop(VTermProp prop, VTermValue *val, void *user) {
        Terminal *t = user;
        switch (prop) {
        case VTERM_PROP_ALTSCREEN:
                t->altscreen = val->boolean;
                break;
        case VTERM_PROP_CURSORVISIBLE:
                t->cursor_visible = val->boolean;
                break;
        case VTERM_PROP_MOUSE:
                t->mouse = val->number;
                break;
        default:
                break;
        }
        return 1;
}

static int on_sb_pushline(int cols, const VTermScreenCell *cells, void *user) {
        Terminal *t = user;
        VtPen pen = {};
        Buf line = { .max = TERMINAL_SCROLLBACK_BYTES };

        if (t->altscreen)
                return 0;
        if (vt_append_cells(&line, cells, cols, true, true, &pen) < 0 || buf_put(&line, "\r\n", 2) < 0) {
                buf_free(&line);
                return 0;
        }
        /* Keep the newest lines. The buffer may grow to twice its size before the oldest half goes in
         * one move, so a flood of lines costs one memmove per TERMINAL_SCROLLBACK_BYTES, not per line. */
        if (t->scrollback.len + line.len > t->scrollback.max) {
                size_t cut = t->scrollback.len / 2;
                uint8_t *nl = t->scrollback.len > 0 ? memchr(t->scrollback.data + cut, '\n', t->scrollback.len - cut)
                                                     : NULL;
                buf_consume(&t->scrollback, nl ? (size_t) (nl - t->scrollback.data) + 1 : t->scrollback.len);
        }
        (void) buf_put(&t->scrollback, line.data, line.len);
        buf_free(&line);
        return 1;
}

/* Must outlive the VTerm: libvterm keeps the pointer. */
static const VTermScreenCallbacks screen_callbacks = {
        .settermprop = on_settermprop,
        .sb_pushline = on_sb_pushline,
};

static void on_output(const char *s, size_t len, void *user) {
        Terminal *t = user;
        if (t->capture) {
                (void) buf_put(t->capture, s, len);
                return;
        }
        /* Query replies (cursor position, device attributes) go to the program only while no client is
         * attached; an attached terminal answers for itself. Never logged: this is input, not output. */
        if (!t->answer || t->reply_fd < 0)
                return;
        while (len > 0) {
                ssize_t n = write(t->reply_fd, s, len);
                if (n <= 0)
                        return; /* a full input queue: the program is not reading; drop the reply */
                s += n;
                len -= (size_t) n;
        }
}

int terminal_new(unsigned rows, unsigned cols, int reply_fd, Terminal **ret) {
        Terminal *t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        t->rows = rows;
        t->cols = cols;
        t->reply_fd = reply_fd;
        t->answer = true;
        t->cursor_visible = true;
        t->pending.max = TERMINAL_PENDING_MAX;
        t->scrollback.max = 2 * TERMINAL_SCROLLBACK_BYTES;
        t->vt = vterm_new((int) rows, (int) cols);
        if (!t->vt) {
                free(t);
                return -ENOMEM;
        }
        vterm_set_utf8(t->vt, 1);
        vterm_output_set_callback(t->vt, on_output, t);
        t->screen = vterm_obtain_screen(t->vt);
        t->state = vterm_obtain_state(t->vt);
        vterm_screen_set_callbacks(t->screen, &screen_callbacks, t);
        vterm_screen_enable_altscreen(t->screen, 1);
        vterm_screen_reset(t->screen, 1);
        *ret = t;
        return 0;
}

Terminal *terminal_free(Terminal *t) {
        if (!t)
                return NULL;
        vterm_free(t->vt);
        buf_free(&t->pending);
        buf_free(&t->scrollback);
        free(t);
        return NULL;
}

static void remember_mode(Terminal *t, unsigned mode, char value) {
        for (unsigned i = 0; i < t->n_dropped_modes; i++)
                if (t->dropped_modes[i].mode == mode) {
                        t->dropped_modes[i].value = value;
                        return;
                }
        if (t->n_dropped_modes < ELEMENTSOF(t->dropped_modes))
                t->dropped_modes[t->n_dropped_modes++] = (typeof(t->dropped_modes[0])) { mode, value };
}

/* Finds DECSET/DECRST sequences (ESC [ ? n ; n ... h|l) in bytes about to be dropped. */
static void scan_modes(Terminal *t, const uint8_t *p, size_t n) {
        static const unsigned wanted[] = { 1, 25, 47, 1000, 1002, 1003, 1006, 1047, 1049, 2004 };
        const uint8_t *end = p + n;

        while ((p = memchr(p, '\033', (size_t) (end - p)))) {
                if (end - p < 4 || p[1] != '[' || p[2] != '?') {
                        p++;
                        continue;
                }
                const uint8_t *q = p + 3;
                unsigned nums[8], k = 0, v = 0;
                bool digit = false;
                for (; q < end && k < ELEMENTSOF(nums); q++) {
                        if (*q >= '0' && *q <= '9') {
                                v = v * 10 + (unsigned) (*q - '0');
                                digit = true;
                        } else if (*q == ';') {
                                nums[k++] = v;
                                v = 0;
                                digit = false;
                        } else
                                break;
                }
                if (q < end && (*q == 'h' || *q == 'l') && digit && k < ELEMENTSOF(nums)) {
                        nums[k++] = v;
                        for (unsigned i = 0; i < k; i++)
                                for (size_t j = 0; j < ELEMENTSOF(wanted); j++)
                                        if (nums[i] == wanted[j])
                                                remember_mode(t, nums[i], (char) *q);
                }
                p = q;
        }
}

static Buf probe(Terminal *t, void (*fn)(Terminal *t));
static void probe_up(Terminal *t);
static void probe_paste(Terminal *t);
static void probe_mouse(Terminal *t);

/* Drops the first n pending bytes and then `skip` bytes of data (not yet queued) unfed. */
static void drop_pending(Terminal *t, size_t n, const uint8_t *data, size_t skip) {
        Buf b;

        /* The modes in force: what the model knows now, updated by the bytes about to be dropped. */
        t->n_dropped_modes = 0;
        remember_mode(t, 1049, t->altscreen ? 'h' : 'l');
        remember_mode(t, 25, t->cursor_visible ? 'h' : 'l');
        b = probe(t, probe_up);
        remember_mode(t, 1, b.len >= 2 && b.data[1] == 'O' ? 'h' : 'l');
        buf_free(&b);
        b = probe(t, probe_paste);
        remember_mode(t, 2004, b.len > 0 ? 'h' : 'l');
        buf_free(&b);
        if (t->mouse != VTERM_PROP_MOUSE_NONE) {
                remember_mode(t, t->mouse == VTERM_PROP_MOUSE_CLICK ? 1000 : t->mouse == VTERM_PROP_MOUSE_DRAG ? 1002 : 1003,
                              'h');
                b = probe(t, probe_mouse);
                if (b.len >= 3 && b.data[2] == '<')
                        remember_mode(t, 1006, 'h');
                buf_free(&b);
        }
        scan_modes(t, t->pending.data, n);
        if (skip > 0)
                scan_modes(t, data, skip);
        buf_consume(&t->pending, n);

        /* Start the model over and put the modes back before the kept bytes. */
        vterm_screen_reset(t->screen, 1);
        t->scrollback.len = 0;
        for (unsigned i = 0; i < t->n_dropped_modes; i++) {
                char seq[32];
                int l = snprintf(seq, sizeof seq, "\033[?%u%c", t->dropped_modes[i].mode, t->dropped_modes[i].value);
                vterm_input_write(t->vt, seq, (size_t) l);
        }
}

void terminal_queue(Terminal *t, const void *data, size_t n) {
        if (t->pending.len + n > TERMINAL_PENDING_MAX) {
                /* Drop the oldest, down to half: amortised, one move per TERMINAL_PENDING_MAX / 2 bytes. */
                size_t excess = t->pending.len + n - TERMINAL_PENDING_MAX / 2;
                size_t from_pending = MIN(excess, t->pending.len), skip = MIN(excess - from_pending, n);
                drop_pending(t, from_pending, data, skip);
                data = (const uint8_t *) data + skip;
                n -= skip;
        }
        (void) buf_put(&t->pending, data, n);
}

bool terminal_catch_up(Terminal *t, size_t max) {
        size_t n = MIN(max, t->pending.len);
        if (n > 0) {
                vterm_input_write(t->vt, (const char *) t->pending.data, n);
                buf_consume(&t->pending, n);
        }
        if (t->pending.len == 0 && t->pending.cap > 64 * 1024)
                buf_free(&t->pending); /* an idle session should not keep a megabyte around */
        return t->pending.len > 0;
}

void terminal_resize(Terminal *t, unsigned rows, unsigned cols) {
        while (terminal_catch_up(t, SIZE_MAX))
                ;
        t->rows = rows;
        t->cols = cols;
        vterm_set_size(t->vt, (int) rows, (int) cols);
}

/* libvterm keeps DECCKM and bracketed paste to itself; ask it to encode a key and look. */
static Buf probe(Terminal *t, void (*fn)(Terminal *t)) {
        Buf b = { .max = 64 };
        t->capture = &b;
        fn(t);
        t->capture = NULL;
        return b;
}

static void probe_up(Terminal *t) {
        vterm_keyboard_key(t->vt, VTERM_KEY_UP, VTERM_MOD_NONE);
}

static void probe_keypad(Terminal *t) {
        vterm_keyboard_key(t->vt, VTERM_KEY_KP_ENTER, VTERM_MOD_NONE);
}

static void probe_paste(Terminal *t) {
        vterm_keyboard_start_paste(t->vt);
        vterm_keyboard_end_paste(t->vt);
}

static void probe_mouse(Terminal *t) {
        vterm_mouse_move(t->vt, 0, 0, VTERM_MOD_NONE);
        vterm_mouse_button(t->vt, 1, true, VTERM_MOD_NONE);
        vterm_mouse_button(t->vt, 1, false, VTERM_MOD_NONE);
}

bool terminal_app_cursor(Terminal *t) {
        while (terminal_catch_up(t, SIZE_MAX))
                ;
        Buf b = probe(t, probe_up);
        bool app = b.len >= 2 && b.data[1] == 'O';
        buf_free(&b);
        return app;
}

int terminal_snapshot(Terminal *t, Buf *out) {
        VTermScreenCell *cells;
        VTermPos cursor;
        VtPen pen = {};
        int r = 0;

        while (terminal_catch_up(t, SIZE_MAX))
                ;
        cells = calloc(t->cols, sizeof *cells);
        if (!cells)
                return -ENOMEM;

        /* A soft reset of the receiving terminal, then the history that scrolled off, then the screen. */
        r = buf_puts(out, "\033[!p\033[?1049l\033[0m\033[H\033[2J");
        if (r >= 0 && !t->altscreen && t->scrollback.len > 0) {
                /* Printed at the bottom, lines scroll into the receiving terminal's own history. */
                r = buf_printf(out, "\033[%u;1H\r\n", t->rows);
                if (r >= 0)
                        r = buf_put(out, t->scrollback.data, t->scrollback.len);
                for (unsigned i = 0; i < t->rows && r >= 0; i++)
                        r = buf_puts(out, "\r\n");
        }
        if (r >= 0 && t->altscreen)
                r = buf_puts(out, "\033[?1049h\033[H\033[2J");
        for (unsigned row = 0; row < t->rows && r >= 0; row++) {
                vt_get_row(t->screen, (int) row, (int) t->cols, cells);
                r = buf_printf(out, "\033[%u;1H", row + 1);
                if (r >= 0)
                        r = vt_append_cells(out, cells, (int) t->cols, true, true, &pen);
        }
        free(cells);
        if (r < 0)
                return r;

        /* The modes a program set and expects to still be in force. */
        Buf b = probe(t, probe_up);
        if (b.len >= 2 && b.data[1] == 'O')
                r = buf_puts(out, "\033[?1h");
        buf_free(&b);
        b = probe(t, probe_keypad);
        if (r >= 0 && b.len >= 2 && b.data[0] == '\033')
                r = buf_puts(out, "\033="); /* DECKPAM: application keypad, as curses sets it */
        buf_free(&b);
        b = probe(t, probe_paste);
        if (r >= 0 && b.len > 0)
                r = buf_puts(out, "\033[?2004h");
        buf_free(&b);
        if (r >= 0 && t->mouse != VTERM_PROP_MOUSE_NONE) {
                static const char *const mouse_modes[] = { "", "\033[?1000h", "\033[?1002h", "\033[?1003h" };
                r = buf_puts(out, mouse_modes[t->mouse & 3]);
                b = probe(t, probe_mouse);
                if (r >= 0 && b.len >= 3 && b.data[2] == '<')
                        r = buf_puts(out, "\033[?1006h");
                buf_free(&b);
        }

        /* The pen the program left active, then the cursor. */
        if (r >= 0) {
                VTermValue v;
                VTermScreenCell pc = {};
                if (vterm_state_get_penattr(t->state, VTERM_ATTR_BOLD, &v))
                        pc.attrs.bold = v.boolean;
                if (vterm_state_get_penattr(t->state, VTERM_ATTR_UNDERLINE, &v))
                        pc.attrs.underline = (unsigned) v.number;
                if (vterm_state_get_penattr(t->state, VTERM_ATTR_ITALIC, &v))
                        pc.attrs.italic = v.boolean;
                if (vterm_state_get_penattr(t->state, VTERM_ATTR_REVERSE, &v))
                        pc.attrs.reverse = v.boolean;
                if (vterm_state_get_penattr(t->state, VTERM_ATTR_FOREGROUND, &v))
                        pc.fg = v.color;
                if (vterm_state_get_penattr(t->state, VTERM_ATTR_BACKGROUND, &v))
                        pc.bg = v.color;
                VtPen p2 = {};
                pc.chars[0] = 0;
                /* Emit just the SGR: an empty run of one cell would print a space, so encode and cut. */
                Buf sgr = {};
                r = vt_append_cells(&sgr, &pc, 1, true, false, &p2);
                if (r >= 0 && sgr.len > 0 && sgr.data[0] == '\033') {
                        uint8_t *m = memchr(sgr.data, 'm', sgr.len);
                        if (m)
                                r = buf_put(out, sgr.data, (size_t) (m - sgr.data) + 1);
                }
                buf_free(&sgr);
        }
        vterm_state_get_cursorpos(t->state, &cursor);
        if (r >= 0)
                r = buf_printf(out, "\033[%d;%dH%s", cursor.row + 1, cursor.col + 1,
                               t->cursor_visible ? "\033[?25h" : "\033[?25l");
        return r;
}

/* Plain text of cells [from, to), box-drawing characters blanked, into buf (NUL-terminated). */
static void cells_text(const VTermScreenCell *cells, int from, int to, char *buf, size_t size) {
        Buf b = {};
        for (int i = from; i < to;) {
                const VTermScreenCell *c = &cells[i];
                uint32_t ch = c->chars[0];
                if (ch == 0 || ch == (uint32_t) -1 || (ch >= 0x2500 && ch <= 0x259f))
                        (void) buf_put(&b, " ", 1);
                else
                        for (int k = 0; k < VTERM_MAX_CHARS_PER_CELL && c->chars[k]; k++)
                                (void) vt_append_utf8(&b, c->chars[k]);
                i += c->width > 1 ? c->width : 1;
        }
        size_t n = MIN(b.len, size - 1);
        /* Never end in the middle of a UTF-8 sequence. */
        while (n > 0 && n < b.len && (b.data[n] & 0xc0) == 0x80)
                n--;
        if (n > 0)
                memcpy(buf, b.data, n);
        buf[n] = 0;
        buf_free(&b);
}

static void rtrim(char *s) {
        size_t l = strlen(s);
        while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t'))
                s[--l] = 0;
}

int terminal_prompt_view(Terminal *t, TerminalLines *l, PromptView *v) {
        VTermScreenCell *cells = calloc(t->cols, sizeof *cells);
        VTermPos cur;

        if (!cells)
                return -ENOMEM;
        while (terminal_catch_up(t, SIZE_MAX))
                ;
        vterm_state_get_cursorpos(t->state, &cur);
        int col = MIN(cur.col, (int) t->cols);

        vt_get_row(t->screen, cur.row, (int) t->cols, cells);
        cells_text(cells, 0, col, l->before, sizeof l->before);
        cells_text(cells, col, (int) t->cols, l->after, sizeof l->after);
        cells_text(cells, 0, (int) t->cols, l->cursor, sizeof l->cursor);
        rtrim(l->after);
        rtrim(l->cursor);
        *v = (PromptView) { .cursor_line = l->cursor, .before_cursor = l->before, .after_cursor = l->after };
        for (int k = 0; k < PROMPT_NEAR_LINES; k++) {
                int row = cur.row - 1 - k;
                if (row < 0)
                        break;
                vt_get_row(t->screen, row, (int) t->cols, cells);
                cells_text(cells, 0, (int) t->cols, l->above[k], sizeof l->above[k]);
                rtrim(l->above[k]);
                v->above[k] = l->above[k];
        }
        free(cells);
        return col;
}
