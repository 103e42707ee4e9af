/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libargon2 is loaded when a password is to be hashed: no other verb pays for it. */
#include <argon2.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "dlopen-util.h"
#include "macro.h"
#include "paths.h"
#include "web-password.h"

static int check_password(const char *pw) {
        size_t n = strlen(pw);
        if (n < WEB_PASSWORD_MIN)
                return cli_error("the web password must have at least %d characters.", WEB_PASSWORD_MIN),
                       -EINVAL;
        if (n > WEB_PASSWORD_MAX)
                return cli_error("the web password must be at most %d bytes.", WEB_PASSWORD_MAX), -EINVAL;
        return 0;
}

int web_password_from_file(const char *path, char **ret) {
        _cleanup_(erase_and_freep) char *text = NULL;
        size_t len;
        int r;

        r = read_file_full(path, WEB_PASSWORD_MAX + 2, &text, &len);
        if (r == -EFBIG)
                return cli_error("%s: the password file is larger than %d bytes.", path, WEB_PASSWORD_MAX),
                       r;
        if (r < 0)
                return cli_error("cannot read the password file %s: %s", path, strerror(-r)), r;
        text[strcspn(text, "\r\n")] = 0;
        explicit_bzero(text + strlen(text),
                       len - strlen(text)); /* erase_and_free() stops at the first NUL */
        if (strlen(text) == 0)
                return cli_error("%s: the password file's first line is empty.", path), -EINVAL;
        r = check_password(text);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(text);
        return 0;
}

static volatile sig_atomic_t hidden_signal;

static void on_hidden_signal(int sig) {
        hidden_signal = sig;
}

/* One line from the terminal with echo off; the terminal is restored on every path, also ^C: a signal that
 * would end us interrupts the read (no SA_RESTART), the terminal and the handlers are put back, and the
 * signal is raised again. */
static int read_hidden(int fd, const char *prompt, char **ret) {
        static const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
        struct sigaction sa = { .sa_handler = on_hidden_signal }, saved[ELEMENTSOF(signals)];
        struct termios old, raw;
        char buf[WEB_PASSWORD_MAX + 2];
        size_t n = 0;
        int r = 0, sig;

        if (tcgetattr(fd, &old) < 0)
                return -errno;
        raw = old;
        raw.c_lflag &= ~(tcflag_t) ECHO;
        raw.c_lflag |= ECHONL;
        (void) !write(fd, prompt, strlen(prompt));
        hidden_signal = 0;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ELEMENTSOF(signals); i++)
                (void) sigaction(signals[i], &sa, &saved[i]);
        if (tcsetattr(fd, TCSAFLUSH, &raw) < 0) {
                r = -errno;
                goto restore;
        }
        for (;;) {
                char c;
                if (hidden_signal) {
                        r = -EINTR;
                        break;
                }
                ssize_t k = read(fd, &c, 1);
                if (k < 0 && errno == EINTR)
                        continue; /* and see whether it was one of ours */
                if (k <= 0) {
                        r = k < 0 ? -errno : -EPIPE;
                        break;
                }
                if (c == '\n' || c == '\r')
                        break;
                if (n < sizeof buf - 1)
                        buf[n++] = c;
        }
        (void) tcsetattr(fd, TCSAFLUSH, &old);
        buf[n] = 0;
        if (r >= 0) {
                *ret = strdup(buf);
                if (!*ret)
                        r = -ENOMEM;
        }
        explicit_bzero(buf, sizeof buf);
restore:
        sig = hidden_signal;
        for (size_t i = 0; i < ELEMENTSOF(signals); i++)
                (void) sigaction(signals[i], &saved[i], NULL);
        if (sig != 0)
                (void) raise(sig); /* with the handler it had before: normally, we end here */
        return r;
}

int web_password_from_tty(char **ret) {
        _cleanup_(erase_and_freep) char *a = NULL, *b = NULL;
        _cleanup_close_ int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
        int r;

        if (fd < 0 || !isatty(fd))
                return -ENOTTY;
        r = read_hidden(fd, "Choose a password for the oly web UI: ", &a);
        if (r < 0)
                return cli_error("cannot read the password: %s", strerror(-r)), r;
        r = check_password(a);
        if (r < 0)
                return r;
        r = read_hidden(fd, "Repeat it: ", &b);
        if (r < 0)
                return cli_error("cannot read the password: %s", strerror(-r)), r;
        if (!streq(a, b))
                return cli_error("the two passwords differ; nothing was changed."), -EINVAL;
        *ret = TAKE_PTR(a);
        return 0;
}

static DLSYM_PROTOTYPE(argon2_encodedlen) = NULL;
static DLSYM_PROTOTYPE(argon2id_hash_encoded) = NULL;

static int dlopen_argon2(char **ret_error) {
        static void *dl = NULL;
        static const DlSymbol table[] = {
                DLSYM_ARG(argon2_encodedlen),
                DLSYM_ARG(argon2id_hash_encoded),
        };

        return dlopen_many_sym(&dl, "libargon2.so.1", table, ELEMENTSOF(table), ret_error);
}

int web_password_hash(const char *password, char **ret) {
        _cleanup_free_ char *enc = NULL, *err = NULL;
        uint8_t salt[WEB_ARGON2_SALT_LEN];
        size_t len;
        int r;

        r = dlopen_argon2(&err);
        if (r < 0)
                return cli_error("cannot hash the password: %s.", err ?: "libargon2 is missing"), r;
        len = sym_argon2_encodedlen(WEB_ARGON2_T_COST, WEB_ARGON2_M_COST_KIB, WEB_ARGON2_PARALLELISM,
                                    WEB_ARGON2_SALT_LEN, WEB_ARGON2_HASH_LEN, Argon2_id);
        enc = malloc(len);
        if (!enc)
                return cli_error("cannot hash the password: %s", strerror(ENOMEM)), -ENOMEM;
        if (getrandom(salt, sizeof salt, 0) != (ssize_t) sizeof salt) {
                r = errno > 0 ? -errno : -EIO;
                return cli_error("cannot hash the password: %s", strerror(-r)), r;
        }
        r = sym_argon2id_hash_encoded(WEB_ARGON2_T_COST, WEB_ARGON2_M_COST_KIB, WEB_ARGON2_PARALLELISM,
                                      password, strlen(password), salt, sizeof salt, WEB_ARGON2_HASH_LEN,
                                      enc, len);
        if (r != ARGON2_OK) {
                r = r == ARGON2_MEMORY_ALLOCATION_ERROR ? -ENOMEM : -EINVAL;
                return cli_error("cannot hash the password: %s", strerror(-r)), r;
        }
        *ret = TAKE_PTR(enc);
        return 0;
}
