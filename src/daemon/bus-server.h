/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The private peer-to-peer D-Bus server on <runtime dir>/bus: accept, check the peer, serve. */
#pragma once

#include "manager.h"

struct BusClient {
        Manager *manager;
        sd_bus *bus;
        sd_event_source *opening; /* until the connection is up, see on_client_opening() */
        bool *freed;              /* set while on_client_opening() runs */
        uint64_t serial;
        BusClient *next, *prev;
};

/* Takes the socket systemd passed (LISTEN_FDS) or binds <runtime dir>/bus, and starts accepting. */
int bus_server_listen(Manager *m);
void bus_server_done(Manager *m);

/* The user session bus, when there is one (best effort). */
int bus_user_connect(Manager *m);
