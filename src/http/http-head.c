/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing the peeked first request head (see http-head.h). */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "http-def.h"
#include "http-head.h"

static void copy_field(char *dst, size_t size, const char *src, size_t len) {
        len = MIN(len, size - 1);
        memcpy(dst, src, len);
        dst[len] = 0;
}

/* Host, Origin and the token are compared whole: a cut one could match what it is not (an Origin cut to
 * the length of a long Host), so one that does not fit is kept empty, which matches nothing. */
static void copy_field_whole(char *dst, size_t size, const char *src, size_t len) {
        copy_field(dst, size, src, len < size ? len : 0);
}

static const char *trim(const char *s, const char *e, size_t *ret_len) {
        while (s < e && (*s == ' ' || *s == '\t'))
                s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
        *ret_len = (size_t) (e - s);
        return s;
}

/* The next sep-separated item of [*p, e), trimmed; *p moves past it and its separator. */
static const char *next_item(const char **p, const char *e, char sep, size_t *ret_len) {
        const char *c = memchr(*p, sep, (size_t) (e - *p));
        const char *w = trim(*p, c ?: e, ret_len);

        *p = c ? c + 1 : e;
        return w;
}

/* Whether the comma-separated list value contains token (case-insensitive). */
static bool list_has(const char *v, size_t len, const char *token) {
        size_t tl = strlen(token);
        for (const char *e = v + len; v < e;) {
                size_t n;
                const char *w = next_item(&v, e, ',', &n);
                if (n == tl && strncasecmp(w, token, tl) == 0)
                        return true;
        }
        return false;
}

bool http_head_cookie(const char *cookies, size_t len, const char *name, char *ret, size_t size) {
        size_t nl = strlen(name);
        for (const char *e = cookies + len; cookies < e;) {
                size_t n;
                const char *w = next_item(&cookies, e, ';', &n);
                if (n > nl && w[nl] == '=' && strncmp(w, name, nl) == 0) {
                        copy_field(ret, size, w + nl + 1, n - nl - 1);
                        return true;
                }
        }
        return false;
}

/* "/api/sessions/<id>/attach[?query]" → id and replay. */
static bool parse_attach_target(const char *t, size_t len, HttpHead *h) {
        static const char prefix[] = "/api/sessions/";
        const char *q = memchr(t, '?', len);
        size_t plen = q ? (size_t) (q - t) : len;
        const char *id, *slash;

        if (plen <= sizeof prefix - 1 || memcmp(t, prefix, sizeof prefix - 1) != 0)
                return false;
        id = t + sizeof prefix - 1;
        slash = memchr(id, '/', plen - (size_t) (id - t));
        if (!slash || slash == id || (size_t) (slash - id) > HTTP_HEAD_ID_MAX)
                return false;
        for (const char *c = id; c < slash; c++)
                if (!isalnum((unsigned char) *c))
                        return false;
        if ((size_t) (t + plen - slash) != strlen("/attach") || memcmp(slash, "/attach", 7) != 0)
                return false;
        copy_field(h->id, sizeof h->id, id, (size_t) (slash - id));
        if (q)
                for (const char *e = t + len, *p = q + 1; p < e;) {
                        size_t n;
                        const char *w = next_item(&p, e, '&', &n);
                        if ((n == 8 && memcmp(w, "replay=1", 8) == 0) || (n == 11 && memcmp(w, "replay=true", 11) == 0))
                                h->replay = true;
                }
        return true;
}

/* RFC 9110 §5.6.2 tchar. */
static bool is_tchar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

static bool all_tchar(const char *s, const char *e) {
        for (; s < e; s++)
                if (!is_tchar(*s))
                        return false;
        return true;
}

/* "METHOD SP target SP HTTP/1.d" in [s, e) (without its CRLF): one space each, the target visible ASCII
 * (anything else is percent-encoded). */
