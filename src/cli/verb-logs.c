/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly logs [id] [--tail N] [--keep-color] [--no-truncate] [--raw] [--node N] */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "oly-def.h"
#include "parse-util.h"
#include "render.h"

#define LOGS_TAIL_MAX 1000000
#define LOGS_DEFAULT_TIMEOUT_USEC (30 * USEC_PER_SEC)
#define LOGS_TIMEOUT_MAX_USEC (100ULL * 24 * 3600 * USEC_PER_SEC)

/* Exit codes of --wait-for-prompt (documented in oly(1)). */
#define EXIT_WAIT_INPUT_NEEDED 0
#define EXIT_WAIT_EXITED 3
#define EXIT_WAIT_TIMEOUT 124
#define LOGS_DEFAULT_TAIL_NO_TTY 40

static void help(void) {
        printf("oly logs [ID] [OPTIONS...]\n\n"
               "Prints a session's output as a terminal showed it: progress bars, '\\r' redraws, cursor motion\n"
               "and full-screen programs are replayed through a terminal emulator at the sizes the session had.\n"
               "Works for running and finished sessions. ID is a unique prefix; without it, the most recent.\n\n"
               "  --tail N        The last N lines (default: terminal height - 1, or %d when not on a terminal)\n"
               "  --keep-color    Keep colours (SGR); they are stripped by default\n"
               "  --no-truncate   Do not cut lines at the terminal's width (lines are never cut when\n"
               "                  standard output is not a terminal)\n"
               "  --raw           The raw bytes the program wrote (with --tail: its last N lines)\n"
               "  --wait-for-prompt  First wait until the session needs input or has exited\n"
               "  --timeout D     How long --wait-for-prompt waits: milliseconds, or with ms, s, m or h\n"
               "                  (1500, 500ms, 2s, 1m, 1h); default 30s; 0 waits forever\n"
               "  --node NAME     Read a session on a connected secondary node\n"
               "  -h --help       Show this help\n\n"
               "Exit status with --wait-for-prompt: 0 the session needs input, 3 it has exited, 124 the\n"
               "timeout passed (the logs are printed in every case); 1 error, 2 usage.\n",
               LOGS_DEFAULT_TAIL_NO_TTY);
}

/* The raw bytes, or with have_tail their last `tail` lines (a final line without a newline counts). */
static int copy_raw(int fd, uint64_t size, uint64_t tail, bool have_tail) {
        uint64_t start = 0;
        uint8_t buf[65536];

        if (have_tail) {
                /* Walk back over newlines: the tail starts after the (tail+1)-th one from the end, not
                 * counting a newline that ends the log. */
                uint64_t pos = size, seen = 0;
                start = tail == 0 ? size : 0;
                while (tail > 0 && pos > 0) {
                        size_t want = (size_t) MIN((uint64_t) sizeof buf, pos);
                        pos -= want;
                        if (pread(fd, buf, want, (off_t) pos) != (ssize_t) want)
                                return cli_error("cannot read the log: %m");
                        for (size_t i = want; i > 0; i--) {
                                if (buf[i - 1] != '\n' || pos + i == size)
                                        continue;
                                if (++seen == tail) {
                                        start = pos + i;
                                        goto found;
                                }
                        }
                }
        found:;
        }
        for (uint64_t off = start; off < size;) {
                ssize_t n = pread(fd, buf, (size_t) MIN((uint64_t) sizeof buf, size - off), (off_t) off);
                if (n <= 0)
                        return cli_error("cannot read the log: %m");
                if (fwrite(buf, 1, (size_t) n, stdout) != (size_t) n)
                        return EXIT_ERROR;
                off += (uint64_t) n;
        }
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_ERROR;
}

