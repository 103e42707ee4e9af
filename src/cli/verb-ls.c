/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly ls [--search T] [--json] [--status S]... [--since T] [--until T] [--limit N] [--node N] */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "oly-def.h"
#include "parse-util.h"
#include "status.h"
#include "time-util.h"

static void help(void) {
        printf("oly ls [OPTIONS...]\n\n"
               "Lists sessions, most recently created first.\n\n"
               "  --search TEXT     Only sessions whose id or title contains TEXT (case-insensitive)\n"
               "  --status STATUS   Only sessions in STATUS (repeatable): created, running, stopping,\n"
               "                    stopped, killed, failed, unknown\n"
               "  --since TIME      Only sessions created at or after TIME (RFC 3339, e.g. 2026-11-23T10:00:00Z)\n"
               "  --until TIME      Only sessions created at or before TIME (RFC 3339)\n"
               "  --limit N         At most N sessions (default %d, up to %d)\n"
               "  --json            A JSON array with every field\n"
               "  --node NAME       List a connected secondary node's sessions\n"
               "  -h --help         Show this help\n",
               OLY_DEFAULT_LIST_LIMIT, OLY_LIST_LIMIT_MAX);
}

typedef struct Row {
        const char *id, *title, *command, *cwd, *status;
        char **args;
        uint32_t pid;
        int32_t exit_code;
        uint64_t created, started, ended;
        int input_needed, notifications;
} Row;

static void row_done(Row *r) {
        for (char **a = r->args; a && *a; a++)
                free(*a);
        free(r->args);
        r->args = NULL;
}

static int read_row(sd_bus_message *m, Row *row) {
        int r;

        r = sd_bus_message_enter_container(m, 'r', "sssasssuitttbb");
        if (r <= 0)
                return r;
        r = sd_bus_message_read(m, "sss", &row->id, &row->title, &row->command);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(m, &row->args);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "ssuitttbb", &row->cwd, &row->status, &row->pid, &row->exit_code, &row->created,
                                &row->started, &row->ended, &row->input_needed, &row->notifications);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        return 1;
}

static json_object *json_time(uint64_t t) {
        char buf[RFC3339_MAX];
        if (t == 0 || !rfc3339_format(buf, sizeof buf, t))
                return NULL;
        return json_object_new_string(buf);
}

static json_object *row_to_json(const Row *r) {
        json_object *o = json_object_new_object(), *args = json_object_new_array();
        for (char **a = r->args; a && *a; a++)
                json_object_array_add(args, json_object_new_string(*a));
        json_object_object_add(o, "id", json_object_new_string(r->id));
        json_object_object_add(o, "title", isempty(r->title) ? NULL : json_object_new_string(r->title));
        json_object_object_add(o, "command", json_object_new_string(r->command));
        json_object_object_add(o, "args", args);
        json_object_object_add(o, "cwd", json_object_new_string(r->cwd));
        json_object_object_add(o, "status", json_object_new_string(r->status));
        json_object_object_add(o, "pid", r->pid > 0 ? json_object_new_int64(r->pid) : NULL);
        json_object_object_add(o, "exit_code", r->exit_code >= 0 ? json_object_new_int(r->exit_code) : NULL);
        json_object_object_add(o, "created_at", json_time(r->created));
        json_object_object_add(o, "started_at", json_time(r->started));
        json_object_object_add(o, "ended_at", json_time(r->ended));
        json_object_object_add(o, "input_needed", json_object_new_boolean(r->input_needed));
        json_object_object_add(o, "notifications_enabled", json_object_new_boolean(r->notifications));
        return o;
}

/* The command line as a shell would read it back: words with special characters single-quoted. */
static void append_command(char *buf, size_t len, const Row *r) {
        size_t k = 0;
        const char *words_first[] = { r->command };
        for (int pass = 0; pass < 2; pass++) {
                char **list = pass == 0 ? (char **) words_first : r->args;
                size_t n = pass == 0 ? 1 : 0;
                if (pass == 1)
                        while (list && list[n])
                                n++;
                for (size_t i = 0; i < n && k + 1 < len; i++) {
                        const char *w = list[i];
                        bool quote = *w == 0 || strpbrk(w, " \t\n'\"\\$`*?[]{}()<>|&;#~!") != NULL;
                        if (k > 0)
                                buf[k++] = ' ';
                        if (quote && k + 1 < len)
                                buf[k++] = '\'';
                        for (; *w && k + 1 < len; w++) {
                                if (*w == '\'' && k + 5 < len) {
                                        memcpy(buf + k, "'\\''", 4);
                                        k += 4;
                                } else if ((unsigned char) *w < 0x20)
                                        buf[k++] = '?'; /* never put control characters on the user's terminal */
                                else
                                        buf[k++] = *w;
                        }
                        if (quote && k + 1 < len)
                                buf[k++] = '\'';
                }
        }
        buf[MIN(k, len - 1)] = 0;
}

