/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Manager: the daemon's one object — event loop, configuration, database, the table of sessions and
 * their accounting, notifications, shutdown. Like the sessions it knows nothing of D-Bus: what serves it
 * to the outside (the D-Bus server, the oly-http child, later the node link) registers as a face and
 * hears every session event. */
#pragma once

#include <systemd/sd-event.h>

#include "config.h"
#include "db.h"
#include "hook.h"
#include "id.h"
#include "list.h"
#include "push.h"
#include "session.h"

#define MANAGER_SESSION_BUCKETS 1024

typedef struct Manager Manager;
typedef struct ManagerFace ManagerFace;
typedef struct BusServer BusServer;
typedef struct HttpChild HttpChild;
typedef struct KeeperLink KeeperLink;

/* A running session held for us across a daemon restart (by oly-keeper or the fd store), and how it
 * ended if it did while no daemon ran. */
typedef struct ManagerAdoptable {
        char id[OLY_ID_STRLEN];
        pid_t pid;
        int fd; /* its PTY master; -EBADF once taken */
        bool exited;
        int how, what;  /* waitid's si_code and si_status */
        uint64_t time; /* CLOCK_REALTIME µs of the exit */
} ManagerAdoptable;

/* Something that serves the core to the outside. Every callback may be NULL. */
struct ManagerFace {
        LIST_FIELDS(ManagerFace, faces);
        void (*session_event)(ManagerFace *f, Session *s, SessionEvent e, unsigned changed);
        void (*shutting_down)(ManagerFace *f); /* a shutdown began: take no new work */
        void (*exiting)(ManagerFace *f); /* the loop is about to end: flush what is queued */
        void (*free)(ManagerFace *f); /* the manager goes: release everything (sessions are gone) */
        void *userdata;
};

typedef void (*manager_shutdown_fn)(Manager *m, void *userdata);

struct Manager {
        SessionHost host; /* what the sessions see of us */
        sd_event *event;
        OlyConfig config;
        char *state_dir, *runtime_dir, *sessions_dir, *bus_path;
        Database *db;
        int lock_fd;
        char *node_name; /* this machine's name in notifications ({node}) */
        struct PromptMatcher *prompt;

        ManagerFace *faces;
        BusServer *bus_server; /* bus-server.c's: the private socket and the user bus */

        /* oly-http: its listening socket when 'oly daemon start' passed one in (we run oly-http as our
         * child then), and whether it runs without authentication. */
        int http_listen_fd;
        bool http_no_auth;
        HttpChild *http_child;
        KeeperLink *keeper; /* keeper-link.c's, when oly-keeper runs us */
        bool restarting;    /* leaving for a new daemon to take over the sessions */

        /* Sessions held in memory: every active one, and finished ones until they are evicted. */
        Session *buckets[MANAGER_SESSION_BUCKETS];
        unsigned n_sessions, n_active;
        unsigned n_lingering; /* ended sessions whose stopped processes still await SIGKILL */

        HookRunner hooks;
        PushSender pushes;

        bool shutting_down;
        struct {
                manager_shutdown_fn done;
                void *userdata;
        } * shutdown_waiters;
        size_t n_shutdown_waiters;
        sd_event_source *shutdown_timer;
};

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Directories, lock, configuration, database, signals. */
int manager_startup(Manager *m);
int manager_run(Manager *m);

void manager_add_face(Manager *m, ManagerFace *f);
void manager_remove_face(Manager *m, ManagerFace *f);

/* Session lookup. manager_find_session: the exact id, in memory. manager_get_session: also loaded back
 * from the database (finished sessions only); -ENXIO when there is no such session. */
Session *manager_find_session(Manager *m, const char *id);
int manager_get_session(Manager *m, const char *id, Session **ret);
/* Resolves what a caller typed: a unique prefix, or "" for the most recent session. -ENXIO: no match
 * (or no sessions at all); -ENOTUNIQ: ambiguous, with up to 10 candidates in *ret_candidates (NULL
 * terminated; the caller frees it); -EINVAL: not a possible prefix. */
int manager_resolve_id(Manager *m, const char *prefix, char ret_id[static OLY_ID_STRLEN],
                       char ***ret_candidates);
#define MANAGER_CANDIDATES_MAX 10

/* Creates a session with a new id (see session_spawn() for the failure contract). -ESHUTDOWN while
 * shutting down, -EUSERS at max_running_sessions. */
int manager_create_session(Manager *m, const SessionSpawn *p, Session **ret, char **ret_reason);

void manager_update_status(Manager *m);

/* At start: takes over the sessions in list (their fds; the list is left with the ones that match no
 * session marked active), and records every other session an earlier daemon left marked active as
 * ended: 'unknown', at the time its log last changed. Returns how many were adopted. */
int manager_adopt_sessions(Manager *m, ManagerAdoptable *list, size_t n);

/* Leaves the loop without stopping any session, for a new daemon to adopt them (-EOPNOTSUPP when
 * nothing holds them across our exit). manager_run() then returns OLY_EXIT_RESTART. */
int manager_restart(Manager *m);

/* Begins a shutdown: stops every active session within grace, then leaves the loop. done (may be NULL)
 * runs once every session has ended. */
int manager_begin_shutdown(Manager *m, uint64_t grace_usec, manager_shutdown_fn done, void *userdata);
