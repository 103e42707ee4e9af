/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A session: one command on its own PTY, its output log, and its status machine. */
#pragma once

#include <signal.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "attach-protocol.h"
#include "buf.h"
#include "db.h"
#include "manager.h"
#include "terminal.h"

/* How long after the leader's exit we keep reading the PTY for output still in flight before we
 * call the session ended even though some other process still holds the terminal open. */
#define SESSION_DRAIN_USEC (200 * USEC_PER_MSEC)
/* PTY reads: one read moves up to this much. */
#define SESSION_READ_MAX (64 * 1024)
/* How often an ended session whose stop is still in its grace period checks that its job is gone. */
#define SESSION_LINGER_POLL_USEC (100 * USEC_PER_MSEC)
/* Input queued for the PTY (from attached clients and SendInput) while the program does not read. */
#define SESSION_INPUT_MAX (1024U * 1024U)
/* Terminal streams open on one session at once. */
#define SESSION_CLIENTS_MAX 64

typedef struct AttachClient AttachClient;
typedef struct PromptWaiter PromptWaiter;

/* A SendInput call waiting until its bytes are in the PTY. */
typedef struct InputWaiter {
        sd_bus_message *reply;
        uint64_t until; /* input_written must reach this */
} InputWaiter;

struct Session {
        Manager *manager;
        Session *hash_next;

        SessionRecord rec; /* what the database holds; rec.id is the id */
        char *object_path;
        int input_needed; /* 'b' properties are read as int by sd-bus */
        char *input_trigger, *input_line; /* why, while input_needed */
        char *notified;                   /* trigger+line last notified in this waiting episode */
        sd_event_source *prompt_timer;
        bool prompt_silence_phase; /* the timer is waiting for prompt_silence_seconds, not prompt_idle_ms */
        PromptWaiter *prompt_waiters;
        int notifications_enabled;

        int master_fd;
        int log_fd;
        sd_event_source *pty_source, *child_source, *stop_timer, *drain_timer, *evict_timer;
        sd_event_source *linger_poll; /* while lingering: have the stopped job's processes gone? */

        Terminal *term; /* NULL once the session has ended */
        sd_event_source *term_source;
        uint64_t last_output_usec; /* CLOCK_MONOTONIC */
        int resize_fd; /* resize.log, opened at the first resize */
        unsigned initial_rows, initial_cols;

        /* Output: out_offset bytes so far, all in output.log; attached clients each track their own
         * offset and are served from the log when they fall behind. */
        uint64_t out_offset;
        bool log_broken; /* an append failed: the log no longer holds every byte */
        AttachClient *clients;
        unsigned n_clients;

        /* Input: bytes for the PTY not yet written; input_written counts all bytes ever written. */
        Buf input;
        uint64_t input_written;
        InputWaiter *input_waiters;
        size_t n_input_waiters;
        bool input_paused; /* clients are not read while input is full */

        pid_t groups[4]; /* process groups to signal on stop, see session_learn_groups() */
        unsigned n_groups;
        bool lingering; /* ended, but a stopped job still waits for its SIGKILL */

        bool active; /* counted in manager->n_active */
        bool stop_requested, kill_requested, sigkill_sent, child_exited, pty_closed;
        siginfo_t exit_info;

        sd_bus_message **stop_waiters; /* StopSession calls that reply once the session has ended */
        size_t n_stop_waiters;
};

typedef struct SessionSpawn {
        const char *title;
        char **argv;
        const char *cwd;
        char **env;
        unsigned rows, cols;
        bool notifications_enabled;
} SessionSpawn;

/* Creates the row, the log and the process. On an exec failure the session exists, has ended as
 * failed (reason in its log) and *ret is still set; the return is then -ENOEXEC-ish (the errno of
 * the failure) and *ret_reason says why in words. */
int session_spawn(Manager *m, const SessionSpawn *p, Session **ret, char **ret_reason);

/* Creates sessions/<id>/ and output.log and starts reading the PTY (no output is read before the log
 * exists). */
int session_open_files(Session *s);

/* Loads a finished session back from its row (for lookups after eviction). */
int session_load(Manager *m, const SessionRecord *rec, Session **ret);

Session *session_free(Session *s);

/* Polite stop: SIGTERM + SIGHUP + SIGCONT to the session's process groups, SIGKILL after grace. If
 * reply is not NULL it is answered when the session has ended. */
int session_stop(Session *s, uint64_t grace_usec, sd_bus_message *reply);
/* For a session that ended while its stopped job lingers: bring the job's SIGKILL forward to at most
 * grace_usec from now (0: at once). */
void session_hurry_lingering(Session *s, uint64_t grace_usec);

/* Sends sig to the session's process groups; SIGKILL marks it killed. */
int session_kill(Session *s, int sig);
int session_set_notifications(Session *s, bool enabled);

/* Arms (or re-arms) the timer that drops a finished session from memory. */
void session_schedule_eviction(Session *s);

const char *session_path(Session *s);

/* Queues bytes for the PTY. reply (may be NULL) is answered once they are written. -ENOBUFS when the
 * queue is full, -ESRCH when the session has ended. */
int session_write_input(Session *s, const void *data, size_t n, sd_bus_message *reply);
int session_resize(Session *s, unsigned rows, unsigned cols);
/* Opens a terminal stream; returns the client's end of the socket. from_start: all output from the first
 * byte (also for a session that has already ended) instead of a snapshot of the screen. */
int session_open_terminal(Session *s, bool from_start, int *ret_fd);
/* For readers of output.log: an fd on it, and the resize history (offset, rows, cols triples). */
int session_open_log(Session *s, int *ret_fd, uint64_t **ret_resizes, size_t *ret_n);
bool session_app_cursor(Session *s);

/* WaitForInputNeeded: replies at once when the session needs input or has ended, else when it does, or
 * at the timeout (0: never). */
int session_wait_input_needed(Session *s, uint64_t timeout_usec, sd_bus_message *msg);

/* attach.c */
void attach_client_wake(AttachClient *c);
void attach_clients_push(Session *s, const uint8_t *data, size_t n, uint64_t offset);
void attach_clients_session_ended(Session *s);
void attach_clients_resume_input(Session *s);
int attach_client_new(Session *s, int fd, int log_fd, const Buf *prologue, uint64_t offset);
AttachClient *attach_client_free(AttachClient *c);

/* session-dbus.c */
extern const sd_bus_vtable session_vtable[];
int session_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                        sd_bus_error *error);
int session_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);
int session_append_struct(sd_bus_message *m, Session *s);
int session_record_append_struct(sd_bus_message *m, const SessionRecord *r, bool input_needed);
void session_send_changed(Session *s, const char *property, ...);
