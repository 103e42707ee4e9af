/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The session status machine's names (spec §5). */
#pragma once

#include <errno.h>
#include <stdbool.h>

typedef enum SessionStatus {
        SESSION_CREATED, /* row written, process not yet running */
        SESSION_RUNNING,
        SESSION_STOPPING, /* stop requested, grace period running */
        SESSION_STOPPED, /* exited 0, or ended within the stop grace */
        SESSION_KILLED, /* had to be SIGKILLed (grace ran out, or a kill request) */
        SESSION_FAILED, /* non-zero exit, death by signal, or could not be executed */
        SESSION_UNKNOWN, /* the daemon lost track of it (it was gone when a new daemon started) */
        _SESSION_STATUS_MAX,
        _SESSION_STATUS_INVALID = -EINVAL,
} SessionStatus;

const char *session_status_to_string(SessionStatus s);
SessionStatus session_status_from_string(const char *s);

/* created/running/stopping: the session holds a process (or is about to). */
static inline bool session_status_is_active(SessionStatus s) {
        return s == SESSION_CREATED || s == SESSION_RUNNING || s == SESSION_STOPPING;
}

/* The status a session ends with, from how its leader ended (how, what: waitid's si_code and si_status; how
 * 0 when unknown) and what was asked of it: killed wins, then a requested stop, then the exit code. The exit
 * code follows the shell: the status for an exit, 128 + the signal for a death by signal, -1 unknown. */
SessionStatus session_status_of_end(int how, int what, bool stop_requested, bool killed, int *ret_exit_code);
