/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "id.h"
#include "macro.h"

int session_id_new(char ret[static OLY_ID_STRLEN]) {
        unsigned char r[OLY_ID_LEN];
        size_t k = strlen(OLY_ID_ALPHABET);

        /* The alphabet has 32 characters, so 'r % 32' is unbiased. */
        _Static_assert(sizeof(OLY_ID_ALPHABET) - 1 == 32, "id alphabet must have 32 characters");
        if (getrandom(r, sizeof r, 0) != (ssize_t) sizeof r)
                return negative_errno();
        for (size_t i = 0; i < OLY_ID_LEN; i++)
                ret[i] = OLY_ID_ALPHABET[r[i] % k];
        ret[OLY_ID_LEN] = 0;
        /* Never start with a digit, so an id cannot be mistaken for a number or a pid. */
        if (isdigit((unsigned char) ret[0]))
                ret[0] = OLY_ID_ALPHABET[10 + r[0] % (k - 10)];
        return 0;
}

static bool id_chars_valid(const char *s, bool fold) {
        for (; *s; s++) {
                char c = fold ? (char) tolower((unsigned char) *s) : *s;
                if (!strchr(OLY_ID_ALPHABET, c))
                        return false;
        }
        return true;
}

bool session_id_is_valid(const char *id) {
        return id && strlen(id) == OLY_ID_LEN && id_chars_valid(id, false);
}

bool session_id_prefix_is_valid(const char *prefix) {
        size_t l = prefix ? strlen(prefix) : 0;
        return l >= 1 && l <= OLY_ID_LEN && id_chars_valid(prefix, true);
}

int session_id_resolve(const char *prefix, const char *const *candidates, size_t n) {
        size_t l = strlen(prefix);
        int found = -ENXIO;

        for (size_t i = 0; i < n; i++) {
                if (strncasecmp(candidates[i], prefix, l) != 0)
                        continue;
                if (candidates[i][l] == 0)
                        return (int) i; /* exact */
                if (found >= 0)
                        found = -ENOTUNIQ;
                else if (found == -ENXIO)
                        found = (int) i;
        }
        return found;
}
