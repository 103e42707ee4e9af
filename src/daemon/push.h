/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Web push: for each notification, the daemon hands the stored browser subscriptions and the VAPID key to
 * a short-lived oly-push child (the daemon itself opens no network sockets) and forgets subscriptions the
 * push service says are gone. */
#pragma once

#include "hook.h"
#include "manager.h"

int push_notify(Manager *m, const HookEvent *e);
void push_kill_all(Manager *m);
