/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn-util.h"

int spawn_in_own_group(const char *path, char *const argv[], char *const envp[], int stdin_fd, int stdout_fd,
                       int stderr_fd, pid_t *ret_pid) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t mask;
        pid_t pid;
        int r;

        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_init(&fa);
        /* The daemon blocks signals for sd-event and ignores SIGPIPE: the child starts clean. */
        sigemptyset(&mask);
        posix_spawnattr_setsigmask(&attr, &mask);
        sigfillset(&mask);
        sigdelset(&mask, SIGKILL);
        sigdelset(&mask, SIGSTOP);
        posix_spawnattr_setsigdefault(&attr, &mask);
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        if (stdin_fd >= 0)
                posix_spawn_file_actions_adddup2(&fa, stdin_fd, STDIN_FILENO);
        else
                posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, stdout_fd, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, stderr_fd >= 0 ? stderr_fd : stdout_fd, STDERR_FILENO);
        posix_spawn_file_actions_addchdir_np(&fa, "/");
        posix_spawn_file_actions_addclosefrom_np(&fa, 3);
        r = posix_spawn(&pid, path, &fa, &attr, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return -r;
        *ret_pid = pid;
        return 0;
}

void spawn_kill_and_reap(pid_t pid) {
        (void) kill(-pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
}
