/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly send [id] [CHUNK]... [--node N] */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "bus-util.h"
#include "buf.h"
#include "cli.h"
#include "keyspec.h"
#include "oly-def.h"

#define SEND_STDIN_CHUNK (512U * 1024U) /* stdin goes out in calls of this size */
#define SEND_TIMEOUT_USEC (120 * USEC_PER_SEC)

static void help(void) {
        printf("oly send [ID] [CHUNK]... [--node NAME]\n\n"
               "Sends input to a session without attaching; returns once every byte is written to its terminal.\n"
               "The first argument is the session id (a unique prefix; \"\" for the most recent session).\n"
               "Chunks are sent left to right: plain text as it is, 'key:SPEC' as a key:\n"
               "  named keys    enter tab esc backspace up down left right home end pageup pagedown\n"
               "                delete insert space f1..f12\n"
               "  modifiers     ctrl+<char>  alt+<char|key>  meta+<char|key>  shift+tab\n"
               "  raw bytes     hex:<hex bytes>, e.g. key:hex:1b5b41\n"
               "Arrow, home and end keys follow the program's cursor-key mode. Every chunk is checked first:\n"
               "a bad one is reported and nothing is sent. With no chunks, piped standard input is sent.\n\n"
               "  --node NAME  Send to a session on a connected secondary node\n"
               "  -h --help    Show this help\n\n"
               "Examples:\n"
               "  oly send ab12 'ls -la' key:enter\n"
               "  oly send ab12 key:ctrl+c\n"
               "  printf 'y\\n' | oly send ab12\n");
}

static int send_call(sd_bus *bus, const char *node, const char *id, char **chunks, size_t n_chunks, const void *raw,
                     size_t raw_len) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *path = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = cli_manager_path(node, &path);
        if (r >= 0)
                r = sd_bus_message_new_method_call(bus, &m, NULL, path, OLY_MANAGER_IFACE, "SendInput");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", id);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(say)");
        for (size_t i = 0; r >= 0 && i < n_chunks; i++) {
                const char *spec = startswith(chunks[i], "key:");
                r = spec ? oly_bus_append_input_chunk(m, "key", spec, strlen(spec)) : oly_bus_append_input_chunk(m, "text", chunks[i], strlen(chunks[i]));
        }
        if (r >= 0 && raw)
                r = oly_bus_append_input_chunk(m, "text", raw, raw_len);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return cli_error("cannot build the request: %s", strerror(-r));
        r = sd_bus_call(bus, m, SEND_TIMEOUT_USEC, &error, NULL);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_NO_REPLY) || r == -ETIMEDOUT)
                        r = cli_error("session %s did not read its input within %llus.", id,
                                      (unsigned long long) (SEND_TIMEOUT_USEC / USEC_PER_SEC));
                else
                        r = cli_bus_error(&error, r, node, "Failed to send input");
                sd_bus_error_free(&error);
                return r;
        }
        return 0;
}

int verb_send(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "node", required_argument, NULL, 'N' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *full = NULL;
        const char *node = NULL, *id = "";
        char **chunks;
        size_t n_chunks;
        int c, r;

        /* '+': chunks may begin with '-' (text like "-y"); options come before the id. */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 'N':
                        if (cli_parse_node("send", optarg) != 0)
                                return EXIT_USAGE;
                        node = optarg;
                        break;
                default:
                        return usage_error("send", "invalid option.");
                }
        if (optind < argc)
                id = argv[optind++];
        chunks = argv + optind;
        n_chunks = (size_t) (argc - optind);

        for (size_t i = 0; i < n_chunks; i++) {
                const char *spec = startswith(chunks[i], "key:");
                if (spec && keyspec_validate(spec) < 0)
                        return usage_error("send", "chunk %zu: invalid key spec '%s' (nothing was sent).", i + 1,
                                           chunks[i]);
        }
        if (n_chunks == 0 && isatty(STDIN_FILENO))
                return usage_error("send", "nothing to send: give chunks, or pipe input to standard input.");

        if (cli_connect(&bus) < 0)
                return EXIT_ERROR;
        /* SendInput resolves the prefix itself: one round trip less. */
        full = strdup(id);
        if (!full)
                return cli_error("out of memory");

        if (n_chunks > 0)
                return send_call(bus, node, full, chunks, n_chunks, NULL, 0) == 0 ? EXIT_OK : EXIT_ERROR;

        /* Standard input, in pieces that each fit the daemon's input queue. */
        Buf b = { .max = SEND_STDIN_CHUNK };
        for (bool eof = false; !eof;) {
                uint8_t tmp[65536];
                ssize_t n = read(STDIN_FILENO, tmp, MIN(sizeof tmp, SEND_STDIN_CHUNK - b.len));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        buf_free(&b);
                        return cli_error("cannot read standard input: %m");
                }
                eof = n == 0;
                if (n > 0)
                        (void) buf_put(&b, tmp, (size_t) n);
                if (b.len == SEND_STDIN_CHUNK || (eof && b.len > 0)) {
                        r = send_call(bus, node, full, NULL, 0, b.data, b.len);
                        b.len = 0;
                        if (r != 0) {
                                buf_free(&b);
                                return EXIT_ERROR;
                        }
                }
        }
        buf_free(&b);
        return EXIT_OK;
}
