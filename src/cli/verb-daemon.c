/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly daemon start|stop. 'start' runs oly-daemon the way systemd would (daemon-launch.c), so there is one
 * start-up path with or without a service manager; what it must know first (the HTTP port, whether a
 * web password is stored) it asks the daemon binary (oly-daemon --preflight), never the daemon's files. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "daemon-launch.h"
#include "oly-def.h"
#include "parse-util.h"
#include "paths.h"
#include "time-util.h"
#include "web-password.h"

typedef struct DaemonStartArgs {
        bool detach;
        bool no_http;
        bool no_auth;
        bool no_auth_ack;
        bool reset_password;
        const char *password_file;
        uint64_t port; /* 0: config.json's */
} DaemonStartArgs;

/* Where this user's daemon lives. */
typedef struct DaemonPaths {
        char *state, *runtime, *bus;
} DaemonPaths;

static void daemon_paths_done(DaemonPaths *p) {
        p->state = mfree(p->state);
        p->runtime = mfree(p->runtime);
        p->bus = mfree(p->bus);
}

/* The web UI's part of a start: its port, its listening socket, and the password hash for a new one. */
typedef struct DaemonWeb {
        unsigned port;
        int http_fd;
        int password_fd; /* a memfd with the Argon2id hash; -EBADF: keep the stored one */
} DaemonWeb;

static void daemon_web_done(DaemonWeb *w) {
        w->http_fd = safe_close(w->http_fd);
        w->password_fd = safe_close(w->password_fd);
}

static void help_start(void) {
        printf("oly daemon start [--detach] [--port N] [--no-http] [--reset-password] [--password-file FILE]\n"
               "                 [--no-auth [--i-understand-no-auth-risk]]\n\n"
               "Starts oly-daemon for this user, in the foreground (logs on stderr) or, with --detach, in the\n"
               "background (logs in <state dir>/daemon.log), returning once it serves; and with it oly-http,\n"
               "the web UI and HTTP API on http://127.0.0.1:PORT.\n\n"
               "The web UI needs a password. The first start asks for one on the terminal (twice) and stores\n"
               "only its Argon2id hash; later starts use the stored one.\n\n"
               "  --detach                     Run in the background\n"
               "  --port N                     HTTP port of the web UI (default: http_port in config.json, %d)\n"
               "  --no-http                    Do not serve the web UI and HTTP API at all\n"
               "  --reset-password             Ask for a new web password (revokes every web login); when the\n"
               "                               daemon already runs (e.g. under systemd) it is changed there\n"
               "  --password-file FILE         Set the web password to FILE's first line (for scripts)\n"
               "  --no-auth                    Serve the web UI without a password: anyone who can reach\n"
               "                               the port controls your sessions. Asks for 'yes' on a terminal\n"
               "  --i-understand-no-auth-risk  The same acknowledgement, for scripts\n"
               "  -h --help                    Show this help\n",
               OLY_DEFAULT_HTTP_PORT);
}

static void help_stop(void) {
        printf("oly daemon stop [--grace SECONDS]\n\n"
               "Stops every session (SIGHUP, SIGTERM, SIGCONT, then SIGKILL after the grace period), then the\n"
               "daemon.\n\n"
               "  --grace SECONDS  Time sessions get to end before SIGKILL (default %d)\n"
               "  -h --help        Show this help\n",
               OLY_DEFAULT_SHUTDOWN_GRACE_SEC);
}

static void help(void) {
        printf("oly daemon start|stop|restart [OPTIONS...]\n\n"
               "  start    Start the daemon (see 'oly daemon start --help')\n"
               "  stop     Stop every session and the daemon (see 'oly daemon stop --help')\n"
               "  restart  Start the daemon again (a new binary after an upgrade); sessions keep running\n");
}

#define RESTART_TIMEOUT_USEC (30 * USEC_PER_SEC)

/* The daemon leaves its sessions to oly-keeper and exits; the keeper starts it again (the binary at the
 * same path: an upgrade installed by rename takes effect), and the new one adopts them. */
