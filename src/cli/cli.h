/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every oly verb shares: the verb table entry, exit codes, the bus connection, error printing. */
#pragma once

#include <systemd/sd-bus.h>

#include "macro.h"

#define EXIT_OK 0
#define EXIT_ERROR 1
#define EXIT_USAGE 2

typedef struct Verb {
        const char *name;
        const char *summary;
        int (*run)(int argc, char *argv[]);
} Verb;

/* Prints "oly: <message>" and a hint, returns EXIT_USAGE. */
int usage_error(const char *verb, const char *fmt, ...) _printf_(2, 3);
/* Prints "oly: <message>", returns EXIT_ERROR. */
int cli_error(const char *fmt, ...) _printf_(1, 2);

/* Connects to the daemon's private socket. On failure prints one line saying the daemon is not
 * reachable and how to start it, and returns a negative errno. */
int cli_connect(sd_bus **ret);
/* Like cli_connect, but quiet: -ENOENT/-ECONNREFUSED when no daemon listens. */
int cli_connect_quiet(sd_bus **ret);

/* The object path a verb calls: the local Manager, or a connected node's when --node is given. */
int cli_manager_path(const char *node, char **ret);

/* Turns a failed call into one line on stderr; returns EXIT_ERROR. */
int cli_bus_error(const sd_bus_error *error, int r, const char *node, const char *what);

/* Calls a Manager method on the node (or locally). timeout_usec 0 = sd-bus default. */
int cli_call(sd_bus *bus, const char *node, const char *method, uint64_t timeout_usec, sd_bus_error *error,
             sd_bus_message **reply, const char *types, ...);

/* Resolves what the user typed (a prefix, or "" for the most recent) to a full id; returns 0 or an exit
 * code after printing the error. */
int cli_resolve(sd_bus *bus, const char *node, const char *id, char **ret);

/* Attaches this terminal to a session until it exits or the user detaches; returns the exit code. */
int attach_session(sd_bus *bus, const char *node, const char *id, bool from_start);

/* Option parsing helpers shared by the verbs (they print usage errors themselves). */
int cli_parse_grace(const char *verb, const char *s, uint64_t *ret_usec);
int cli_parse_node(const char *verb, const char *s);

/* The verbs. */
int verb_daemon(int argc, char *argv[]);
int verb_start(int argc, char *argv[]);
int verb_ls(int argc, char *argv[]);
int verb_stop(int argc, char *argv[]);
int verb_notify(int argc, char *argv[]);
int verb_skill(int argc, char *argv[]);
int verb_attach(int argc, char *argv[]);
int verb_logs(int argc, char *argv[]);
int verb_send(int argc, char *argv[]);
