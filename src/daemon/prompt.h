/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Prompt rules: PCRE2 patterns tried on the rendered lines around the cursor once output goes quiet. */
#pragma once

#include <stdbool.h>

#include "config.h"

typedef enum PromptScope {
        PROMPT_SCOPE_CURSOR,      /* the text before the cursor, with nothing but blanks after the cursor */
        PROMPT_SCOPE_CURSOR_LINE, /* anywhere on the cursor's line, the cursor at the end of its text */
        PROMPT_SCOPE_NEAR,        /* the cursor's line or the PROMPT_NEAR_LINES above it, the match ending its
                                   * line ("Continue? (y/n) y" has been answered; "Continue? (y/n)" waits) */
        PROMPT_SCOPE_ANYWHERE,    /* configured patterns: the cursor's line or the lines above, anywhere */
} PromptScope;

#define PROMPT_NEAR_LINES 3
#define PROMPT_LINE_MAX 512 /* bytes of a rendered line that are matched and reported */

typedef struct PromptMatcher PromptMatcher;

/* Compiles the built-in rules (or config's prompt_patterns instead) plus prompt_patterns_extra. A
 * pattern that does not compile is an error naming it. */
int prompt_matcher_new(const OlyConfig *c, PromptMatcher **ret, char **ret_error);
PromptMatcher *prompt_matcher_free(PromptMatcher *m);

/* The text the rules see: the cursor line split at the cursor, and the lines above it (nearest first).
 * Box-drawing characters are already blanked out. */
typedef struct PromptView {
        const char *cursor_line;   /* the whole cursor line, trimmed */
        const char *before_cursor; /* the cursor line up to the cursor, untrimmed */
        const char *after_cursor;  /* the rest of the cursor line, trimmed */
        const char *above[PROMPT_NEAR_LINES];
} PromptView;

/* Returns the name of the first rule that matches (and in *ret_line the line it matched), or NULL. */
const char *prompt_matcher_match(PromptMatcher *m, const PromptView *v, const char **ret_line);
