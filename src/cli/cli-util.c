/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI's messages (one line, "oly: ..."), and option parsing more than one verb uses. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"
#include "oly-def.h"
#include "parse-util.h"

static char **cli_argv = NULL;
static int cli_argc = 0;

void cli_options_begin(int argc, char *argv[]) {
        cli_argc = argc;
        cli_argv = argv;
        /* getopt would print "ls: unrecognized option ..." on a line of its own: usage_error says it. */
        opterr = 0;
}

/* What getopt_long() just refused, for "invalid option.", from optind and optopt: the verbs parse argv + 1
 * ("oly ls ...") or argv + 2 ("oly daemon start ..."), one more word per space in verb. */
static bool describe_bad_option(const char *verb, char *buf, size_t size) {
        char **argv;
        int argc, depth = 1;

        for (const char *c = verb; c && *c; c++)
                depth += *c == ' ';
        if (!cli_argv || depth >= cli_argc || optind < 1 || optind > cli_argc - depth)
                return false;
        argv = cli_argv + depth;
        argc = cli_argc - depth;
        /* A letter in the middle of "-abc": optind has not moved past it yet. */
        if (optopt > 0 && optopt < 0x7f && optind < argc && argv[optind][0] == '-' &&
            argv[optind][1] != '-' && strchr(argv[optind] + 1, optopt)) {
                snprintf(buf, size, "unrecognized option '-%c'.", optopt);
                return true;
        }
        const char *arg = argv[optind - 1];
        if (startswith(arg, "--")) {
                int n = (int) strcspn(arg, "=");
                if (optopt == 0)
                        snprintf(buf, size, "unrecognized option '%.*s'.", n, arg);
                else if (arg[n] == '=')
                        snprintf(buf, size, "option '%.*s' takes no value.", n, arg);
                else /* only the last word can lack its value */
                        snprintf(buf, size, "option '%s' needs a value.", arg);
                return true;
        }
        /* The last letter of "-abc". The verbs' only short option is -h: any other is unknown. */
        if (arg[0] != '-' || optopt <= 0 || optopt >= 0x7f)
                return false;
        snprintf(buf, size, "unrecognized option '-%c'.", optopt);
        return true;
}

int usage_error(const char *verb, const char *fmt, ...) {
        char option[256];
        va_list ap;

        if (streq(fmt, "invalid option.") && describe_bad_option(verb, option, sizeof option))
                return usage_error(verb, "%s", option);
        fputs("oly: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'oly %s%s--help'.\n", strempty(verb), verb ? " " : "");
        return -EINVAL;
}

int cli_error(const char *fmt, ...) {
        va_list ap;

        fputs("oly: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return EXIT_ERROR;
}

int cli_parse_grace(const char *verb, const char *s, uint64_t *ret_usec) {
        if (parse_seconds(s, OLY_GRACE_MAX_SEC, ret_usec) < 0)
                return usage_error(
                        verb, "invalid grace period '%s': expected seconds from 0 to %u (e.g. 5 or 2.5).", s,
                        OLY_GRACE_MAX_SEC);
        return 0;
}
