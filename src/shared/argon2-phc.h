/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Argon2id PHC strings ($argon2id$v=19$m=M,t=T,p=P$salt$hash), parsed strictly: the daemon stores only
 * ones oly-http can verify within its limits. A pure parser of untrusted bytes (src/fuzz/). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Costs oly-http can afford: two checks at once (HTTP_WORKERS) within its unit's 256 MiB and 32 tasks,
 * each taking seconds at most. The CLI hashes with m=19456, t=2, p=1. */
#define ARGON2_PHC_M_MAX_KIB (64U * 1024U) /* memory per check, KiB (Argon2 needs at least 8 per lane) */
#define ARGON2_PHC_T_MAX 10U /* passes */
#define ARGON2_PHC_P_MAX 8U /* lanes (libargon2 verifies with as many threads) */
#define ARGON2_PHC_SALT_MIN 8U /* bytes, Argon2's own minimum */
#define ARGON2_PHC_SALT_MAX 64U
#define ARGON2_PHC_HASH_MIN 16U
#define ARGON2_PHC_HASH_MAX 64U
#define ARGON2_PHC_VERSION 19U /* 0x13, the only one written since 2016 */

typedef struct Argon2Phc {
        uint32_t m_kib, t, p;
        size_t salt_len, hash_len;
} Argon2Phc;

/* 0 and ret filled when s is an Argon2id v=19 PHC string with canonical fields (decimal without leading
 * zeros or signs, unpadded standard base64 with zero trailing bits) within the bounds above; -EINVAL
 * otherwise, -ERANGE when well formed but out of bounds. ret may be NULL. */
int argon2_phc_parse(const char *s, size_t len, Argon2Phc *ret);
