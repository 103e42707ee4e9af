/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* http-head.c: the peeked first request head that decides between the WebSocket bridge and MHD. */
#include <errno.h>

#include "http-head.h"
#include "macro.h"
#include "tests.h"

static int parse(const char *s, HttpHead *h) {
        return http_head_parse(s, strlen(s), h);
}

static void test_attach(void) {
        static const char req[] = "GET /api/sessions/ab12CD/attach?replay=1 HTTP/1.1\r\n"
                                  "Host: localhost:8080\r\n"
                                  "Origin: http://localhost:8080\r\n"
                                  "Upgrade: websocket\r\n"
                                  "Connection: keep-alive, Upgrade\r\n"
                                  "Authorization: Bearer   tok-en_1  \r\n"
                                  "\r\n"
                                  "trailing bytes are not part of the head";
        HttpHead h;

        CHECK_INT(parse(req, &h), 0);
        CHECK(h.attach);
        CHECK(h.replay);
        CHECK_STREQ(h.id, "ab12CD");
        CHECK_STREQ(h.host, "localhost:8080");
        CHECK_STREQ(h.origin, "http://localhost:8080");
        CHECK(h.has_origin);
        CHECK_STREQ(h.token, "tok-en_1");
        CHECK_INT(h.length, strstr(req, "\r\n\r\n") - req + 4);
}

static void test_attach_needs_everything(void) {
        HttpHead h;

        /* Header names and the list tokens are case-insensitive. */
        CHECK_INT(parse("GET /api/sessions/x/attach HTTP/1.0\r\nupgrade: WebSocket\r\nCONNECTION: "
                        "upgrade\r\n\r\n",
                        &h),
                  0);
        CHECK(h.attach && !h.replay && streq(h.id, "x") && !h.has_origin && h.host[0] == 0);
        CHECK_INT(parse("GET /api/sessions/x/attach?a=b&replay=true HTTP/1.1\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\n\r\n",
                        &h),
                  0);
        CHECK(h.attach && h.replay);
        CHECK_INT(parse("GET /api/sessions/x/attach?replay=0&replay=10 HTTP/1.1\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\n\r\n",
                        &h),
                  0);
        CHECK(h.attach && !h.replay);

        /* Any part missing: an ordinary request for MHD (parsed, but not an attach). */
        CHECK_INT(parse("GET /api/sessions/x/attach HTTP/1.1\r\nConnection: Upgrade\r\n\r\n", &h), 0);
        CHECK(!h.attach);
        CHECK_INT(parse("GET /api/sessions/x/attach HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", &h), 0);
        CHECK(!h.attach);
        CHECK_INT(parse("POST /api/sessions/x/attach HTTP/1.1\r\nUpgrade: websocket\r\nConnection: "
                        "Upgrade\r\n\r\n",
                        &h),
                  0);
        CHECK(!h.attach);
        CHECK_INT(parse("GETX /api/sessions/x/attach HTTP/1.1\r\nUpgrade: websocket\r\nConnection: "
                        "Upgrade\r\n\r\n",
                        &h),
                  0);
        CHECK(!h.attach);
        CHECK_INT(parse("GET /api/sessions/x/attach/more HTTP/1.1\r\nUpgrade: websocket\r\nConnection: "
                        "Upgrade\r\n\r\n",
                        &h),
                  0);
        CHECK(!h.attach);
        CHECK_INT(parse("GET /api/sessions//attach HTTP/1.1\r\nUpgrade: websocket\r\nConnection: "
                        "Upgrade\r\n\r\n",
                        &h),
                  0);
        CHECK(!h.attach);
        CHECK_INT(parse("GET /api/sessions/a-b/attach HTTP/1.1\r\nUpgrade: websocket\r\nConnection: "
                        "Upgrade\r\n\r\n",
                        &h),
                  0);
        CHECK(!h.attach);
        CHECK_INT(parse("GET /api/sessions/x/attachx HTTP/1.1\r\nUpgrade: websocket\r\nConnection: "
                        "Upgrade\r\n\r\n",
                        &h),
                  0);
        CHECK(!h.attach);
        CHECK_INT(parse("GET /api/events HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", &h),
                  0);
        CHECK(!h.attach && h.id[0] == 0);
        /* "websocketx" is not "websocket": list items are compared whole. */
        CHECK_INT(parse("GET /api/sessions/x/attach HTTP/1.1\r\nUpgrade: websocketx\r\nConnection: "
                        "Upgrade\r\n\r\n",
                        &h),
                  0);
        CHECK(!h.attach);
}

