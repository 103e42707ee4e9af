/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI's messages (one line, "oly: ..."), and option parsing more than one verb uses. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"
#include "oly-def.h"
#include "parse-util.h"

int usage_error(const char *verb, const char *fmt, ...) {
        va_list ap;

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
