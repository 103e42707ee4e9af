/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Web push: for each notification, the daemon hands the stored browser subscriptions and the VAPID key to
 * a short-lived oly-push child (the daemon itself opens no network sockets) and forgets subscriptions the
 * push service says are gone. Never blocks the event loop. */
#pragma once

#include "db.h"
#include "hook.h"

#define PUSH_RUNNING_MAX 4 /* oly-push children alive at once; beyond, a push is skipped */
/* An oly-push child is killed after PUSH_TIMEOUT_BASE_USEC plus one request deadline per subscription
 * (they are sent one after another, so unreachable endpoints must not starve the later ones), at most
 * PUSH_TIMEOUT_MAX_USEC. */
#define PUSH_TIMEOUT_BASE_USEC (20 * USEC_PER_SEC)
#define PUSH_TIMEOUT_MAX_USEC (600 * USEC_PER_SEC)
#define PUSH_TTL_SEC 86400 /* how long a push service keeps an undelivered message */
#define PUSH_RESULTS_MAX (4u * 1024 * 1024) /* bytes of oly-push's results read back */
#define PUSH_FAILURES_LOGGED_MAX 8 /* failed subscriptions logged one per line per push */
#define PUSH_TEXT_MAX 512 /* bytes of the title, body and node in a push message */

typedef struct Push Push;

/* The oly-push children running and what a push needs; owned by the Manager. */
typedef struct PushSender {
        sd_event *event;
        const OlyConfig *config;
        Database *db;
        Push *pushes;
        unsigned n_pushes;
} PushSender;

int push_notify(PushSender *m, const HookEvent *e);
void push_kill_all(PushSender *m);
