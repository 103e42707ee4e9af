/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests the key grammar of 'oly send': named keys, modifiers, cursor-key modes, hex, rejects. */
#include <errno.h>

#include "keyspec.h"
#include "tests.h"

static void check(const char *spec, bool app, const char *want, size_t want_len) {
        uint8_t buf[KEYSPEC_BYTES_MAX];
        int n = keyspec_encode(spec, app, buf, sizeof buf);
        if (n < 0 || (size_t) n != want_len || memcmp(buf, want, want_len) != 0) {
                fprintf(stderr, "keyspec '%s' (app=%d): got %d bytes\n", spec, app, n);
                tests_failed++;
        }
}
#define CHECK_KEY(spec, app, lit) check(spec, app, lit, sizeof(lit) - 1)

int main(void) {
        CHECK_KEY("enter", false, "\r");
        CHECK_KEY("ENTER", false, "\r");
        CHECK_KEY("tab", false, "\t");
        CHECK_KEY("esc", false, "\033");
        CHECK_KEY("backspace", false, "\177");
        CHECK_KEY("up", false, "\033[A");
        CHECK_KEY("up", true, "\033OA");
        CHECK_KEY("down", true, "\033OB");
        CHECK_KEY("right", false, "\033[C");
        CHECK_KEY("left", true, "\033OD");
        CHECK_KEY("home", false, "\033[H");
        CHECK_KEY("end", true, "\033OF");
        CHECK_KEY("pageup", true, "\033[5~"); /* not affected by DECCKM */
        CHECK_KEY("pagedown", false, "\033[6~");
        CHECK_KEY("delete", false, "\033[3~");
        CHECK_KEY("insert", false, "\033[2~");
        CHECK_KEY("f1", false, "\033OP");
        CHECK_KEY("f12", false, "\033[24~");
        CHECK_KEY("ctrl+c", false, "\003");
        CHECK_KEY("ctrl+C", false, "\003");
        CHECK_KEY("ctrl+a", false, "\001");
        CHECK_KEY("ctrl+z", false, "\032");
        CHECK_KEY("ctrl+[", false, "\033");
        CHECK_KEY("ctrl+]", false, "\035");
        CHECK_KEY("ctrl+?", false, "\177");
        CHECK_KEY("ctrl+space", false, "\0");
        CHECK_KEY("alt+x", false, "\033x");
        CHECK_KEY("meta+x", false, "\033x");
        CHECK_KEY("alt+up", false, "\033\033[A");
        CHECK_KEY("alt+enter", false, "\033\r");
        CHECK_KEY("alt+ctrl+c", false, "\033\003");
        CHECK_KEY("alt+é", false, "\033\xc3\xa9");
        CHECK_KEY("shift+tab", false, "\033[Z");
        CHECK_KEY("hex:1b5b41", false, "\033[A");
        CHECK_KEY("hex:00FF", false, "\0\377");

        const char *bad[] = { "", "bogus", "ctrl+", "ctrl+cc", "ctrl+1", "alt+", "hex:", "hex:1", "hex:zz",
                              "shift+x", "f13", "alt+\x01", "up ", "key:up" };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                if (keyspec_validate(bad[i]) != -EINVAL) {
                        fprintf(stderr, "keyspec '%s' should be rejected\n", bad[i]);
                        tests_failed++;
                }
        }
        /* hex: longer than the buffer */
        char big[2 * KEYSPEC_BYTES_MAX + 8] = "hex:";
        for (size_t i = 4; i < sizeof big - 2; i++)
                big[i] = 'a';
        big[sizeof big - 2] = 0;
        CHECK_INT(keyspec_validate(big), -E2BIG);
        TESTS_END();
}
