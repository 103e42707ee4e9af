/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI's side of the D-Bus connection: connecting, and turning errors into one line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-util.h"
#include "cli.h"
#include "oly-def.h"
#include "paths.h"

int cli_connect_quiet(sd_bus **ret) {
        return oly_bus_open_daemon(ret);
}

/* A daemon that serves another user drops us at once: say that, not "not running". */
static bool socket_of_another_user(const char *path, uid_t *ret_uid) {
        struct stat st;

        if (!path || stat(path, &st) < 0 || st.st_uid == geteuid() || geteuid() == 0)
                return false;
        *ret_uid = st.st_uid;
        return true;
}

int cli_connect(sd_bus **ret) {
        _cleanup_free_ char *path = NULL;
        uid_t uid;
        int r;

        r = cli_connect_quiet(ret);
        if (r >= 0)
                return r;
        if (oly_bus_socket_path(&path) == -ENAMETOOLONG) {
                cli_error(
                        "the bus socket path is too long for a unix socket (max 107 bytes); set OLY_RUNTIME_DIR to "
                        "a shorter directory.");
                return r;
        }
        if (r != -ENOENT && socket_of_another_user(path, &uid))
                cli_error(
                        "not allowed to use the oly daemon on %s: it belongs to uid %u and serves only its own "
                        "user.",
                        path, (unsigned) uid);
        else if (r == -ENOENT || r == -ECONNREFUSED || r == -ECONNRESET)
                cli_error(
                        "the oly daemon is not running (no one listens on %s); start it with 'oly daemon start "
                        "--detach'.",
                        strempty(path));
        else if (r == -EACCES || r == -EPERM)
                cli_error("not allowed to talk to the oly daemon on %s (it serves only its own user).",
                          strempty(path));
        else
                cli_error("cannot reach the oly daemon on %s: %s", strempty(path), strerror(-r));
        return r;
}

static int bus_error_line(const sd_bus_error *error, int r, const char *node, const char *what) {
        if (node && (sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_OBJECT) ||
                     sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_METHOD) ||
                     sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_INTERFACE) ||
                     sd_bus_error_has_name(error, OLY_ERROR_NO_SUCH_NODE)))
                return cli_error("no such node: %s (no secondary of that name is connected).", node);
        if (sd_bus_error_has_name(error, SD_BUS_ERROR_NO_REPLY) || r == -ETIMEDOUT)
                return cli_error("%s: the daemon did not answer in time.", what);
        if (r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE) {
                _cleanup_free_ char *path = NULL;
                uid_t uid;

                if (oly_bus_socket_path(&path) >= 0 && socket_of_another_user(path, &uid))
                        return cli_error(
                                "not allowed to use the oly daemon on %s: it belongs to uid %u and serves "
                                "only its own user.",
                                path, (unsigned) uid);
                return cli_error("%s: the connection to the daemon was lost.", what);
        }
        if (sd_bus_error_is_set(error) && error->message)
                return cli_error("%s", error->message);
        return cli_error("%s: %s", what, strerror(r < 0 ? -r : r));
}

int cli_bus_error(sd_bus_error *error, int r, const char *node, const char *what) {
        r = bus_error_line(error, r, node, what);
        sd_bus_error_free(error);
        return r;
}

int cli_bad_reply(int r) {
        return cli_error("bad reply from the daemon: %s", strerror(-r));
}
