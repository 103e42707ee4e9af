/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly notify enable|disable [id] [--node N] */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

typedef struct NotifyArgs {
        CliTargetArgs target;
        bool enable;
} NotifyArgs;

static void help(void) {
        printf("oly notify enable|disable [ID] [--node NAME]\n\n"
               "Turns notifications (the notification hook, web push) on or off for a session. A session with\n"
               "notifications off still shows whether it needs input.\n"
               "ID is a unique prefix of a session id; without it, the most recently created session.\n\n"
               "  --node NAME  Act on a connected secondary node\n"
               "  -h --help    Show this help\n");
}

static int parse_argv(int argc, char *argv[], NotifyArgs *a) {
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
                        r = cli_target_parse_node(&a->target, "notify", optarg);
                        if (r < 0)
                                return r;
                        break;
                default:
                        return usage_error("notify", "invalid option.");
                }
        if (optind >= argc)
                return usage_error("notify", "expected 'enable' or 'disable'.");
        if (streq(argv[optind], "enable"))
                a->enable = true;
        else if (streq(argv[optind], "disable"))
                a->enable = false;
        else
                return usage_error("notify", "unknown action '%s': expected 'enable' or 'disable'.",
                                   argv[optind]);
        if (argc - optind > 2)
                return usage_error("notify", "too many arguments: expected at most one session id.");
        if (argc - optind == 2)
                a->target.id = argv[optind + 1];
        return 1;
}

static int run(const NotifyArgs *a) {
        _cleanup_target_ CliTarget t = {};
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *full = NULL;
        int r;

        r = cli_target_open(&t, &a->target);
        if (r != 0)
                return r;
        r = cli_target_call(&t, "ResolveSession", 0, &error, &reply, "s", t.id);
        if (r >= 0)
                r = sd_bus_message_read(reply, "so", &full, NULL);
        if (r >= 0)
                r = cli_target_call(&t, "SetNotifications", 0, &error, NULL, "sb", full, (int) a->enable);
        if (r < 0)
                return cli_bus_error(&error, r, t.node, "Failed to change notifications");
        printf("Notifications %s for session %s.\n", a->enable ? "enabled" : "disabled", full);
        return EXIT_OK;
}

int verb_notify(int argc, char *argv[]) {
        NotifyArgs a = { .target = CLI_TARGET_ARGS_INIT };
        int r = parse_argv(argc, argv, &a);
        return r <= 0 ? cli_parse_exit(r) : run(&a);
}
