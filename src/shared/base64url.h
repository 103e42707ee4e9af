/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* base64url (RFC 4648 §5), as web push keys, VAPID tokens and login tokens use it. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* base64url without padding; decoding accepts trailing '=' and fails (-EINVAL) on anything else that
 * is not the alphabet, or (-EMSGSIZE) when the result is not exactly size bytes. */
int base64url_encode(const uint8_t *p, size_t n, char **ret);
int base64url_decode(const char *s, uint8_t *buf, size_t size);
