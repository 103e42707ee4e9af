/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Session lifecycle: allocation, the status machine, stop and kill, jobs that outlive their session,
 * eviction from memory, and the waiters every kind of waiting call shares. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "oly-def.h"
#include "session.h"
#include "strv.h"

static void session_linger_done(Session *s);
static int on_linger_poll(sd_event_source *src, uint64_t usec, void *userdata);
static bool session_groups_alive(Session *s);

Session *session_alloc(SessionHost *h, const char *id) {
        Session *s = calloc(1, sizeof *s);
        if (!s)
                return NULL;
        s->host = h;
        s->master_fd = -EBADF;
        s->log_fd = -EBADF;
        s->resize_fd = -EBADF;
        s->input.max = SESSION_INPUT_MAX;
        s->rec.exit_code = -1;
        snprintf(s->rec.id, sizeof s->rec.id, "%s", id);
        if (asprintf(&s->object_path, OLY_SESSION_PATH_PREFIX "/%s", id) < 0)
                return mfree(s);
        return s;
}

Session *session_free(Session *s) {
        if (!s)
                return NULL;
        session_linger_done(s);
        while (s->clients)
                attach_client_free(s->clients);
        /* Anyone still waiting learns the state we have rather than hanging. */
        session_waiters_complete(&s->stop_waiters, SESSION_WAIT_DONE);
        session_input_done(s);
        session_prompt_done(s);
        sd_event_source_disable_unref(s->term_source);
        terminal_free(s->term);
        free(s->input_trigger);
        free(s->input_line);
        free(s->notified);
        safe_close(s->resize_fd);
        sd_event_source_disable_unref(s->pty_source);
        sd_event_source_disable_unref(s->child_source);
        sd_event_source_disable_unref(s->stop_timer);
        sd_event_source_disable_unref(s->drain_timer);
        sd_event_source_disable_unref(s->evict_timer);
        safe_close(s->master_fd);
        safe_close(s->log_fd);
        session_record_done(&s->rec);
        free(s->object_path);
        free(s);
        return NULL;
}

void session_emit(Session *s, SessionEvent e) {
        s->host->event_cb(s->host, s, e, 0);
}

void session_changed(Session *s, unsigned properties) {
        s->host->event_cb(s->host, s, SESSION_EVENT_CHANGED, properties);
}

int session_save(Session *s) {
        int r = db_session_update(s->host->db, &s->rec);
        if (r < 0)
                log_error_errno(r, "Failed to record session %s in the database: %m", s->rec.id);
        return r;
}