int verb_logs(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "tail", required_argument, NULL, 't' },
                { "keep-color", no_argument, NULL, 'c' },
                { "keep-colour", no_argument, NULL, 'c' },
                { "no-truncate", no_argument, NULL, 'T' },
                { "raw", no_argument, NULL, 'r' },
                { "wait-for-prompt", no_argument, NULL, 'w' },
                { "timeout", required_argument, NULL, 'o' },
                { "node", required_argument, NULL, 'N' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *node = NULL, *id = "", *full, *status;
        bool keep_color = false, no_truncate = false, raw = false, have_tail = false, wait = false,
             have_timeout = false;
        uint64_t timeout = LOGS_DEFAULT_TIMEOUT_USEC;
        int exit_code = EXIT_OK;
        uint64_t tail = 0;
        RenderResize *rz = NULL;
        size_t n_rz = 0;
        int c, r, msg_fd, running;
        struct winsize ws = {};
        bool tty = isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 't':
                        if (parse_uint_range(optarg, 0, LOGS_TAIL_MAX, &tail) < 0)
                                return usage_error("logs", "invalid --tail '%s': expected a number from 0 to %d.",
                                                   optarg, LOGS_TAIL_MAX);
                        have_tail = true;
                        break;
                case 'c':
                        keep_color = true;
                        break;
                case 'T':
                        no_truncate = true;
                        break;
                case 'r':
                        raw = true;
                        break;
                case 'w':
                        wait = true;
                        break;
                case 'o':
                        if (parse_duration(optarg, LOGS_TIMEOUT_MAX_USEC, &timeout) < 0)
                                return usage_error("logs", "invalid --timeout '%s': expected milliseconds or a number "
                                                           "with ms, s, m or h (e.g. 1500, 500ms, 2s, 1m, 1h).", optarg);
                        have_timeout = true;
                        break;
                case 'N':
                        if (cli_parse_node("logs", optarg) != 0)
                                return EXIT_USAGE;
                        node = optarg;
                        break;
                default:
                        return usage_error("logs", "invalid option.");
                }
        if (argc - optind > 1)
                return usage_error("logs", "too many arguments: expected at most one session id.");
        if (optind < argc)
                id = argv[optind];
        if (!have_tail)
                tail = tty ? (ws.ws_row > 1 ? ws.ws_row - 1u : 1u) : LOGS_DEFAULT_TAIL_NO_TTY;
        if (have_timeout && !wait)
                return usage_error("logs", "--timeout only applies with --wait-for-prompt.");

        if (cli_connect(&bus) < 0)
                return EXIT_ERROR;

        if (wait) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *wr = NULL;
                const char *wid, *result, *trigger, *line;
                /* The daemon answers at the timeout; the call itself waits a little longer. */
                uint64_t call_timeout = timeout == 0 ? UINT64_MAX : timeout + 10 * USEC_PER_SEC;
                r = cli_call(bus, node, "WaitForInputNeeded", call_timeout, &error, &wr, "st", id, timeout);
                if (r < 0) {
                        r = cli_bus_error(&error, r, node, "Failed to wait for the session");
                        sd_bus_error_free(&error);
                        return r;
                }
                r = sd_bus_message_read(wr, "ssss", &wid, &result, &trigger, &line);
                if (r < 0)
                        return cli_error("bad reply from the daemon: %s", strerror(-r));
                if (streq(result, "input-needed")) {
                        fprintf(stderr, "oly: session %s needs input (%s).\n", wid, trigger);
                        exit_code = EXIT_WAIT_INPUT_NEEDED;
                } else if (streq(result, "exited")) {
                        fprintf(stderr, "oly: session %s has exited.\n", wid);
                        exit_code = EXIT_WAIT_EXITED;
                } else {
                        fprintf(stderr, "oly: session %s did not ask for input within the timeout.\n", wid);
                        exit_code = EXIT_WAIT_TIMEOUT;
                }
                id = strdupa(wid);
        }
        r = cli_call(bus, node, "OpenLog", 0, &error, &reply, "s", id);
        if (r < 0) {
                r = cli_bus_error(&error, r, node, "Failed to read the log");
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_read(reply, "sh", &full, &msg_fd);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(tqq)");
        for (;;) {
                uint64_t off;
                uint16_t rows, cols;
                if (r < 0)
                        break;
                r = sd_bus_message_read(reply, "(tqq)", &off, &rows, &cols);
                if (r <= 0)
                        break;
                RenderResize *n = reallocarray(rz, n_rz + 1, sizeof *rz);
                if (!n) {
                        r = -ENOMEM;
                        break;
                }
                rz = n;
                rz[n_rz++] = (RenderResize) { off, rows, cols };
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = sd_bus_message_read(reply, "bs", &running, &status);
        if (r < 0) {
                free(rz);
                return cli_error("bad reply from the daemon: %s", strerror(-r));
        }
        fd = fcntl(msg_fd, F_DUPFD_CLOEXEC, 3);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                free(rz);
                return cli_error("cannot read the log of %s: %m", full);
        }

        if (raw) {
                free(rz);
                r = copy_raw(fd, (uint64_t) st.st_size, tail, have_tail);
                return r != EXIT_OK ? r : exit_code;
        }

        RenderOptions o = {
                .tail = (unsigned) tail,
                .width = tty && !no_truncate ? ws.ws_col : 0,
                .color = keep_color,
        };
        char **lines = NULL;
        size_t n = 0;
        r = render_log_tail(fd, (uint64_t) st.st_size, rz, n_rz, &o, &lines, &n);
        free(rz);
        if (r < 0)
                return cli_error("cannot render the log of %s: %s", full, strerror(-r));
        for (size_t i = 0; i < n; i++) {
                fputs(lines[i], stdout);
                fputc('\n', stdout);
                free(lines[i]);
        }
        free(lines);
        return fflush(stdout) == 0 ? exit_code : EXIT_ERROR;
}
