/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding the program a session runs, with the caller's PATH and cwd (not the daemon's). */
#pragma once

/* Like execvp's search, but with an explicit PATH and a directory for relative names.
 * Returns 0 and the path in *ret, or -ENOENT (not found), -EACCES (found, not executable),
 * -EISDIR (a directory). */
int find_executable(const char *name, const char *path_env, const char *cwd, char **ret);
