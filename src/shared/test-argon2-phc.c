/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests the strict Argon2id PHC parser: what the CLI writes passes, anything else is refused. */
#include <errno.h>

#include "argon2-phc.h"
#include "tests.h"

#define SALT "c2FsdHNhbHRzYWx0c2FsdA" /* 16 bytes */
#define HASH "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" /* 32 bytes */

static int parse(const char *s) {
        return argon2_phc_parse(s, strlen(s), NULL);
}

int main(void) {
        Argon2Phc a;

        CHECK_INT(argon2_phc_parse("$argon2id$v=19$m=19456,t=2,p=1$" SALT "$" HASH,
                                   strlen("$argon2id$v=19$m=19456,t=2,p=1$" SALT "$" HASH), &a),
                  0);
        CHECK_INT(a.m_kib, 19456);
        CHECK_INT(a.t, 2);
        CHECK_INT(a.p, 1);
        CHECK_INT(a.salt_len, 16);
        CHECK_INT(a.hash_len, 32);
        CHECK_INT(parse("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$dGVzdHRlc3R0ZXN0dGVzdA"), 0);
        CHECK_INT(parse("$argon2id$v=19$m=65536,t=10,p=8$" SALT "$" HASH), 0);
        CHECK_INT(parse("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbA+/$" HASH), 0); /* 9 bytes, + and / */

        /* Not the format. */
        CHECK_INT(parse(""), -EINVAL);
        CHECK_INT(parse("$argon2i$v=19$m=19456,t=2,p=1$" SALT "$" HASH), -EINVAL);
        CHECK_INT(parse("$argon2id$m=19456,t=2,p=1$" SALT "$" HASH), -EINVAL);
        CHECK_INT(parse("$argon2id$v=16$m=19456,t=2,p=1$" SALT "$" HASH), -EINVAL);
        CHECK_INT(parse("$argon2id$v=19$t=2,m=19456,p=1$" SALT "$" HASH), -EINVAL);
        CHECK_INT(parse("$argon2id$v=19$m=19456,t=2$" SALT "$" HASH), -EINVAL);
        CHECK_INT(parse("$argon2id$v=19$m=19456,t=2,p=1,x=1$" SALT "$" HASH), -EINVAL);
        CHECK_INT(parse("$argon2id$v=19$m=019456,t=2,p=1$" SALT "$" HASH), -EINVAL);
        CHECK_INT(parse("$argon2id$v=19$m=+19456,t=2,p=1$" SALT "$" HASH), -EINVAL);
        CHECK_INT(parse("$argon2id$v=19$m=0,t=2,p=1$" SALT "$" HASH), -EINVAL);
        CHECK_INT(parse("$argon2id$v=19$m=19456,t=2,p=1$" SALT), -EINVAL);
        CHECK_INT(parse("$argon2id$v=19$m=19456,t=2,p=1$" SALT "$" HASH "$"), -EINVAL);
        CHECK_INT(parse("$argon2id$v=19$m=19456,t=2,p=1$" SALT "=$" HASH), -EINVAL);
        CHECK_INT(parse("$argon2id$v=19$m=19456,t=2,p=1$" SALT "$" HASH "="), -EINVAL);
        CHECK_INT(
                parse("$argon2id$v=19$m=19456,t=2,p=1$" SALT "$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"),
                -EINVAL); /* trailing bits */
        CHECK_INT(parse("$argon2id$v=19$m=19456,t=2,p=1$" SALT "$A"), -EINVAL);
        CHECK_INT(parse("$argon2id$v=19$m=19456,t=2,p=1$$" HASH), -EINVAL);
        CHECK_INT(parse("$argon2id$v=19$m=19456,t=2,p=1$" SALT "$" HASH " "), -EINVAL);
        CHECK_INT(parse("$argon2id$v=19$m=19456,t=2,p=1$c2Fs-HNhbHRzYWx0c2FsdA$" HASH),
                  -EINVAL); /* base64url */
        CHECK_INT(argon2_phc_parse("$argon2id$v=19$m=19456,t=2,p=1$" SALT "$" HASH,
                                   strlen("$argon2id$v=19$m=19456,t=2,p=1$" SALT "$" HASH) - 2, NULL),
                  -EINVAL); /* cut: a length no base64 field has */

        /* Well formed, out of bounds. */
        CHECK_INT(parse("$argon2id$v=19$m=65537,t=2,p=1$" SALT "$" HASH), -ERANGE);
        CHECK_INT(parse("$argon2id$v=19$m=99999999999999999999,t=2,p=1$" SALT "$" HASH), -ERANGE);
        CHECK_INT(parse("$argon2id$v=19$m=19456,t=11,p=1$" SALT "$" HASH), -ERANGE);
        CHECK_INT(parse("$argon2id$v=19$m=19456,t=2,p=9$" SALT "$" HASH), -ERANGE);
        CHECK_INT(parse("$argon2id$v=19$m=16,t=2,p=4$" SALT "$" HASH), -ERANGE); /* < 8 KiB per lane */
        CHECK_INT(parse("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" HASH), -ERANGE); /* 4-byte salt */
        CHECK_INT(parse("$argon2id$v=19$m=19456,t=2,p=1$" SALT "$AAAA"), -ERANGE); /* 3-byte hash */

        TESTS_END();
}
