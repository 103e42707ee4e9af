/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A session's input: one bounded queue for the PTY fed by attached clients and SendInput, written as the
 * program reads, and the calls that wait until their bytes are in. Nothing is dropped: a full queue
 * pauses the attached clients and refuses SendInput with -ENOBUFS. */
#include <errno.h>

#include "log.h"
#include "session.h"

void session_flush_input(Session *s) {
        while (s->input.len > 0 && s->master_fd >= 0) {
                ssize_t n = write(s->master_fd, s->input.data, s->input.len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        break; /* EAGAIN: the program is not reading; EIO: it is gone */
                }
                buf_consume(&s->input, (size_t) n);
                s->input_written += (uint64_t) n;
        }
        LIST_FOREACH_SAFE (waiters, w, next, s->input_waiters)
                if (s->input_written >= w->until)
                        session_waiter_complete(w, SESSION_WAIT_DONE);
        if (s->input_paused && s->input.len < SESSION_INPUT_MAX / 2) {
                s->input_paused = false;
                attach_clients_resume_input(s);
        }
        session_update_pty_events(s);
}

int session_write_input(Session *s, const void *data, size_t n, session_waiter_fn done, void *userdata,
                        SessionWaiter **ret) {
        SessionWaiter *w = NULL;
        int r;

        if (!s->active || s->master_fd < 0)
                return -ESRCH;
        if (done) {
                r = session_waiter_new(s, &s->input_waiters, &s->n_input_waiters, done, userdata, &w);
                if (r < 0)
                        return r;
        }
        r = buf_put(&s->input, data, n);
        if (r < 0) {
                session_waiter_cancel(w);
                /* Full: stop reading attached clients until the program catches up. */
                s->input_paused = true;
                attach_clients_resume_input(s);
                return -ENOBUFS;
        }
        uint64_t until = s->input_written + s->input.len;
        if (w)
                w->until = until;
        session_flush_input(s); /* may complete (and free) w at once */
        if (ret)
                *ret = w && s->input_written < until ? w : NULL;
        session_clear_input_needed(s, true);
        return 0;
}

void session_input_done(Session *s) {
        session_waiters_complete(&s->input_waiters, SESSION_WAIT_ENDED);
        buf_free(&s->input);
}
