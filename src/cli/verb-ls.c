/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly ls [--search T] [--json] [--status S]... [--since T] [--until T] [--limit N] [--node N] */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "json-writer.h"
#include "oly-def.h"
#include "parse-util.h"
#include "status.h"
#include "strv.h"
#include "time-util.h"

typedef struct LsArgs {
        CliTargetArgs target; /* the id is unused */
        const char *search;
        const char *statuses[OLY_STATUS_FILTER_MAX + 1];
        size_t n_statuses;
        uint64_t since, until, limit;
        bool json;
} LsArgs;

/* One session as ListSessions returns it; the strings belong to the reply. */
typedef struct Row {
        const char *id, *title, *command, *cwd, *status;
        char **args;
        uint32_t pid;
        int32_t exit_code;
        uint64_t created, started, ended;
        int input_needed, notifications;
} Row;

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

static int parse_argv(int argc, char *argv[], LsArgs *a) {
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
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 's':
                        if (strlen(optarg) > OLY_SEARCH_MAX)
                                return usage_error("ls", "search text is longer than %u bytes.",
                                                   OLY_SEARCH_MAX);
                        a->search = optarg;
                        break;
                case 'j':
                        a->json = true;
                        break;
                case 'S':
                        if (session_status_from_string(optarg) < 0)
                                return usage_error(
                                        "ls",
                                        "unknown status '%s': expected created, running, stopping, "
                                        "stopped, killed, failed or unknown.",
                                        optarg);
                        if (a->n_statuses >= OLY_STATUS_FILTER_MAX)
                                return usage_error("ls", "too many --status options.");
                        a->statuses[a->n_statuses++] = optarg;
                        break;
                case 'a':
                case 'b':
                        if (rfc3339_parse(optarg, c == 'a' ? &a->since : &a->until) < 0)
                                return usage_error(
                                        "ls",
                                        "invalid timestamp '%s' for --%s: expected RFC 3339, e.g. "
                                        "2026-11-23T10:00:00Z.",
                                        optarg, c == 'a' ? "since" : "until");
                        if (c == 'b' && a->until == 0)
                                a->until = 1; /* 0 means "no bound" on the wire */
                        break;
                case 'l':
                        if (parse_uint_range(optarg, 1, OLY_LIST_LIMIT_MAX, &a->limit) < 0)
                                return usage_error("ls",
                                                   "invalid limit '%s': expected a number from 1 to %d.",
                                                   optarg, OLY_LIST_LIMIT_MAX);
                        break;
                case 'N':
                        r = cli_target_parse_node(&a->target, "ls", optarg);
                        if (r < 0)
                                return r;
                        break;
                default:
                        return usage_error("ls", "invalid option.");
                }
        if (optind < argc)
                return usage_error("ls", "unexpected argument '%s'.", argv[optind]);
        if (a->since && a->until && a->since > a->until)
                return usage_error("ls", "--since is later than --until.");
        return 1;
}

/* 1 and the next row, 0 at the end of the array. */
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
        r = sd_bus_message_read(m, "ssuitttbb", &row->cwd, &row->status, &row->pid, &row->exit_code,
                                &row->created, &row->started, &row->ended, &row->input_needed,
                                &row->notifications);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        return 1;
}

static void json_time(JsonWriter *w, uint64_t t) {
        char buf[RFC3339_MAX];
        json_writer_string(w, t == 0 ? NULL : rfc3339_format(buf, sizeof buf, t));
}

