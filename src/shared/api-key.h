/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Federation API keys as text: their names, and the key format "oly_<key id>_<secret>". The key id
 * (OLY_API_KEY_ID_LEN characters of the session id alphabet, 60 random bits) finds the stored digest in
 * one lookup; the secret is OLY_API_KEY_SECRET_SIZE random bytes (256 bits) in base64url without
 * padding. Only the daemon's keyed digest of the whole key is ever stored (src/daemon/api-keys.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oly-def.h"

#define OLY_API_KEY_PREFIX "oly_"
#define OLY_API_KEY_ID_LEN 12
#define OLY_API_KEY_SECRET_SIZE 32
#define OLY_API_KEY_SECRET_B64_LEN 43 /* ceil(32 * 8 / 6) */
#define OLY_API_KEY_LEN \
        (sizeof(OLY_API_KEY_PREFIX) - 1 + OLY_API_KEY_ID_LEN + 1 + OLY_API_KEY_SECRET_B64_LEN)
#define OLY_API_KEY_STRLEN (OLY_API_KEY_LEN + 1)
#define OLY_API_KEY_ID_STRLEN (OLY_API_KEY_ID_LEN + 1)

/* A key's (and so a node's) name: 1 to OLY_NODE_NAME_MAX characters of [A-Za-z0-9._-]. */
bool api_key_name_is_valid(const char *name);

/* A new random key (getrandom). The caller wipes ret_key when done with it. */
int api_key_new(char ret_key[static OLY_API_KEY_STRLEN], char ret_id[static OLY_API_KEY_ID_STRLEN]);

/* Checks the shape of a key (prefix, id alphabet, separator, secret length and alphabet, the canonical
 * last character) and extracts its id. -EINVAL on anything else; says nothing about which part. */
int api_key_parse(const char *key, char ret_id[static OLY_API_KEY_ID_STRLEN]);
