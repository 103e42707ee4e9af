/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A session: one command on its own PTY, its output log, its input queue and its status machine. This is
 * the daemon's core: it knows nothing of D-Bus. It reports to its host (the Manager) through one event
 * callback and answers waiting callers through completion callbacks; the faces (session-dbus.c,
 * manager-dbus.c, later the node link) turn those into replies and signals.
 *
 * The object is split by subject, all behind this one header:
 *   session.c         lifecycle: allocation, the status machine, stop/kill, lingering jobs, eviction
 *   session-spawn.c   spawning a command on a new PTY (and a start that fails)
 *   session-io.c      the PTY hot path, output.log, the terminal model, resize, log and stream readers
 *   session-attach.c  attached terminal streams, each with its own offset in the output
 *   session-input.c   the input queue and the calls waiting until their bytes are written
 *   session-prompt.c  the input-needed state and the calls waiting for it */
#pragma once

#include <signal.h>
#include <systemd/sd-event.h>

#include "attach-protocol.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "list.h"
#include "prompt.h"
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

typedef struct Session Session;
typedef struct AttachClient AttachClient;
typedef struct SessionWaiter SessionWaiter;

/* What a session tells its host. */
typedef enum SessionEvent {
        SESSION_EVENT_STARTED, /* it counts as active now (also a start that fails: ENDED follows) */
        SESSION_EVENT_SPAWNED, /* its command runs on its PTY: pid and master_fd are known */
        SESSION_EVENT_CHANGED, /* the properties in the mask changed */
        SESSION_EVENT_ENDED, /* it is no longer active */
        SESSION_EVENT_INPUT_NEEDED, /* it began waiting for input */
        SESSION_EVENT_NOTIFY, /* a new waiting episode of a session with notifications on */
        SESSION_EVENT_LINGER_BEGIN, /* ended, but a stopped job still awaits its SIGKILL */
        SESSION_EVENT_LINGER_END,
        SESSION_EVENT_EVICT, /* finished and unused: the host may free it now (and must not use it after) */
        _SESSION_EVENT_MAX,
} SessionEvent;

/* The properties a SESSION_EVENT_CHANGED names. */
typedef enum SessionProperty {
        SESSION_PROP_STATUS = 1U << 0,
        SESSION_PROP_EXIT_CODE = 1U << 1,
        SESSION_PROP_ENDED_AT = 1U << 2,
        SESSION_PROP_INPUT_NEEDED = 1U << 3, /* InputNeeded, InputTrigger and InputLine together */
        SESSION_PROP_NOTIFICATIONS = 1U << 4,
} SessionProperty;

/* What a session needs from whoever owns it. The pointers stay valid for the sessions' lifetime. */
typedef struct SessionHost {
        sd_event *event;
        const OlyConfig *config;
        Database *db;
        const char *sessions_dir;
        PromptMatcher *prompt; /* NULL: no prompt detection */
        void (*event_cb)(struct SessionHost *h, Session *s, SessionEvent e, unsigned changed);
} SessionHost;

/* A caller waiting for something to happen to a session (StopSession, SendInput, WaitForInputNeeded).
 * done runs once, with the session still valid, and the waiter is freed right after it returns;
 * session_waiter_cancel() frees it without calling done (a caller that went away). */
typedef enum SessionWaitResult {
        SESSION_WAIT_DONE, /* stopped / input written / input needed */
        SESSION_WAIT_ENDED, /* the session ended first (input: not all of it was written) */
        SESSION_WAIT_TIMEOUT,
} SessionWaitResult;
typedef void (*session_waiter_fn)(Session *s, SessionWaitResult result, void *userdata);

struct SessionWaiter {
        Session *session;
        LIST_FIELDS(SessionWaiter, waiters);
        SessionWaiter **head; /* the list it is in */
        unsigned *count;
        uint64_t until; /* input waiters: input_written must reach this */
        sd_event_source *timer;
        session_waiter_fn done;
        void *userdata;
};

