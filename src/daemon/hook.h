/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* notification_hook: a program run (no shell) once per waiting episode of a session with notifications
 * on, with placeholders in its argv and OLY_* variables in its environment; killed after its timeout;
 * what it prints and how it ends go to the daemon's log. Never blocks the event loop. */
#pragma once

#include <systemd/sd-event.h>

#include "config.h"
#include "list.h"

#define HOOKS_RUNNING_MAX 32 /* hooks alive at once; beyond this a notification's hook is skipped */
#define HOOK_OUTPUT_MAX 4096 /* bytes of a hook's output that reach the daemon's log */

typedef struct HookEvent {
        const char *id, *title, *command, *cwd, *trigger, *line, *node;
} HookEvent;

/* Substitutes {id} {title} {command} {cwd} {trigger} {line} {node} (and {{ / }} for literal braces) in
 * one argv word. */
char *hook_expand(const char *word, const HookEvent *e);

typedef struct Hook Hook;

/* The running hooks and what they need to run; owned by the Manager. */
typedef struct HookRunner {
        sd_event *event;
        const OlyConfig *config;
        const char *state_dir, *runtime_dir; /* passed on, so an 'oly' run by the hook finds its daemon */
        Hook *hooks;
        unsigned n_hooks;
} HookRunner;

int hook_run(HookRunner *hr, const HookEvent *e);
void hooks_kill_all(HookRunner *hr);
