/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly daemon start|stop: runs oly-daemon the way systemd would (listening socket passed in as fd 3,
 * readiness over NOTIFY_SOCKET), so there is one start-up path with or without a service manager. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cli.h"
#include "config.h"
#include "exec-util.h"
#include "oly-def.h"
#include "parse-util.h"
#include "paths.h"
#include "time-util.h"
#include "web-password.h"

#define DAEMON_READY_TIMEOUT_USEC (30 * USEC_PER_SEC)

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
        printf("oly daemon start|stop [OPTIONS...]\n\n"
               "  start   Start the daemon (see 'oly daemon start --help')\n"
               "  stop    Stop every session and the daemon (see 'oly daemon stop --help')\n");
}

/* The oly-daemon binary: $OLY_DAEMON, beside this oly, in the build tree, or the installed one. */
static char *find_daemon(void) {
        static const char *const rel[] = { "oly-daemon", "../daemon/oly-daemon", "../libexec/oly/oly-daemon" };
        return find_oly_binary("OLY_DAEMON", rel, ELEMENTSOF(rel), OLY_LIBEXECDIR "/oly-daemon");
}

static int bind_bus_socket(const char *path, int *ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        mode_t old;
        int r;

        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        (void) unlink(path); /* we hold start.lock and nobody answered on it: a dead daemon's */
        old = umask(0177);
        r = bind(fd, (struct sockaddr *) &sa, sizeof sa);
        umask(old);
        if (r < 0)
                return -errno;
        if (listen(fd, SOMAXCONN) < 0)
                return -errno;
        *ret = TAKE_FD(fd);
        return 0;
}

/* With stdin, stdout or stderr closed, the next fd opened would take its number, and the detached child's
 * dup2() onto 0..2 would then overwrite a socket meant for the daemon (or the daemon would start without
 * stdio): /dev/null fills the gaps before anything else is opened. */
static int daemon_ensure_stdio(void) {
        for (int i = STDIN_FILENO; i <= STDERR_FILENO; i++) {
                if (fcntl(i, F_GETFD) >= 0 || errno != EBADF)
                        continue;
                int fd = open("/dev/null", O_RDWR); /* the lowest free number: i */
                if (fd < 0)
                        return -errno;
                if (fd != i) {
                        safe_close(fd);
                        return -EBADF;
                }
        }
        return 0;
}

/* What 'oly daemon start' hands the daemon, as systemd would: fds from 3 on, with names. */
typedef struct PassedFds {
        int fd[3];
        const char *name[3];
        unsigned n;
} PassedFds;

/* Sets up the environment systemd would give the daemon and execs it. Only returns on failure. */
static int exec_daemon(const char *daemon, const PassedFds *p, bool http_no_auth, const char *notify) {
        char pid[32], names[128] = "", count[8];
        int high[3];

        /* Move everything out of the way first, so that placing fd i at 3+i never overwrites another. */
        for (unsigned i = 0; i < p->n; i++) {
                high[i] = fcntl(p->fd[i], F_DUPFD_CLOEXEC, 16);
                if (high[i] < 0)
                        return -errno;
        }
        for (unsigned i = 0; i < p->n; i++) {
                if (dup2(high[i], SD_LISTEN_FDS_START + (int) i) < 0) /* dup2 clears FD_CLOEXEC */
                        return -errno;
                if (i > 0)
                        strcat(names, ":");
                strcat(names, p->name[i]);
        }
        snprintf(pid, sizeof pid, "%d", (int) getpid());
        snprintf(count, sizeof count, "%u", p->n);
        if (setenv("LISTEN_FDS", count, 1) < 0 || setenv("LISTEN_PID", pid, 1) < 0 ||
            setenv("LISTEN_FDNAMES", names, 1) < 0)
                return -errno;
        if (notify && setenv("NOTIFY_SOCKET", notify, 1) < 0)
                return -errno;
        if (http_no_auth)
                execl(daemon, "oly-daemon", "--http-no-auth", (char *) NULL);
        else
                execl(daemon, "oly-daemon", (char *) NULL);
        return -errno;
}

