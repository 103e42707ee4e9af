/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly-daemon --preflight (see preflight.h): the configuration checked by the code that will use it, and
 * the database read by the code that owns it. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "macro.h"
#include "paths.h"
#include "preflight.h"
#include "prompt.h"

static int preflight_error(int r, const char *fmt, ...) _printf_(2, 3);
static int preflight_error(int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return r < 0 ? r : -EINVAL;
}

/* The checks manager_startup() makes before it writes anything, in the same order. */
static int preflight_config(const char *state, unsigned *ret_http_port) {
        _cleanup_free_ char *path = path_join(state, OLY_CONFIG_FILE), *err = NULL;
        PromptMatcher *prompt = NULL;
        OlyConfig cfg;
        int r;

        if (!path)
                return preflight_error(-ENOMEM, "out of memory");
        oly_config_init(&cfg);
        r = oly_config_load(&cfg, path, &err);
        if (r < 0) {
                oly_config_done(&cfg);
                return preflight_error(r, "invalid configuration: %s", err ?: strerror(-r));
        }
        free(err);
        err = NULL;
        r = prompt_matcher_new(&cfg, &prompt, &err);
        prompt_matcher_free(prompt);
        *ret_http_port = cfg.http_port;
        oly_config_done(&cfg);
        if (r < 0)
                return preflight_error(r, "invalid configuration: %s: %s", path, err ?: strerror(-r));
        return 0;
}

/* 1 when a web password is stored. A state without a database has none (and gets no database here). */
static int preflight_web_password(const char *state) {
        _cleanup_free_ char *dbpath = path_join(state, "oly.db"),
                            *lockpath = path_join(state, "daemon.lock");
        _cleanup_(erase_and_freep) char *hash = NULL;
        _cleanup_(db_closep) Database *db = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        int r;

        if (!dbpath || !lockpath)
                return preflight_error(-ENOMEM, "out of memory");
        if (access(dbpath, F_OK) < 0) {
                if (errno == ENOENT)
                        return 0;
                return preflight_error(-errno, "cannot read the database in %s: %m", state);
        }
        /* db_open() may migrate the schema: only when no daemon uses the database, as the daemon itself. */
        lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lock_fd < 0)
                return preflight_error(-errno, "cannot open %s: %m", lockpath);
        if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK)
                        return preflight_error(-EBUSY, "another oly-daemon is already running for %s.",
                                               state);
                return preflight_error(-errno, "cannot lock %s: %m", lockpath);
        }
        r = db_open(dbpath, &db);
        if (r == -EPROTONOSUPPORT)
                return preflight_error(r, "%s was written by a newer oly; refusing to touch it.", dbpath);
        if (r >= 0)
                r = db_web_get_password(db, &hash);
        if (r < 0)
                return preflight_error(r, "cannot read the database in %s: %s", state, strerror(-r));
        return r > 0;
}

int preflight_run(void) {
        _cleanup_free_ char *state = NULL;
        unsigned port = 0;
        int r;

        umask(0077); /* as the daemon: whatever the database creates (its WAL files) is ours alone */
        r = oly_state_dir(&state);
        if (r < 0)
                return preflight_error(
                        r, "cannot determine the state directory (OLY_STATE_DIR must be absolute): %s",
                        strerror(-r));
        r = preflight_config(state, &port);
        if (r < 0)
                return r;
        r = preflight_web_password(state);
        if (r < 0)
                return r;
        printf("http_port=%u\nweb_password=%s\n", port, r > 0 ? "yes" : "no");
        return fflush(stdout) == 0 ? 0 : -EIO;
}
