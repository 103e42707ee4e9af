/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cryptography of a web push message: RFC 8291 message encryption ("aes128gcm", one record) and the
 * RFC 8292 VAPID token (an ES256 JWT), on nettle's P-256, HKDF-SHA256 and AES-128-GCM. No logging. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base64url.h"
#include "oly-def.h"

#define PUSH_P256_POINT_SIZE 65 /* an uncompressed P-256 point: 0x04 || x || y */
#define PUSH_P256_SCALAR_SIZE 32
#define PUSH_AUTH_SIZE 16 /* the subscription's auth secret */
#define PUSH_SALT_SIZE 16
#define PUSH_RECORD_SIZE 4096 /* rs: the body is one record of at most this many bytes */
#define PUSH_HEADER_SIZE (PUSH_SALT_SIZE + 4 + 1 + PUSH_P256_POINT_SIZE)
#define PUSH_TAG_SIZE 16
/* Push services accept 4096 bytes of body: what remains after the header, the delimiter and the tag. */
#define PUSH_PAYLOAD_MAX (4096 - PUSH_HEADER_SIZE - 1 - PUSH_TAG_SIZE)
_Static_assert(PUSH_PAYLOAD_MAX == OLY_PUSH_PAYLOAD_MAX, "OLY_PUSH_PAYLOAD_MAX in oly-def.h is out of date");


/* 0 when p is an uncompressed point on P-256, -EINVAL otherwise. */
int push_p256_check_point(const uint8_t p[PUSH_P256_POINT_SIZE]);
/* The public point of a private scalar (-EINVAL when the scalar is not in [1, n-1]). */
int push_p256_public(const uint8_t priv[PUSH_P256_SCALAR_SIZE], uint8_t ret_pub[PUSH_P256_POINT_SIZE]);

/* Encrypts plaintext (at most PUSH_PAYLOAD_MAX bytes) for the subscription (ua_public, auth) and returns
 * the whole request body (header || ciphertext || tag). as_private and salt are normally NULL (fresh
 * random ones); the tests inject RFC 8291's. */
int push_encrypt(const uint8_t ua_public[PUSH_P256_POINT_SIZE], const uint8_t auth[PUSH_AUTH_SIZE],
                 const uint8_t *as_private, const uint8_t *salt, const void *plaintext, size_t len,
                 uint8_t **ret, size_t *ret_len);

/* The VAPID JWT {"typ":"JWT","alg":"ES256"}.{"aud":audience,"exp":exp,"sub":subject}, signed with the
 * private scalar. */
int push_vapid_jwt(const char *audience, uint64_t exp, const char *subject,
                   const uint8_t priv[PUSH_P256_SCALAR_SIZE], char **ret);
