/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RFC 8291 Appendix A, byte for byte; VAPID tokens that verify; base64url and point validation. */
#include <errno.h>
#include <gmp.h>
#include <json-c/json.h>
#include <nettle/bignum.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "push-crypto.h"
#include "tests.h"

/* A failed step leaves nothing sensible to check after it: stop there. */
#define REQUIRE(expr)                                                                        \
        do {                                                                                 \
                if (!(expr)) {                                                               \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
                        exit(EXIT_FAILURE);                                                  \
                }                                                                            \
        } while (0)

static void b64(const char *s, uint8_t *buf, size_t size) {
        REQUIRE(base64url_decode(s, buf, size) == 0);
}

static void test_rfc8291_appendix_a(void) {
        static const char plaintext[] = "When I grow up, I want to be a watermelon";
        static const char expected[] =
                "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6Tlz"
                "AC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";
        uint8_t ua[65], auth[16], as_priv[32], as_pub[65], derived[65], salt[16];
        _cleanup_free_ uint8_t *body = NULL;
        _cleanup_free_ char *got = NULL;
        size_t len;

        b64("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4", ua, sizeof ua);
        b64("BTBZMqHH6r4Tts7J_aSIgg", auth, sizeof auth);
        b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw", as_priv, sizeof as_priv);
        b64("BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8", as_pub,
            sizeof as_pub);
        b64("DGv6ra1nlYgDCS1FRnbzlw", salt, sizeof salt);

        REQUIRE(push_p256_public(as_priv, derived) == 0);
        REQUIRE(memcmp(derived, as_pub, sizeof as_pub) == 0);
        REQUIRE(push_encrypt(ua, auth, as_priv, salt, plaintext, strlen(plaintext), &body, &len) == 0);
        REQUIRE(len == PUSH_HEADER_SIZE + strlen(plaintext) + 1 + PUSH_TAG_SIZE);
        REQUIRE(base64url_encode(body, len, &got) == 0);
        if (!streq(got, expected)) {
                fprintf(stderr, "got      %s\nexpected %s\n", got, expected);
                tests_failed++;
        }

        /* A fresh ephemeral key and salt each time. */
        _cleanup_free_ uint8_t *b1 = NULL, *b2 = NULL;
        size_t l1, l2;
        REQUIRE(push_encrypt(ua, auth, NULL, NULL, plaintext, strlen(plaintext), &b1, &l1) == 0);
        REQUIRE(push_encrypt(ua, auth, NULL, NULL, plaintext, strlen(plaintext), &b2, &l2) == 0);
        REQUIRE(l1 == len && l2 == len && memcmp(b1, b2, PUSH_HEADER_SIZE) != 0);

        /* Too long for one record a push service accepts. */
        static char big[PUSH_PAYLOAD_MAX + 1];
        _cleanup_free_ uint8_t *b3 = NULL;
        REQUIRE(push_encrypt(ua, auth, NULL, NULL, big, sizeof big, &b3, &l1) == -EMSGSIZE);
        REQUIRE(push_encrypt(ua, auth, NULL, NULL, big, sizeof big - 1, &b3, &l1) == 0 && l1 == 4096);
}

static void test_points_and_base64url(void) {
        uint8_t ua[65], b[16];

        b64("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4", ua, sizeof ua);
        REQUIRE(push_p256_check_point(ua) == 0);
        ua[64] ^= 1; /* off the curve */
        REQUIRE(push_p256_check_point(ua) == -EINVAL);
        ua[64] ^= 1;
        ua[0] = 0x02; /* compressed: not what a subscription holds */
        REQUIRE(push_p256_check_point(ua) == -EINVAL);

        REQUIRE(base64url_decode("BTBZMqHH6r4Tts7J_aSIgg==", b, sizeof b) == 0);
        REQUIRE(base64url_decode("BTBZMqHH6r4Tts7J_aSI", b, sizeof b) == -EMSGSIZE);
        REQUIRE(base64url_decode("BTBZMqHH6r4Tts7J_aSIggAA", b, sizeof b) == -EMSGSIZE);
        REQUIRE(base64url_decode("BTBZMqHH6r4Tts7J/aSIgg", b, sizeof b) == -EINVAL);
        REQUIRE(base64url_decode("BTBZMqHH6r4Tts7J_aSIgh", b, sizeof b) == -EINVAL);
        REQUIRE(base64url_decode("", b, 0) == 0);

        uint8_t zero[32] = {};
        uint8_t pub[65];
        REQUIRE(push_p256_public(zero, pub) == -EINVAL);
}

static void test_vapid_jwt_verifies(void) {
        uint8_t priv[32], pub[65], sig[64], digest[SHA256_DIGEST_SIZE];
        _cleanup_free_ char *jwt = NULL, *claims = NULL, *header = NULL;
        struct dsa_signature s;
        struct sha256_ctx sha;
        struct ecc_point p;
        mpz_t x, y;

        b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw", priv, sizeof priv);
        REQUIRE(push_p256_public(priv, pub) == 0);
        REQUIRE(push_vapid_jwt("https://push.example.net:8443", 1700000000, "mailto:oly@host", priv, &jwt) == 0);

        char *dot1 = strchr(jwt, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
        REQUIRE(dot1 && dot2 && !strchr(dot2 + 1, '.'));
        header = strndup(jwt, (size_t) (dot1 - jwt));
        claims = strndup(dot1 + 1, (size_t) (dot2 - dot1 - 1));
        REQUIRE(header && claims);

        /* The header and the claims decode to what RFC 8292 asks for. */
        uint8_t hbuf[256], cbuf[256];
        size_t hl = strlen(header) * 3 / 4, cl = strlen(claims) * 3 / 4;
        REQUIRE(hl < sizeof hbuf && cl < sizeof cbuf);
        REQUIRE(base64url_decode(header, hbuf, hl) == 0);
        REQUIRE(base64url_decode(claims, cbuf, cl) == 0);
        hbuf[hl] = cbuf[cl] = 0;
        REQUIRE(streq((char *) hbuf, "{\"typ\":\"JWT\",\"alg\":\"ES256\"}"));
        REQUIRE(streq((char *) cbuf, "{\"aud\":\"https://push.example.net:8443\",\"exp\":1700000000,"
                                       "\"sub\":\"mailto:oly@host\"}"));

        REQUIRE(base64url_decode(dot2 + 1, sig, sizeof sig) == 0);
        sha256_init(&sha);
        sha256_update(&sha, (size_t) (dot2 - jwt), (const uint8_t *) jwt);
        sha256_digest(&sha, sizeof digest, digest);

        ecc_point_init(&p, nettle_get_secp_256r1());
        mpz_inits(x, y, NULL);
        nettle_mpz_set_str_256_u(x, 32, pub + 1);
        nettle_mpz_set_str_256_u(y, 32, pub + 33);
        REQUIRE(ecc_point_set(&p, x, y));
        dsa_signature_init(&s);
        nettle_mpz_set_str_256_u(s.r, 32, sig);
        nettle_mpz_set_str_256_u(s.s, 32, sig + 32);
        REQUIRE(ecdsa_verify(&p, sizeof digest, digest, &s));
        digest[0] ^= 1;
        REQUIRE(!ecdsa_verify(&p, sizeof digest, digest, &s));
        dsa_signature_clear(&s);
        mpz_clears(x, y, NULL);
        ecc_point_clear(&p);
}

int main(void) {
        test_rfc8291_appendix_a();
        test_points_and_base64url();
        test_vapid_jwt_verifies();
        TESTS_END();
}
