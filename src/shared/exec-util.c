/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec-util.h"
#include "macro.h"
#include "paths.h"

static int check_candidate(const char *p) {
        struct stat st;
        if (stat(p, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EACCES;
        if (access(p, X_OK) < 0)
                return -errno;
        return 0;
}

int find_executable(const char *name, const char *path_env, const char *cwd, char **ret) {
        int r, last = -ENOENT;

        if (isempty(name))
                return -ENOENT;

        if (strchr(name, '/')) {
                _cleanup_free_ char *p = name[0] == '/' || !cwd ? strdup(name) : path_join(cwd, name);
                if (!p)
                        return -ENOMEM;
                r = check_candidate(p);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(p);
                return 0;
        }

        if (!path_env)
                path_env = "/usr/local/bin:/usr/bin:/bin";

        for (const char *s = path_env;;) {
                const char *e = strchrnul(s, ':');
                _cleanup_free_ char *dir = strndup(s, (size_t) (e - s)), *p = NULL;
                if (!dir)
                        return -ENOMEM;
                /* An empty PATH element means the current directory, as in execvp(). */
                const char *d = *dir ? dir : ".";
                if (d[0] != '/' && cwd) {
                        if (asprintf(&p, "%s/%s/%s", cwd, d, name) < 0)
                                p = NULL;
                } else
                        p = path_join(d, name);
                if (!p)
                        return -ENOMEM;
                r = check_candidate(p);
                if (r == 0) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
                /* Remember "found but not executable" over "not there", as execvp does. */
                if (r == -EACCES || r == -EISDIR)
                        last = r == -EISDIR && last == -EACCES ? last : r;
                if (!*e)
                        break;
                s = e + 1;
        }
        return last;
}

char *find_oly_binary(const char *env_var, const char *const *rel, size_t n_rel, const char *fallback) {
        const char *e = getenv(env_var);
        char self[PATH_MAX];
        ssize_t n;

        if (!isempty(e))
                return strdup(e);
        n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
                self[n] = 0;
                char *slash = strrchr(self, '/');
                if (slash) {
                        *slash = 0;
                        for (size_t i = 0; i < n_rel; i++) {
                                _cleanup_free_ char *p = path_join(self, rel[i]);
                                if (p && access(p, X_OK) == 0)
                                        return TAKE_PTR(p);
                        }
                }
        }
        return strdup(fallback);
}
