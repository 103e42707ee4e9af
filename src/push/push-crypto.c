/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RFC 8291 encryption and RFC 8292 VAPID signing with nettle (GnuTLS 3.7's API has no raw ECDH). */
#include <errno.h>
#include <gmp.h>
#include <json-c/json.h>
#include <nettle/bignum.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>
#include <nettle/gcm.h>
#include <nettle/hkdf.h>
#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base64url.h"
#include "macro.h"
#include "push-crypto.h"

static void random_bytes(void *ctx, size_t n, uint8_t *dst) {
        while (n > 0) {
                ssize_t k = getrandom(dst, n, 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        abort(); /* no randomness, no keys: nothing sensible to go on with */
                }
                dst += k, n -= (size_t) k;
        }
}

/* mpz_clear does not wipe: the limbs of secret numbers are zeroed first. */
static void mpz_wipe_clear(mpz_t z) {
        size_t n = mpz_size(z);
        if (n > 0)
                explicit_bzero(mpz_limbs_modify(z, (mp_size_t) n), n * sizeof(mp_limb_t));
        mpz_clear(z);
}

static void scalar_wipe_clear(struct ecc_scalar *k) {
        explicit_bzero(k->p, (size_t) ecc_size(k->ecc) * sizeof(mp_limb_t));
        ecc_scalar_clear(k);
}

static int scalar_load(struct ecc_scalar *k, const uint8_t priv[PUSH_P256_SCALAR_SIZE]) {
        mpz_t z;
        int ok;

        ecc_scalar_init(k, nettle_get_secp_256r1());
        mpz_init(z);
        nettle_mpz_set_str_256_u(z, PUSH_P256_SCALAR_SIZE, priv);
        ok = ecc_scalar_set(k, z);
        mpz_wipe_clear(z);
        if (!ok) {
                scalar_wipe_clear(k);
                return -EINVAL;
        }
        return 0;
}

static int point_load(struct ecc_point *p, const uint8_t pub[PUSH_P256_POINT_SIZE]) {
        mpz_t x, y;
        int ok;

        if (pub[0] != 0x04)
                return -EINVAL;
        ecc_point_init(p, nettle_get_secp_256r1());
        mpz_inits(x, y, NULL);
        nettle_mpz_set_str_256_u(x, 32, pub + 1);
        nettle_mpz_set_str_256_u(y, 32, pub + 33);
        ok = ecc_point_set(p, x, y); /* checks that the point is on the curve */
        mpz_clears(x, y, NULL);
        if (!ok) {
                ecc_point_clear(p);
                return -EINVAL;
        }
        return 0;
}

static void point_store(const struct ecc_point *p, uint8_t out[PUSH_P256_POINT_SIZE]) {
        mpz_t x, y;

        mpz_inits(x, y, NULL);
        ecc_point_get(p, x, y);
        out[0] = 0x04;
        nettle_mpz_get_str_256(32, out + 1, x);
        nettle_mpz_get_str_256(32, out + 33, y);
        mpz_clears(x, y, NULL);
}

int push_p256_check_point(const uint8_t p[PUSH_P256_POINT_SIZE]) {
        struct ecc_point pt;
        int r = point_load(&pt, p);
        if (r < 0)
                return r;
        ecc_point_clear(&pt);
        return 0;
}

int push_p256_public(const uint8_t priv[PUSH_P256_SCALAR_SIZE], uint8_t ret_pub[PUSH_P256_POINT_SIZE]) {
        struct ecc_scalar k;
        struct ecc_point p;
        int r = scalar_load(&k, priv);
        if (r < 0)
                return r;
        ecc_point_init(&p, nettle_get_secp_256r1());
        ecc_point_mul_g(&p, &k);
        point_store(&p, ret_pub);
        ecc_point_clear(&p);
        scalar_wipe_clear(&k);
        return 0;
}

/* nettle's hash callbacks take a void *; the HMAC functions a typed context. */
static void hkdf_hmac_update(void *ctx, size_t n, const uint8_t *data) {
        hmac_sha256_update(ctx, n, data);
}

static void hkdf_hmac_digest(void *ctx, size_t n, uint8_t *dst) {
        hmac_sha256_digest(ctx, n, dst);
}

static void hkdf_extract_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                                uint8_t prk[SHA256_DIGEST_SIZE]) {
        struct hmac_sha256_ctx ctx;
        hmac_sha256_set_key(&ctx, salt_len, salt);
        hkdf_extract(&ctx, hkdf_hmac_update, hkdf_hmac_digest, SHA256_DIGEST_SIZE, ikm_len, ikm, prk);
        explicit_bzero(&ctx, sizeof ctx);
}