/* 127.0.0.1:port for oly-http (loopback only: spec §10.3 puts remote access behind a gateway). */
static int bind_http_socket(unsigned port, int *ret) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;

        if (fd < 0)
                return -errno;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;
        if (listen(fd, SOMAXCONN) < 0)
                return -errno;
        *ret = TAKE_FD(fd);
        return 0;
}

/* Serving without a password is a decision: 'yes' on a terminal, or the long flag in a script. */
static int confirm_no_auth(bool acknowledged) {
        char answer[16] = "";

        if (acknowledged)
                return 0;
        if (!isatty(STDIN_FILENO))
                return cli_error("--no-auth lets anyone who can reach the web port control your sessions; to do "
                                 "that without a terminal, add --i-understand-no-auth-risk."), -EPERM;
        fprintf(stderr, "WARNING: with --no-auth, anyone and any web page that can reach the web UI's port can run "
                        "commands as you.\nType 'yes' to serve it without a password: ");
        if (fgets(answer, sizeof answer, stdin))
                answer[strcspn(answer, "\r\n")] = 0;
        if (!streq(answer, "yes"))
                return cli_error("not confirmed; nothing was started."), -EPERM;
        return 0;
}

static void print_daemon_log_since(const char *logpath, off_t from) {
        _cleanup_close_ int fd = open(logpath, O_RDONLY | O_CLOEXEC);
        char buf[4096];
        ssize_t n;

        if (fd < 0 || lseek(fd, from, SEEK_SET) < 0)
                return;
        n = read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return;
        buf[n] = 0;
        fputs(buf, stderr);
}

/* Asks for (or reads) a password, hashes it, and stores it in the running daemon. */
static int set_password_live(sd_bus *bus, const char *password_file) {
        _cleanup_(erase_and_freep) char *pw = NULL;
        _cleanup_free_ char *hash = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = password_file ? web_password_from_file(password_file, &pw) : web_password_from_tty(&pw);
        if (r == -ENOTTY)
                return cli_error("there is no terminal to ask for the new web password on: pass --password-file FILE.");
        if (r < 0)
                return EXIT_ERROR;
        r = web_password_hash(pw, &hash);
        if (r < 0)
                return cli_error("cannot hash the password: %s", strerror(-r));
        r = sd_bus_call_method(bus, NULL, OLY_MANAGER_PATH, OLY_WEB_IFACE, "SetPasswordHash", &error, NULL, "s", hash);
        if (r < 0) {
                r = cli_bus_error(&error, r, NULL, "Failed to set the web password");
                sd_bus_error_free(&error);
                return r;
        }
        printf("The web UI password was changed; every earlier web login is revoked. The daemon kept running.\n");
        return EXIT_OK;
}

