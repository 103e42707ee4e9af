/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "api-key.h"
#include "base64url.h"
#include "macro.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool api_key_name_is_valid(const char *name) {
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n > OLY_NODE_NAME_MAX)
                return false;
        return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int api_key_new(char ret_key[static OLY_API_KEY_STRLEN], char ret_id[static OLY_API_KEY_ID_STRLEN]) {
        uint8_t rnd[OLY_API_KEY_ID_LEN + OLY_API_KEY_SECRET_SIZE];
        _cleanup_erase_free_ char *secret = NULL;
        int r;

        _Static_assert(sizeof(OLY_ID_ALPHABET) - 1 == 32, "id alphabet must have 32 characters");
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd) {
                r = negative_errno();
                explicit_bzero(rnd, sizeof rnd);
                return r;
        }
        for (size_t i = 0; i < OLY_API_KEY_ID_LEN; i++)
                ret_id[i] = OLY_ID_ALPHABET[rnd[i] % 32]; /* 256 % 32 == 0: unbiased */
        ret_id[OLY_API_KEY_ID_LEN] = 0;
        r = base64url_encode(rnd + OLY_API_KEY_ID_LEN, OLY_API_KEY_SECRET_SIZE, &secret);
        explicit_bzero(rnd, sizeof rnd);
        if (r < 0)
                return r;
        if (strlen(secret) != OLY_API_KEY_SECRET_B64_LEN)
                return -EIO;
        snprintf(ret_key, OLY_API_KEY_STRLEN, OLY_API_KEY_PREFIX "%s_%s", ret_id, secret);
        return 0;
}

int api_key_parse(const char *key, char ret_id[static OLY_API_KEY_ID_STRLEN]) {
        const size_t pl = strlen(OLY_API_KEY_PREFIX);
        const char *id, *secret, *last;

        if (!key || strnlen(key, OLY_API_KEY_LEN + 1) != OLY_API_KEY_LEN ||
            strncmp(key, OLY_API_KEY_PREFIX, pl) != 0)
                return -EINVAL;
        id = key + pl;
        for (size_t i = 0; i < OLY_API_KEY_ID_LEN; i++)
                if (id[i] == 0 || !strchr(OLY_ID_ALPHABET, id[i]))
                        return -EINVAL;
        if (id[OLY_API_KEY_ID_LEN] != '_')
                return -EINVAL;
        secret = id + OLY_API_KEY_ID_LEN + 1;
        if (strspn(secret, b64url) != OLY_API_KEY_SECRET_B64_LEN)
                return -EINVAL;
        /* 43 characters carry 258 bits: the last one's low two bits are not part of the secret and a
         * canonical encoder leaves them 0. */
        last = strchr(b64url, secret[OLY_API_KEY_SECRET_B64_LEN - 1]);
        if ((last - b64url) & 3)
                return -EINVAL;
        memcpy(ret_id, id, OLY_API_KEY_ID_LEN);
        ret_id[OLY_API_KEY_ID_LEN] = 0;
        return 0;
}
