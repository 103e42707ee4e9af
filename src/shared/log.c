/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "time-util.h"

static int max_level = LOG_INFO;
static const char *ident = "oly";

void log_set_max_level(int level) {
        max_level = level;
}
int log_get_max_level(void) {
        return max_level;
}
void log_set_ident(const char *i) {
        ident = i;
}

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...) {
        int e = error < 0 ? -error : error;
        char msg[2048];
        va_list ap;

        if (level > max_level)
                return -e;

        errno = e; /* so that %m prints the error */
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);

        if (getenv("JOURNAL_STREAM"))
                fprintf(stderr, "<%d>%s\n", level, msg);
        else {
                char ts[RFC3339_MAX];
                fprintf(stderr, "%s %s[%d]: %s\n", rfc3339_format(ts, sizeof ts, now_usec(CLOCK_REALTIME)) ?: "",
                        ident, (int) getpid(), msg);
        }
        (void) file;
        (void) line;
        return -e;
}
