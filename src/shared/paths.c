/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "macro.h"
#include "paths.h"

char *path_join(const char *a, const char *b) {
        char *r;
        size_t la = strlen(a);
        while (la > 1 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        if (asprintf(&r, "%.*s/%s", (int) la, a, b) < 0)
                return NULL;
        return r;
}

static int home_dir(const char **ret) {
        const char *h = getenv("HOME");
        if (isempty(h) || h[0] != '/') {
                struct passwd *pw = getpwuid(geteuid());
                if (!pw || isempty(pw->pw_dir))
                        return -ENXIO;
                h = pw->pw_dir;
        }
        *ret = h;
        return 0;
}

int oly_state_dir(char **ret) {
        const char *e = getenv("OLY_STATE_DIR");
        char *p;

        if (!isempty(e)) {
                if (e[0] != '/')
                        return -EINVAL; /* a relative state dir would change meaning with the cwd */
                p = strdup(e);
        } else if (!isempty(e = getenv("XDG_STATE_HOME")) && e[0] == '/')
                p = path_join(e, "oly");
        else {
                const char *h;
                int r = home_dir(&h);
                if (r < 0)
                        return r;
                p = path_join(h, ".local/state/oly");
        }
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int oly_runtime_dir(char **ret) {
        const char *e;
        char *p;

        if (!isempty(e = getenv("OLY_RUNTIME_DIR"))) {
                if (e[0] != '/')
                        return -EINVAL;
                p = strdup(e);
        } else if (!isempty(e = getenv("OLY_STATE_DIR"))) {
                if (e[0] != '/')
                        return -EINVAL;
                p = path_join(e, "run");
        } else if (!isempty(e = getenv("XDG_RUNTIME_DIR")) && e[0] == '/')
                p = path_join(e, "oly");
        else {
                _cleanup_free_ char *s = NULL;
                int r = oly_state_dir(&s);
                if (r < 0)
                        return r;
                p = path_join(s, "run");
        }
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int oly_bus_socket_path(char **ret) {
        _cleanup_free_ char *d = NULL;
        int r = oly_runtime_dir(&d);
        if (r < 0)
                return r;
        char *p = path_join(d, "bus");
        if (!p)
                return -ENOMEM;
        if (strlen(p) >= sizeof(((struct sockaddr_un *) NULL)->sun_path)) {
                free(p);
                return -ENAMETOOLONG;
        }
        *ret = p;
        return 0;
}

int mkdir_p(const char *path, unsigned mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0) {
                if (errno != EEXIST)
                        return -errno;
                struct stat st;
                if (stat(p, &st) < 0)
                        return -errno;
                if (!S_ISDIR(st.st_mode))
                        return -ENOTDIR;
        }
        if (chmod(p, mode) < 0)
                return -errno;
        return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (asprintf(&tmp, "%s.tmp.%d", path, (int) getpid()) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        for (size_t off = 0; off < len;) {
                ssize_t n = write(fd, data + off, len - off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = -errno;
                        (void) unlink(tmp);
                        return r;
                }
                off += (size_t) n;
        }
        if (fsync(fd) < 0 || rename(tmp, path) < 0) {
                int r = -errno;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

int read_file_full(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        if (fd < 0)
                return -errno;
        for (;;) {
                if (len + 4096 + 1 > cap) {
                        size_t ncap = MAX(cap * 2, (size_t) 8192);
                        char *n = realloc(buf, ncap);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap = ncap;
                }
                ssize_t k = read(fd, buf + len, cap - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = 0;
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}
