/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly-daemon: owns oly's sessions and state, serves org.openrelay.Oly1 on a private socket. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "bus-server.h"
#include "http-child.h"
#include "keeper-link.h"
#include "keeper-protocol.h"
#include "log.h"
#include "macro.h"
#include "manager-dbus.h"
#include "manager.h"
#include "preflight.h"

static bool arg_http_no_auth = false;

static bool arg_preflight = false;

static void help(void) {
        printf("oly-daemon [OPTIONS...]\n\n"
               "Owns oly's PTY sessions and their state, and serves the org.openrelay.Oly1 D-Bus API\n"
               "on <runtime dir>/bus. Usually started by systemd (oly-daemon.socket) or by\n"
               "'oly daemon start'.\n\n"
               "  -h --help       Show this help\n"
               "     --version    Show the version\n"
               "     --http-no-auth  Run the oly-http child (when a web socket is passed in) without\n"
               "                  authentication\n"
               "     --preflight  Check the configuration and say what 'oly daemon start' needs to know\n"
               "                  (http_port=, web_password=yes|no), then exit\n\n"
               "Environment: OLY_STATE_DIR, OLY_RUNTIME_DIR, XDG_STATE_HOME, XDG_RUNTIME_DIR.\n"
               "See oly-daemon(8).\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { "http-no-auth", no_argument, NULL, 'A' },
                { "preflight", no_argument, NULL, 'P' },
                {},
        };
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_free_ ManagerAdoptable *adoptable = NULL;
        size_t n_adoptable = 0;
        int c, r;

        log_set_ident("oly-daemon");
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("oly-daemon %s\n", OLY_VERSION);
                        return 0;
                case 'A':
                        arg_http_no_auth = true;
                        break;
                case 'P':
                        arg_preflight = true;
                        break;
                default:
                        return 2;
                }
        if (optind < argc) {
                fprintf(stderr, "oly-daemon: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }
        if (arg_preflight)
                return preflight_run() < 0 ? 1 : 0;

        r = manager_new(&m);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the manager: %m"), 1;
        m->http_no_auth = arg_http_no_auth;
        r = manager_startup(m);
        if (r < 0)
                return 1;
        /* Sessions an earlier daemon left: taken over when oly-keeper held them, else recorded as lost. */
        r = keeper_link_new(m, &adoptable, &n_adoptable);
        if (r < 0)
                return 1;
        r = manager_adopt_sessions(m, adoptable, n_adoptable);
        if (r < 0)
                return 1;
        /* The faces: D-Bus (the private socket and the user bus), and oly-http when we run it. */
        r = bus_server_new(m, manager_dbus_add_objects, NULL);
        if (r < 0)
                return 1;
        r = manager_dbus_setup(m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the D-Bus face: %m"), 1;
        log_info("oly-daemon %s serving %s (state in %s).", OLY_VERSION, m->bus_path, m->state_dir);
        (void) http_child_start(m);
        keeper_link_ready(m, adoptable, n_adoptable);
        for (size_t i = 0; i < n_adoptable; i++) /* held for us, but not ours: the keeper drops them too */
                safe_close(adoptable[i].fd);
        r = manager_run(m);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m"), 1;
        if (r == OLY_EXIT_RESTART) {
                log_info("oly-daemon left its sessions to the next one.");
                return OLY_EXIT_RESTART;
        }
        log_info("oly-daemon stopped.");
        return 0;
}