int session_load(SessionHost *h, const SessionRecord *rec, Session **ret) {
        Session *s = session_alloc(h, rec->id);

        if (!s)
                return -ENOMEM;
        s->rec = *rec;
        s->rec.title = rec->title ? strdup(rec->title) : NULL;
        s->rec.cwd = strdup(rec->cwd);
        s->rec.argv = strv_copy(rec->argv);
        s->notifications_enabled = rec->notifications_enabled;
        if ((rec->title && !s->rec.title) || !s->rec.cwd || !s->rec.argv) {
                session_free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

/* ---- Waiters ---- */

int session_waiter_new(Session *s, SessionWaiter **head, unsigned *count, session_waiter_fn done,
                       void *userdata, SessionWaiter **ret) {
        SessionWaiter *w;

        if (*count >= OLY_WAITERS_MAX)
                return -EUSERS;
        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->session = s;
        w->head = head;
        w->count = count;
        w->done = done;
        w->userdata = userdata;
        LIST_PREPEND(waiters, *head, w);
        (*count)++;
        if (ret)
                *ret = w;
        return 0;
}

static void session_waiter_unlink(SessionWaiter *w) {
        LIST_REMOVE(waiters, *w->head, w);
        (*w->count)--;
        sd_event_source_disable_unref(w->timer);
}

void session_waiter_cancel(SessionWaiter *w) {
        if (!w)
                return;
        session_waiter_unlink(w);
        free(w);
}

void session_waiter_complete(SessionWaiter *w, SessionWaitResult result) {
        session_waiter_unlink(w);
        if (w->done)
                w->done(w->session, result, w->userdata);
        free(w);
}

void session_waiters_complete(SessionWaiter **head, SessionWaitResult result) {
        while (*head)
                session_waiter_complete(*head, result);
}

/* ---- The end of a session ---- */

void session_end(Session *s) {
        int sig = 0, code = -1;

        if (!s->active)
                return;

        /* Whatever is still buffered in the terminal belongs to the log. */
        while (session_read_pty(s) > 0)
                ;
        session_close_pty(s);
        s->drain_timer = sd_event_source_disable_unref(s->drain_timer);
        s->child_source = sd_event_source_disable_unref(s->child_source);
        /* A stop in progress whose job outlived the leader (it ignores SIGHUP and SIGTERM) still gets
         * its SIGKILL when the grace runs out. */
        if (s->stop_timer && !s->sigkill_sent && session_groups_alive(s)) {
                s->lingering = true;
                session_emit(s, SESSION_EVENT_LINGER_BEGIN);
                /* The leader itself is still an unreaped zombie of its group here (sd-event reaps after
                 * this callback), so the check above cannot tell a job that outlived it from one that
                 * did not: look again shortly, instead of waiting out the whole grace. */
                if (sd_event_add_time_relative(s->host->event, &s->linger_poll, CLOCK_MONOTONIC,
                                               SESSION_LINGER_POLL_USEC, 0, on_linger_poll, s) < 0)
                        log_debug("Cannot watch the lingering processes of %s; the grace period decides.",
                                  s->rec.id);
        } else
                s->stop_timer = sd_event_source_disable_unref(s->stop_timer);

        s->rec.status =
                session_status_of_end(s->exit_info.si_code, s->exit_info.si_status, s->stop_requested,
                                      s->sigkill_sent || s->kill_requested, &code);
        s->rec.exit_code = code;
        s->rec.ended_at = s->exit_time ?: now_usec(CLOCK_REALTIME);
        if (s->exit_info.si_code == CLD_KILLED || s->exit_info.si_code == CLD_DUMPED)
                sig = s->exit_info.si_status;

        if (sig > 0)
                log_info("Session %s ended by signal %s: %s", s->rec.id, strsignal(sig),
                         session_status_to_string(s->rec.status));
        else
                log_info("Session %s exited with code %d: %s", s->rec.id, code,
                         session_status_to_string(s->rec.status));

        s->log_fd = safe_close(s->log_fd); /* clients behind have their own fd on it */
        (void) session_save(s);
        s->active = false;
        session_changed(s, SESSION_PROP_STATUS | SESSION_PROP_EXIT_CODE | SESSION_PROP_ENDED_AT);
        session_waiters_complete(&s->stop_waiters, SESSION_WAIT_DONE);
        session_clear_input_needed(s, false);
        session_prompt_done(s);
        session_emit(s, SESSION_EVENT_ENDED);
        attach_clients_session_ended(s);
        session_schedule_eviction(s);
}

static int on_drain_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        Session *s = userdata;
        /* The leader is gone but something else keeps the terminal open; do not wait for it. */
        log_debug("Session %s: terminal still held open after the leader exited; closing it.", s->rec.id);
        session_end(s);
        return 0;
}

void session_on_child_exit(Session *s, const siginfo_t *si) {
        int r;

        s->exit_info = *si;
        s->child_exited = true;
        s->child_source = sd_event_source_disable_unref(s->child_source);

        /* Output the leader wrote just before exiting may still be on its way through the line
         * discipline: read until the terminal reports hang-up (EIO), for at most SESSION_DRAIN_USEC. */
        while ((r = session_read_pty(s)) > 0)
                ;
        if (r < 0 || !s->pty_source) {
                session_end(s);
                return;
        }
        r = sd_event_add_time_relative(s->host->event, &s->drain_timer, CLOCK_MONOTONIC, SESSION_DRAIN_USEC,
                                       10 * USEC_PER_MSEC, on_drain_timeout, s);
        if (r < 0) {
                log_warning_errno(r, "Failed to arm the drain timer of session %s: %m", s->rec.id);
                session_end(s);
        }
}

/* ---- Stop and kill ---- */

/* The session's process groups: the leader's (its pid: it called setsid) and the terminal's foreground
 * group, which differs when a shell in the session runs a job. Learnt while the terminal is open (the
 * kernel forgets the foreground group when the leader dies) and remembered for the final SIGKILL. */
static void session_learn_groups(Session *s) {
        pid_t g[2] = { (pid_t) s->rec.pid, s->master_fd >= 0 ? tcgetpgrp(s->master_fd) : -1 };

        for (size_t i = 0; i < ELEMENTSOF(g); i++) {
                bool known = g[i] <= 0;
                for (unsigned k = 0; k < s->n_groups && !known; k++)
                        known = s->groups[k] == g[i];
                if (!known && s->n_groups < ELEMENTSOF(s->groups))
                        s->groups[s->n_groups++] = g[i];
        }
}

static bool session_groups_alive(Session *s) {
        for (unsigned k = 0; k < s->n_groups; k++)
                if (kill(-s->groups[k], 0) == 0)
                        return true;
        return false;
}

static void session_signal(Session *s, int sig) {
        if (s->rec.pid == 0)
                return;
        if (s->active)
                session_learn_groups(s);
        for (unsigned k = 0; k < s->n_groups; k++)
                if (kill(-s->groups[k], sig) < 0 && errno != ESRCH)
                        log_warning_errno(errno, "Failed to send %s to process group %d of session %s: %m",
                                          strsignal(sig), (int) s->groups[k], s->rec.id);
}

static void session_linger_done(Session *s) {
        s->linger_poll = sd_event_source_disable_unref(s->linger_poll);
        if (!s->lingering)
                return;
        s->lingering = false;
        session_emit(s, SESSION_EVENT_LINGER_END);
}

static int on_linger_poll(sd_event_source *src, uint64_t usec, void *userdata) {
        Session *s = userdata;

        if (s->lingering && session_groups_alive(s)) {
                (void) sd_event_source_set_time_relative(src, SESSION_LINGER_POLL_USEC);
                (void) sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
                return 0;
        }
        /* Every process of the stopped job is gone: nothing is left to SIGKILL. */
        s->stop_timer = sd_event_source_disable_unref(s->stop_timer);
        session_linger_done(s);
        return 0;
}

static int on_stop_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        Session *s = userdata;

        if (s->active)
                log_info("Session %s did not stop within its grace period; sending SIGKILL.", s->rec.id);
        else
                log_info("Processes of session %s outlived it and their grace period; sending SIGKILL.",
                         s->rec.id);
        /* After the session has ended its status stays what it was: the leader ended within the grace. */
        if (s->active)
                s->sigkill_sent = true;
        session_signal(s, SIGKILL);
        session_linger_done(s);
        return 0;
}

