/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly stop [id] [--grace S] [--node N] */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "oly-def.h"

static void help(void) {
        printf("oly stop [ID] [--grace SECONDS] [--node NAME]\n\n"
               "Stops a session: SIGHUP, SIGTERM and SIGCONT to its process groups, then SIGKILL when it has not\n"
               "ended after the grace period. Waits until it has ended and prints how.\n"
               "ID is a unique prefix of a session id; without it, the most recently created session.\n\n"
               "  --grace SECONDS  Time to end before SIGKILL (default %d, up to %d; 0 = at once)\n"
               "  --node NAME      Act on a connected secondary node\n"
               "  -h --help        Show this help\n",
               OLY_DEFAULT_STOP_GRACE_SEC, OLY_GRACE_MAX_SEC);
}

int verb_stop(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "grace", required_argument, NULL, 'g' },
                { "node", required_argument, NULL, 'N' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        uint64_t grace = OLY_DEFAULT_STOP_GRACE_SEC * USEC_PER_SEC;
        const char *node = NULL, *id = "", *status, *full;
        int32_t code;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 'g':
                        if (cli_parse_grace("stop", optarg, &grace) != 0)
                                return EXIT_USAGE;
                        break;
                case 'N':
                        if (cli_parse_node("stop", optarg) != 0)
                                return EXIT_USAGE;
                        node = optarg;
                        break;
                default:
                        return usage_error("stop", "invalid option.");
                }
        if (argc - optind > 1)
                return usage_error("stop", "too many arguments: expected at most one session id.");
        if (optind < argc)
                id = argv[optind];

        if (cli_connect(&bus) < 0)
                return EXIT_ERROR;
        r = cli_call(bus, node, "StopSession", grace + 30 * USEC_PER_SEC, &error, &reply, "st", id, grace);
        if (r < 0) {
                r = cli_bus_error(&error, r, node, "Failed to stop the session");
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_read(reply, "ssi", &full, &status, &code);
        if (r < 0)
                return cli_error("bad reply from the daemon: %s", strerror(-r));
        if (code >= 0)
                printf("%s %s (exit code %d)\n", full, status, code);
        else
                printf("%s %s\n", full, status);
        return EXIT_OK;
}
