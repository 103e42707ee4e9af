/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every oly verb shares: the verb table entry, exit codes, error printing, option helpers, and the
 * target step (the daemon connection, the Manager object, the session the user named). */
#pragma once

#include <stdarg.h>
#include <systemd/sd-bus.h>

#include "macro.h"

#define EXIT_OK 0
#define EXIT_ERROR 1
#define EXIT_USAGE 2

/* A verb is parse_argv() into its options struct, then run(); parse_argv() returns > 0 to go on, 0 when
 * it has done all there is (--help), < 0 after printing a usage error. */
typedef struct Verb {
        const char *name;
        const char *summary;
        int (*run)(int argc, char *argv[]);
} Verb;

/* The exit code for what parse_argv() returned when it was <= 0. */
static inline int cli_parse_exit(int r) {
        return r < 0 ? EXIT_USAGE : EXIT_OK;
}

/* Prints "oly: <message>" and a hint; returns -EINVAL (for parse_argv()). */
/* Before the verbs parse their options: getopt stays silent, and usage_error(verb, "invalid option.")
 * names the option it refused. */
void cli_options_begin(int argc, char *argv[]);
int usage_error(const char *verb, const char *fmt, ...) _printf_(2, 3);
/* Prints "oly: <message>", returns EXIT_ERROR. */
int cli_error(const char *fmt, ...) _printf_(1, 2);

/* Option parsing helpers shared by the verbs (they print usage errors themselves and return < 0). */
int cli_parse_grace(const char *verb, const char *s, uint64_t *ret_usec);

/* Connects to the daemon's private socket. On failure prints one line saying the daemon is not
 * reachable and how to start it, and returns a negative errno. */
int cli_connect(sd_bus **ret);
/* Like cli_connect, but quiet: -ENOENT/-ECONNREFUSED when no daemon listens. */
int cli_connect_quiet(sd_bus **ret);

/* Turns a failed call into one line on stderr (node: the --node the call went to, or NULL); frees
 * error; returns EXIT_ERROR. */
int cli_bus_error(sd_bus_error *error, int r, const char *node, const char *what);
/* "bad reply from the daemon", EXIT_ERROR. */
int cli_bad_reply(int r);

/* What a session verb names on its command line: --node NAME and the session id or prefix. */
typedef struct CliTargetArgs {
        const char *node; /* NULL: this machine */
        const char *id; /* a unique prefix; "" for the most recently created session */
} CliTargetArgs;

#define CLI_TARGET_ARGS_INIT ((CliTargetArgs){ .id = "" })

/* Checks --node NAME for verb and stores it; < 0 after a usage error. */
int cli_target_parse_node(CliTargetArgs *a, const char *verb, const char *name);

/* The target step: connected to the daemon, with the Manager object the verb's calls go to
 * (/org/openrelay/Oly1, or /org/openrelay/Oly1/node/NAME with --node). */
typedef struct CliTarget {
        sd_bus *bus;
        const char *node;
        const char *id;
        char *path;
} CliTarget;

/* Connects and picks the object path; prints what went wrong and returns EXIT_ERROR, else 0. */
int cli_target_open(CliTarget *t, const CliTargetArgs *a);
void cli_target_done(CliTarget *t);
#define _cleanup_target_ _cleanup_(cli_target_done)

/* A Manager method call on the target, ready for arguments. */
int cli_target_new_call(CliTarget *t, const char *method, sd_bus_message **ret);
/* Calls method of iface at path; types and ap are the arguments (types NULL: none). */
int cli_callv(sd_bus *bus, const char *path, const char *iface, const char *method, uint64_t timeout_usec,
              sd_bus_error *error, sd_bus_message **reply, const char *types, va_list ap);

/* Calls a Manager method on the target. timeout_usec 0 = sd-bus default. */
int cli_target_call(CliTarget *t, const char *method, uint64_t timeout_usec, sd_bus_error *error,
                    sd_bus_message **reply, const char *types, ...);
/* Resolves t->id (a prefix, or "" for the most recent) to a full id; 0 or an exit code after printing
 * the error. */
int cli_target_resolve(CliTarget *t, char **ret);

/* Attaches this terminal to a session until it exits or the user detaches; returns the exit code. */
int attach_session(CliTarget *t, const char *id, bool from_start);

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
int verb_api_key(int argc, char *argv[]);
