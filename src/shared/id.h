/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Session ids: short, random, URL- and D-Bus-object-path-safe; unique prefixes name sessions. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "oly-def.h"

#define OLY_ID_STRLEN (OLY_ID_LEN + 1)

int session_id_new(char ret[static OLY_ID_STRLEN]);
bool session_id_is_valid(const char *id);
/* A prefix: 1..OLY_ID_LEN characters of the id alphabet. Upper case is accepted and folded. */
bool session_id_prefix_is_valid(const char *prefix);

/* Picks the one id among candidates that starts with prefix. Returns its index, -ENXIO if none
 * matches, -ENOTUNIQ if several do (an exact match wins over longer ones). */
int session_id_resolve(const char *prefix, const char *const *candidates, size_t n);
