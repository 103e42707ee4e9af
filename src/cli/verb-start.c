/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly start [--title T] [--detach] [--disable-notifications] [--cwd DIR] [--node N] <cmd> [args...] */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "oly-def.h"
#include "paths.h"

extern char **environ;

static void help(void) {
        printf("oly start [OPTIONS...] COMMAND [ARGS...]\n\n"
               "Starts COMMAND on a new PTY owned by the daemon. Everything after COMMAND is passed to it\n"
               "untouched, even arguments that begin with '-'. The session gets your environment, your\n"
               "terminal's size (else 24x80) and TERM=xterm-256color.\n\n"
               "  --title TITLE              A title shown by 'oly ls' (searchable)\n"
               "  --detach                   Print the session id and return instead of attaching\n"
               "  --disable-notifications    Do not notify when this session needs input\n"
               "  --cwd DIR                  Working directory (relative to yours; default: yours)\n"
               "  --node NAME                Start it on a connected secondary node\n"
               "  -h --help                  Show this help\n");
}

static void terminal_size(unsigned *rows, unsigned *cols) {
        struct winsize ws = {};
        *rows = *cols = 0;
        for (int fd = 0; fd <= 2; fd++)
                if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
                        *rows = MIN((unsigned) ws.ws_row, (unsigned) OLY_ROWS_MAX);
                        *cols = MIN((unsigned) ws.ws_col, (unsigned) OLY_COLS_MAX);
                        return;
                }
}

int verb_start(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "title", required_argument, NULL, 't' },
                { "detach", no_argument, NULL, 'd' },
                { "disable-notifications", no_argument, NULL, 'n' },
                { "cwd", required_argument, NULL, 'C' },
                { "node", required_argument, NULL, 'N' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_free_ char *cwd = NULL, *path = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *title = "", *node = NULL, *cwd_arg = NULL, *id;
        bool detach = false, no_notify = false;
        unsigned rows, cols;
        int c, r;

        /* '+': stop at the command, so that its own options pass through untouched. */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 't':
                        if (strlen(optarg) > OLY_TITLE_MAX)
                                return usage_error("start", "title is longer than %u bytes.", OLY_TITLE_MAX);
                        title = optarg;
                        break;
                case 'd':
                        detach = true;
                        break;
                case 'n':
                        no_notify = true;
                        break;
                case 'C':
                        if (isempty(optarg))
                                return usage_error("start", "--cwd needs a directory.");
                        cwd_arg = optarg;
                        break;
                case 'N':
                        if (cli_parse_node("start", optarg) != 0)
                                return EXIT_USAGE;
                        node = optarg;
                        break;
                default:
                        return usage_error("start", "invalid option.");
                }
        if (optind >= argc)
                return usage_error("start", "missing the command to run.");
        if (isempty(argv[optind]))
                return usage_error("start", "the command is empty.");

        {
                char here[PATH_MAX];
                struct stat st;
                if (!getcwd(here, sizeof here))
                        return cli_error("cannot determine the current directory: %m");
                _cleanup_free_ char *joined = cwd_arg ? (cwd_arg[0] == '/' ? strdup(cwd_arg) : path_join(here, cwd_arg))
                                                      : strdup(here);
                if (!joined)
                        return cli_error("out of memory");
                /* A directory on another node is that node's business: pass it through as given. */
                if (!node) {
                        if (stat(joined, &st) < 0)
                                return cli_error("working directory '%s' does not exist.", cwd_arg ?: joined);
                        if (!S_ISDIR(st.st_mode))
                                return cli_error("working directory '%s' is not a directory.", cwd_arg ?: joined);
                        cwd = realpath(joined, NULL);
                        if (!cwd)
                                return cli_error("cannot resolve '%s': %m", joined);
                } else
                        cwd = TAKE_PTR(joined);
        }
        terminal_size(&rows, &cols);

        if (cli_connect(&bus) < 0)
                return EXIT_ERROR;
        r = cli_manager_path(node, &path);
        if (r < 0)
                return cli_error("invalid node name: %s", strerror(-r));
        r = sd_bus_message_new_method_call(bus, &m, NULL, path, OLY_MANAGER_IFACE, "CreateSession");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", title);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, argv + optind);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", cwd);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, environ);
        if (r >= 0)
                r = sd_bus_message_append(m, "qqt", (uint16_t) rows, (uint16_t) cols,
                                          (uint64_t) (no_notify ? OLY_CREATE_NOTIFICATIONS_DISABLED : 0));
        if (r < 0)
                return cli_error("cannot build the request: %s", strerror(-r));
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0) {
                /* The session exists (failed, the reason in its log): scripts still get its id. */
                const char *rest = sd_bus_error_has_name(&error, OLY_ERROR_EXEC_FAILED) && error.message
                                           ? startswith(error.message, "Session ")
                                           : NULL;
                if (rest && strcspn(rest, " ") == OLY_ID_LEN)
                        printf("%.*s\n", OLY_ID_LEN, rest);
                r = cli_bus_error(&error, r, node, "Failed to start the session");
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_read(reply, "so", &id, NULL);
        if (r < 0)
                return cli_error("bad reply from the daemon: %s", strerror(-r));

        if (detach) {
                printf("%s\n", id);
                return EXIT_OK;
        }
        /* Attach from the first byte the program wrote, not from a snapshot of whatever it drew since. */
        _cleanup_free_ char *full = strdup(id);
        if (!full)
                return cli_error("out of memory");
        return attach_session(bus, node, full, true);
}
