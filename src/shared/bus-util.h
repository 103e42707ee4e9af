/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Connecting to oly-daemon's private D-Bus socket, the same way for every client (CLI, oly-http). */
#pragma once

#include <systemd/sd-bus.h>

/* Connects to <runtime dir>/bus (see paths.h) with fd passing negotiated. Fails at once when nobody
 * listens; a daemon that refuses us (another uid) closes the connection, which the first call reports. */
int oly_bus_open_daemon(sd_bus **ret);

/* Appends one SendInput chunk, ("text", bytes) or ("key", spec), to m (inside its a(say) array). */
int oly_bus_append_input_chunk(sd_bus_message *m, const char *kind, const void *data, size_t n);
