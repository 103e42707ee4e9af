/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "macro.h"
#include "status.h"

static const char *const session_status_table[_SESSION_STATUS_MAX] = {
        [SESSION_CREATED] = "created",
        [SESSION_RUNNING] = "running",
        [SESSION_STOPPING] = "stopping",
        [SESSION_STOPPED] = "stopped",
        [SESSION_KILLED] = "killed",
        [SESSION_FAILED] = "failed",
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
