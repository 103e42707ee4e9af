/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Federation API keys on a primary: made, checked and revoked here, stored by db.c as keyed digests.
 * The core knows nothing of D-Bus; federation-dbus.c is its face. */
#pragma once

#include "api-key.h"
#include "db.h"

/* Makes and stores a key named name; ret_key gets the only plaintext copy (the caller wipes it).
 * -EINVAL: bad name; -EEXIST: name in use; -ENOSPC: OLY_API_KEYS_MAX keys exist. */
int api_keys_add(Database *db, const char *name, usec_t now, char ret_key[static OLY_API_KEY_STRLEN]);

/* Checks a key, records its use and returns its name. -EACCES for every key that is not a stored one,
 * whether malformed, of an unknown id or with a wrong secret: the caller cannot tell which. */
int api_keys_verify(Database *db, const char *key, usec_t now, char **ret_name);

/* -ENOENT when there is no key of that name. */
int api_keys_remove(Database *db, const char *name);