static int daemon_start(int argc, char *argv[]) {
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
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *state = NULL, *runtime = NULL, *bus_path = NULL, *daemon = NULL, *lockpath = NULL,
                            *logpath = NULL;
        _cleanup_close_ int lock_fd = -EBADF, listen_fd = -EBADF, notify_fd = -EBADF, log_fd = -EBADF,
                            http_fd = -EBADF, password_fd = -EBADF;
        _cleanup_free_ char *password_file = NULL;
        bool detach = false, no_http = false, no_auth = false, reset_password = false, no_auth_ack = false;
        uint64_t port = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help_start();
                        return EXIT_OK;
                case 'd':
                        detach = true;
                        break;
                case 'p':
                        if (parse_uint_range(optarg, 1, 65535, &port) < 0)
                                return usage_error("daemon start", "invalid port '%s': expected 1 to 65535.", optarg);
                        break;
                case 'A':
                        no_auth = true;
                        break;
                case 'H':
                        no_http = true;
                        break;
                case 'R':
                        reset_password = true;
                        break;
                case 'F':
                        free(password_file);
                        password_file = strdup(optarg);
                        if (!password_file)
                                return cli_error("out of memory");
                        break;
                case 'Y':
                        no_auth_ack = true;
                        break;
                default:
                        return usage_error("daemon start", "invalid option.");
                }
        if (optind < argc)
                return usage_error("daemon start", "unexpected argument '%s'.", argv[optind]);
        if (no_http && (no_auth || reset_password || password_file || port > 0))
                return usage_error("daemon start", "--no-http cannot be combined with web UI options.");
        if (no_auth && (reset_password || password_file))
                return usage_error("daemon start", "--no-auth cannot be combined with a password option.");
        if (no_auth_ack && !no_auth)
                return usage_error("daemon start", "--i-understand-no-auth-risk only goes with --no-auth.");
        r = daemon_ensure_stdio();
        if (r < 0)
                return cli_error("cannot open /dev/null for a closed stdin, stdout or stderr: %s", strerror(-r));

        r = oly_state_dir(&state);
        if (r < 0)
                return cli_error("cannot determine the state directory (OLY_STATE_DIR must be absolute): %s",
                                 strerror(-r));
        r = oly_runtime_dir(&runtime);
        if (r < 0)
                return cli_error("cannot determine the runtime directory: %s", strerror(-r));
        r = oly_bus_socket_path(&bus_path);
        if (r == -ENAMETOOLONG)
                return cli_error("the bus socket path under %s is too long for a unix socket (max 107 bytes); set "
                                 "OLY_RUNTIME_DIR to a shorter directory.", runtime);
        if (r < 0)
                return cli_error("cannot determine the bus socket path: %s", strerror(-r));
        if ((r = mkdir_p(state, 0700)) < 0)
                return cli_error("cannot create the state directory %s: %s", state, strerror(-r));
        if ((r = mkdir_p(runtime, 0700)) < 0)
                return cli_error("cannot create the runtime directory %s: %s", runtime, strerror(-r));

        /* Two concurrent starts must not both bind the socket: serialise them. */
        lockpath = path_join(runtime, "start.lock");
        if (!lockpath)
                return cli_error("out of memory");
        lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lock_fd < 0 || flock(lock_fd, LOCK_EX) < 0)
                return cli_error("cannot lock %s: %m", lockpath);

        if (cli_connect_quiet(&bus) >= 0) {
                /* A running daemon (under systemd, say) gets its new web password over D-Bus. */
                if (reset_password || password_file)
                        return set_password_live(bus, password_file);
                return cli_error("the oly daemon is already running (socket %s).", bus_path);
        }

        if (!no_http) {
                if (port == 0) {
                        _cleanup_free_ char *cfgpath = path_join(state, OLY_CONFIG_FILE), *err = NULL;
                        OlyConfig cfg;

                        oly_config_init(&cfg);
                        if (!cfgpath)
                                return cli_error("out of memory");
                        r = oly_config_load(&cfg, cfgpath, &err);
                        port = cfg.http_port;
                        oly_config_done(&cfg);
                        if (r < 0)
                                return cli_error("invalid configuration: %s", err ?: strerror(-r));
                }
                if (no_auth) {
                        if (confirm_no_auth(no_auth_ack) < 0)
                                return EXIT_ERROR;
                        fprintf(stderr, "oly: WARNING: serving the web UI on 127.0.0.1:%llu WITHOUT authentication.\n",
                                (unsigned long long) port);
                } else {
                        r = web_password_stored(state);
                        if (r < 0)
                                return cli_error("cannot read the database in %s: %s", state, strerror(-r));
                        if (r == 0 || reset_password || password_file) {
                                _cleanup_(erase_and_freep) char *pw = NULL;
                                _cleanup_free_ char *hash = NULL;

                                if (password_file)
                                        r = web_password_from_file(password_file, &pw);
                                else {
                                        r = web_password_from_tty(&pw);
                                        if (r == -ENOTTY)
                                                return cli_error("no web UI password is set and there is no terminal "
                                                                 "to ask for one: pass --password-file FILE, or "
                                                                 "--no-http, or --no-auth with "
                                                                 "--i-understand-no-auth-risk.");
                                }
                                if (r < 0)
                                        return EXIT_ERROR;
                                r = web_password_hash(pw, &hash);
                                if (r < 0)
                                        return cli_error("cannot hash the password: %s", strerror(-r));
                                password_fd = memfd_create("oly-web-password", MFD_CLOEXEC);
                                if (password_fd < 0 || write(password_fd, hash, strlen(hash)) != (ssize_t) strlen(hash))
                                        return cli_error("cannot hand the password hash over: %m");
                        }
                }
                r = bind_http_socket((unsigned) port, &http_fd);
                if (r == -EADDRINUSE)
                        return cli_error("port %llu on 127.0.0.1 is already in use; choose another with --port or "
                                         "http_port in config.json, or start with --no-http.",
                                         (unsigned long long) port);
                if (r < 0)
                        return cli_error("cannot listen on 127.0.0.1:%llu: %s", (unsigned long long) port,
                                         strerror(-r));
        }

        daemon = find_daemon();
        if (!daemon)
                return cli_error("out of memory");
        if (access(daemon, X_OK) < 0)
                return cli_error("cannot run %s: %m (set OLY_DAEMON to the oly-daemon binary).", daemon);

        r = bind_bus_socket(bus_path, &listen_fd);
        if (r < 0)
                return cli_error("cannot listen on %s: %s", bus_path, strerror(-r));

        PassedFds passed = { .fd = { listen_fd }, .name = { OLY_LISTEN_FDNAME_OWNED }, .n = 1 };
        if (http_fd >= 0) {
                passed.fd[passed.n] = http_fd;
                passed.name[passed.n++] = OLY_LISTEN_FDNAME_HTTP;
        }
        if (password_fd >= 0) {
                passed.fd[passed.n] = password_fd;
                passed.name[passed.n++] = OLY_LISTEN_FDNAME_PASSWORD;
        }

        if (!detach) {
                /* The lock is released by exec (CLOEXEC); the daemon takes its own state lock. */
                r = exec_daemon(daemon, &passed, no_auth, NULL);
                (void) unlink(bus_path);
                return cli_error("cannot execute %s: %s", daemon, strerror(-r));
        }

        /* Readiness: an abstract datagram socket the daemon sends READY=1 to, as to systemd. */
        char notify[64];
        uint64_t rnd = 0;
        (void) getrandom(&rnd, sizeof rnd, GRND_NONBLOCK);
        snprintf(notify, sizeof notify, "@oly-notify/%d/%016llx", (int) getpid(), (unsigned long long) rnd);
        {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                size_t l = strlen(notify);
                memcpy(sa.sun_path, notify, l);
                sa.sun_path[0] = 0;
                notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                if (notify_fd < 0 || bind(notify_fd, (struct sockaddr *) &sa,
                                          (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l)) < 0)
                        return cli_error("cannot create the readiness socket: %m");
        }

        logpath = path_join(state, "daemon.log");
        if (!logpath)
                return cli_error("out of memory");
        log_fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (log_fd < 0)
                return cli_error("cannot open %s: %m", logpath);
        off_t log_start = lseek(log_fd, 0, SEEK_END);

        pid_t pid = fork();
        if (pid < 0)
                return cli_error("cannot fork: %m");
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                (void) setsid();
                if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
                    dup2(log_fd, STDERR_FILENO) < 0)
                        _exit(EXIT_ERROR);
                r = exec_daemon(daemon, &passed, no_auth, notify);
                fprintf(stderr, "oly: cannot execute %s: %s\n", daemon, strerror(-r));
                _exit(127);
        }
        listen_fd = safe_close(listen_fd);
        http_fd = safe_close(http_fd);
        password_fd = safe_close(password_fd);

        usec_t deadline = now_usec(CLOCK_MONOTONIC) + DAEMON_READY_TIMEOUT_USEC;
        for (;;) {
                char buf[4096];
                int status;
                ssize_t n;
                usec_t now = now_usec(CLOCK_MONOTONIC);

                while ((n = recv(notify_fd, buf, sizeof buf - 1, 0)) > 0) {
                        buf[n] = 0;
                        for (char *line = buf, *e; line && *line; line = e ? e + 1 : NULL) {
                                e = strchr(line, '\n');
                                if (e)
                                        *e = 0;
                                if (streq(line, "READY=1")) {
                                        printf("oly daemon started (pid %d); state in %s, log in %s.\n", (int) pid,
                                               state, logpath);
                                        if (!no_http)
                                                printf("Web UI: http://127.0.0.1:%llu/\n", (unsigned long long) port);
                                        return EXIT_OK;
                                }
                        }
                }
                if (waitpid(pid, &status, WNOHANG) == pid) {
                        cli_error("the daemon failed to start (%s %d). It said:",
                                  WIFEXITED(status) ? "exit code" : "signal",
                                  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                        print_daemon_log_since(logpath, log_start);
                        return EXIT_ERROR;
                }
                if (now >= deadline) {
                        (void) kill(pid, SIGTERM);
                        cli_error("the daemon did not report readiness within %llus; stopped it. Its log: %s",
                                  (unsigned long long) (DAEMON_READY_TIMEOUT_USEC / USEC_PER_SEC), logpath);
                        return EXIT_ERROR;
                }
                struct pollfd p = { .fd = notify_fd, .events = POLLIN };
                (void) poll(&p, 1, 50);
        }
}

