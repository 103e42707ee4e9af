/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly skill: prints the bundled guide for agents (skill.md, embedded at build time). */
#include <stdio.h>

#include "cli.h"
#include "skill-md.h"

static int parse_argv(int argc, char *argv[]) {
        if (argc > 1 && (streq(argv[1], "-h") || streq(argv[1], "--help"))) {
                printf("oly skill\n\nPrints the guide for agents and tools that drive oly: starting sessions,\n"
                       "sending keys, reading logs, stopping them, with worked examples.\n");
                return 0;
        }
        if (argc > 1)
                return usage_error("skill", "unexpected argument '%s'.", argv[1]);
        return 1;
}

static int run(void) {
        fputs(skill_md, stdout);
        return EXIT_OK;
}

int verb_skill(int argc, char *argv[]) {
        int r = parse_argv(argc, argv);
        return r <= 0 ? cli_parse_exit(r) : run();
}
