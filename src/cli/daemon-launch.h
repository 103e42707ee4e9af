/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How 'oly daemon start' runs oly-daemon the way systemd would: listening sockets passed in from fd 3
 * with names, readiness over NOTIFY_SOCKET; and how it asks the daemon binary what it needs to know
 * first (oly-daemon --preflight), so that it never opens the daemon's files itself. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define DAEMON_PASSED_FDS_MAX 3

/* What 'oly daemon start' hands the daemon, as systemd would: fds from 3 on, with names. */
typedef struct PassedFds {
        int fd[DAEMON_PASSED_FDS_MAX];
        const char *name[DAEMON_PASSED_FDS_MAX];
        unsigned n;
} PassedFds;

/* What oly-daemon --preflight answered. */
typedef struct DaemonPreflight {
        unsigned http_port; /* from config.json, or the default */
        bool web_password; /* a web password is stored */
} DaemonPreflight;

/* The oly-daemon binary: $OLY_DAEMON, beside this oly, in the build tree, or the installed one. */
char *daemon_find_binary(void);

/* Runs daemon --preflight. Its complaint (an invalid configuration, say) is printed as ours; returns 0
 * or EXIT_ERROR. */
int daemon_preflight(const char *daemon, DaemonPreflight *ret);

/* With stdin, stdout or stderr closed, /dev/null takes their place (see daemon-launch.c). */
int daemon_ensure_stdio(void);

int daemon_bind_bus_socket(const char *path, int *ret);
/* 127.0.0.1:port for oly-http (loopback only: spec §10.3 puts remote access behind a gateway). */
int daemon_bind_http_socket(unsigned port, int *ret);

/* The oly-keeper binary, found the same way ($OLY_KEEPER). */
char *daemon_find_keeper(void);

/* Sets up the environment systemd would give the daemon and execs oly-keeper, which runs the daemon and
 * keeps its sessions across its restarts and crashes. Only returns on failure. */
int daemon_exec(const char *daemon, const PassedFds *p, bool http_no_auth, const char *notify);

/* Forks and execs the daemon in the background (its output appended to logpath), then waits until it
 * reports READY=1, fails, or the timeout passes; prints what went wrong. 0 and its pid when it serves,
 * else EXIT_ERROR. The fds of p are closed here once the daemon has them. */
int daemon_spawn_and_wait(const char *daemon, PassedFds *p, bool http_no_auth, const char *logpath,
                          pid_t *ret_pid, pid_t *ret_keeper_pid);