static void print_table_row(const Row *r, usec_t now, unsigned width) {
        char age[AGE_MAX], exit_s[16] = "", what[1024];

        format_age(age, sizeof age, now > r->created ? now - r->created : 0);
        if (r->exit_code >= 0)
                snprintf(exit_s, sizeof exit_s, "%d", r->exit_code);
        if (!isempty(r->title)) {
                size_t k = 0;
                for (const char *t = r->title; *t && k + 1 < sizeof what; t++)
                        what[k++] = (unsigned char) *t < 0x20 ? '?' : *t;
                what[k] = 0;
        } else
                append_command(what, sizeof what, r);

        char line[1200];
        int n = snprintf(line, sizeof line, "%-8s  %-8s  %4s  %4s  %-5s  %s", r->id, r->status, exit_s, age,
                         r->input_needed ? "yes" : "-", what);
        if (width > 0 && n > 0) {
                /* Cut at the terminal's edge, counting characters (not bytes) and never splitting one. */
                unsigned cols = 0;
                for (char *p = line; *p; p++) {
                        if (((unsigned char) *p & 0xc0) == 0x80)
                                continue;
                        if (cols++ == width) {
                                *p = 0;
                                break;
                        }
                }
        }
        puts(line);
}

int verb_ls(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "search", required_argument, NULL, 's' },
                { "json", no_argument, NULL, 'j' },
                { "status", required_argument, NULL, 'S' },
                { "since", required_argument, NULL, 'a' },
                { "until", required_argument, NULL, 'b' },
                { "limit", required_argument, NULL, 'l' },
                { "node", required_argument, NULL, 'N' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_free_ char *path = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *search = "", *node = NULL, *statuses[OLY_STATUS_FILTER_MAX + 1] = {};
        size_t n_statuses = 0;
        uint64_t since = 0, until = 0, limit = OLY_DEFAULT_LIST_LIMIT;
        bool json = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 's':
                        if (strlen(optarg) > OLY_SEARCH_MAX)
                                return usage_error("ls", "search text is longer than %u bytes.", OLY_SEARCH_MAX);
                        search = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'S':
                        if (session_status_from_string(optarg) < 0)
                                return usage_error("ls",
                                                   "unknown status '%s': expected created, running, stopping, "
                                                   "stopped, killed, failed or unknown.", optarg);
                        if (n_statuses >= OLY_STATUS_FILTER_MAX)
                                return usage_error("ls", "too many --status options.");
                        statuses[n_statuses++] = optarg;
                        break;
                case 'a':
                case 'b':
                        r = rfc3339_parse(optarg, c == 'a' ? &since : &until);
                        if (r < 0)
                                return usage_error("ls", "invalid timestamp '%s' for --%s: expected RFC 3339, e.g. "
                                                         "2026-11-23T10:00:00Z.", optarg, c == 'a' ? "since" : "until");
                        if (c == 'b' && until == 0)
                                until = 1; /* 0 means "no bound" on the wire */
                        break;
                case 'l':
                        r = parse_uint_range(optarg, 1, OLY_LIST_LIMIT_MAX, &limit);
                        if (r < 0)
                                return usage_error("ls", "invalid limit '%s': expected a number from 1 to %d.", optarg,
                                                   OLY_LIST_LIMIT_MAX);
                        break;
                case 'N':
                        if (cli_parse_node("ls", optarg) != 0)
                                return EXIT_USAGE;
                        node = optarg;
                        break;
                default:
                        return usage_error("ls", "invalid option.");
                }
        if (optind < argc)
                return usage_error("ls", "unexpected argument '%s'.", argv[optind]);
        if (since && until && since > until)
                return usage_error("ls", "--since is later than --until.");

        if (cli_connect(&bus) < 0)
                return EXIT_ERROR;
        r = cli_manager_path(node, &path);
        if (r < 0)
                return cli_error("invalid node name: %s", strerror(-r));
        r = sd_bus_message_new_method_call(bus, &m, NULL, path, OLY_MANAGER_IFACE, "ListSessions");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", search);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) statuses);
        if (r >= 0)
                r = sd_bus_message_append(m, "ttu", since, until, (uint32_t) limit);
        if (r < 0)
                return cli_error("cannot build the request: %s", strerror(-r));
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0) {
                r = cli_bus_error(&error, r, node, "Failed to list sessions");
                sd_bus_error_free(&error);
                return r;
        }

        r = sd_bus_message_enter_container(reply, 'a', "(sssasssuitttbb)");
        if (r < 0)
                return cli_error("bad reply from the daemon: %s", strerror(-r));

        json_object *arr = json ? json_object_new_array() : NULL;
        usec_t now = now_usec(CLOCK_REALTIME);
        unsigned width = 0, count = 0;
        struct winsize ws;
        if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
                width = ws.ws_col;

        for (;;) {
                Row row = {};
                r = read_row(reply, &row);
                if (r < 0) {
                        row_done(&row);
                        json_object_put(arr);
                        return cli_error("bad reply from the daemon: %s", strerror(-r));
                }
                if (r == 0)
                        break;
                if (json)
                        json_object_array_add(arr, row_to_json(&row));
                else {
                        if (count == 0)
                                printf("%-8s  %-8s  %4s  %4s  %-5s  %s\n", "ID", "STATUS", "EXIT", "AGE", "INPUT",
                                       "TITLE/COMMAND");
                        print_table_row(&row, now, width);
                }
                count++;
                row_done(&row);
        }
        if (json) {
                puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(arr);
        } else if (count == 0)
                printf("No sessions.\n");
        return EXIT_OK;
}
