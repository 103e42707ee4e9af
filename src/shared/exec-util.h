/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding programs: the one a session runs, with the caller's PATH and cwd (not the daemon's); and oly's
 * own helper binaries. */
#pragma once

/* Like execvp's search, but with an explicit PATH and a directory for relative names.
 * Returns 0 and the path in *ret, or -ENOENT (not found), -EACCES (found, not executable),
 * -EISDIR (a directory). */
int find_executable(const char *name, const char *path_env, const char *cwd, char **ret);

/* One of oly's own binaries: $env_var when set, else the first of the paths in rel (relative to the
 * directory of the running program: beside it when installed, the build tree's layout otherwise) that
 * is executable, else fallback. NULL only when out of memory. */
char *find_oly_binary(const char *env_var, const char *const *rel, size_t n_rel, const char *fallback);
