/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly: the command-line client of oly-daemon. One verb per file, registered in the table below. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const Verb verbs[] = {
        { "daemon", "Start or stop the oly daemon", verb_daemon },
        { "start", "Start a command in a new session", verb_start },
        { "ls", "List sessions", verb_ls },
        { "stop", "Stop a session", verb_stop },
        { "attach", "Attach this terminal to a session", verb_attach },
        { "logs", "Print a session's output as a terminal showed it", verb_logs },
        { "send", "Send input or keys to a session without attaching", verb_send },
        { "notify", "Turn a session's notifications on or off", verb_notify },
        { "skill", "Print the guide for agents driving oly", verb_skill },
        { "api-key", "Manage the keys secondary nodes join this machine with", verb_api_key },
};

static void help(void) {
        printf("oly — a persistent session relay: commands on PTYs that outlive your terminal.\n\n"
               "Usage: oly VERB [OPTIONS...] [ARGS...]\n\n"
               "Verbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-8s %s\n", verbs[i].name, verbs[i].summary);
        printf("\nOptions:\n"
               "  -h --help     Show this help\n"
               "     --version  Show the version\n\n"
               "'oly VERB --help' describes a verb. See oly(1).\n");
}

int main(int argc, char *argv[]) {
        if (argc < 2)
                return help(), EXIT_USAGE;
        if (streq(argv[1], "-h") || streq(argv[1], "--help") || streq(argv[1], "help"))
                return help(), EXIT_OK;
        if (streq(argv[1], "--version")) {
                printf("oly %s\n", OLY_VERSION);
                return EXIT_OK;
        }
        cli_options_begin(argc, argv);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(argv[1], verbs[i].name))
                        return verbs[i].run(argc - 1, argv + 1);
        return usage_error(NULL, "unknown command '%s'.", argv[1]), EXIT_USAGE;
}
