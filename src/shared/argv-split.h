/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Splitting a command line into words the way a POSIX shell quotes them, without anything else a shell
 * does (no expansion, no globbing, no redirection): used for notification_hook. */
#pragma once

/* Words are separated by blanks; '...' is literal; "..." is literal except \" \\ \$ \` ; a backslash
 * outside quotes takes the next character literally. Returns a NULL-terminated array, or -EINVAL on an
 * unterminated quote or a trailing backslash, -E2BIG beyond max_words. */
int argv_split(const char *s, unsigned max_words, char ***ret);
void argv_free(char **v);
