/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.openrelay.Oly1.Manager on /org/openrelay/Oly1: the daemon's methods, signals and properties, and
 * the face that turns session events into signals. */
#pragma once

#include <systemd/sd-bus.h>

#include "manager.h"

extern const sd_bus_vtable manager_vtable[];

/* Registers the Manager, Web and Session objects on one connection. */
int manager_dbus_add_objects(Manager *m, sd_bus *bus);
/* Registers the face that emits the signals (on every connection of m->bus_server). */
int manager_dbus_setup(Manager *m);
