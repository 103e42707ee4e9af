/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.openrelay.Oly1.Web on /org/openrelay/Oly1: what oly-http keeps in the daemon. */
#pragma once

#include <systemd/sd-bus.h>

extern const sd_bus_vtable web_vtable[];
