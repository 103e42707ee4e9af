/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly api-key add NAME | ls [--json] | remove NAME: the keys this machine, as a primary, admits
 * secondary nodes with (org.openrelay.Oly1.Federation). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api-key.h"
#include "cli.h"
#include "json-writer.h"
#include "oly-def.h"
#include "time-util.h"

typedef enum ApiKeyAction {
        API_KEY_ADD,
        API_KEY_LS,
        API_KEY_REMOVE,
        _API_KEY_ACTION_MAX,
        _API_KEY_ACTION_INVALID = -EINVAL,
} ApiKeyAction;

static const char *const api_key_action_table[_API_KEY_ACTION_MAX] = {
        [API_KEY_ADD] = "add",
        [API_KEY_LS] = "ls",
        [API_KEY_REMOVE] = "remove",
};

static ApiKeyAction api_key_action_from_string(const char *s) {
        for (int i = 0; i < _API_KEY_ACTION_MAX; i++)
                if (streq(s, api_key_action_table[i]))
                        return (ApiKeyAction) i;
        return _API_KEY_ACTION_INVALID;
}

typedef struct ApiKeyArgs {
        ApiKeyAction action;
        const char *name;
        bool json;
} ApiKeyArgs;

static void help(void) {
        printf("oly api-key add NAME\n"
               "oly api-key ls [--json]\n"
               "oly api-key remove NAME\n\n"
               "Manages the API keys with which secondary nodes join this machine (the primary). A key's name is\n"
               "the name of the node that joins with it: 1 to %u characters of A-Z a-z 0-9 . _ -\n\n"
               "  add NAME     Make a key and print it, once, with the 'oly join start' line to run on the\n"
               "               secondary; only a digest of it is kept\n"
               "  ls           List the keys: name, when made, when last used (never the keys)\n"
               "  remove NAME  Revoke a key\n\n"
               "  --json       (ls) A JSON array\n"
               "  -h --help    Show this help\n",
               OLY_NODE_NAME_MAX);
}

static int parse_argv(int argc, char *argv[], ApiKeyArgs *a) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, 'j' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'j':
                        a->json = true;
                        break;
                default:
                        return usage_error("api-key", "invalid option.");
                }
        if (optind >= argc)
                return usage_error("api-key", "expected 'add', 'ls' or 'remove'.");
        a->action = api_key_action_from_string(argv[optind]);
        if (a->action < 0)
                return usage_error("api-key", "unknown action '%s': expected 'add', 'ls' or 'remove'.",
                                   argv[optind]);
        optind++;
        if (a->json && a->action != API_KEY_LS)
                return usage_error("api-key", "--json goes with 'ls' only.");
        if (a->action == API_KEY_LS) {
                if (optind < argc)
                        return usage_error("api-key", "'ls' takes no arguments.");
                return 1;
        }
        if (argc - optind != 1)
                return usage_error("api-key", "'%s' takes one key name.", api_key_action_table[a->action]);
        a->name = argv[optind];
        if (!api_key_name_is_valid(a->name))
                return usage_error("api-key",
                                   "invalid key name: use 1 to %u characters of A-Z a-z 0-9 . _ - (it names "
                                   "the node that joins with it).",
                                   OLY_NODE_NAME_MAX);
        return 1;
}

/* A method of org.openrelay.Oly1.Federation on this machine's daemon. */
static int call(sd_bus *bus, const char *method, sd_bus_error *error, sd_bus_message **reply,
                const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = cli_callv(bus, OLY_MANAGER_PATH, OLY_FEDERATION_IFACE, method, 0, error, reply, types, ap);
        va_end(ap);
        return r;
}

