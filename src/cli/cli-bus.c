/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI's side of the D-Bus connection: connecting, calling, and turning errors into one line. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bus-util.h"
#include "cli.h"
#include "oly-def.h"
#include "parse-util.h"
#include "paths.h"

int usage_error(const char *verb, const char *fmt, ...) {
        va_list ap;
        fputs("oly: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'oly %s%s--help'.\n", strempty(verb), verb ? " " : "");
        return EXIT_USAGE;
}

int cli_error(const char *fmt, ...) {
        va_list ap;
        fputs("oly: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return EXIT_ERROR;
}

int cli_connect_quiet(sd_bus **ret) {
        return oly_bus_open_daemon(ret);
}

int cli_connect(sd_bus **ret) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = cli_connect_quiet(ret);
        if (r >= 0)
                return r;
        if (oly_bus_socket_path(&path) == -ENAMETOOLONG) {
                cli_error("the bus socket path is too long for a unix socket (max 107 bytes); set OLY_RUNTIME_DIR to "
                          "a shorter directory.");
                return r;
        }
        /* A daemon that serves another user drops us at once: say that, not "not running". */
        struct stat st;
        if (path && r != -ENOENT && stat(path, &st) >= 0 && st.st_uid != geteuid() && geteuid() != 0)
                cli_error("not allowed to use the oly daemon on %s: it belongs to uid %u and serves only its own "
                          "user.", path, (unsigned) st.st_uid);
        else if (r == -ENOENT || r == -ECONNREFUSED || r == -ECONNRESET)
                cli_error("the oly daemon is not running (no one listens on %s); start it with 'oly daemon start "
                          "--detach'.", strempty(path));
        else if (r == -EACCES || r == -EPERM)
                cli_error("not allowed to talk to the oly daemon on %s (it serves only its own user).", strempty(path));
        else
                cli_error("cannot reach the oly daemon on %s: %s", strempty(path), strerror(-r));
        return r;
}

int cli_manager_path(const char *node, char **ret) {
        if (!node) {
                *ret = strdup(OLY_MANAGER_PATH);
                return *ret ? 0 : -ENOMEM;
        }
        return sd_bus_path_encode(OLY_NODE_PATH_PREFIX, node, ret);
}

int cli_bus_error(const sd_bus_error *error, int r, const char *node, const char *what) {
        if (node && (sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_OBJECT) ||
                     sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_METHOD) ||
                     sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_INTERFACE) ||
                     sd_bus_error_has_name(error, OLY_ERROR_NO_SUCH_NODE)))
                return cli_error("no such node: %s (no secondary of that name is connected).", node);
        if (sd_bus_error_has_name(error, SD_BUS_ERROR_NO_REPLY) || r == -ETIMEDOUT)
                return cli_error("%s: the daemon did not answer in time.", what);
        if (r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE) {
                _cleanup_free_ char *path = NULL;
                struct stat st;
                if (oly_bus_socket_path(&path) >= 0 && stat(path, &st) >= 0 && st.st_uid != geteuid() &&
                    geteuid() != 0)
                        return cli_error("not allowed to use the oly daemon on %s: it belongs to uid %u and serves "
                                         "only its own user.", path, (unsigned) st.st_uid);
                return cli_error("%s: the connection to the daemon was lost.", what);
        }
        if (sd_bus_error_is_set(error) && error->message)
                return cli_error("%s", error->message);
        return cli_error("%s: %s", what, strerror(r < 0 ? -r : r));
}

int cli_call(sd_bus *bus, const char *node, const char *method, uint64_t timeout_usec, sd_bus_error *error,
             sd_bus_message **reply, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *path = NULL;
        va_list ap;
        int r;

        r = cli_manager_path(node, &path);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(bus, &m, NULL, path, OLY_MANAGER_IFACE, method);
        if (r < 0)
                return r;
        if (types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return r;
        }
        return sd_bus_call(bus, m, timeout_usec, error, reply);
}

int cli_parse_grace(const char *verb, const char *s, uint64_t *ret_usec) {
        int r = parse_seconds(s, OLY_GRACE_MAX_SEC, ret_usec);
        if (r < 0)
                return usage_error(verb, "invalid grace period '%s': expected seconds from 0 to %u (e.g. 5 or 2.5).",
                                   s, OLY_GRACE_MAX_SEC);
        return 0;
}

int cli_parse_node(const char *verb, const char *s) {
        if (isempty(s) || strlen(s) > 64)
                return usage_error(verb, "invalid node name '%s'.", s);
        return 0;
}

int cli_resolve(sd_bus *bus, const char *node, const char *id, char **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *full;
        int r;

        r = cli_call(bus, node, "ResolveSession", 0, &error, &reply, "s", id);
        if (r < 0) {
                r = cli_bus_error(&error, r, node, "Failed to find the session");
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_read(reply, "so", &full, NULL);
        if (r < 0)
                return cli_error("bad reply from the daemon: %s", strerror(-r));
        *ret = strdup(full);
        return *ret ? 0 : cli_error("out of memory");
}
