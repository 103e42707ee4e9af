/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly logs [id] [--tail N] [--keep-color] [--no-truncate] [--raw] [--wait-for-prompt [--timeout D]] [--node
 * N] */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "oly-def.h"
#include "parse-util.h"
#include "render.h"
#include "vterm-sym.h"

#define LOGS_TAIL_MAX 1000000
#define LOGS_DEFAULT_TIMEOUT_USEC (30 * USEC_PER_SEC)
#define LOGS_TIMEOUT_MAX_USEC (100ULL * 24 * 3600 * USEC_PER_SEC)
#define LOGS_DEFAULT_TAIL_NO_TTY 40

/* Exit codes of --wait-for-prompt (documented in oly(1)). */
#define EXIT_WAIT_INPUT_NEEDED 0
#define EXIT_WAIT_EXITED 3
#define EXIT_WAIT_TIMEOUT 124

typedef struct LogsArgs {
        CliTargetArgs target;
        uint64_t tail;
        bool have_tail;
        bool keep_color;
        bool no_truncate;
        bool raw;
        bool wait;
        uint64_t timeout_usec; /* of --wait-for-prompt; 0: forever */
        bool have_timeout;
} LogsArgs;

/* What OpenLog hands over: the log (an fd of our own), its size, and the sizes the terminal had. */
typedef struct LogsSource {
        char *id;
        int fd;
        uint64_t size;
        RenderResize *resizes;
        size_t n_resizes;
} LogsSource;

static void logs_source_done(LogsSource *s) {
        s->id = mfree(s->id);
        s->fd = safe_close(s->fd);
        s->resizes = mfree(s->resizes);
}

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

static int parse_argv(int argc, char *argv[], LogsArgs *a) {
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
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 't':
                        if (parse_uint_range(optarg, 0, LOGS_TAIL_MAX, &a->tail) < 0)
                                return usage_error("logs",
                                                   "invalid --tail '%s': expected a number from 0 to %d.",
                                                   optarg, LOGS_TAIL_MAX);
                        a->have_tail = true;
                        break;
                case 'c':
                        a->keep_color = true;
                        break;
                case 'T':
                        a->no_truncate = true;
                        break;
                case 'r':
                        a->raw = true;
                        break;
                case 'w':
                        a->wait = true;
                        break;
                case 'o':
                        if (parse_duration(optarg, LOGS_TIMEOUT_MAX_USEC, &a->timeout_usec) < 0)
                                return usage_error(
                                        "logs",
                                        "invalid --timeout '%s': expected milliseconds or a number "
                                        "with ms, s, m or h (e.g. 1500, 500ms, 2s, 1m, 1h).",
                                        optarg);
                        a->have_timeout = true;
                        break;
                case 'N':
                        r = cli_target_parse_node(&a->target, "logs", optarg);
                        if (r < 0)
                                return r;
                        break;
                default:
                        return usage_error("logs", "invalid option.");
                }
        if (argc - optind > 1)
                return usage_error("logs", "too many arguments: expected at most one session id.");
        if (optind < argc)
                a->target.id = argv[optind];
        if (a->have_timeout && !a->wait)
                return usage_error("logs", "--timeout only applies with --wait-for-prompt.");
        return 1;
}

/* --wait-for-prompt: waits and says on stderr what happened; *ret_exit is the exit code that tells it,
 * *ret_id the session's full id. Returns 0, or an exit code after printing an error. */
static int logs_wait(CliTarget *t, const LogsArgs *a, char **ret_id, int *ret_exit) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *id, *result, *trigger, *line;
        /* The daemon answers at the timeout; the call itself waits a little longer. */
        uint64_t call_timeout = a->timeout_usec == 0 ? UINT64_MAX : a->timeout_usec + 10 * USEC_PER_SEC;
        int r;

        r = cli_target_call(t, "WaitForInputNeeded", call_timeout, &error, &reply, "st", t->id,
                            a->timeout_usec);
        if (r < 0)
                return cli_bus_error(&error, r, t->node, "Failed to wait for the session");
        r = sd_bus_message_read(reply, "ssss", &id, &result, &trigger, &line);
        if (r < 0)
                return cli_bad_reply(r);
        if (streq(result, "input-needed")) {
                fprintf(stderr, "oly: session %s needs input (%s).\n", id, trigger);
                *ret_exit = EXIT_WAIT_INPUT_NEEDED;
        } else if (streq(result, "exited")) {
                fprintf(stderr, "oly: session %s has exited.\n", id);
                *ret_exit = EXIT_WAIT_EXITED;
        } else {
                fprintf(stderr, "oly: session %s did not ask for input within the timeout.\n", id);
                *ret_exit = EXIT_WAIT_TIMEOUT;
        }
        *ret_id = strdup(id);
        return *ret_id ? 0 : cli_error("out of memory");
}