static int restart_run(void) {
        _cleanup_target_ CliTarget t = {};
        sd_bus_error error = SD_BUS_ERROR_NULL;
        uint32_t running = 0;
        usec_t deadline;
        int r;

        if (cli_connect_quiet(&t.bus) < 0)
                return cli_error("the oly daemon is not running; start it with 'oly daemon start'.");
        t.path = strdup(OLY_MANAGER_PATH);
        if (!t.path)
                return cli_error("out of memory");
        r = cli_target_call(&t, "Restart", 10 * USEC_PER_SEC, &error, NULL, "");
        if (r < 0)
                return cli_bus_error(&error, r, NULL, "Failed to restart the daemon");
        /* The old daemon closes this connection as it leaves; then a new one must answer. */
        deadline = now_usec(CLOCK_MONOTONIC) + RESTART_TIMEOUT_USEC;
        while (now_usec(CLOCK_MONOTONIC) < deadline && sd_bus_is_open(t.bus) > 0) {
                r = sd_bus_process(t.bus, NULL);
                if (r < 0)
                        break;
                if (r == 0)
                        (void) sd_bus_wait(t.bus, 100 * USEC_PER_MSEC);
        }
        while (now_usec(CLOCK_MONOTONIC) < deadline) {
                t.bus = sd_bus_flush_close_unref(t.bus);
                if (cli_connect_quiet(&t.bus) >= 0 &&
                    sd_bus_get_property_trivial(t.bus, NULL, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, "RunningSessions",
                                                &error, 'u', &running) >= 0) {
                        printf("oly daemon restarted; %u session%s kept running.\n", running,
                               running == 1 ? "" : "s");
                        return EXIT_OK;
                }
                sd_bus_error_free(&error);
                (void) usleep(100 * 1000);
        }
        return cli_error("the daemon did not come back within %llus; see its log.",
                         (unsigned long long) (RESTART_TIMEOUT_USEC / USEC_PER_SEC));
}

static int start_parse_argv(int argc, char *argv[], DaemonStartArgs *a) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "detach", no_argument, NULL, 'd' },
                { "port", required_argument, NULL, 'p' },
                { "no-auth", no_argument, NULL, 'A' },
                { "no-http", no_argument, NULL, 'H' },
                { "reset-password", no_argument, NULL, 'R' },
                { "password-file", required_argument, NULL, 'F' },
                { "i-understand-no-auth-risk", no_argument, NULL, 'Y' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help_start();
                        return 0;
                case 'd':
                        a->detach = true;
                        break;
                case 'p':
                        if (parse_uint_range(optarg, 1, 65535, &a->port) < 0)
                                return usage_error("daemon start", "invalid port '%s': expected 1 to 65535.",
                                                   optarg);
                        break;
                case 'A':
                        a->no_auth = true;
                        break;
                case 'H':
                        a->no_http = true;
                        break;
                case 'R':
                        a->reset_password = true;
                        break;
                case 'F':
                        a->password_file = optarg;
                        break;
                case 'Y':
                        a->no_auth_ack = true;
                        break;
                default:
                        return usage_error("daemon start", "invalid option.");
                }
        if (optind < argc)
                return usage_error("daemon start", "unexpected argument '%s'.", argv[optind]);
        if (a->no_http && (a->no_auth || a->reset_password || a->password_file || a->port > 0))
                return usage_error("daemon start", "--no-http cannot be combined with web UI options.");
        if (a->no_auth && (a->reset_password || a->password_file))
                return usage_error("daemon start", "--no-auth cannot be combined with a password option.");
        if (a->no_auth_ack && !a->no_auth)
                return usage_error("daemon start", "--i-understand-no-auth-risk only goes with --no-auth.");
        return 1;
}

