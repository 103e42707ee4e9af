/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly stop [id] [--grace S] [--node N] */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "oly-def.h"

typedef struct StopArgs {
        CliTargetArgs target;
        uint64_t grace_usec;
} StopArgs;

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

static int parse_argv(int argc, char *argv[], StopArgs *a) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "grace", required_argument, NULL, 'g' },
                { "node", required_argument, NULL, 'N' },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'g':
                        r = cli_parse_grace("stop", optarg, &a->grace_usec);
                        if (r < 0)
                                return r;
                        break;
                case 'N':
                        r = cli_target_parse_node(&a->target, "stop", optarg);
                        if (r < 0)
                                return r;
                        break;
                default:
                        return usage_error("stop", "invalid option.");
                }
        if (argc - optind > 1)
                return usage_error("stop", "too many arguments: expected at most one session id.");
        if (optind < argc)
                a->target.id = argv[optind];
        return 1;
}

static int run(const StopArgs *a) {
        _cleanup_target_ CliTarget t = {};
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *status, *full;
        int32_t code;
        int r;

        r = cli_target_open(&t, &a->target);
        if (r != 0)
                return r;
        r = cli_target_call(&t, "StopSession", a->grace_usec + 30 * USEC_PER_SEC, &error, &reply, "st", t.id,
                            a->grace_usec);
        if (r < 0)
                return cli_bus_error(&error, r, t.node, "Failed to stop the session");
        r = sd_bus_message_read(reply, "ssi", &full, &status, &code);
        if (r < 0)
                return cli_bad_reply(r);
        if (code >= 0)
                printf("%s %s (exit code %d)\n", full, status, code);
        else
                printf("%s %s\n", full, status);
        return EXIT_OK;
}

int verb_stop(int argc, char *argv[]) {
        StopArgs a = { .target = CLI_TARGET_ARGS_INIT,
                       .grace_usec = OLY_DEFAULT_STOP_GRACE_SEC * USEC_PER_SEC };
        int r = parse_argv(argc, argv, &a);
        return r <= 0 ? cli_parse_exit(r) : run(&a);
}