static int read_resizes(sd_bus_message *reply, RenderResize **ret, size_t *ret_n) {
        _cleanup_free_ RenderResize *v = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(tqq)");
        if (r < 0)
                return r;
        for (;;) {
                uint64_t off;
                uint16_t rows, cols;

                r = sd_bus_message_read(reply, "(tqq)", &off, &rows, &cols);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                RenderResize *nv = reallocarray(v, n + 1, sizeof *v);
                if (!nv)
                        return -ENOMEM;
                v = nv;
                v[n++] = (RenderResize){ off, rows, cols };
        }
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

/* OpenLog: the log of the session named by id (a prefix, or ""), as a file of our own. */
static int logs_open(CliTarget *t, const char *id, LogsSource *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *full, *status;
        int r, msg_fd, running;
        struct stat st;

        r = cli_target_call(t, "OpenLog", 0, &error, &reply, "s", id);
        if (r < 0)
                return cli_bus_error(&error, r, t->node, "Failed to read the log");
        r = sd_bus_message_read(reply, "sh", &full, &msg_fd);
        if (r >= 0)
                r = read_resizes(reply, &ret->resizes, &ret->n_resizes);
        if (r >= 0)
                r = sd_bus_message_read(reply, "bs", &running, &status);
        if (r < 0)
                return cli_bad_reply(r);
        ret->id = strdup(full);
        if (!ret->id)
                return cli_error("out of memory");
        ret->fd = fcntl(msg_fd, F_DUPFD_CLOEXEC, 3); /* the message's fd goes with the message */
        if (ret->fd < 0 || fstat(ret->fd, &st) < 0)
                return cli_error("cannot read the log of %s: %m", full);
        ret->size = (uint64_t) st.st_size;
        return 0;
}

/* The raw bytes, or with have_tail their last `tail` lines (a final line without a newline counts). */
static int logs_copy_raw(int fd, uint64_t size, uint64_t tail, bool have_tail) {
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

/* The log replayed through libvterm (loaded now: only this needs it). */
static int logs_render(const LogsSource *s, const RenderOptions *o) {
        _cleanup_free_ char *err = NULL;
        char **lines = NULL;
        size_t n = 0;
        int r;

        r = dlopen_vterm(&err);
        if (r < 0)
                return cli_error(
                        "cannot render the log of %s: %s; 'oly logs --raw' prints it without libvterm.",
                        s->id, err ?: "libvterm is missing");
        r = render_log_tail(s->fd, s->size, s->resizes, s->n_resizes, o, &lines, &n);
        if (r < 0)
                return cli_error("cannot render the log of %s: %s", s->id, strerror(-r));
        for (size_t i = 0; i < n; i++) {
                fputs(lines[i], stdout);
                fputc('\n', stdout);
                free(lines[i]);
        }
        free(lines);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_ERROR;
}

static int run(const LogsArgs *a) {
        _cleanup_target_ CliTarget t = {};
        _cleanup_(logs_source_done) LogsSource s = { .fd = -EBADF };
        _cleanup_free_ char *waited_id = NULL;
        struct winsize ws = {};
        bool tty = isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0;
        uint64_t tail = a->have_tail ? a->tail
                        : tty        ? (ws.ws_row > 1 ? ws.ws_row - 1u : 1u)
                                     : LOGS_DEFAULT_TAIL_NO_TTY;
        int exit_code = EXIT_OK, r;

        r = cli_target_open(&t, &a->target);
        if (r != 0)
                return r;
        if (a->wait) {
                r = logs_wait(&t, a, &waited_id, &exit_code);
                if (r != 0)
                        return r;
        }
        r = logs_open(&t, waited_id ?: t.id, &s);
        if (r != 0)
                return r;
        if (a->raw)
                r = logs_copy_raw(s.fd, s.size, tail, a->have_tail);
        else
                r = logs_render(&s, &(RenderOptions){
                                            .tail = (unsigned) tail,
                                            .width = tty && !a->no_truncate ? ws.ws_col : 0,
                                            .color = a->keep_color,
                                    });
        return r != EXIT_OK ? r : exit_code;
}

int verb_logs(int argc, char *argv[]) {
        LogsArgs a = { .target = CLI_TARGET_ARGS_INIT, .timeout_usec = LOGS_DEFAULT_TIMEOUT_USEC };
        int r = parse_argv(argc, argv, &a);
        return r <= 0 ? cli_parse_exit(r) : run(&a);
}