void session_hurry_lingering(Session *s, uint64_t grace_usec) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + grace_usec, old;

        if (!s->lingering || !s->stop_timer)
                return;
        if (grace_usec == 0) {
                (void) on_stop_timeout(s->stop_timer, 0, s);
                return;
        }
        if (sd_event_source_get_time(s->stop_timer, &old) >= 0 && old <= deadline)
                return;
        (void) sd_event_source_set_time(s->stop_timer, deadline);
        (void) sd_event_source_set_enabled(s->stop_timer, SD_EVENT_ONESHOT);
}

int session_stop(Session *s, uint64_t grace_usec, session_waiter_fn done, void *userdata,
                 SessionWaiter **ret) {
        usec_t now = now_usec(CLOCK_MONOTONIC), deadline = now + grace_usec;
        int r;

        if (!s->active) {
                if (done)
                        done(s, SESSION_WAIT_DONE, userdata);
                if (ret)
                        *ret = NULL;
                return 0;
        }

        if (done) {
                r = session_waiter_new(s, &s->stop_waiters, &s->n_stop_waiters, done, userdata, ret);
                if (r < 0)
                        return r;
        }

        if (s->sigkill_sent)
                return 1;

        if (!s->stop_requested) {
                s->stop_requested = true;
                session_learn_groups(s); /* before any signal: the leader's death hides the job's group */
                s->rec.status = SESSION_STOPPING;
                (void) session_save(s);
                session_changed(s, SESSION_PROP_STATUS);
                log_info("Stopping session %s (grace %.3fs).", s->rec.id,
                         (double) grace_usec / USEC_PER_SEC);
                /* SIGHUP as if its terminal had been closed, SIGTERM as systemd would, SIGCONT so a
                 * stopped job can act on them. */
                session_signal(s, SIGHUP);
                session_signal(s, SIGTERM);
                session_signal(s, SIGCONT);
        } else if (s->stop_timer) {
                /* A second stop can shorten the grace, never lengthen it. */
                uint64_t old;
                if (sd_event_source_get_time(s->stop_timer, &old) >= 0 && old <= deadline)
                        return 1;
        }

        if (grace_usec == 0) {
                s->stop_timer = sd_event_source_disable_unref(s->stop_timer);
                (void) on_stop_timeout(NULL, 0, s);
                return 1;
        }
        if (s->stop_timer) {
                r = sd_event_source_set_time(s->stop_timer, deadline);
                if (r >= 0)
                        r = sd_event_source_set_enabled(s->stop_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(s->host->event, &s->stop_timer, CLOCK_MONOTONIC, deadline,
                                      10 * USEC_PER_MSEC, on_stop_timeout, s);
        if (r < 0) {
                log_warning_errno(r, "Failed to arm the stop timer of %s, killing it now: %m", s->rec.id);
                (void) on_stop_timeout(NULL, 0, s);
        }
        return 1;
}

int session_kill(Session *s, int sig) {
        if (!s->active)
                return -ESRCH;
        if (sig == SIGKILL)
                s->kill_requested = true;
        session_signal(s, sig);
        return 0;
}

int session_set_notifications(Session *s, bool enabled) {
        if (s->notifications_enabled == (int) enabled)
                return 0;
        s->notifications_enabled = enabled;
        s->rec.notifications_enabled = enabled;
        int r = session_save(s);
        if (r < 0)
                return r;
        session_changed(s, SESSION_PROP_NOTIFICATIONS);
        return 0;
}

/* ---- Eviction ---- */

static int on_evict(sd_event_source *src, uint64_t usec, void *userdata) {
        Session *s = userdata;

        if (s->active || s->n_stop_waiters > 0)
                return 0;
        if (s->n_clients > 0 || s->lingering) {
                session_schedule_eviction(s); /* still draining to an attached client */
                return 0;
        }
        log_debug("Evicting finished session %s from memory.", s->rec.id);
        session_emit(s, SESSION_EVENT_EVICT); /* the host frees it */
        return 0;
}

void session_schedule_eviction(Session *s) {
        uint64_t delay = s->host->config->session_eviction_sec * USEC_PER_SEC;
        int r;

        if (s->active)
                return;
        if (s->evict_timer) {
                r = sd_event_source_set_time_relative(s->evict_timer, delay);
                if (r >= 0)
                        r = sd_event_source_set_enabled(s->evict_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time_relative(s->host->event, &s->evict_timer, CLOCK_MONOTONIC, delay,
                                               USEC_PER_SEC, on_evict, s);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the eviction timer of %s: %m", s->rec.id);
}