struct Session {
        SessionHost *host;
        Session *hash_next; /* the host's table */

        SessionRecord rec; /* what the database holds; rec.id is the id */
        char *object_path; /* the faces' name for it, made once */

        /* Input needed (session-prompt.c). */
        int input_needed; /* 'b' properties are read as int by sd-bus */
        char *input_trigger, *input_line; /* why, while input_needed */
        char *notified; /* trigger+line last notified in this waiting episode */
        sd_event_source *prompt_timer;
        bool prompt_silence_phase; /* the timer is waiting for prompt_silence_seconds, not prompt_idle_ms */
        SessionWaiter *prompt_waiters;
        unsigned n_prompt_waiters;
        int notifications_enabled;

        /* The PTY, the log and the terminal model (session-io.c). */
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
         * offset and are served from the log when they fall behind (session-attach.c). */
        uint64_t out_offset;
        bool log_broken; /* an append failed: the log no longer holds every byte */
        AttachClient *clients;
        unsigned n_clients;

        /* Input: bytes for the PTY not yet written; input_written counts all bytes ever written
         * (session-input.c). */
        Buf input;
        uint64_t input_written;
        SessionWaiter *input_waiters;
        unsigned n_input_waiters;
        bool input_paused; /* clients are not read while input is full */

        /* Lifecycle (session.c). */
        pid_t groups[4]; /* process groups to signal on stop, see session_learn_groups() */
        unsigned n_groups;
        bool lingering; /* ended, but a stopped job still waits for its SIGKILL */
        bool active; /* running (or starting): counted by the host */
        bool stop_requested, kill_requested, sigkill_sent, child_exited, pty_closed;
        bool adopted;      /* spawned by an earlier daemon: not our child, its end comes from its keeper */
        bool model_replay; /* adopted: the terminal model starts from the tail of output.log */
        siginfo_t exit_info;
        uint64_t exit_time; /* CLOCK_REALTIME µs the leader ended, when it was learnt later; 0: now */
        SessionWaiter *stop_waiters; /* answered once the session has ended */
        unsigned n_stop_waiters;
};

/* ---- session.c: lifecycle ---- */

Session *session_alloc(SessionHost *h, const char *id);
Session *session_free(Session *s);
/* A finished session loaded back from its row (for lookups after eviction). */
int session_load(SessionHost *h, const SessionRecord *rec, Session **ret);

void session_changed(Session *s, unsigned properties);
void session_emit(Session *s, SessionEvent e);
int session_save(Session *s);

/* Polite stop: SIGHUP + SIGTERM + SIGCONT to the session's process groups, SIGKILL after grace. done (may
 * be NULL) runs once the session has ended (at once if it has already: then it returns 0 with done run). */
int session_stop(Session *s, uint64_t grace_usec, session_waiter_fn done, void *userdata,
                 SessionWaiter **ret);
/* For a session that ended while its stopped job lingers: bring the job's SIGKILL forward to at most
 * grace_usec from now (0: at once). */
void session_hurry_lingering(Session *s, uint64_t grace_usec);
/* Sends sig to the session's process groups; SIGKILL marks it killed. -ESRCH once it has ended. */
int session_kill(Session *s, int sig);
int session_set_notifications(Session *s, bool enabled);
/* Arms (or re-arms) the timer that hands a finished session back to the host for freeing. */
void session_schedule_eviction(Session *s);
/* Called by the I/O side when the leader exited and the PTY is drained (or gone). */
void session_end(Session *s);
void session_on_child_exit(Session *s, const siginfo_t *si);

/* Waiters, shared by the three kinds. */
int session_waiter_new(Session *s, SessionWaiter **head, unsigned *count, session_waiter_fn done,
                       void *userdata, SessionWaiter **ret);
void session_waiter_complete(SessionWaiter *w, SessionWaitResult result);
void session_waiters_complete(SessionWaiter **head, SessionWaitResult result);
void session_waiter_cancel(SessionWaiter *w);

/* ---- session-spawn.c ---- */

