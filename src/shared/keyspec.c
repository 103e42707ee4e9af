/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "keyspec.h"
#include "macro.h"

typedef struct NamedKey {
        const char *name;
        const char *normal;
        const char *app; /* in application cursor mode; NULL: same as normal */
} NamedKey;

/* xterm's sequences, which is what TERM=xterm-256color promises. */
static const NamedKey named_keys[] = {
        { "enter", "\r", NULL },        { "return", "\r", NULL },
        { "tab", "\t", NULL },          { "esc", "\033", NULL },
        { "escape", "\033", NULL },     { "backspace", "\177", NULL },
        { "space", " ", NULL },         { "up", "\033[A", "\033OA" },
        { "down", "\033[B", "\033OB" }, { "right", "\033[C", "\033OC" },
        { "left", "\033[D", "\033OD" }, { "home", "\033[H", "\033OH" },
        { "end", "\033[F", "\033OF" },  { "pageup", "\033[5~", NULL },
        { "pagedown", "\033[6~", NULL }, { "delete", "\033[3~", NULL },
        { "insert", "\033[2~", NULL },  { "f1", "\033OP", NULL },
        { "f2", "\033OQ", NULL },       { "f3", "\033OR", NULL },
        { "f4", "\033OS", NULL },       { "f5", "\033[15~", NULL },
        { "f6", "\033[17~", NULL },     { "f7", "\033[18~", NULL },
        { "f8", "\033[19~", NULL },     { "f9", "\033[20~", NULL },
        { "f10", "\033[21~", NULL },    { "f11", "\033[23~", NULL },
        { "f12", "\033[24~", NULL },
};

static int put(uint8_t *buf, size_t size, size_t *k, const void *data, size_t n) {
        if (*k + n > size)
                return -E2BIG;
        memcpy(buf + *k, data, n);
        *k += n;
        return 0;
}

static const NamedKey *find_named(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(named_keys); i++)
                if (strcasecmp(named_keys[i].name, s) == 0)
                        return &named_keys[i];
        return NULL;
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char) tolower((unsigned char) c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* One character or a named key, as the target of alt+/meta+. */
static int encode_base(const char *s, bool app_cursor, uint8_t *buf, size_t size, size_t *k) {
        const NamedKey *nk = find_named(s);
        if (nk) {
                const char *seq = app_cursor && nk->app ? nk->app : nk->normal;
                return put(buf, size, k, seq, strlen(seq));
        }
        /* A single (possibly multi-byte UTF-8) character. */
        size_t l = strlen(s);
        if (l == 0 || l > 4)
                return -EINVAL;
        unsigned char c = (unsigned char) s[0];
        size_t want = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (want != l)
                return -EINVAL;
        for (size_t i = 1; i < l; i++)
                if (((unsigned char) s[i] >> 6) != 2)
                        return -EINVAL;
        if (l == 1 && (c < 0x20 || c == 0x7f))
                return -EINVAL;
        return put(buf, size, k, s, l);
}

int keyspec_encode(const char *spec, bool app_cursor, uint8_t *buf, size_t size) {
        size_t k = 0;
        const char *rest;
        int r;

        if (isempty(spec))
                return -EINVAL;

        if ((rest = startswith(spec, "hex:")) || (rest = startswith(spec, "HEX:"))) {
                size_t l = strlen(rest);
                if (l == 0 || l % 2 != 0)
                        return -EINVAL;
                for (size_t i = 0; i < l; i += 2) {
                        int hi = hexval(rest[i]), lo = hexval(rest[i + 1]);
                        if (hi < 0 || lo < 0)
                                return -EINVAL;
                        uint8_t b = (uint8_t) (hi << 4 | lo);
                        r = put(buf, size, &k, &b, 1);
                        if (r < 0)
                                return r;
                }
                return (int) k;
        }

        if (strncasecmp(spec, "ctrl+", 5) == 0) {
                const char *c = spec + 5;
                uint8_t b;
                if (strcasecmp(c, "space") == 0)
                        b = 0;
                else if (strlen(c) != 1)
                        return -EINVAL;
                else if (isalpha((unsigned char) *c))
                        b = (uint8_t) (tolower((unsigned char) *c) - 'a' + 1);
                else if (strchr("@[\\]^_", *c))
                        b = (uint8_t) (*c - '@');
                else if (*c == '?')
                        b = 0x7f;
                else if (*c == ' ' || *c == '2')
                        b = 0;
                else
                        return -EINVAL;
                r = put(buf, size, &k, &b, 1);
                return r < 0 ? r : (int) k;
        }

        if (strncasecmp(spec, "alt+", 4) == 0 || strncasecmp(spec, "meta+", 5) == 0) {
                const char *c = spec + (tolower((unsigned char) spec[0]) == 'a' ? 4 : 5);
                r = put(buf, size, &k, "\033", 1);
                if (r < 0)
                        return r;
                /* alt+ctrl+x and friends: the modifier applies to whatever the rest encodes. */
                if (strncasecmp(c, "ctrl+", 5) == 0) {
                        r = keyspec_encode(c, app_cursor, buf + k, size - k);
                        return r < 0 ? r : (int) k + r;
                }
                r = encode_base(c, app_cursor, buf, size, &k);
                return r < 0 ? r : (int) k;
        }

        if (strcasecmp(spec, "shift+tab") == 0) {
                r = put(buf, size, &k, "\033[Z", 3);
                return r < 0 ? r : (int) k;
        }

        const NamedKey *nk = find_named(spec);
        if (!nk)
                return -EINVAL;
        const char *seq = app_cursor && nk->app ? nk->app : nk->normal;
        r = put(buf, size, &k, seq, strlen(seq));
        return r < 0 ? r : (int) k;
}

int keyspec_validate(const char *spec) {
        uint8_t buf[KEYSPEC_BYTES_MAX];
        int r = keyspec_encode(spec, false, buf, sizeof buf);
        return r < 0 ? r : 0;
}
