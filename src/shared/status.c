/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "macro.h"
#include <signal.h>

#include "status.h"

static const char *const session_status_table[_SESSION_STATUS_MAX] = {
        [SESSION_CREATED] = "created", [SESSION_RUNNING] = "running", [SESSION_STOPPING] = "stopping",
        [SESSION_STOPPED] = "stopped", [SESSION_KILLED] = "killed",   [SESSION_FAILED] = "failed",
        [SESSION_UNKNOWN] = "unknown",
};

const char *session_status_to_string(SessionStatus s) {
        if (s < 0 || s >= _SESSION_STATUS_MAX)
                return NULL;
        return session_status_table[s];
}

SessionStatus session_status_from_string(const char *s) {
        if (!s)
                return _SESSION_STATUS_INVALID;
        for (size_t i = 0; i < ELEMENTSOF(session_status_table); i++)
                if (streq(session_status_table[i], s))
                        return (SessionStatus) i;
        return _SESSION_STATUS_INVALID;
}

SessionStatus session_status_of_end(int how, int what, bool stop_requested, bool killed,
                                    int *ret_exit_code) {
        int code = -1;

        if (how == CLD_EXITED)
                code = what;
        else if (how == CLD_KILLED || how == CLD_DUMPED)
                code = 128 + what;
        if (ret_exit_code)
                *ret_exit_code = code;
        if (killed)
                return SESSION_KILLED;
        if (stop_requested || code == 0)
                return SESSION_STOPPED;
        return SESSION_FAILED;
}