static int daemon_stop(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "grace", required_argument, NULL, 'g' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        uint64_t grace = OLY_DEFAULT_SHUTDOWN_GRACE_SEC * USEC_PER_SEC;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help_stop();
                        return EXIT_OK;
                case 'g':
                        if (cli_parse_grace("daemon stop", optarg, &grace) != 0)
                                return EXIT_USAGE;
                        break;
                default:
                        return usage_error("daemon stop", "invalid option.");
                }
        if (optind < argc)
                return usage_error("daemon stop", "unexpected argument '%s'.", argv[optind]);

        r = cli_connect_quiet(&bus);
        if (r < 0) {
                fprintf(stderr, "oly: the oly daemon is not running.\n");
                return EXIT_OK;
        }
        r = cli_call(bus, NULL, "Shutdown", grace + 30 * USEC_PER_SEC, &error, NULL, "t", grace);
        if (r < 0) {
                r = cli_bus_error(&error, r, NULL, "Failed to stop the daemon");
                sd_bus_error_free(&error);
                return r;
        }
        /* The reply comes once every session has ended; wait (briefly) for the daemon to close. */
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
        while (now_usec(CLOCK_MONOTONIC) < deadline) {
                r = sd_bus_process(bus, NULL);
                if (r < 0 || !sd_bus_is_open(bus))
                        break;
                if (r == 0)
                        (void) sd_bus_wait(bus, 100 * USEC_PER_MSEC);
        }
        printf("oly daemon stopped.\n");
        return EXIT_OK;
}

int verb_daemon(int argc, char *argv[]) {
        if (argc < 2)
                return usage_error("daemon", "expected 'start' or 'stop'.");
        if (streq(argv[1], "-h") || streq(argv[1], "--help"))
                return help(), EXIT_OK;
        if (streq(argv[1], "start"))
                return daemon_start(argc - 1, argv + 1);
        if (streq(argv[1], "stop"))
                return daemon_stop(argc - 1, argv + 1);
        return usage_error("daemon", "unknown action '%s': expected 'start' or 'stop'.", argv[1]);
}