/* The state and runtime directories (created) and the bus socket path. */
static int start_paths(DaemonPaths *p) {
        int r;

        r = oly_state_dir(&p->state);
        if (r < 0)
                return cli_error("cannot determine the state directory (OLY_STATE_DIR must be absolute): %s",
                                 strerror(-r));
        r = oly_runtime_dir(&p->runtime);
        if (r < 0)
                return cli_error("cannot determine the runtime directory: %s", strerror(-r));
        r = oly_bus_socket_path(&p->bus);
        if (r == -ENAMETOOLONG)
                return cli_error(
                        "the bus socket path under %s is too long for a unix socket (max 107 bytes); set "
                        "OLY_RUNTIME_DIR to a shorter directory.",
                        p->runtime);
        if (r < 0)
                return cli_error("cannot determine the bus socket path: %s", strerror(-r));
        if ((r = mkdir_p(p->state, 0700)) < 0)
                return cli_error("cannot create the state directory %s: %s", p->state, strerror(-r));
        if ((r = mkdir_p(p->runtime, 0700)) < 0)
                return cli_error("cannot create the runtime directory %s: %s", p->runtime, strerror(-r));
        return 0;
}

/* Two concurrent starts must not both bind the socket: serialise them (released at exit or exec). */
static int start_lock(const DaemonPaths *p, int *ret_fd) {
        _cleanup_free_ char *lockpath = path_join(p->runtime, "start.lock");

        if (!lockpath)
                return cli_error("out of memory");
        *ret_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (*ret_fd < 0 || flock(*ret_fd, LOCK_EX) < 0)
                return cli_error("cannot lock %s: %m", lockpath);
        return 0;
}

/* A running daemon (under systemd, say) gets its new web password over D-Bus. */
static int start_set_password_live(sd_bus *bus, const char *password_file) {
        _cleanup_(erase_and_freep) char *pw = NULL;
        _cleanup_free_ char *hash = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = password_file ? web_password_from_file(password_file, &pw) : web_password_from_tty(&pw);
        if (r == -ENOTTY)
                return cli_error(
                        "there is no terminal to ask for the new web password on: pass --password-file FILE.");
        if (r < 0)
                return EXIT_ERROR;
        if (web_password_hash(pw, &hash) < 0)
                return EXIT_ERROR;
        r = sd_bus_call_method(bus, NULL, OLY_MANAGER_PATH, OLY_WEB_IFACE, "SetPasswordHash", &error, NULL,
                               "s", hash);
        if (r < 0)
                return cli_bus_error(&error, r, NULL, "Failed to set the web password");
        printf("The web UI password was changed; every earlier web login is revoked. The daemon kept running.\n");
        return EXIT_OK;
}

/* Serving without a password is a decision: 'yes' on a terminal, or the long flag in a script. */
static int start_confirm_no_auth(bool acknowledged) {
        char answer[16] = "";

        if (acknowledged)
                return 0;
        if (!isatty(STDIN_FILENO))
                return cli_error(
                        "--no-auth lets anyone who can reach the web port control your sessions; to do "
                        "that without a terminal, add --i-understand-no-auth-risk.");
        fprintf(stderr,
                "WARNING: with --no-auth, anyone and any web page that can reach the web UI's port can run "
                "commands as you.\nType 'yes' to serve it without a password: ");
        if (fgets(answer, sizeof answer, stdin))
                answer[strcspn(answer, "\r\n")] = 0;
        if (!streq(answer, "yes"))
                return cli_error("not confirmed; nothing was started.");
        return 0;
}

