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

int verb_attach(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "node", required_argument, NULL, 'N' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *node = NULL, *id = "";
        _cleanup_free_ char *full = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 'N':
                        if (cli_parse_node("attach", optarg) != 0)
                                return EXIT_USAGE;
                        node = optarg;
                        break;
                default:
                        return usage_error("attach", "invalid option.");
                }
        if (argc - optind > 1)
                return usage_error("attach", "too many arguments: expected at most one session id.");
        if (optind < argc)
                id = argv[optind];

        if (cli_connect(&bus) < 0)
                return EXIT_ERROR;
        r = cli_resolve(bus, node, id, &full);
        if (r != 0)
                return r;
        return attach_session(bus, node, full, false);
}
