/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Knowing when a session waits for a person: once output goes quiet the prompt rules look at the rendered
 * lines around the cursor; after a longer silence, a cursor right after text on its line counts too. One
 * notification per waiting episode; calls waiting for the state are answered when it changes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "oly-def.h"
#include "session.h"

static void session_set_input_needed(Session *s, const char *trigger, const char *line) {
        _cleanup_free_ char *key = NULL;

        if (s->input_needed)
                return;
        free(s->input_trigger);
        free(s->input_line);
        s->input_trigger = strdup(trigger);
        s->input_line = strdup(line);
        /* Reported without the blanks a prompt leaves before the cursor ("Name? " → "Name?"). */
        for (size_t k = s->input_line ? strlen(s->input_line) : 0; k > 0 && s->input_line[k - 1] == ' '; k--)
                s->input_line[k - 1] = 0;
        if (!s->input_trigger || !s->input_line) {
                log_oom();
                return;
        }
        s->input_needed = true;
        log_info("Session %s needs input (%s): %s", s->rec.id, trigger, s->input_line);
        session_changed(s, SESSION_PROP_INPUT_NEEDED);
        session_emit(s, SESSION_EVENT_INPUT_NEEDED);
        session_waiters_complete(&s->prompt_waiters, SESSION_WAIT_DONE);

        /* One notification per waiting episode: a prompt that redraws itself (new output, the same line)
         * is the same episode until somebody types. */
        if (!s->notifications_enabled)
                return;
        if (asprintf(&key, "%s\n%s", trigger, line) < 0)
                return;
        if (streq_ptr(s->notified, key))
                return;
        free(s->notified);
        s->notified = TAKE_PTR(key);
        session_emit(s, SESSION_EVENT_NOTIFY);
}

void session_clear_input_needed(Session *s, bool by_input) {
        if (by_input)
                s->notified = mfree(s->notified); /* somebody answered: the next prompt is a new episode */
        if (!s->input_needed)
                return;
        s->input_needed = false;
        s->input_trigger = mfree(s->input_trigger);
        s->input_line = mfree(s->input_line);
        session_changed(s, SESSION_PROP_INPUT_NEEDED);
}

static void session_prompt_check(Session *s) {
        _cleanup_free_ TerminalLines *l = NULL;
        const char *line = NULL, *rule;
        PromptView v;

        if (!s->term || !s->host->prompt)
                return;
        l = malloc(sizeof *l);
        if (!l)
                return;
        int col = terminal_prompt_view(s->term, l, &v);
        if (col < 0)
                return;
        if (!s->prompt_silence_phase) {
                rule = prompt_matcher_match(s->host->prompt, &v, &line);
                if (rule)
                        session_set_input_needed(s, rule, line);
                return;
        }
        /* Silence alone counts only with the cursor right after text on its line: what a program waiting at
         * a prompt of its own looks like, and what a quiet build or tail -f does not. */
        bool text = false;
        for (const char *p = v.before_cursor; *p && !text; p++)
                text = *p != ' ';
        if (col > 0 && text && isempty(v.after_cursor))
                session_set_input_needed(s, "silence", v.before_cursor); /* it trims the blanks */
}

static uint64_t prompt_idle_usec(Session *s) {
        return (uint64_t) s->host->config->prompt_idle_ms * USEC_PER_MSEC;
}

static uint64_t prompt_silence_usec(Session *s) {
        return (uint64_t) s->host->config->prompt_silence_sec * USEC_PER_SEC;
}

static int on_prompt_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        Session *s = userdata;
        uint64_t now, due;

        (void) sd_event_now(s->host->event, CLOCK_MONOTONIC, &now);
        due = s->last_output_usec + (s->prompt_silence_phase ? prompt_silence_usec(s) : prompt_idle_usec(s));
        if (due > now) {
                /* Output came since: wait for quiet from there (the timer is only pushed back here). */
                (void) sd_event_source_set_time(src, due);
                (void) sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
                return 0;
        }
        session_prompt_check(s);
        if (!s->input_needed && !s->prompt_silence_phase && prompt_silence_usec(s) > 0) {
                s->prompt_silence_phase = true;
                (void) sd_event_source_set_time(src, s->last_output_usec + prompt_silence_usec(s));
                (void) sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
        }
        return 0;
}

void session_prompt_output(Session *s) {
        uint64_t due = s->last_output_usec + prompt_idle_usec(s);
        int enabled = SD_EVENT_OFF;
        int r;

        session_clear_input_needed(s, false);
        s->prompt_silence_phase = false;
        if (!s->prompt_timer) {
                r = sd_event_add_time(s->host->event, &s->prompt_timer, CLOCK_MONOTONIC, due, USEC_PER_MSEC,
                                      on_prompt_timer, s);
                if (r < 0)
                        log_warning_errno(r, "No prompt detection for session %s: %m", s->rec.id);
                return;
        }
        if (sd_event_source_get_enabled(s->prompt_timer, &enabled) >= 0 && enabled != SD_EVENT_OFF) {
                uint64_t t;
                /* Already armed for the idle check: on_prompt_timer() pushes it back. A silence-phase
                 * timer far in the future is brought forward. */
                if (sd_event_source_get_time(s->prompt_timer, &t) >= 0 && t <= due)
                        return;
        }
        (void) sd_event_source_set_time(s->prompt_timer, due);
        (void) sd_event_source_set_enabled(s->prompt_timer, SD_EVENT_ONESHOT);
}

static int on_prompt_waiter_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        session_waiter_complete(userdata, SESSION_WAIT_TIMEOUT);
        return 0;
}

int session_wait_input_needed(Session *s, uint64_t timeout_usec, session_waiter_fn done, void *userdata,
                              SessionWaiter **ret) {
        SessionWaiter *w;
        int r;

        if (!s->active || s->input_needed) {
                done(s, s->active ? SESSION_WAIT_DONE : SESSION_WAIT_ENDED, userdata);
                if (ret)
                        *ret = NULL;
                return 0;
        }
        r = session_waiter_new(s, &s->prompt_waiters, &s->n_prompt_waiters, done, userdata, &w);
        if (r < 0)
                return r;
        if (timeout_usec > 0 && timeout_usec != USEC_INFINITY) {
                r = sd_event_add_time_relative(s->host->event, &w->timer, CLOCK_MONOTONIC, timeout_usec,
                                               USEC_PER_MSEC, on_prompt_waiter_timeout, w);
                if (r < 0) {
                        session_waiter_cancel(w);
                        return r;
                }
        }
        if (ret)
                *ret = w;
        return 1;
}

void session_prompt_done(Session *s) {
        session_waiters_complete(&s->prompt_waiters, SESSION_WAIT_ENDED);
}