/* A new web password (asked for, or from --password-file), hashed, in a memfd for the daemon. */
static int start_new_password(const DaemonStartArgs *a, int *ret_fd) {
        _cleanup_(erase_and_freep) char *pw = NULL;
        _cleanup_free_ char *hash = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (a->password_file)
                r = web_password_from_file(a->password_file, &pw);
        else {
                r = web_password_from_tty(&pw);
                if (r == -ENOTTY)
                        return cli_error(
                                "no web UI password is set and there is no terminal to ask for one: pass "
                                "--password-file FILE, or --no-http, or --no-auth with "
                                "--i-understand-no-auth-risk.");
        }
        if (r < 0)
                return EXIT_ERROR;
        if (web_password_hash(pw, &hash) < 0)
                return EXIT_ERROR;
        fd = memfd_create("oly-web-password", MFD_CLOEXEC);
        if (fd < 0 || write(fd, hash, strlen(hash)) != (ssize_t) strlen(hash))
                return cli_error("cannot hand the password hash over: %m");
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* The web UI: its port (--port, else config.json's), authentication or the lack of it, its socket. */
static int start_web(const DaemonStartArgs *a, const char *daemon, DaemonWeb *w) {
        DaemonPreflight pre = {};
        bool need_preflight = a->port == 0 || !a->no_auth;
        int r;

        if (need_preflight) {
                r = daemon_preflight(daemon, &pre);
                if (r != 0)
                        return r;
        }
        w->port = a->port > 0 ? (unsigned) a->port : pre.http_port;
        if (a->no_auth) {
                r = start_confirm_no_auth(a->no_auth_ack);
                if (r != 0)
                        return r;
                fprintf(stderr, "oly: WARNING: serving the web UI on 127.0.0.1:%u WITHOUT authentication.\n",
                        w->port);
        } else if (!pre.web_password || a->reset_password || a->password_file) {
                r = start_new_password(a, &w->password_fd);
                if (r != 0)
                        return r;
        }
        r = daemon_bind_http_socket(w->port, &w->http_fd);
        if (r == -EADDRINUSE)
                return cli_error(
                        "port %u on 127.0.0.1 is already in use; choose another with --port or http_port in "
                        "config.json, or start with --no-http.",
                        w->port);
        if (r < 0)
                return cli_error("cannot listen on 127.0.0.1:%u: %s", w->port, strerror(-r));
        return 0;
}

static int start_run(const DaemonStartArgs *a) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(daemon_paths_done) DaemonPaths paths = {};
        _cleanup_(daemon_web_done) DaemonWeb web = { .http_fd = -EBADF, .password_fd = -EBADF };
        _cleanup_free_ char *daemon = NULL, *logpath = NULL;
        _cleanup_close_ int lock_fd = -EBADF, listen_fd = -EBADF;
        PassedFds passed = {};
        pid_t pid, keeper_pid;
        int r;

        r = daemon_ensure_stdio();
        if (r < 0)
                return cli_error("cannot open /dev/null for a closed stdin, stdout or stderr: %s",
                                 strerror(-r));
        r = start_paths(&paths);
        if (r != 0)
                return r;
        r = start_lock(&paths, &lock_fd);
        if (r != 0)
                return r;
        if (cli_connect_quiet(&bus) >= 0) {
                if (a->reset_password || a->password_file)
                        return start_set_password_live(bus, a->password_file);
                return cli_error("the oly daemon is already running (socket %s).", paths.bus);
        }

        daemon = daemon_find_binary();
        if (!daemon)
                return cli_error("out of memory");
        if (access(daemon, X_OK) < 0)
                return cli_error("cannot run %s: %m (set OLY_DAEMON to the oly-daemon binary).", daemon);
        if (!a->no_http) {
                r = start_web(a, daemon, &web);
                if (r != 0)
                        return r;
        }
        r = daemon_bind_bus_socket(paths.bus, &listen_fd);
        if (r < 0)
                return cli_error("cannot listen on %s: %s", paths.bus, strerror(-r));

        passed.fd[passed.n] = TAKE_FD(listen_fd);
        passed.name[passed.n++] = OLY_LISTEN_FDNAME_OWNED;
        if (web.http_fd >= 0) {
                passed.fd[passed.n] = TAKE_FD(web.http_fd);
                passed.name[passed.n++] = OLY_LISTEN_FDNAME_HTTP;
        }
        if (web.password_fd >= 0) {
                passed.fd[passed.n] = TAKE_FD(web.password_fd);
                passed.name[passed.n++] = OLY_LISTEN_FDNAME_PASSWORD;
        }

        if (!a->detach) {
                /* The lock is released by exec (CLOEXEC); the daemon takes its own state lock. */
                r = daemon_exec(daemon, &passed, a->no_auth, NULL);
                (void) unlink(paths.bus);
                for (unsigned i = 0; i < passed.n; i++)
                        safe_close(passed.fd[i]);
                return cli_error("cannot execute %s: %s", daemon, strerror(-r));
        }

        logpath = path_join(paths.state, "daemon.log");
        if (!logpath)
                return cli_error("out of memory");
        r = daemon_spawn_and_wait(daemon, &passed, a->no_auth, logpath, &pid, &keeper_pid);
        for (unsigned i = 0; i < passed.n; i++)
                safe_close(passed.fd[i]);
        if (r != 0)
                return r;
        printf("oly daemon started (pid %d); state in %s, log in %s; its sessions are kept across daemon "
               "restarts by oly-keeper (pid %d).\n",
               (int) pid, paths.state, logpath, (int) keeper_pid);
        if (!a->no_http)
                printf("Web UI: http://127.0.0.1:%u/\n", web.port);
        return EXIT_OK;
}

static int stop_parse_argv(int argc, char *argv[], uint64_t *grace_usec) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "grace", required_argument, NULL, 'g' },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help_stop();
                        return 0;
                case 'g':
                        r = cli_parse_grace("daemon stop", optarg, grace_usec);
                        if (r < 0)
                                return r;
                        break;
                default:
                        return usage_error("daemon stop", "invalid option.");
                }
        if (optind < argc)
                return usage_error("daemon stop", "unexpected argument '%s'.", argv[optind]);
        return 1;
}

