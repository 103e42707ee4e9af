/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.openrelay.Oly1.Federation on /org/openrelay/Oly1: a primary's API keys for joining nodes. */
#pragma once

#include <systemd/sd-bus.h>

extern const sd_bus_vtable federation_vtable[];