static void test_id_bounds(void) {
        char req[512], id[HTTP_HEAD_ID_MAX + 2];
        HttpHead h;

        memset(id, 'a', HTTP_HEAD_ID_MAX);
        id[HTTP_HEAD_ID_MAX] = 0;
        snprintf(req, sizeof req,
                 "GET /api/sessions/%s/attach HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
                 id);
        CHECK_INT(parse(req, &h), 0);
        CHECK(h.attach);
        CHECK_STREQ(h.id, id);

        strcat(id, "a"); /* one too long */
        snprintf(req, sizeof req,
                 "GET /api/sessions/%s/attach HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
                 id);
        CHECK_INT(parse(req, &h), 0);
        CHECK(!h.attach);
}

static void test_host_origin_token(void) {
        char req[2048], big[HTTP_HEAD_FIELD_MAX + 2];
        HttpHead h;

        /* The cookie gives the token only when there is no Authorization: Bearer. */
        CHECK_INT(parse("GET / HTTP/1.1\r\nCookie: a=b; oly_token2=no; oly_token=from-cookie ; c=d\r\n\r\n",
                        &h),
                  0);
        CHECK_STREQ(h.token, "from-cookie");
        CHECK_INT(parse("GET / HTTP/1.1\r\nAuthorization: Bearer bearer\r\nCookie: oly_token=cookie\r\n\r\n",
                        &h),
                  0);
        CHECK_STREQ(h.token, "bearer");
        CHECK_INT(parse("GET / HTTP/1.1\r\nAuthorization: Basic Zm9vOmJhcg==\r\n\r\n", &h), 0);
        CHECK_STREQ(h.token, "");
        CHECK_INT(parse("GET / HTTP/1.1\r\nHost:\t 127.0.0.1:1 \t\r\nOrigin: null\r\n\r\n", &h), 0);
        CHECK_STREQ(h.host, "127.0.0.1:1");
        CHECK_STREQ(h.origin, "null");
        CHECK(h.has_origin);

        /* A field that does not fit is kept empty, never cut: a cut Origin could match a shorter Host. */
        memset(big, 'h', HTTP_HEAD_FIELD_MAX);
        big[HTTP_HEAD_FIELD_MAX] = 0;
        snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\nOrigin: http://%s\r\n\r\n", big, big);
        CHECK_INT(parse(req, &h), 0);
        CHECK_STREQ(h.host, big);
        CHECK_STREQ(h.origin, "");
        CHECK(h.has_origin);
        strcat(big, "h");
        snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", big,
                 big);
        CHECK_INT(parse(req, &h), 0);
        CHECK_STREQ(h.host, "");
        CHECK_STREQ(h.token, "");
}