static int parse_request_line(const char *s, const char *e, const char **ret_sp1, const char **ret_sp2,
                              bool *ret_http11) {
        const char *sp1, *sp2;

        sp1 = memchr(s, ' ', (size_t) (e - s));
        if (!sp1 || sp1 == s || !all_tchar(s, sp1))
                return -EBADMSG;
        sp2 = memchr(sp1 + 1, ' ', (size_t) (e - sp1 - 1));
        if (!sp2 || sp2 == sp1 + 1)
                return -EBADMSG;
        for (const char *c = sp1 + 1; c < sp2; c++)
                if (*c <= ' ' || *c >= 0x7f)
                        return -EBADMSG;
        if ((size_t) (e - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp2[8] < '0' ||
            sp2[8] > '9')
                return -EBADMSG;
        *ret_sp1 = sp1;
        *ret_sp2 = sp2;
        *ret_http11 = sp2[8] >= '1';
        return 0;
}

/* Before the blank line: whether what came so far can still begin a request, so that garbage (a TLS
 * hello, a line of text) is answered at once rather than when the head times out. */
static int check_start(const char *buf, size_t len) {
        const char *nl = memchr(buf, '\n', len), *sp1, *sp2;
        bool http11;

        if (nl) {
                if (nl == buf || nl[-1] != '\r' || parse_request_line(buf, nl - 1, &sp1, &sp2, &http11) < 0)
                        return -EBADMSG;
                return -EAGAIN;
        }
        for (size_t i = 0; i < len && buf[i] != ' '; i++)
                if (!is_tchar(buf[i]))
                        return -EBADMSG;
        return len > 0 && buf[0] == ' ' ? -EBADMSG : -EAGAIN;
}

int http_head_parse(const char *buf, size_t len, HttpHead *ret) {
        HttpHead h = {};
        const char *end = NULL, *p, *e, *sp1, *sp2;
        bool upgrade_ws = false, connection_upgrade = false, target_attach = false, get;

        for (size_t i = 0; i + 3 < len; i++)
                if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
                        end = buf + i + 2; /* keep the last line's CRLF */
                        h.length = i + 4;
                        break;
                }
        if (!end)
                return check_start(buf, len);
        if (memchr(buf, 0, h.length)) /* no valid head holds a NUL */
                return -EBADMSG;

        /* Request line: METHOD SP target SP HTTP/1.x */
        e = memchr(buf, '\r', (size_t) (end - buf));
        if (!e || e[1] != '\n')
                return -EBADMSG;
        if (parse_request_line(buf, e, &sp1, &sp2, &h.http11) < 0)
                return -EBADMSG;
        get = sp1 - buf == 3 && memcmp(buf, "GET", 3) == 0;
        if (get)
                target_attach = parse_attach_target(sp1 + 1, (size_t) (sp2 - sp1 - 1), &h);

        for (p = e + 2; p < end; p = e + 2) {
                const char *colon, *v;
                size_t n, vl;

                e = memchr(p, '\r', (size_t) (end - p));
                if (!e || e[1] != '\n')
                        return -EBADMSG;
                colon = memchr(p, ':', (size_t) (e - p));
                /* No space before the colon, no folded line (RFC 9112 §5.1, §5.2). */
                if (!colon || colon == p || !all_tchar(p, colon))
                        return -EBADMSG;
                for (const char *c = colon + 1; c < e; c++)
                        if ((*c > 0 && *c < ' ' && *c != '\t') || *c == 0x7f)
                                return -EBADMSG;
                n = (size_t) (colon - p);
                v = trim(colon + 1, e, &vl);
#define IS(name) (n == strlen(name) && strncasecmp(p, name, n) == 0)
                if (IS("Host")) {
                        copy_field_whole(h.host, sizeof h.host, v, vl);
                        h.n_host++;
                } else if (IS("Origin")) {
                        copy_field_whole(h.origin, sizeof h.origin, v, vl);
                        h.has_origin = true;
                } else if (IS("Upgrade"))
                        upgrade_ws = upgrade_ws || list_has(v, vl, "websocket");
                else if (IS("Connection"))
                        connection_upgrade = connection_upgrade || list_has(v, vl, "upgrade");
                else if (IS("Authorization")) {
                        if (vl > 7 && strncasecmp(v, "Bearer ", 7) == 0) {
                                size_t tl;
                                const char *t = trim(v + 7, v + vl, &tl);
                                copy_field_whole(h.token, sizeof h.token, t, tl);
                        }
                } else if (IS("Cookie")) {
                        if (!h.token[0])
                                (void) http_head_cookie(v, vl, HTTP_COOKIE_NAME, h.token, sizeof h.token);
                }
#undef IS
        }

        h.attach = target_attach && upgrade_ws && connection_upgrade;
        *ret = h;
        return 0;
}
