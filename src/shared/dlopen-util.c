/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "dlopen-util.h"

int dlopen_many_sym(void **dl, const char *soname, const DlSymbol *table, size_t n, char **ret_error) {
        void *h;

        if (*dl)
                return 0;
        h = dlopen(soname, RTLD_NOW | RTLD_NODELETE);
        if (!h) {
                if (ret_error && asprintf(ret_error, "%s is not installed (%s)", soname, dlerror()) < 0)
                        *ret_error = NULL;
                return -EOPNOTSUPP;
        }
        for (size_t i = 0; i < n; i++) {
                *table[i].fn = dlsym(h, table[i].name);
                if (*table[i].fn)
                        continue;
                if (ret_error && asprintf(ret_error, "%s lacks the symbol %s", soname, table[i].name) < 0)
                        *ret_error = NULL;
                for (size_t j = 0; j < n; j++)
                        *table[j].fn = NULL;
                (void) dlclose(h);
                return -EOPNOTSUPP;
        }
        *dl = h;
        return 0;
}
