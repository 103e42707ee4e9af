/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated string arrays (argv, environments): length, copy, free, bounded checks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

size_t strv_length(char *const *l);
/* A deep copy; NULL in gives an empty array (never NULL unless out of memory). */
char **strv_copy(char *const *l);
/* Frees the strings and the array; takes NULL; returns NULL. */
char **strv_free(char **l);
/* Like strv_free, wiping each string first (secrets). */
char **strv_free_erase(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

#define STRV_FOREACH(s, l) for (char **s = (l); s && *s; s++)

/* At most max_n entries; adds the bytes (with NULs) to *bytes. */
bool strv_bounded(char *const *l, size_t max_n, size_t *bytes);
/* The value of NAME in an environment block, or NULL. */
const char *strv_env_get(char *const *env, const char *name);
/* Whether s is an element. */
bool strv_contains(char *const *l, const char *s);
