/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's D-Bus connections: the private peer-to-peer server on <runtime dir>/bus (accept, check the
 * peer, serve) and the user session bus when there is one. What is served on them is registered by
 * whoever sets the server up (add_objects); emission goes to every connection. */
#pragma once

#include <systemd/sd-bus.h>

#include "list.h"
#include "manager.h"

typedef struct BusClient BusClient;

struct BusClient {
        BusServer *server;
        sd_bus *bus;
        sd_event_source *opening; /* until the connection is up, see on_client_opening() */
        bool *freed; /* set while on_client_opening() runs */
        uint64_t serial;
        LIST_FIELDS(BusClient, clients);
};

typedef int (*bus_add_objects_fn)(Manager *m, sd_bus *bus);

struct BusServer {
        Manager *manager;
        ManagerFace face;
        bus_add_objects_fn add_objects;

        int listen_fd;
        bool bound_socket; /* we created the socket file (and remove it at exit) */
        sd_event_source *listen_source;
        BusClient *clients;
        unsigned n_clients;
        uint64_t next_client_serial;
        sd_id128_t server_id;

        sd_bus *user_bus; /* best effort: NULL when there is no session bus */
};

/* Takes what 'oly daemon start' or systemd passed in (the bus socket, oly-http's socket, a new web
 * password) or binds <runtime dir>/bus, starts accepting, and connects to the user bus when there is
 * one. The server is the manager's: it goes with it (m->bus_server). */
int bus_server_new(Manager *m, bus_add_objects_fn add_objects, BusServer **ret);

/* Calls fn on every connection (private clients and the user bus). */
typedef int (*bus_emit_fn)(sd_bus *bus, void *userdata);
void bus_server_emit(BusServer *b, bus_emit_fn fn, void *userdata);