static int run_add(sd_bus *bus, const char *name) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char port[16] = "<http port>";
        const char *key;
        uint32_t p = 0;
        int r;

        r = call(bus, "AddApiKey", &error, &reply, "s", name);
        if (r < 0)
                return cli_bus_error(&error, r, NULL, "Failed to add the API key");
        r = sd_bus_message_read(reply, "s", &key);
        if (r < 0)
                return cli_bad_reply(r);
        /* A daemon without an oly-http of its own says 0: the user fills the port in. */
        if (sd_bus_get_property_trivial(bus, NULL, OLY_MANAGER_PATH, OLY_FEDERATION_IFACE, "HttpPort", NULL,
                                        'u', &p) >= 0 &&
            p > 0)
                snprintf(port, sizeof port, "%u", (unsigned) p);

        printf("API key '%s' added. It is shown only this once: oly keeps only a digest of it.\n\n"
               "  %s\n\n"
               "On the secondary, run:\n\n"
               "  oly join start --name %s --key %s http://<this host>:%s\n\n"
               "The URL is a placeholder: replace <this host> with an address of this machine that the\n"
               "secondary can reach%s.\nUse wss:// when TLS (a proxy, a tunnel) stands in front of it.\n",
               name, key, name, key, port, p > 0 ? "" : ", and <http port> with the port of its web UI");
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_ERROR;
}

static void time_short(char *buf, size_t len, usec_t t) {
        time_t s = (time_t) (t / USEC_PER_SEC);
        struct tm tm;

        if (t == 0 || !gmtime_r(&s, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, len, "%s", "never");
}

static void json_time(JsonWriter *w, usec_t t) {
        char buf[RFC3339_MAX];
        json_writer_string(w, t == 0 ? NULL : rfc3339_format(buf, sizeof buf, t));
}

static int run_ls(sd_bus *bus, bool json) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        JsonWriter w = JSON_WRITER_INIT(stdout);
        unsigned count = 0;
        int width = 4;
        int r;

        r = call(bus, "ListApiKeys", &error, &reply, NULL);
        if (r < 0)
                return cli_bus_error(&error, r, NULL, "Failed to list the API keys");

        /* Two passes: the first sizes the NAME column. */
        for (int pass = 0; pass < 2; pass++) {
                r = sd_bus_message_rewind(reply, true);
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'a', "(stt)");
                if (r < 0)
                        return cli_bad_reply(r);
                if (pass == 1 && json)
                        json_writer_begin_array(&w);
                for (count = 0;; count++) {
                        char created[RFC3339_MAX], used[RFC3339_MAX];
                        const char *name;
                        uint64_t c, u;

                        r = sd_bus_message_read(reply, "(stt)", &name, &c, &u);
                        if (r < 0)
                                return cli_bad_reply(r);
                        if (r == 0)
                                break;
                        if (pass == 0) {
                                width = MAX(width, (int) strlen(name));
                                continue;
                        }
                        if (json) {
                                json_writer_begin_object(&w);
                                json_writer_key(&w, "name");
                                json_writer_string(&w, name);
                                json_writer_key(&w, "created_at");
                                json_time(&w, c);
                                json_writer_key(&w, "last_used_at");
                                json_time(&w, u);
                                json_writer_end_object(&w);
                                continue;
                        }
                        if (count == 0)
                                printf("%-*s  %-20s  %s\n", width, "NAME", "CREATED", "LAST USED");
                        time_short(created, sizeof created, c);
                        time_short(used, sizeof used, u);
                        printf("%-*s  %-20s  %s\n", width, name, created, used);
                }
        }
        if (json) {
                json_writer_end_array(&w);
                putchar('\n');
        } else if (count == 0)
                printf("No API keys. Make one with 'oly api-key add NAME'.\n");
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_ERROR;
}

static int run_remove(sd_bus *bus, const char *name) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = call(bus, "RemoveApiKey", &error, NULL, "s", name);
        if (r < 0)
                return cli_bus_error(&error, r, NULL, "Failed to remove the API key");
        printf("API key '%s' removed.\n", name);
        return EXIT_OK;
}

static int run(const ApiKeyArgs *a) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;

        if (cli_connect(&bus) < 0)
                return EXIT_ERROR;
        if (a->action == API_KEY_ADD)
                return run_add(bus, a->name);
        if (a->action == API_KEY_REMOVE)
                return run_remove(bus, a->name);
        return run_ls(bus, a->json);
}

int verb_api_key(int argc, char *argv[]) {
        ApiKeyArgs a = {};
        int r = parse_argv(argc, argv, &a);
        return r <= 0 ? cli_parse_exit(r) : run(&a);
}
