/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly-http: the web front of oly — REST, server-sent events, static files and WebSocket attach on one TCP
 * socket, backed by oly-daemon over its private bus. Stateless; socket-activated (LISTEN_FDS=1). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "http-def.h"
#include "http-server.h"
#include "log.h"
#include "macro.h"
#include "parse-util.h"

static bool arg_no_auth = false;
static unsigned arg_port = OLY_DEFAULT_HTTP_PORT;

static void help(void) {
        printf("oly-http [OPTIONS...]\n\n"
               "Serves oly's web UI and HTTP API: REST, server-sent events, static files and WebSocket\n"
               "attach, all on one TCP socket. Usually started by oly-daemon or systemd with the listening\n"
               "socket passed in (LISTEN_FDS=1); without one it listens on 127.0.0.1:PORT.\n\n"
               "  -h --help       Show this help\n"
               "     --version    Show the version\n"
               "     --port PORT  Listen on 127.0.0.1:PORT when no socket is passed in (default %u)\n"
               "     --no-auth    Serve without authentication (anyone who can connect controls sessions)\n\n"
               "Environment: OLY_STATE_DIR, OLY_RUNTIME_DIR, OLY_WEB_DIR. See oly-http(8).\n",
               OLY_DEFAULT_HTTP_PORT);
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { "port", required_argument, NULL, 'p' },
                { "no-auth", no_argument, NULL, 'A' },
                {},
        };
        uint64_t port;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("oly-http %s\n", OLY_VERSION);
                        return 0;
                case 'p':
                        if (parse_uint_range(optarg, 1, 65535, &port) < 0) {
                                fprintf(stderr, "oly-http: invalid --port '%s': expected 1-65535.\n", optarg);
                                return -EINVAL;
                        }
                        arg_port = (unsigned) port;
                        break;
                case 'A':
                        arg_no_auth = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "oly-http: unexpected argument '%s'.\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

/* The socket passed in, made non-blocking (it arrives blocking), or one bound here for development. */
static int listen_socket(int *ret) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_in sa = {
                .sin_family = AF_INET,
                .sin_port = htons((uint16_t) arg_port),
                .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
        };
        int n, one = 1, flags, defer = 10;

        n = sd_listen_fds(1);
        if (n < 0)
                return log_error_errno(n, "Failed to read the passed sockets: %m");
        if (n > 1)
                return log_error_errno(-EINVAL, "Expected one listening socket, got %d.", n);
        if (n == 1) {
                fd = SD_LISTEN_FDS_START;
                if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0)
                        return log_error_errno(-EINVAL, "The passed fd is not a listening stream socket.");
                flags = fcntl(fd, F_GETFL);
                if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                        return log_error_errno(-errno, "Failed to make the listening socket non-blocking: %m");
                /* A request head that arrives with the connection can be peeked at once. */
                (void) setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer);
                *ret = TAKE_FD(fd);
                return 0;
        }
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(-errno, "Failed to create a socket: %m");
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        (void) setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer);
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return log_error_errno(-errno, "Failed to bind 127.0.0.1:%u: %m", arg_port);
        if (listen(fd, HTTP_LISTEN_BACKLOG) < 0)
                return log_error_errno(-errno, "Failed to listen on 127.0.0.1:%u: %m", arg_port);
        log_info("Listening on http://127.0.0.1:%u/", arg_port);
        *ret = TAKE_FD(fd);
        return 0;
}

static void http_server_freep(HttpServer **s) {
        http_server_free(*s);
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(http_server_freep) HttpServer *s = NULL;
        int r, fd = -EBADF;
        sigset_t mask;

        log_set_ident("oly-http");
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (arg_no_auth)
                log_warning("Authentication is disabled (--no-auth): anyone who can connect controls every session.");

        r = listen_socket(&fd);
        if (r < 0)
                return 1;
        (void) signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(-errno, "Failed to block signals: %m"), 1;

        r = sd_event_default(&e);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m"), 1;
        r = sd_event_add_signal(e, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGINT, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m"), 1;

        r = http_server_new(e, arg_no_auth, fd, &s); /* takes fd */
        if (r < 0)
                return 1;
        r = http_server_start(s);
        if (r < 0)
                return 1;

        (void) sd_notify(0, "READY=1\nSTATUS=Serving.");
        r = sd_event_loop(e);
        (void) sd_notify(0, "STOPPING=1");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m"), 1;
        return 0;
}