static void hkdf_expand_sha256(const uint8_t prk[SHA256_DIGEST_SIZE], const void *info, size_t info_len,
                               uint8_t *out, size_t out_len) {
        struct hmac_sha256_ctx ctx;
        hmac_sha256_set_key(&ctx, SHA256_DIGEST_SIZE, prk);
        hkdf_expand(&ctx, hkdf_hmac_update, hkdf_hmac_digest, SHA256_DIGEST_SIZE, info_len, info, out_len, out);
        explicit_bzero(&ctx, sizeof ctx);
}

int push_encrypt(const uint8_t ua_public[PUSH_P256_POINT_SIZE], const uint8_t auth[PUSH_AUTH_SIZE],
                 const uint8_t *as_private, const uint8_t *salt, const void *plaintext, size_t len,
                 uint8_t **ret, size_t *ret_len) {
        static const char key_label[] = "WebPush: info", cek_label[] = "Content-Encoding: aes128gcm",
                          nonce_label[] = "Content-Encoding: nonce";
        uint8_t as_priv[PUSH_P256_SCALAR_SIZE], as_public[PUSH_P256_POINT_SIZE], ecdh[32], prk[32], ikm[32],
                cek[16], nonce[12], key_info[sizeof key_label + 2 * PUSH_P256_POINT_SIZE];
        struct gcm_aes128_ctx gcm;
        struct ecc_point ua, shared;
        struct ecc_scalar k;
        uint8_t *body, *p;
        size_t body_len;
        mpz_t x;
        int r;

        if (len > PUSH_PAYLOAD_MAX)
                return -EMSGSIZE;
        r = point_load(&ua, ua_public);
        if (r < 0)
                return r;

        /* The ephemeral key pair: a scalar that nettle accepts (in [1, n-1]; a retry is ~2^-32 likely). */
        for (;;) {
                if (as_private)
                        memcpy(as_priv, as_private, sizeof as_priv);
                else
                        random_bytes(NULL, sizeof as_priv, as_priv);
                r = scalar_load(&k, as_priv);
                explicit_bzero(as_priv, sizeof as_priv);
                if (r >= 0)
                        break;
                if (as_private) {
                        ecc_point_clear(&ua);
                        return r;
                }
        }
        ecc_point_init(&shared, nettle_get_secp_256r1());
        ecc_point_mul_g(&shared, &k);
        point_store(&shared, as_public);
        ecc_point_mul(&shared, &k, &ua);
        mpz_init(x);
        ecc_point_get(&shared, x, NULL);
        nettle_mpz_get_str_256(sizeof ecdh, ecdh, x);
        mpz_wipe_clear(x);
        ecc_point_clear(&shared);
        ecc_point_clear(&ua);
        scalar_wipe_clear(&k);

        body_len = PUSH_HEADER_SIZE + len + 1 + PUSH_TAG_SIZE;
        body = malloc(body_len);
        if (!body) {
                explicit_bzero(ecdh, sizeof ecdh);
                return -ENOMEM;
        }
        /* The header (RFC 8188): salt, rs, idlen, keyid = the ephemeral public key. */
        if (salt)
                memcpy(body, salt, PUSH_SALT_SIZE);
        else
                random_bytes(NULL, PUSH_SALT_SIZE, body);
        p = body + PUSH_SALT_SIZE;
        *p++ = PUSH_RECORD_SIZE >> 24 & 0xff, *p++ = PUSH_RECORD_SIZE >> 16 & 0xff;
        *p++ = PUSH_RECORD_SIZE >> 8 & 0xff, *p++ = PUSH_RECORD_SIZE & 0xff;
        *p++ = PUSH_P256_POINT_SIZE;
        memcpy(p, as_public, PUSH_P256_POINT_SIZE);
        p += PUSH_P256_POINT_SIZE;

        /* RFC 8291 §3.4: IKM from the ECDH secret and the auth secret, then CEK and nonce from the salt. */
        memcpy(key_info, key_label, sizeof key_label); /* with its NUL */
        memcpy(key_info + sizeof key_label, ua_public, PUSH_P256_POINT_SIZE);
        memcpy(key_info + sizeof key_label + PUSH_P256_POINT_SIZE, as_public, PUSH_P256_POINT_SIZE);
        hkdf_extract_sha256(auth, PUSH_AUTH_SIZE, ecdh, sizeof ecdh, prk);
        hkdf_expand_sha256(prk, key_info, sizeof key_info, ikm, sizeof ikm);
        hkdf_extract_sha256(body, PUSH_SALT_SIZE, ikm, sizeof ikm, prk);
        hkdf_expand_sha256(prk, cek_label, sizeof cek_label, cek, sizeof cek);
        hkdf_expand_sha256(prk, nonce_label, sizeof nonce_label, nonce, sizeof nonce);

        /* One record: the plaintext, the last-record delimiter 0x02, no padding. */
        memcpy(p, plaintext, len);
        p[len] = 0x02;
        gcm_aes128_set_key(&gcm, cek);
        gcm_aes128_set_iv(&gcm, sizeof nonce, nonce);
        gcm_aes128_encrypt(&gcm, len + 1, p, p);
        gcm_aes128_digest(&gcm, PUSH_TAG_SIZE, p + len + 1);

        explicit_bzero(&gcm, sizeof gcm);
        explicit_bzero(ecdh, sizeof ecdh);
        explicit_bzero(prk, sizeof prk);
        explicit_bzero(ikm, sizeof ikm);
        explicit_bzero(cek, sizeof cek);
        explicit_bzero(nonce, sizeof nonce);
        *ret = body;
        *ret_len = body_len;
        return 0;
}

