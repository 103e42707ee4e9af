/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests the session status names: to/from string round trips, invalid names, and the "active" set. */

#include <signal.h>

#include "status.h"
#include "tests.h"

static void test_end(void) {
        int code = 7;

        CHECK_INT(session_status_of_end(CLD_EXITED, 0, false, false, &code), SESSION_STOPPED);
        CHECK_INT(code, 0);
        CHECK_INT(session_status_of_end(CLD_EXITED, 3, false, false, &code), SESSION_FAILED);
        CHECK_INT(code, 3);
        /* A stop that the program obeyed with a non-zero code or by dying of the signal is a stop. */
        CHECK_INT(session_status_of_end(CLD_EXITED, 143, true, false, &code), SESSION_STOPPED);
        CHECK_INT(session_status_of_end(CLD_KILLED, SIGTERM, true, false, &code), SESSION_STOPPED);
        CHECK_INT(code, 128 + SIGTERM);
        /* Death by a signal nobody asked for is a failure, with the shell's code. */
        CHECK_INT(session_status_of_end(CLD_KILLED, SIGSEGV, false, false, &code), SESSION_FAILED);
        CHECK_INT(code, 128 + SIGSEGV);
        CHECK_INT(session_status_of_end(CLD_DUMPED, SIGABRT, false, false, &code), SESSION_FAILED);
        CHECK_INT(code, 128 + SIGABRT);
        /* Killed wins over everything, even an exit 0 that raced the SIGKILL. */
        CHECK_INT(session_status_of_end(CLD_KILLED, SIGKILL, true, true, &code), SESSION_KILLED);
        CHECK_INT(code, 128 + SIGKILL);
        CHECK_INT(session_status_of_end(CLD_EXITED, 0, false, true, &code), SESSION_KILLED);
        /* Unknown end: no code; a stop asked for still says stopped. */
        CHECK_INT(session_status_of_end(0, 0, false, false, &code), SESSION_FAILED);
        CHECK_INT(code, -1);
        CHECK_INT(session_status_of_end(0, 0, true, false, NULL), SESSION_STOPPED);
}

static void test_names(void) {
        CHECK_STREQ(session_status_to_string(SESSION_CREATED), "created");
        CHECK_STREQ(session_status_to_string(SESSION_RUNNING), "running");
        CHECK_STREQ(session_status_to_string(SESSION_STOPPING), "stopping");
        CHECK_STREQ(session_status_to_string(SESSION_STOPPED), "stopped");
        CHECK_STREQ(session_status_to_string(SESSION_KILLED), "killed");
        CHECK_STREQ(session_status_to_string(SESSION_FAILED), "failed");
        CHECK_STREQ(session_status_to_string(SESSION_UNKNOWN), "unknown");
}

static void test_round_trip(void) {
        for (int s = 0; s < _SESSION_STATUS_MAX; s++) {
                const char *name = session_status_to_string((SessionStatus) s);
                CHECK(name != NULL);
                if (!name)
                        continue;
                CHECK(name[0] != '\0');
                CHECK_INT(session_status_from_string(name), s);

                /* Names are distinct. */
                for (int t = 0; t < s; t++)
                        CHECK(strcmp(name, session_status_to_string((SessionStatus) t)) != 0);
        }
}

static void test_invalid(void) {
        CHECK(session_status_to_string(_SESSION_STATUS_MAX) == NULL);
        CHECK(session_status_to_string(_SESSION_STATUS_INVALID) == NULL);
        CHECK(session_status_to_string((SessionStatus) -1) == NULL);
        CHECK(session_status_to_string((SessionStatus) 1000) == NULL);

        CHECK_INT(session_status_from_string(NULL), _SESSION_STATUS_INVALID);
        CHECK_INT(session_status_from_string(""), _SESSION_STATUS_INVALID);
        CHECK_INT(session_status_from_string("bogus"), _SESSION_STATUS_INVALID);
        CHECK_INT(session_status_from_string("Running"), _SESSION_STATUS_INVALID);
        CHECK_INT(session_status_from_string("RUNNING"), _SESSION_STATUS_INVALID);
        CHECK_INT(session_status_from_string("running "), _SESSION_STATUS_INVALID);
        CHECK_INT(session_status_from_string(" running"), _SESSION_STATUS_INVALID);
        CHECK_INT(session_status_from_string("run"), _SESSION_STATUS_INVALID);
        CHECK_INT(session_status_from_string("runningx"), _SESSION_STATUS_INVALID);
        CHECK_INT(_SESSION_STATUS_INVALID, -EINVAL);
}

static void test_is_active(void) {
        CHECK(session_status_is_active(SESSION_CREATED));
        CHECK(session_status_is_active(SESSION_RUNNING));
        CHECK(session_status_is_active(SESSION_STOPPING));
        CHECK(!session_status_is_active(SESSION_STOPPED));
        CHECK(!session_status_is_active(SESSION_KILLED));
        CHECK(!session_status_is_active(SESSION_FAILED));
        CHECK(!session_status_is_active(SESSION_UNKNOWN));
        CHECK(!session_status_is_active(_SESSION_STATUS_INVALID));
        CHECK(!session_status_is_active(_SESSION_STATUS_MAX));
}

int main(void) {
        test_end();
        test_names();
        test_round_trip();
        test_invalid();
        test_is_active();
        TESTS_END();
}
