/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly notify enable|disable [id] [--node N] */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static void help(void) {
        printf("oly notify enable|disable [ID] [--node NAME]\n\n"
               "Turns notifications (the notification hook, web push) on or off for a session. A session with\n"
               "notifications off still shows whether it needs input.\n"
               "ID is a unique prefix of a session id; without it, the most recently created session.\n\n"
               "  --node NAME  Act on a connected secondary node\n"
               "  -h --help    Show this help\n");
}

int verb_notify(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "node", required_argument, NULL, 'N' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *node = NULL, *id = "", *full = NULL;
        int c, r, enable;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 'N':
                        if (cli_parse_node("notify", optarg) != 0)
                                return EXIT_USAGE;
                        node = optarg;
                        break;
                default:
                        return usage_error("notify", "invalid option.");
                }
        if (optind >= argc)
                return usage_error("notify", "expected 'enable' or 'disable'.");
        if (streq(argv[optind], "enable"))
                enable = 1;
        else if (streq(argv[optind], "disable"))
                enable = 0;
        else
                return usage_error("notify", "unknown action '%s': expected 'enable' or 'disable'.", argv[optind]);
        if (argc - optind > 2)
                return usage_error("notify", "too many arguments: expected at most one session id.");
        if (argc - optind == 2)
                id = argv[optind + 1];

        if (cli_connect(&bus) < 0)
                return EXIT_ERROR;
        r = cli_call(bus, node, "ResolveSession", 0, &error, &reply, "s", id);
        if (r >= 0)
                r = sd_bus_message_read(reply, "so", &full, NULL);
        if (r >= 0)
                r = cli_call(bus, node, "SetNotifications", 0, &error, NULL, "sb", full, enable);
        if (r < 0) {
                r = cli_bus_error(&error, r, node, "Failed to change notifications");
                sd_bus_error_free(&error);
                return r;
        }
        printf("Notifications %s for session %s.\n", enable ? "enabled" : "disabled", full);
        return EXIT_OK;
}
