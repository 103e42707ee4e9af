/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "prompt.h"

typedef struct PromptRule {
        char *name;
        pcre2_code *re;
        PromptScope scope;
} PromptRule;

struct PromptMatcher {
        PromptRule *rules;
        size_t n;
        pcre2_match_data *md;
};

/* The built-in rules (spec §8 and the shells and REPLs people run), case-insensitive. A rule with
 * CURSOR scope must match the text before the cursor, with nothing but blanks after it: that is what
 * a program waiting at a prompt looks like, and what a log line that merely mentions "password:" does
 * not (its cursor has moved on to the next line). */
static const struct {
        const char *name, *pattern;
        PromptScope scope;
} builtin_rules[] = {
        { "yes-no", "[(\\[]\\s*(y|yes)\\s*/\\s*(n|no)\\s*[)\\]]", PROMPT_SCOPE_NEAR },
        { "y-or-n", "\\(\\s*\\[?y(es)?\\]?\\s+or\\s+\\[?n(o)?\\]?\\s*\\)", PROMPT_SCOPE_NEAR },
        { "continue", "\\b(continue|proceed)\\s*\\?", PROMPT_SCOPE_NEAR },
        { "are-you-sure", "\\bare you sure\\b", PROMPT_SCOPE_CURSOR_LINE },
        { "press-enter", "\\b(press|hit)\\s+(enter|return|any key)\\b", PROMPT_SCOPE_CURSOR_LINE },
        { "password", "\\b(password|passphrase|passcode|pin)\\b.*:\\s*$", PROMPT_SCOPE_CURSOR },
        { "secret", "\\b(token|secret|api[ _-]?key|access[ _-]?key|otp|one-time code|verification code)\\b.*:\\s*$",
          PROMPT_SCOPE_CURSOR },
        { "question", "\\?\\s*$", PROMPT_SCOPE_CURSOR },
        { "question-line", "^\\s*\\?\\s+\\S.*$", PROMPT_SCOPE_CURSOR },
        { "repl", "(\\(gdb\\)|\\(pdb\\)|\\(lldb\\)|in \\[\\d+\\]:|irb\\([^)]*\\)[^>]*>|mysql>|sqlite>|\\w+=[#>])\\s*$",
          PROMPT_SCOPE_CURSOR },
        /* '%' after a digit is a percentage ("Progress: 45% "), not zsh's prompt. */
        { "shell", "(>>>|\\.\\.\\.|[$#>❯›»➜λ]|(?<!\\d)%)\\s+$", PROMPT_SCOPE_CURSOR },
};

PromptMatcher *prompt_matcher_free(PromptMatcher *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n; i++) {
                free(m->rules[i].name);
                pcre2_code_free(m->rules[i].re);
        }
        free(m->rules);
        pcre2_match_data_free(m->md);
        free(m);
        return NULL;
}

static int add_rule(PromptMatcher *m, const char *name, const char *pattern, PromptScope scope, bool builtin,
                    char **ret_error) {
        int err;
        PCRE2_SIZE off;
        /* Built-ins are case-insensitive; a configured pattern opts in with (?i). */
        uint32_t flags = PCRE2_UTF | PCRE2_UCP | (builtin ? PCRE2_CASELESS : 0);
        pcre2_code *re = pcre2_compile((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED, flags, &err, &off, NULL);

        if (!re) {
                PCRE2_UCHAR msg[256];
                pcre2_get_error_message(err, msg, sizeof msg);
                if (ret_error && asprintf(ret_error, "prompt pattern \"%s\" does not compile at offset %zu: %s", pattern,
                                          (size_t) off, (char *) msg) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        (void) pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* best effort: the interpreter works too */
        PromptRule *n = reallocarray(m->rules, m->n + 1, sizeof *n);
        if (!n) {
                pcre2_code_free(re);
                return -ENOMEM;
        }
        m->rules = n;
        m->rules[m->n] = (PromptRule) { .name = strdup(name), .re = re, .scope = scope };
        if (!m->rules[m->n].name) {
                pcre2_code_free(re);
                return -ENOMEM;
        }
        m->n++;
        return 0;
}

int prompt_matcher_new(const OlyConfig *c, PromptMatcher **ret, char **ret_error) {
        PromptMatcher *m = calloc(1, sizeof *m);
        int r = 0;

        if (!m)
                return -ENOMEM;
        if (c->prompt_patterns) {
                /* Configured patterns replace the built-ins; they are tried on the cursor line and the
                 * lines above it, and are named by their own text. */
                for (unsigned i = 0; i < c->n_prompt_patterns && r >= 0; i++)
                        r = add_rule(m, c->prompt_patterns[i], c->prompt_patterns[i], PROMPT_SCOPE_ANYWHERE, false,
                                     ret_error);
        } else
                for (size_t i = 0; i < ELEMENTSOF(builtin_rules) && r >= 0; i++)
                        r = add_rule(m, builtin_rules[i].name, builtin_rules[i].pattern, builtin_rules[i].scope, true,
                                     ret_error);
        for (unsigned i = 0; i < c->n_prompt_patterns_extra && r >= 0; i++)
                r = add_rule(m, c->prompt_patterns_extra[i], c->prompt_patterns_extra[i], PROMPT_SCOPE_ANYWHERE,
                             false, ret_error);
        if (r >= 0) {
                m->md = pcre2_match_data_create(4, NULL);
                if (!m->md)
                        r = -ENOMEM;
        }
        if (r < 0) {
                prompt_matcher_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

/* With at_end, a match counts only if nothing but blanks follows it on its line: "Continue? (y/n) y" is
 * a prompt that has been answered (the answer was echoed after it), "Continue? (y/n)" one that waits. */
static bool rule_matches(PromptMatcher *m, PromptRule *rule, const char *s, bool at_end) {
        int rc = pcre2_match(rule->re, (PCRE2_SPTR) s, PCRE2_ZERO_TERMINATED, 0, 0, m->md, NULL);
        if (rc < 0)
                return false;
        if (!at_end)
                return true;
        PCRE2_SIZE end = pcre2_get_ovector_pointer(m->md)[1];
        for (const char *p = s + end; *p; p++)
                if (*p != ' ' && *p != '\t')
                        return false;
        return true;
}

const char *prompt_matcher_match(PromptMatcher *m, const PromptView *v, const char **ret_line) {
        bool at_end = isempty(v->after_cursor);

        for (size_t i = 0; i < m->n; i++) {
                PromptRule *rule = &m->rules[i];
                switch (rule->scope) {
                case PROMPT_SCOPE_CURSOR:
                        if (at_end && rule_matches(m, rule, v->before_cursor, true)) {
                                *ret_line = v->before_cursor;
                                return rule->name;
                        }
                        break;
                case PROMPT_SCOPE_CURSOR_LINE:
                        if (at_end && rule_matches(m, rule, v->cursor_line, false)) {
                                *ret_line = v->cursor_line;
                                return rule->name;
                        }
                        break;
                case PROMPT_SCOPE_NEAR:
                case PROMPT_SCOPE_ANYWHERE: {
                        bool end = rule->scope == PROMPT_SCOPE_NEAR;
                        if (rule_matches(m, rule, v->cursor_line, end)) {
                                *ret_line = v->cursor_line;
                                return rule->name;
                        }
                        for (size_t k = 0; k < PROMPT_NEAR_LINES && v->above[k]; k++)
                                if (rule_matches(m, rule, v->above[k], end)) {
                                        *ret_line = v->above[k];
                                        return rule->name;
                                }
                        break;
                }
                }
        }
        return NULL;
}
