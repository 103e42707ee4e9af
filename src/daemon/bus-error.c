/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* D-Bus errors for negative errnos, shared by the D-Bus faces. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bus-error.h"

int bus_error_from_errno(sd_bus_error *error, int r, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return sd_bus_error_setf(error, r == -ENOMEM ? SD_BUS_ERROR_NO_MEMORY : SD_BUS_ERROR_FAILED,
                                 "%s: %s", msg, strerror(r < 0 ? -r : r));
}