static void row_write_json(JsonWriter *w, const Row *r) {
        json_writer_begin_object(w);
        json_writer_key(w, "id");
        json_writer_string(w, r->id);
        json_writer_key(w, "title");
        json_writer_string(w, isempty(r->title) ? NULL : r->title);
        json_writer_key(w, "command");
        json_writer_string(w, r->command);
        json_writer_key(w, "args");
        json_writer_begin_array(w);
        STRV_FOREACH (a, r->args)
                json_writer_string(w, *a);
        json_writer_end_array(w);
        json_writer_key(w, "cwd");
        json_writer_string(w, r->cwd);
        json_writer_key(w, "status");
        json_writer_string(w, r->status);
        json_writer_key(w, "pid");
        if (r->pid > 0)
                json_writer_int(w, r->pid);
        else
                json_writer_null(w);
        json_writer_key(w, "exit_code");
        if (r->exit_code >= 0)
                json_writer_int(w, r->exit_code);
        else
                json_writer_null(w);
        json_writer_key(w, "created_at");
        json_time(w, r->created);
        json_writer_key(w, "started_at");
        json_time(w, r->started);
        json_writer_key(w, "ended_at");
        json_time(w, r->ended);
        json_writer_key(w, "input_needed");
        json_writer_bool(w, r->input_needed);
        json_writer_key(w, "notifications_enabled");
        json_writer_bool(w, r->notifications);
        json_writer_end_object(w);
}

/* The command line as a shell would read it back: words with special characters single-quoted. */
static void append_command(char *buf, size_t len, const Row *r) {
        size_t k = 0;

        for (size_t i = 0; k + 1 < len; i++) {
                const char *w = i == 0 ? r->command : r->args ? r->args[i - 1] : NULL;
                if (!w)
                        break;
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
        buf[MIN(k, len - 1)] = 0;
}

static void row_print(const Row *r, usec_t now, unsigned width) {
        char age[AGE_MAX], exit_s[16] = "", what[1024], line[1200];
        int n;

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

        n = snprintf(line, sizeof line, "%-8s  %-8s  %4s  %4s  %-5s  %s", r->id, r->status, exit_s, age,
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

static int ls_call(CliTarget *t, const LsArgs *a, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = cli_target_new_call(t, "ListSessions", &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", strempty(a->search));
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) a->statuses);
        if (r >= 0)
                r = sd_bus_message_append(m, "ttu", a->since, a->until, (uint32_t) a->limit);
        if (r < 0)
                return cli_error("cannot build the request: %s", strerror(-r));
        r = sd_bus_call(t->bus, m, 0, &error, ret);
        if (r < 0)
                return cli_bus_error(&error, r, t->node, "Failed to list sessions");
        return 0;
}

static int run(const LsArgs *a) {
        _cleanup_target_ CliTarget t = {};
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        JsonWriter w = JSON_WRITER_INIT(stdout);
        usec_t now = now_usec(CLOCK_REALTIME);
        unsigned width = 0, count = 0;
        struct winsize ws;
        int r;

        r = cli_target_open(&t, &a->target);
        if (r != 0)
                return r;
        r = ls_call(&t, a, &reply);
        if (r != 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(sssasssuitttbb)");
        if (r < 0)
                return cli_bad_reply(r);
        if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
                width = ws.ws_col;

        if (a->json)
                json_writer_begin_array(&w);
        for (;; count++) {
                _cleanup_strv_free_ char **args = NULL;
                Row row = {};

                r = read_row(reply, &row);
                args = row.args;
                if (r < 0)
                        return cli_bad_reply(r);
                if (r == 0)
                        break;
                if (a->json)
                        row_write_json(&w, &row);
                else {
                        if (count == 0)
                                printf("%-8s  %-8s  %4s  %4s  %-5s  %s\n", "ID", "STATUS", "EXIT", "AGE",
                                       "INPUT", "TITLE/COMMAND");
                        row_print(&row, now, width);
                }
        }
        if (a->json) {
                json_writer_end_array(&w);
                putchar('\n');
        } else if (count == 0)
                printf("No sessions.\n");
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_ERROR;
}

int verb_ls(int argc, char *argv[]) {
        LsArgs a = { .target = CLI_TARGET_ARGS_INIT, .limit = OLY_DEFAULT_LIST_LIMIT };
        int r = parse_argv(argc, argv, &a);
        return r <= 0 ? cli_parse_exit(r) : run(&a);
}