typedef struct SessionSpawn {
        const char *title;
        char **argv;
        const char *cwd;
        char **env;
        unsigned rows, cols;
        bool notifications_enabled;
} SessionSpawn;

/* Stores the row for the (new, unique) id, opens the log and spawns the process. The session is returned
 * in *ret whenever it exists: on an exec failure it has ended as failed (reason in its log), the return
 * is the errno of the failure and *ret_reason says why in words. The host has heard
 * SESSION_EVENT_STARTED (and ENDED on failure) by then. */
int session_spawn(SessionHost *h, const char *id, const SessionSpawn *p, Session **ret, char **ret_reason);

/* A running session an earlier daemon spawned, taken over with its PTY master (from oly-keeper or the
 * service manager's fd store): output.log goes on where it stopped, the terminal model is rebuilt from
 * its tail. Its end is learnt through session_on_child_exit() from whoever reaps it. */
int session_adopt(SessionHost *h, const SessionRecord *rec, int master_fd, Session **ret);

/* ---- session-io.c ---- */

/* Creates sessions/<id>/ and output.log and starts reading the PTY (no output is read before the log
 * exists). */
int session_open_files(Session *s);
/* Starts the terminal model's catch-up source (after spawn or adoption). */
int session_start_model(Session *s);
/* Reads once: 1 if data was read, 0 on EAGAIN, -EIO when the terminal is gone. */
int session_read_pty(Session *s);
void session_close_pty(Session *s);
void session_log_line(Session *s, const char *fmt, ...) _printf_(2, 3);
/* The terminal model, made on first use; NULL when there is none. */
Terminal *session_term(Session *s);
int session_resize(Session *s, unsigned rows, unsigned cols);
/* Opens a terminal stream; returns the client's end of the socket. from_start: all output from the first
 * byte (also for a session that has already ended) instead of a snapshot of the screen. */
int session_open_terminal(Session *s, bool from_start, int *ret_fd);
/* For readers of output.log: an fd on it, and the resize history (offset, rows, cols triples). */
int session_open_log(Session *s, int *ret_fd, uint64_t **ret_resizes, size_t *ret_n);
bool session_app_cursor(Session *s);
void session_update_pty_events(Session *s);

/* ---- session-input.c ---- */

/* Queues bytes for the PTY. done (may be NULL) runs once they are written (SESSION_WAIT_DONE) or the
 * session ended first (SESSION_WAIT_ENDED). -ENOBUFS when the queue is full, -ESRCH when the session has
 * ended, -EUSERS when too many calls wait already. */
int session_write_input(Session *s, const void *data, size_t n, session_waiter_fn done, void *userdata,
                        SessionWaiter **ret);
/* Writes queued input; completes the waiters whose bytes are all in. */
void session_flush_input(Session *s);
/* The session ended: its queue is dropped and its waiters hear SESSION_WAIT_ENDED. */
void session_input_done(Session *s);

/* ---- session-prompt.c ---- */

/* New output: the session is not waiting (any more); quiet is measured from now. */
void session_prompt_output(Session *s);
/* Input was written: the next prompt is a new waiting episode. */
void session_clear_input_needed(Session *s, bool by_input);
/* done runs with SESSION_WAIT_DONE when the session needs input (at once if it does), ENDED when it
 * ends, TIMEOUT after timeout_usec (0 or USEC_INFINITY: never). -EUSERS when too many wait already. */
int session_wait_input_needed(Session *s, uint64_t timeout_usec, session_waiter_fn done, void *userdata,
                              SessionWaiter **ret);
void session_prompt_done(Session *s);

/* ---- session-attach.c ---- */

int attach_client_new(Session *s, int fd, int log_fd, const Buf *prologue, uint64_t offset);
AttachClient *attach_client_free(AttachClient *c);
void attach_clients_push(Session *s, const uint8_t *data, size_t n, uint64_t offset);
void attach_clients_session_ended(Session *s);
void attach_clients_resume_input(Session *s);