static void test_incomplete_and_garbage(void) {
        HttpHead h = { .length = 4242 };

        CHECK_INT(parse("", &h), -EAGAIN);
        CHECK_INT(parse("GET / HTTP/1.1\r\nHost: x\r\n", &h), -EAGAIN);
        CHECK_INT(parse("GET / HTTP/1.1\r\nHost: x\n\n", &h), -EAGAIN); /* bare LF never ends a head */
        CHECK_INT(parse("GET /api/sessions HTT", &h), -EAGAIN);
        CHECK_INT(parse("GE", &h), -EAGAIN);
        CHECK_INT(h.length, 4242); /* not written unless parsed */

        /* A request line that cannot be one is refused once complete, a method once seen. */
        CHECK_INT(parse("GET / HTTP/1.1\n\n", &h), -EBADMSG);
        CHECK_INT(parse("GET / HTTP/1.1\nHost: x", &h), -EBADMSG);
        CHECK_INT(parse("hello world\r\n", &h), -EBADMSG);
        CHECK_INT(parse("GET / HTTP/9.9\r\nHost: x\r\n", &h), -EBADMSG);
        CHECK_INT(parse("\x16\x03\x01\x02", &h), -EBADMSG);
        CHECK_INT(parse(" GET", &h), -EBADMSG);
        CHECK_INT(parse("G(T", &h), -EBADMSG);

        CHECK_INT(parse("hello\r\n\r\n", &h), -EBADMSG);
        CHECK_INT(parse(" / HTTP/1.1\r\n\r\n", &h), -EBADMSG);
        CHECK_INT(parse("GET  HTTP/1.1\r\n\r\n", &h), -EBADMSG);
        CHECK_INT(parse("GET / HTTP/2.0\r\n\r\n", &h), -EBADMSG);
        CHECK_INT(parse("GET / HTTP/1.1x\r\n\r\n", &h), -EBADMSG);
        CHECK_INT(parse("GET / http/1.1\r\n\r\n", &h), -EBADMSG);
        CHECK_INT(parse("GET / HTTP/1.1\r\nno colon here\r\n\r\n", &h), -EBADMSG);
        CHECK_INT(parse("GET / HTTP/1.1\r\n: empty name\r\n\r\n", &h), -EBADMSG);
        CHECK_INT(parse("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", &h), -EBADMSG);
        CHECK_INT(parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n", &h), -EBADMSG);
        CHECK_INT(parse("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", &h), -EBADMSG);
        CHECK_INT(parse("GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n", &h), -EBADMSG);
        CHECK_INT(parse("GET /\x7f HTTP/1.1\r\n\r\n", &h), -EBADMSG);
        CHECK_INT(parse("GET /\xc3\xa9 HTTP/1.1\r\n\r\n", &h), -EBADMSG);
        CHECK_INT(parse("GET / HTTP/1.1 \r\n\r\n", &h), -EBADMSG);

        /* Host is counted, and whether it is required. */
        CHECK_INT(parse("GET / HTTP/1.1\r\nX: caf\xc3\xa9\t\r\n\r\n", &h), 0);
        CHECK(h.http11 && h.n_host == 0);
        CHECK_INT(parse("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", &h), 0);
        CHECK(!h.http11 && h.n_host == 2);
        static const char nul_in_header[] = "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n",
                          nuls[] = "\0\0\0\0\r\n\r\n";
        CHECK_INT(http_head_parse(nul_in_header, sizeof nul_in_header - 1, &h), -EBADMSG);
        CHECK_INT(http_head_parse(nuls, sizeof nuls - 1, &h), -EBADMSG);

        /* Every byte value in the request line: never a crash, and a head only for a plain request. */
        for (unsigned c = 1; c < 256; c++) {
                char req[64];
                snprintf(req, sizeof req, "G%cT / HTTP/1.1\r\n\r\n", c);
                int r = parse(req, &h);
                CHECK(r == 0 || r == -EBADMSG || r == -EAGAIN);
                if (r == 0)
                        CHECK(!h.attach);
        }
}

static void test_oversize(void) {
        /* Many headers: still parsed when the blank line is there, and only the first head counts. */
        size_t n = 64 * 1024;
        char *buf = malloc(n + 64);
        HttpHead h;
        size_t len;

        CHECK(buf);
        if (!buf)
                return;
        len = (size_t) sprintf(buf, "GET / HTTP/1.1\r\n");
        while (len < n) {
                memcpy(buf + len, "X-Filler: 0123456789\r\n", 22);
                len += 22;
        }
        CHECK_INT(http_head_parse(buf, len, &h), -EAGAIN);
        memcpy(buf + len, "\r\nGET /second HTTP/1.1\r\n\r\n", 26);
        CHECK_INT(http_head_parse(buf, len + 26, &h), 0);
        CHECK_INT(h.length, len + 2);
        free(buf);
}

static void test_cookie(void) {
        char v[8];

        CHECK(http_head_cookie("a=1; oly_token=xyz", 18, "oly_token", v, sizeof v));
        CHECK_STREQ(v, "xyz");
        CHECK(http_head_cookie("oly_token=", 10, "oly_token", v, sizeof v)); /* present, empty */
        CHECK_STREQ(v, "");
        CHECK(!http_head_cookie("xoly_token=1", 12, "oly_token", v, sizeof v));
        CHECK(!http_head_cookie("oly_tokenx=1", 12, "oly_token", v, sizeof v));
        CHECK(!http_head_cookie("", 0, "oly_token", v, sizeof v));
        /* Only len bytes are looked at. */
        CHECK(!http_head_cookie("a=1; oly_token=xyz", 10, "oly_token", v, sizeof v));
        /* A long value is cut to the buffer, NUL-terminated. */
        CHECK(http_head_cookie("oly_token=0123456789", 20, "oly_token", v, sizeof v));
        CHECK_STREQ(v, "0123456");
}

int main(void) {
        test_attach();
        test_attach_needs_everything();
        test_id_bounds();
        test_host_origin_token();
        test_incomplete_and_garbage();
        test_oversize();
        test_cookie();
        TESTS_END();
}
