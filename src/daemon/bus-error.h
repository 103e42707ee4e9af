/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* D-Bus errors for negative errnos, shared by the D-Bus faces. */
#pragma once

#include <systemd/sd-bus.h>

#include "macro.h"

/* A D-Bus error for a negative errno, with a message (NoMemory for -ENOMEM, else Failed). */
int bus_error_from_errno(sd_bus_error *error, int r, const char *fmt, ...) _printf_(3, 4);