static int stop_run(uint64_t grace_usec) {
        _cleanup_target_ CliTarget t = {};
        sd_bus_error error = SD_BUS_ERROR_NULL;
        usec_t deadline;
        int r;

        if (cli_connect_quiet(&t.bus) < 0) {
                fprintf(stderr, "oly: the oly daemon is not running.\n");
                return EXIT_OK;
        }
        t.path = strdup(OLY_MANAGER_PATH);
        if (!t.path)
                return cli_error("out of memory");
        r = cli_target_call(&t, "Shutdown", grace_usec + 30 * USEC_PER_SEC, &error, NULL, "t", grace_usec);
        if (r < 0)
                return cli_bus_error(&error, r, NULL, "Failed to stop the daemon");
        /* The reply comes once every session has ended; wait (briefly) for the daemon to close. */
        deadline = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
        while (now_usec(CLOCK_MONOTONIC) < deadline) {
                r = sd_bus_process(t.bus, NULL);
                if (r < 0 || !sd_bus_is_open(t.bus))
                        break;
                if (r == 0)
                        (void) sd_bus_wait(t.bus, 100 * USEC_PER_MSEC);
        }
        printf("oly daemon stopped.\n");
        return EXIT_OK;
}

int verb_daemon(int argc, char *argv[]) {
        int r;

        if (argc < 2)
                return usage_error("daemon", "expected 'start', 'stop' or 'restart'."), EXIT_USAGE;
        if (streq(argv[1], "-h") || streq(argv[1], "--help"))
                return help(), EXIT_OK;
        if (streq(argv[1], "start")) {
                DaemonStartArgs a = {};
                r = start_parse_argv(argc - 1, argv + 1, &a);
                return r <= 0 ? cli_parse_exit(r) : start_run(&a);
        }
        if (streq(argv[1], "restart")) {
                if (argc > 2 && (streq(argv[2], "-h") || streq(argv[2], "--help")))
                        return help(), EXIT_OK;
                if (argc > 2)
                        return usage_error("daemon restart", "unexpected argument '%s'.", argv[2]), EXIT_USAGE;
                return restart_run();
        }
        if (streq(argv[1], "stop")) {
                uint64_t grace = OLY_DEFAULT_SHUTDOWN_GRACE_SEC * USEC_PER_SEC;
                r = stop_parse_argv(argc - 1, argv + 1, &grace);
                return r <= 0 ? cli_parse_exit(r) : stop_run(grace);
        }
        return usage_error("daemon", "unknown action '%s': expected 'start', 'stop' or 'restart'.", argv[1]),
               EXIT_USAGE;
}
