/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Argon2id PHC strings, as SetPasswordHash receives them: a string is taken only within the bounds, and
 * then what it declares is what it holds. */
#include <stdlib.h>
#include <string.h>

#include "argon2-phc.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Argon2Phc a;

        if (argon2_phc_parse((const char *) data, size, &a) < 0)
                return 0;
        if (a.m_kib > ARGON2_PHC_M_MAX_KIB || a.m_kib < 8 * a.p || a.t < 1 || a.t > ARGON2_PHC_T_MAX ||
            a.p < 1 || a.p > ARGON2_PHC_P_MAX || a.salt_len < ARGON2_PHC_SALT_MIN ||
            a.salt_len > ARGON2_PHC_SALT_MAX || a.hash_len < ARGON2_PHC_HASH_MIN ||
            a.hash_len > ARGON2_PHC_HASH_MAX)
                abort();
        /* The salt's and hash's base64 are all that follows the parameters: their lengths add up. */
        if (size <
            (a.salt_len * 4 + 2) / 3 + (a.hash_len * 4 + 2) / 3 + strlen("$argon2id$v=19$m=8,t=1,p=1$$"))
                abort();
        return 0;
}
