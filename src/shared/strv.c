/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated string arrays. */
#include <string.h>

#include "strv.h"

size_t strv_length(char *const *l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

char **strv_copy(char *const *l) {
        size_t n = strv_length(l);
        char **c = calloc(n + 1, sizeof(char *));
        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (!(c[i] = strdup(l[i])))
                        return strv_free(c);
        return c;
}

char **strv_free(char **l) {
        for (char **p = l; p && *p; p++)
                free(*p);
        free(l);
        return NULL;
}

char **strv_free_erase(char **l) {
        for (char **p = l; p && *p; p++)
                erase_and_free(*p);
        free(l);
        return NULL;
}

bool strv_bounded(char *const *l, size_t max_n, size_t *bytes) {
        size_t n = 0;
        for (; l && l[n]; n++)
                *bytes += strlen(l[n]) + 1;
        return n <= max_n;
}

const char *strv_env_get(char *const *env, const char *name) {
        size_t k = strlen(name);
        for (; env && *env; env++)
                if (strncmp(*env, name, k) == 0 && (*env)[k] == '=')
                        return *env + k + 1;
        return NULL;
}

bool strv_contains(char *const *l, const char *s) {
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}
