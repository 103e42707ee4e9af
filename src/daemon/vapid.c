/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The web push (VAPID) key pair: an ECDSA P-256 key generated on the first start and kept in config.json
 * (web_push_vapid_public_key / _private_key, base64url as browsers and push services expect). */
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <json-c/json.h>
#include <string.h>

#include "base64url.h"
#include "config.h"
#include "log.h"
#include "paths.h"
#include "vapid.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(gnutls_x509_privkey_t, gnutls_x509_privkey_deinit);
DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

static void datum_wipe(gnutls_datum_t *d) {
        if (d->data) {
                explicit_bzero(d->data, d->size);
                gnutls_free(d->data);
        }
        d->data = NULL;
}

/* GnuTLS hands out integers with their own length (a leading zero for the sign, or shorter): make
 * each exactly 32 bytes, big-endian. */
static int fixed32(const gnutls_datum_t *d, uint8_t out[static 32]) {
        const uint8_t *p = d->data;
        size_t n = d->size;
        while (n > 32 && *p == 0)
                p++, n--;
        if (n > 32)
                return -EINVAL;
        memset(out, 0, 32 - n);
        memcpy(out + 32 - n, p, n);
        return 0;
}

static int vapid_generate(char **ret_public, char **ret_private) {
        _cleanup_(gnutls_x509_privkey_deinitp) gnutls_x509_privkey_t key = NULL;
        gnutls_datum_t x = {}, y = {}, k = {};
        gnutls_ecc_curve_t curve;
        uint8_t pub[65], priv[32];
        int r;

        if (gnutls_x509_privkey_init(&key) < 0)
                return -ENOMEM;
        if (gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0)
                return -EIO;
        if (gnutls_x509_privkey_export_ecc_raw(key, &curve, &x, &y, &k) < 0)
                return -EIO;
        pub[0] = 0x04; /* uncompressed point */
        r = fixed32(&x, pub + 1);
        if (r >= 0)
                r = fixed32(&y, pub + 33);
        if (r >= 0)
                r = fixed32(&k, priv);
        datum_wipe(&x);
        datum_wipe(&y);
        datum_wipe(&k);
        if (r < 0) {
                explicit_bzero(priv, sizeof priv);
                return r;
        }
        _cleanup_free_ char *p = NULL;
        char *s = NULL;
        r = base64url_encode(pub, sizeof pub, &p);
        if (r >= 0)
                r = base64url_encode(priv, sizeof priv, &s);
        explicit_bzero(priv, sizeof priv);
        if (r < 0) {
                free(s);
                return r;
        }
        *ret_public = TAKE_PTR(p);
        *ret_private = s;
        return 0;
}

int vapid_ensure_keys(OlyConfig *c, const char *config_path) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        _cleanup_free_ char *text = NULL, *pub = NULL;
        _cleanup_erase_free_ char *priv = NULL;
        size_t len;
        int r;

        if (c->web_push_vapid_public_key && c->web_push_vapid_private_key)
                return 0;
        if (c->web_push_vapid_public_key || c->web_push_vapid_private_key) {
                log_warning("%s sets only one of web_push_vapid_public_key and web_push_vapid_private_key: web "
                            "push is off until both are set (or both removed, to generate a new pair).",
                            config_path);
                return 0;
        }

        r = read_file_full(config_path, OLY_CONFIG_SIZE_MAX, &text, &len);
        if (r < 0)
                return log_warning_errno(r, "Failed to read %s to add web push keys: %m", config_path);
        root = json_tokener_parse(text);
        if (!root || !json_object_is_type(root, json_type_object))
                return log_warning_errno(-EINVAL, "Failed to parse %s to add web push keys.", config_path);

        r = vapid_generate(&pub, &priv);
        if (r < 0)
                return log_warning_errno(r, "Failed to generate the web push key pair: %m");
        if (json_object_object_add(root, "web_push_vapid_public_key", json_object_new_string(pub)) < 0 ||
            json_object_object_add(root, "web_push_vapid_private_key", json_object_new_string(priv)) < 0)
                return log_oom();
        const char *out = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                       JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_free_ char *data = NULL;
        if (!out)
                return log_oom();
        r = asprintf(&data, "%s\n", out);
        explicit_bzero((char *) out, strlen(out)); /* json-c's buffer holds the private key */
        if (r < 0)
                return log_oom();
        r = write_file_atomic(config_path, data, strlen(data));
        explicit_bzero(data, strlen(data));
        if (r < 0)
                return log_warning_errno(r, "Failed to write the web push keys to %s: %m", config_path);
        log_info("Generated a web push (VAPID) key pair into %s.", config_path);
        c->web_push_vapid_public_key = TAKE_PTR(pub);
        c->web_push_vapid_private_key = TAKE_PTR(priv);
        return 0;
}
