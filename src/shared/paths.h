/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where oly keeps its state and its sockets (DESIGN.md "Paths"). */
#pragma once

#include <stddef.h>

/* $OLY_STATE_DIR, else $XDG_STATE_HOME/oly, else ~/.local/state/oly. */
int oly_state_dir(char **ret);
/* $OLY_RUNTIME_DIR, else $OLY_STATE_DIR/run, else $XDG_RUNTIME_DIR/oly, else <state dir>/run. */
int oly_runtime_dir(char **ret);
/* <runtime dir>/bus; -ENAMETOOLONG when it does not fit a sockaddr_un. */
int oly_bus_socket_path(char **ret);

/* mkdir -p with the given mode for every directory it creates; the last one is chmod'ed to mode. */
int mkdir_p(const char *path, unsigned mode);

/* Writes data to path atomically (temporary file + fsync + rename), mode 0600. */
int write_file_atomic(const char *path, const char *data, size_t len);
/* Reads a whole file up to max bytes (-EFBIG beyond). */
int read_file_full(const char *path, size_t max, char **ret, size_t *ret_len);

/* Joins a and b with one '/', allocating. */
char *path_join(const char *a, const char *b);
