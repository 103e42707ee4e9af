/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly attach [id] [--node N] */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static void help(void) {
        printf("oly attach [ID] [--node NAME]\n\n"
               "Attaches this terminal to a running session: its screen is redrawn as it is now, then live.\n"
               "ID is a unique prefix of a session id; without it, the most recently created session.\n\n"
               "Keys: Ctrl-] then d detaches (the session keeps running); Ctrl-] twice sends one Ctrl-];\n"
               "Ctrl-] then any other key sends both. Resizing this terminal resizes the session.\n\n"
               "  --node NAME  Attach to a session on a connected secondary node\n"
               "  -h --help    Show this help\n");
}

static int parse_argv(int argc, char *argv[], CliTargetArgs *a) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "node", required_argument, NULL, 'N' },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'N':
                        r = cli_target_parse_node(a, "attach", optarg);
                        if (r < 0)
                                return r;
                        break;
                default:
                        return usage_error("attach", "invalid option.");
                }
        if (argc - optind > 1)
                return usage_error("attach", "too many arguments: expected at most one session id.");
        if (optind < argc)
                a->id = argv[optind];
        return 1;
}

static int run(const CliTargetArgs *a) {
        _cleanup_target_ CliTarget t = {};
        _cleanup_free_ char *full = NULL;
        int r;

        r = cli_target_open(&t, a);
        if (r != 0)
                return r;
        r = cli_target_resolve(&t, &full);
        if (r != 0)
                return r;
        return attach_session(&t, full, false);
}

int verb_attach(int argc, char *argv[]) {
        CliTargetArgs a = CLI_TARGET_ARGS_INIT;
        int r = parse_argv(argc, argv, &a);
        return r <= 0 ? cli_parse_exit(r) : run(&a);
}
