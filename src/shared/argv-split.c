/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "argv-split.h"
#include "buf.h"
#include "macro.h"

void argv_free(char **v) {
        for (char **p = v; p && *p; p++)
                free(*p);
        free(v);
}

int argv_split(const char *s, unsigned max_words, char ***ret) {
        char **v = calloc(max_words + 1, sizeof(char *));
        unsigned n = 0;
        int r = 0;

        if (!v)
                return -ENOMEM;
        for (const char *p = s; r == 0;) {
                Buf w = {};
                bool in_word = false;

                while (*p == ' ' || *p == '\t' || *p == '\n')
                        p++;
                if (!*p)
                        break;
                while (*p && *p != ' ' && *p != '\t' && *p != '\n' && r == 0) {
                        in_word = true;
                        if (*p == '\'') {
                                const char *e = strchr(p + 1, '\'');
                                if (!e) {
                                        r = -EINVAL;
                                        break;
                                }
                                r = buf_put(&w, p + 1, (size_t) (e - p - 1));
                                p = e + 1;
                        } else if (*p == '"') {
                                for (p++; *p && *p != '"' && r == 0; p++) {
                                        if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
                                                p++;
                                        r = buf_put(&w, p, 1);
                                }
                                if (*p != '"')
                                        r = -EINVAL;
                                else
                                        p++;
                        } else if (*p == '\\') {
                                if (!p[1]) {
                                        r = -EINVAL;
                                        break;
                                }
                                r = buf_put(&w, p + 1, 1);
                                p += 2;
                        } else
                                r = buf_put(&w, p++, 1);
                }
                if (r == 0 && in_word) {
                        if (n >= max_words)
                                r = -E2BIG;
                        else if ((r = buf_put(&w, "", 1)) == 0) {
                                v[n++] = (char *) w.data;
                                continue;
                        }
                }
                buf_free(&w);
        }
        if (r < 0) {
                argv_free(v);
                return r;
        }
        *ret = v;
        return 0;
}
