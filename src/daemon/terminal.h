/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A session's terminal model (libvterm): fed off the hot path, it rebuilds the screen for attach
 * snapshots, knows the keyboard modes for 'send', and answers terminal queries while nobody is
 * attached. */
#pragma once

#include <stdbool.h>
#include <vterm.h>

#include "buf.h"

/* Output not yet fed to the model; beyond this the oldest half is dropped and the model is rebuilt
 * from the newest bytes (the screen after that much output is what the newest bytes drew), keeping the
 * private modes (alternate screen, cursor keys, bracketed paste, mouse) the dropped bytes set. */
#define TERMINAL_PENDING_MAX (1024U * 1024U)
/* The model catches up once output has been quiet this long, so a flood costs it nothing. */
#define TERMINAL_QUIET_USEC (10 * 1000)
/* Bytes fed per event-loop iteration while catching up. */
#define TERMINAL_FEED_CHUNK (256U * 1024U)
/* Lines scrolled off the top kept for the attach snapshot (encoded, with colour). */
#define TERMINAL_SCROLLBACK_BYTES (64U * 1024U)

typedef struct Terminal {
        VTerm *vt;
        VTermScreen *screen;
        VTermState *state;
        unsigned rows, cols;
        bool altscreen, cursor_visible;
        int mouse;

        Buf pending;   /* output not yet fed */
        bool answer;   /* send query replies to reply_fd */
        int reply_fd;  /* the PTY master */
        Buf *capture;  /* while probing modes: where the model's output goes instead */

        Buf scrollback; /* encoded lines, each ending in "\r\n" */

        /* DEC private modes seen in output that was dropped unfed: mode number → 'h' or 'l'. */
        struct {
                unsigned mode;
                char value;
        } dropped_modes[16];
        unsigned n_dropped_modes;
} Terminal;

int terminal_new(unsigned rows, unsigned cols, int reply_fd, Terminal **ret);
Terminal *terminal_free(Terminal *t);

/* Queues output for the model (cheap: a copy). */
void terminal_queue(Terminal *t, const void *data, size_t n);
/* Feeds up to max queued bytes; returns true while more is queued. */
bool terminal_catch_up(Terminal *t, size_t max);
static inline bool terminal_behind(const Terminal *t) {
        return t->pending.len > 0;
}

void terminal_resize(Terminal *t, unsigned rows, unsigned cols);

/* Everything a fresh terminal needs to show what this one shows (after catching up fully). */
int terminal_snapshot(Terminal *t, Buf *out);

/* The rendered text around the cursor, for prompt rules (after catching up). Lines go into the
 * caller's buffers (PROMPT_LINE_MAX each). Returns the cursor column. */
#include "prompt.h"
typedef struct TerminalLines {
        char cursor[PROMPT_LINE_MAX], before[PROMPT_LINE_MAX], after[PROMPT_LINE_MAX];
        char above[PROMPT_NEAR_LINES][PROMPT_LINE_MAX];
} TerminalLines;
int terminal_prompt_view(Terminal *t, TerminalLines *lines, PromptView *ret);

/* DECCKM, as 'send' needs it for arrow keys (after catching up). */
bool terminal_app_cursor(Terminal *t);
