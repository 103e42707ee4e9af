/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running the daemon's helper programs (the notification hook, oly-push): each in its own process group
 * (so a timeout takes whatever it started with it), with a clean signal state, in /, and with only the
 * standard fds given. */
#pragma once

#include <sys/types.h>

/* stdin_fd < 0: /dev/null. stderr_fd < 0: the same as stdout_fd. Returns 0 and the pid, or -errno. */
int spawn_in_own_group(const char *path, char *const argv[], char *const envp[], int stdin_fd, int stdout_fd,
                       int stderr_fd, pid_t *ret_pid);

/* For a child that was spawned but could not be taken into our care: kills its group and reaps it. */
void spawn_kill_and_reap(pid_t pid);
