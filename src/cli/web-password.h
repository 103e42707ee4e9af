/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The web UI password as 'oly daemon start' handles it: ask for one (or read it from a file), hash it.
 * Whether one is stored the daemon says (oly-daemon --preflight). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define WEB_PASSWORD_MIN 8 /* characters */
#define WEB_PASSWORD_MAX 1024 /* bytes */

/* Argon2id cost (OWASP's recommendation, and what the issue asks for): 19 MiB, 2 passes, 1 lane. */
#define WEB_ARGON2_T_COST 2
#define WEB_ARGON2_M_COST_KIB 19456
#define WEB_ARGON2_PARALLELISM 1
#define WEB_ARGON2_SALT_LEN 16
#define WEB_ARGON2_HASH_LEN 32

/* Reads the password from the first line of path (the rest is ignored). Errors are printed. */
int web_password_from_file(const char *path, char **ret);

/* Asks twice on /dev/tty with echo off. -ENOTTY when there is no terminal. Errors are printed. */
int web_password_from_tty(char **ret);

/* The Argon2id PHC string of password; libargon2 is loaded now. Errors are printed. */
int web_password_hash(const char *password, char **ret);
