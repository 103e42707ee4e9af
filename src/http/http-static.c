/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Static files (see http-static.h): opened beneath the web directory only (openat2 RESOLVE_BENEATH), no
 * directory listings, sent by MHD straight from the fd. */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "http-response.h"
#include "http-static.h"
#include "log.h"
#include "paths.h"

static int open_beneath(int dir_fd, const char *path) {
        struct open_how how = {
                /* O_NONBLOCK: a FIFO in the web root must not block the loop in open() (only regular files
                 * are served; reading those ignores the flag). */
                .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, dir_fd, path, &how, sizeof how);

        if (fd >= 0)
                return (int) fd;
        if (errno != ENOSYS)
                return -errno;
        /* Old kernels: the path was checked for ".." already; refuse symlinks at the last component. */
        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
        return fd >= 0 ? (int) fd : -errno;
}

int http_static_open(HttpContext *s) {
        _cleanup_free_ char *state = NULL, *wwwroot = NULL;
        const char *candidates[3] = {};
        int r;

        r = oly_state_dir(&state);
        if (r >= 0)
                candidates[0] = wwwroot = path_join(state, "wwwroot");
        candidates[1] = getenv("OLY_WEB_DIR");
        candidates[2] = OLY_DATADIR "/web";
        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                int fd;
                if (isempty(candidates[i]))
                        continue;
                fd = open(candidates[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                s->static_fd = fd;
                s->static_dir = strdup(candidates[i]);
                log_info("Serving web files from %s.", candidates[i]);
                return 0;
        }
        log_warning("No web directory found (%s, $OLY_WEB_DIR, %s): only the API is served.",
                    strempty(wwwroot), OLY_DATADIR "/web");
        return -ENOENT;
}

const char *http_static_mime_type(const char *name) {
        static const struct {
                const char *ext, *type;
        } table[] = {
                { "html", "text/html; charset=utf-8" },
                { "htm", "text/html; charset=utf-8" },
                { "js", "text/javascript; charset=utf-8" },
                { "mjs", "text/javascript; charset=utf-8" },
                { "css", "text/css; charset=utf-8" },
                { "json", "application/json" },
                { "webmanifest", "application/manifest+json" },
                { "map", "application/json" },
                { "svg", "image/svg+xml" },
                { "png", "image/png" },
                { "jpg", "image/jpeg" },
                { "jpeg", "image/jpeg" },
                { "gif", "image/gif" },
                { "webp", "image/webp" },
                { "ico", "image/x-icon" },
                { "woff", "font/woff" },
                { "woff2", "font/woff2" },
                { "ttf", "font/ttf" },
                { "txt", "text/plain; charset=utf-8" },
                { "yaml", "application/yaml" },
                { "yml", "application/yaml" },
                { "wasm", "application/wasm" },
        };
        const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');

        if (dot && (!slash || dot > slash))
                for (size_t i = 0; i < ELEMENTSOF(table); i++)
                        if (strcasecmp(dot + 1, table[i].ext) == 0)
                                return table[i].type;
        return "application/octet-stream";
}

/* A relative path made of plain segments: no "", ".", "..", backslashes or control characters. */
static bool path_is_safe(const char *p) {
        if (isempty(p) || strlen(p) >= PATH_MAX)
                return false;
        for (const char *s = p; *s;) {
                size_t n = strcspn(s, "/");
                if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
                        return false;
                for (size_t i = 0; i < n; i++)
                        if ((unsigned char) s[i] < 0x20 || s[i] == '\\' || s[i] == 0x7f)
                                return false;
                s += n;
                if (*s == '/')
                        s++;
        }
        return true;
}

void http_static_serve(HttpRequest *req) {
        HttpContext *s = req->context;
        _cleanup_free_ char *rel = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct MHD_Response *r;
        const char *name;
        struct stat st;
        size_t l;

        if (s->static_fd < 0)
                return http_respond_error(req, 404, "not found: no web files are installed");
        l = strlen(req->url);
        if (req->url[0] != '/')
                return http_respond_error(req, 404, "not found");
        if (asprintf(&rel, "%s%s", req->url + 1, l == 1 || req->url[l - 1] == '/' ? "index.html" : "") < 0)
                return http_respond(req, 500, NULL);
        if (!path_is_safe(rel))
                return http_respond_error(req, 404, "not found");
        fd = open_beneath(s->static_fd, rel);
        if (fd >= 0 && fstat(fd, &st) >= 0 && S_ISDIR(st.st_mode)) {
                int dfd = open_beneath(fd, "index.html");
                safe_close(fd);
                fd = dfd;
                name = "index.html";
        } else
                name = rel;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return http_respond_error(req, 404, "not found");

        r = st.st_size == 0 ? MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT)
                            : MHD_create_response_from_fd((uint64_t) st.st_size, fd);
        if (!r)
                return http_respond(req, 500, NULL);
        if (st.st_size != 0)
                TAKE_FD(fd); /* the response owns it */
        (void) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, http_static_mime_type(name));
        (void) MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        http_respond(req, 200, r);
}
