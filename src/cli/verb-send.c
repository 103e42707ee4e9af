/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly send [id] [CHUNK]... [--node N] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "bus-util.h"
#include "cli.h"
#include "keyspec.h"
#include "oly-def.h"

#define SEND_STDIN_CHUNK (512U * 1024U) /* stdin goes out in calls of this size */
#define SEND_TIMEOUT_USEC (120 * USEC_PER_SEC)

typedef struct SendArgs {
        CliTargetArgs target;
        char **chunks; /* text, or key:SPEC; none: standard input */
        size_t n_chunks;
} SendArgs;

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

static int parse_argv(int argc, char *argv[], SendArgs *a) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "node", required_argument, NULL, 'N' },
                {},
        };
        int c, r;

        /* '+': chunks may begin with '-' (text like "-y"); options come before the id. */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'N':
                        r = cli_target_parse_node(&a->target, "send", optarg);
                        if (r < 0)
                                return r;
                        break;
                default:
                        return usage_error("send", "invalid option.");
                }
        if (optind < argc)
                a->target.id = argv[optind++];
        a->chunks = argv + optind;
        a->n_chunks = (size_t) (argc - optind);

        for (size_t i = 0; i < a->n_chunks; i++) {
                const char *spec = startswith(a->chunks[i], "key:");
                if (spec && keyspec_validate(spec) < 0)
                        return usage_error("send", "chunk %zu: invalid key spec '%s' (nothing was sent).",
                                           i + 1, a->chunks[i]);
        }
        if (a->n_chunks == 0 && isatty(STDIN_FILENO))
                return usage_error("send", "nothing to send: give chunks, or pipe input to standard input.");
        return 1;
}

/* One SendInput call: the chunks, or raw bytes of standard input. SendInput resolves the prefix itself. */
static int send_call(CliTarget *t, char **chunks, size_t n_chunks, const void *raw, size_t raw_len) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = cli_target_new_call(t, "SendInput", &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", t->id);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(say)");
        for (size_t i = 0; r >= 0 && i < n_chunks; i++) {
                const char *spec = startswith(chunks[i], "key:");
                r = spec ? oly_bus_append_input_chunk(m, "key", spec, strlen(spec))
                         : oly_bus_append_input_chunk(m, "text", chunks[i], strlen(chunks[i]));
        }
        if (r >= 0 && raw)
                r = oly_bus_append_input_chunk(m, "text", raw, raw_len);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return cli_error("cannot build the request: %s", strerror(-r));
        r = sd_bus_call(t->bus, m, SEND_TIMEOUT_USEC, &error, NULL);
        if (r < 0 && (sd_bus_error_has_name(&error, SD_BUS_ERROR_NO_REPLY) || r == -ETIMEDOUT)) {
                sd_bus_error_free(&error);
                return cli_error("session %s did not read its input within %llus.", t->id,
                                 (unsigned long long) (SEND_TIMEOUT_USEC / USEC_PER_SEC));
        }
        if (r < 0)
                return cli_bus_error(&error, r, t->node, "Failed to send input");
        return EXIT_OK;
}

/* Standard input, in pieces that each fit the daemon's input queue. */
static int send_stdin(CliTarget *t) {
        _cleanup_buf_free_ Buf b = { .max = SEND_STDIN_CHUNK };
        int r;

        for (bool eof = false; !eof;) {
                uint8_t tmp[65536];
                ssize_t n = read(STDIN_FILENO, tmp, MIN(sizeof tmp, SEND_STDIN_CHUNK - b.len));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return cli_error("cannot read standard input: %m");
                eof = n == 0;
                if (n > 0)
                        (void) buf_put(&b, tmp, (size_t) n);
                if (b.len == SEND_STDIN_CHUNK || (eof && b.len > 0)) {
                        r = send_call(t, NULL, 0, b.data, b.len);
                        if (r != EXIT_OK)
                                return r;
                        b.len = 0;
                }
        }
        return EXIT_OK;
}

static int run(const SendArgs *a) {
        _cleanup_target_ CliTarget t = {};
        int r;

        r = cli_target_open(&t, &a->target);
        if (r != 0)
                return r;
        if (a->n_chunks > 0)
                return send_call(&t, a->chunks, a->n_chunks, NULL, 0);
        return send_stdin(&t);
}

int verb_send(int argc, char *argv[]) {
        SendArgs a = { .target = CLI_TARGET_ARGS_INIT };
        int r = parse_argv(argc, argv, &a);
        return r <= 0 ? cli_parse_exit(r) : run(&a);
}
