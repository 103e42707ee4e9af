/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Prompt rules and their scopes: what counts as waiting at the cursor, on the cursor's line, near it, and
 * anywhere (configured patterns), and what a log line that merely mentions a question does not. */
#include <errno.h>
#include <stdio.h>

#include "config.h"
#include "prompt.h"
#include "tests.h"

typedef struct View {
        const char *before, *after, *above[PROMPT_NEAR_LINES];
} View;

static const char *match(PromptMatcher *m, const View *in, const char **ret_line) {
        char cursor[PROMPT_LINE_MAX];
        const char *line = NULL;
        PromptView v = {
                .cursor_line = cursor,
                .before_cursor = in->before,
                .after_cursor = in->after ?: "",
        };
        snprintf(cursor, sizeof cursor, "%s%s", in->before, in->after ?: "");
        /* The cursor line as the terminal model gives it: trimmed. */
        for (size_t k = strlen(cursor); k > 0 && cursor[k - 1] == ' '; k--)
                cursor[k - 1] = 0;
        for (size_t i = 0; i < PROMPT_NEAR_LINES; i++)
                v.above[i] = in->above[i] ?: "";
        const char *rule = prompt_matcher_match(m, &v, &line);
        if (ret_line)
                *ret_line = line;
        return rule;
}

#define CHECK_RULE(m, view, want)                                                                        \
        do {                                                                                             \
                const View _v = view;                                                                    \
                const char *_r = match(m, &_v, NULL);                                                    \
                if (want)                                                                                \
                        CHECK_STREQ(_r, (const char *) (want));                                          \
                else if (_r) {                                                                           \
                        fprintf(stderr, "%s:%d: unexpected match by rule %s\n", __FILE__, __LINE__, _r); \
                        tests_failed++;                                                                  \
                }                                                                                        \
        } while (0)

static void test_builtin_scopes(void) {
        OlyConfig c;
        PromptMatcher *m = NULL;
        char *err = NULL;

        oly_config_init(&c);
        CHECK(prompt_matcher_new(&c, &m, &err) == 0);
        CHECK(m);
        if (!m)
                return;

        /* CURSOR: the text before the cursor, nothing but blanks after it. */
        CHECK_RULE(m, ((View){ .before = "Password: " }), "password");
        CHECK_RULE(m, ((View){ .before = "Enter passphrase for key '/root/.ssh/id': " }), "password");
        CHECK_RULE(m, ((View){ .before = "", .above = { "password: hunter2 accepted" } }), NULL);
        CHECK_RULE(m, ((View){ .before = "Password: ", .after = "xx" }), NULL);
        CHECK_RULE(m, ((View){ .before = "API key: " }), "secret");
        CHECK_RULE(m, ((View){ .before = "What is your name? " }), "question");
        CHECK_RULE(m, ((View){ .before = "(gdb) " }), "repl");
        CHECK_RULE(m, ((View){ .before = "In [3]: " }), "repl");
        CHECK_RULE(m, ((View){ .before = "user@host:~$ " }), "shell");
        CHECK_RULE(m, ((View){ .before = ">>> " }), "shell");
        /* A percentage is progress, not zsh. */
        CHECK_RULE(m, ((View){ .before = "Progress: 45% " }), NULL);
        CHECK_RULE(m, ((View){ .before = "~ % " }), "shell");

        /* CURSOR_LINE: anywhere on the cursor's line. */
        CHECK_RULE(m, ((View){ .before = "Press ENTER to continue", .after = "" }), "press-enter");
        CHECK_RULE(m, ((View){ .before = "", .above = { "Press enter to continue" } }), NULL);
        CHECK_RULE(m, ((View){ .before = "Are you sure you want to delete it [y/N] " }), "yes-no");

        /* NEAR: the cursor's line or the lines above, the match ending its line. */
        CHECK_RULE(m, ((View){ .before = "", .above = { "Overwrite? (y/n)" } }), "yes-no");
        CHECK_RULE(m, ((View){ .before = "", .above = { "Overwrite? (y/n) y" } }), NULL);
        CHECK_RULE(m, ((View){ .before = "Quit anyway? (y or n) " }), "y-or-n");
        CHECK_RULE(m, ((View){ .before = "Make breakpoint pending? (y or [n]) " }), "y-or-n");
        CHECK_RULE(m, ((View) { .before = "", .above = { "", "", "", } }), NULL);
        /* Only PROMPT_NEAR_LINES lines above count: a question further up is history. */
        CHECK_RULE(m, ((View){ .before = "", .above = { "a", "b", "c" } }), NULL);

        /* Log lines that merely mention a question, with the cursor on a fresh line, are not waiting. */
        CHECK_RULE(m, ((View){ .before = "", .above = { "INFO asked the user: continue? no" } }), NULL);
        CHECK_RULE(m, ((View){ .before = "", .above = { "warning: password: field is deprecated" } }), NULL);

        prompt_matcher_free(m);
        oly_config_done(&c);
}

static void test_configured_anywhere(void) {
        char *pats[] = { (char *) "Choose an option", NULL };
        OlyConfig c;
        PromptMatcher *m = NULL;
        const char *line = NULL;
        char *err = NULL;

        oly_config_init(&c);
        /* Extra patterns add to the built-ins and match on the cursor's line or the lines above. */
        c.prompt_patterns_extra = pats;
        c.n_prompt_patterns_extra = 1;
        CHECK(prompt_matcher_new(&c, &m, &err) == 0);
        if (!m)
                return;
        View v = { .before = "", .above = { "", "Choose an option:" } };
        CHECK_STREQ(match(m, &v, &line), "Choose an option");
        CHECK_STREQ(line, "Choose an option:");
        CHECK_RULE(m, ((View){ .before = "Password: " }), "password");
        prompt_matcher_free(m);

        /* A pattern that does not compile is an error naming it. */
        char *bad[] = { (char *) "((", NULL };
        c.prompt_patterns_extra = bad;
        m = NULL;
        CHECK(prompt_matcher_new(&c, &m, &err) == -EINVAL);
        CHECK(err && strstr(err, "\"((\""));
        CHECK(!m);
        free(err);
        c.prompt_patterns_extra = NULL;
        c.n_prompt_patterns_extra = 0;
        oly_config_done(&c);
}

int main(void) {
        test_builtin_scopes();
        test_configured_anywhere();
        TESTS_END();
}
