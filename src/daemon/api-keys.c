/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A key is 256 random bits, so a fast keyed hash is the right storage (no password stretching: there is
 * nothing to guess). The digest is HMAC-SHA256 of the whole key text under the database's pepper: a
 * table copied out of the database without the pepper row checks nothing, and the key id inside the
 * MAC binds each digest to its row. */
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>
#include <sys/random.h>

#include "api-keys.h"
#include "macro.h"

/* The one place GnuTLS's error space becomes -errno here. */
static int key_digest(const uint8_t pepper[static DB_API_KEY_PEPPER_SIZE], const char *key,
                      uint8_t ret[static DB_API_KEY_DIGEST_SIZE]) {
        _Static_assert(DB_API_KEY_DIGEST_SIZE == 32, "HMAC-SHA256 digests are 32 bytes");
        int r = gnutls_hmac_fast(GNUTLS_MAC_SHA256, pepper, DB_API_KEY_PEPPER_SIZE, key, strlen(key), ret);
        if (r == GNUTLS_E_MEMORY_ERROR)
                return -ENOMEM;
        return r < 0 ? -EIO : 0;
}

/* The pepper, made on first use: getrandom, not SQLite's PRNG. */
static int pepper_get(Database *db, uint8_t ret[static DB_API_KEY_PEPPER_SIZE]) {
        uint8_t fresh[DB_API_KEY_PEPPER_SIZE];
        int r;

        r = db_api_key_get_pepper(db, ret);
        if (r != -ENOENT)
                return r;
        if (getrandom(fresh, sizeof fresh, 0) != (ssize_t) sizeof fresh)
                return negative_errno();
        r = db_api_key_init_pepper(db, fresh);
        explicit_bzero(fresh, sizeof fresh);
        if (r < 0)
                return r;
        return db_api_key_get_pepper(db, ret);
}

int api_keys_add(Database *db, const char *name, usec_t now, char ret_key[static OLY_API_KEY_STRLEN]) {
        uint8_t pepper[DB_API_KEY_PEPPER_SIZE], digest[DB_API_KEY_DIGEST_SIZE];
        char key[OLY_API_KEY_STRLEN], id[OLY_API_KEY_ID_STRLEN];
        int r;

        if (!api_key_name_is_valid(name))
                return -EINVAL;
        r = pepper_get(db, pepper);
        if (r >= 0)
                r = api_key_new(key, id);
        if (r >= 0)
                r = key_digest(pepper, key, digest);
        if (r >= 0)
                r = db_api_key_add(db, name, id, digest, now, OLY_API_KEYS_MAX);
        if (r >= 0)
                memcpy(ret_key, key, OLY_API_KEY_STRLEN);
        explicit_bzero(pepper, sizeof pepper);
        explicit_bzero(key, sizeof key);
        return r < 0 ? r : 0;
}

int api_keys_verify(Database *db, const char *key, usec_t now, char **ret_name) {
        uint8_t pepper[DB_API_KEY_PEPPER_SIZE], want[DB_API_KEY_DIGEST_SIZE] = {},
                                                got[DB_API_KEY_DIGEST_SIZE];
        _cleanup_free_ char *name = NULL;
        char id[OLY_API_KEY_ID_STRLEN];
        bool match;
        int r;

        if (api_key_parse(key, id) < 0)
                return -EACCES;
        r = db_api_key_lookup(db, id, &name, want);
        if (r < 0 && r != -ENOENT)
                return r;
        /* An unknown id costs the same MAC and comparison as a wrong secret. */
        r = pepper_get(db, pepper);
        if (r >= 0)
                r = key_digest(pepper, key, got);
        explicit_bzero(pepper, sizeof pepper);
        if (r < 0)
                return r;
        match = gnutls_memcmp(want, got, sizeof got) == 0 && name;
        if (!match)
                return -EACCES;
        r = db_api_key_touch(db, name, now);
        if (r < 0)
                return r;
        *ret_name = TAKE_PTR(name);
        return 0;
}

int api_keys_remove(Database *db, const char *name) {
        if (!api_key_name_is_valid(name))
                return -ENOENT;
        return db_api_key_remove(db, name);
}
