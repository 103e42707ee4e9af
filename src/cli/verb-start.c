/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly start [--title T] [--detach] [--disable-notifications] [--cwd DIR] [--node N] <cmd> [args...] */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "oly-def.h"
#include "paths.h"

extern char **environ;

typedef struct StartArgs {
        CliTargetArgs target; /* the id is unused: the session is new */
        const char *title;
        const char *cwd; /* as given; NULL: ours */
        bool detach;
        bool no_notify;
        char **command; /* the command and its arguments, untouched */
} StartArgs;

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

static int parse_argv(int argc, char *argv[], StartArgs *a) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "title", required_argument, NULL, 't' },
                { "detach", no_argument, NULL, 'd' },
                { "disable-notifications", no_argument, NULL, 'n' },
                { "cwd", required_argument, NULL, 'C' },
                { "node", required_argument, NULL, 'N' },
                {},
        };
        int c, r;

        /* '+': stop at the command, so that its own options pass through untouched. */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 't':
                        if (strlen(optarg) > OLY_TITLE_MAX)
                                return usage_error("start", "title is longer than %u bytes.", OLY_TITLE_MAX);
                        a->title = optarg;
                        break;
                case 'd':
                        a->detach = true;
                        break;
                case 'n':
                        a->no_notify = true;
                        break;
                case 'C':
                        if (isempty(optarg))
                                return usage_error("start", "--cwd needs a directory.");
                        a->cwd = optarg;
                        break;
                case 'N':
                        r = cli_target_parse_node(&a->target, "start", optarg);
                        if (r < 0)
                                return r;
                        break;
                default:
                        return usage_error("start", "invalid option.");
                }
        if (optind >= argc)
                return usage_error("start", "missing the command to run.");
        if (isempty(argv[optind]))
                return usage_error("start", "the command is empty.");
        a->command = argv + optind;
        return 1;
}

/* The working directory the session gets: --cwd relative to ours, checked and resolved here; one on
 * another node is that node's business and passes through as given. */
static int start_resolve_cwd(const StartArgs *a, char **ret) {
        _cleanup_free_ char *joined = NULL;
        char here[PATH_MAX];
        struct stat st;

        if (!getcwd(here, sizeof here))
                return cli_error("cannot determine the current directory: %m");
        joined = a->cwd ? (a->cwd[0] == '/' ? strdup(a->cwd) : path_join(here, a->cwd)) : strdup(here);
        if (!joined)
                return cli_error("out of memory");
        if (a->target.node) {
                *ret = TAKE_PTR(joined);
                return 0;
        }
        if (stat(joined, &st) < 0)
                return cli_error("working directory '%s' does not exist.", a->cwd ?: joined);
        if (!S_ISDIR(st.st_mode))
                return cli_error("working directory '%s' is not a directory.", a->cwd ?: joined);
        *ret = realpath(joined, NULL);
        if (!*ret)
                return cli_error("cannot resolve '%s': %m", joined);
        return 0;
}

/* This terminal's size for the new PTY, or 0x0 (the daemon's default) when there is none. */
static void start_terminal_size(uint16_t *ret_rows, uint16_t *ret_cols) {
        struct winsize ws = {};

        *ret_rows = *ret_cols = 0;
        for (int fd = 0; fd <= 2; fd++)
                if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
                        *ret_rows = (uint16_t) MIN((unsigned) ws.ws_row, (unsigned) OLY_ROWS_MAX);
                        *ret_cols = (uint16_t) MIN((unsigned) ws.ws_col, (unsigned) OLY_COLS_MAX);
                        return;
                }
}

/* CreateSession; the new id in *ret. A session that failed to exec still exists (the reason in its
 * log): its id is printed all the same, for scripts. */
static int start_create(CliTarget *t, const StartArgs *a, const char *cwd, char **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *id;
        uint16_t rows, cols;
        int r;

        start_terminal_size(&rows, &cols);
        r = cli_target_new_call(t, "CreateSession", &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", strempty(a->title));
        if (r >= 0)
                r = sd_bus_message_append_strv(m, a->command);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", cwd);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, environ);
        if (r >= 0)
                r = sd_bus_message_append(m, "qqt", rows, cols,
                                          (uint64_t) (a->no_notify ? OLY_CREATE_NOTIFICATIONS_DISABLED : 0));
        if (r < 0)
                return cli_error("cannot build the request: %s", strerror(-r));
        r = sd_bus_call(t->bus, m, 0, &error, &reply);
        if (r < 0) {
                const char *rest = sd_bus_error_has_name(&error, OLY_ERROR_EXEC_FAILED) && error.message
                                           ? startswith(error.message, "Session ")
                                           : NULL;
                if (rest && strcspn(rest, " ") == OLY_ID_LEN)
                        printf("%.*s\n", OLY_ID_LEN, rest);
                return cli_bus_error(&error, r, t->node, "Failed to start the session");
        }
        r = sd_bus_message_read(reply, "so", &id, NULL);
        if (r < 0)
                return cli_bad_reply(r);
        *ret = strdup(id);
        return *ret ? 0 : cli_error("out of memory");
}

static int run(const StartArgs *a) {
        _cleanup_target_ CliTarget t = {};
        _cleanup_free_ char *cwd = NULL, *id = NULL;
        int r;

        r = start_resolve_cwd(a, &cwd);
        if (r != 0)
                return r;
        r = cli_target_open(&t, &a->target);
        if (r != 0)
                return r;
        r = start_create(&t, a, cwd, &id);
        if (r != 0)
                return r;
        if (a->detach) {
                printf("%s\n", id);
                return EXIT_OK;
        }
        /* Attach from the first byte the program wrote, not from a snapshot of whatever it drew since. */
        return attach_session(&t, id, true);
}

int verb_start(int argc, char *argv[]) {
        StartArgs a = { .target = CLI_TARGET_ARGS_INIT };
        int r = parse_argv(argc, argv, &a);
        return r <= 0 ? cli_parse_exit(r) : run(&a);
}
