/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading an optional library at run time, systemd's way: a table of symbol names and the function
 * pointers they fill, all or nothing, and one message naming what is missing. */
#pragma once

#include <stddef.h>

/* A pointer to symbol, with symbol's own type: sym_foo for foo. */
#define DLSYM_PROTOTYPE(symbol) typeof(symbol) *sym_##symbol
#define DLSYM_ARG(symbol) \
        { #symbol, (void **) &sym_##symbol }

typedef struct DlSymbol {
        const char *name;
        void **fn;
} DlSymbol;

/* Opens soname and fills every pointer of the table. Once done, later calls return 0 at once. On failure
 * no pointer is left set, the library is closed, and *ret_error (when given) says which library or
 * symbol is missing. Returns 0, or -EOPNOTSUPP when the library or a symbol is missing. */
int dlopen_many_sym(void **dl, const char *soname, const DlSymbol *table, size_t n, char **ret_error);
