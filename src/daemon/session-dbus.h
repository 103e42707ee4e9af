/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.openrelay.Oly1.Session: one object per session under a fallback vtable with an enumerator, and the
 * session struct every list and lookup replies with. */
#pragma once

#include <systemd/sd-bus.h>

#include "manager.h"

#define SESSION_DBUS_STRUCT "(sssasssuitttbb)"

extern const sd_bus_vtable session_vtable[];
int session_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                        sd_bus_error *error);
int session_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                            sd_bus_error *error);

int session_record_append_struct(sd_bus_message *m, const SessionRecord *r, bool input_needed);
int session_append_struct(sd_bus_message *m, Session *s);

/* PropertiesChanged for the properties in the mask (SessionProperty), on every connection. */
void session_dbus_send_changed(Session *s, BusServer *b, unsigned properties);
