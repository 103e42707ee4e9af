/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly-http as a child of the daemon, when no service manager runs it: 'oly daemon start' binds the TCP
 * socket and passes it in (LISTEN_FDNAMES "oly-http"); the daemon hands it on to oly-http the way systemd's
 * oly-http.socket would, restarts it if it dies, and stops it at exit. */
#pragma once

#include "manager.h"

/* Starts oly-http when a web socket was passed in (else does nothing). It is stopped when the manager
 * is freed. */
int http_child_start(Manager *m);
