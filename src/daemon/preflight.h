/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly-daemon --preflight: what 'oly daemon start' must know before it starts the daemon, answered by the
 * daemon's own code, so that the CLI opens none of the daemon's files. */
#pragma once

/* Validates the configuration as the daemon would (config.json, then the prompt patterns) and looks for a
 * stored web password. Writes nothing the daemon's own start would not: its lock, and an existing
 * database's schema upgrade (a missing database is not created). On success prints on stdout, one per line:
 *     http_port=N
 *     web_password=yes|no
 * and returns 0; otherwise prints one line on stderr (in the words 'oly' shows) and returns < 0. */
int preflight_run(void);