static int json_b64(json_object *o, char **ret) {
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        return s ? base64url_encode((const uint8_t *) s, strlen(s), ret) : -ENOMEM;
}

int push_vapid_jwt(const char *audience, uint64_t exp, const char *subject,
                   const uint8_t priv[PUSH_P256_SCALAR_SIZE], char **ret) {
        _cleanup_free_ char *header = NULL, *claims = NULL, *input = NULL, *sig64 = NULL;
        json_object *h = json_object_new_object(), *c = json_object_new_object();
        struct dsa_signature sig;
        uint8_t digest[SHA256_DIGEST_SIZE], rs[64];
        struct sha256_ctx sha;
        struct ecc_scalar k;
        int r = -ENOMEM;

        if (!h || !c)
                goto finish;
        json_object_object_add(h, "typ", json_object_new_string("JWT"));
        json_object_object_add(h, "alg", json_object_new_string("ES256"));
        json_object_object_add(c, "aud", json_object_new_string(audience));
        json_object_object_add(c, "exp", json_object_new_int64((int64_t) exp));
        json_object_object_add(c, "sub", json_object_new_string(subject));
        r = json_b64(h, &header);
        if (r >= 0)
                r = json_b64(c, &claims);
        if (r < 0)
                goto finish;
        if (asprintf(&input, "%s.%s", header, claims) < 0) {
                input = NULL;
                r = -ENOMEM;
                goto finish;
        }
        r = scalar_load(&k, priv);
        if (r < 0)
                goto finish;
        sha256_init(&sha);
        sha256_update(&sha, strlen(input), (const uint8_t *) input);
        sha256_digest(&sha, sizeof digest, digest);
        dsa_signature_init(&sig);
        ecdsa_sign(&k, NULL, random_bytes, sizeof digest, digest, &sig);
        scalar_wipe_clear(&k);
        /* JWS ES256: r || s, 32 bytes each (RFC 7518 §3.4), not DER. */
        nettle_mpz_get_str_256(32, rs, sig.r);
        nettle_mpz_get_str_256(32, rs + 32, sig.s);
        dsa_signature_clear(&sig);
        r = base64url_encode(rs, sizeof rs, &sig64);
        if (r < 0)
                goto finish;
        if (asprintf(ret, "%s.%s", input, sig64) < 0)
                r = -ENOMEM;
finish:
        json_object_put(h);
        json_object_put(c);
        return r;
}
