/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Manager: the daemon's one object — event loop, configuration, database, sessions, bus clients. */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "db.h"
#include "id.h"

typedef struct Session Session;
typedef struct BusClient BusClient;
typedef struct Hook Hook;
typedef struct Push Push;

#define MANAGER_SESSION_BUCKETS 1024

typedef struct Manager {
        sd_event *event;
        OlyConfig config;
        char *state_dir, *runtime_dir, *sessions_dir, *bus_path;
        Database *db;
        int lock_fd;

        /* The private socket. bound_socket: we created the file (and remove it at exit). */
        int listen_fd;
        bool bound_socket;
        sd_event_source *listen_source;
        BusClient *clients;
        unsigned n_clients;
        uint64_t next_client_serial;
        sd_id128_t server_id;

        sd_bus *user_bus; /* best effort: NULL when there is no session bus */

        /* oly-http as our child (without a service manager): its listening socket, passed in by 'oly
         * daemon start', and restart bookkeeping. */
        int http_listen_fd;
        bool http_no_auth;
        pid_t http_pid;
        sd_event_source *http_child, *http_restart;
        unsigned http_restarts;
        usec_t http_window_start;

        struct PromptMatcher *prompt;
        char *node_name; /* this machine's name in notifications ({node}) */

        /* Sessions held in memory: every active one, and finished ones until they are evicted. */
        Session *buckets[MANAGER_SESSION_BUCKETS];
        unsigned n_sessions, n_active;
        unsigned n_lingering; /* ended sessions whose stopped processes still await SIGKILL */

        /* Helper processes running for notifications: notification_hook runs and oly-push children. */
        Hook *hooks;
        unsigned n_hooks;
        Push *pushes;
        unsigned n_pushes;

        bool shutting_down;
        sd_bus_message **shutdown_waiters;
        size_t n_shutdown_waiters;
        sd_event_source *shutdown_timer;
} Manager;

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

int manager_startup(Manager *m);
int manager_run(Manager *m);

/* Session lookup. manager_get_session: the exact id, from memory, or loaded back from the
 * database (finished sessions only). */
Session *manager_find_session(Manager *m, const char *id);
int manager_get_session(Manager *m, const char *id, Session **ret);
void manager_add_session(Manager *m, Session *s);
void manager_remove_session(Manager *m, Session *s);

/* Resolves what a caller typed (a unique prefix, or "" for the most recent) and sets a named
 * D-Bus error on failure. */
int manager_resolve_session(Manager *m, const char *prefix, Session **ret, sd_bus_error *error);

/* Session accounting hooks, called by the session state machine. */
void manager_session_started(Manager *m, Session *s);
void manager_session_ended(Manager *m, Session *s);
void manager_session_lingering(Manager *m, int delta);

void manager_update_status(Manager *m);

/* Begins a shutdown: stops every active session within grace, then leaves the loop. */
int manager_begin_shutdown(Manager *m, uint64_t grace_usec);

/* Emits on every connected bus (private clients and the user bus). */
typedef int (*manager_emit_fn)(sd_bus *bus, void *userdata);
void manager_emit(Manager *m, manager_emit_fn fn, void *userdata);

/* manager-dbus.c */
extern const sd_bus_vtable manager_vtable[];
extern const sd_bus_vtable web_vtable[];
int manager_add_bus_objects(Manager *m, sd_bus *bus);
int bus_error_from_errno(sd_bus_error *error, int r, const char *fmt, ...) _printf_(3, 4);
