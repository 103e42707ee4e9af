/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mechanics of 'oly daemon start' (daemon-launch.h): sockets, the environment systemd would give,
 * the background start and its readiness, and the preflight question. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cli.h"
#include "daemon-launch.h"
#include "exec-util.h"
#include "parse-util.h"
#include "time-util.h"

#define DAEMON_READY_TIMEOUT_USEC (30 * USEC_PER_SEC)
#define DAEMON_PREFLIGHT_OUTPUT_MAX 4096 /* bytes read of each of its stdout and stderr */

extern char **environ;

char *daemon_find_binary(void) {
        static const char *const rel[] = { "oly-daemon", "../daemon/oly-daemon",
                                           "../libexec/oly/oly-daemon" };
        return find_oly_binary("OLY_DAEMON", rel, ELEMENTSOF(rel), OLY_LIBEXECDIR "/oly-daemon");
}

char *daemon_find_keeper(void) {
        static const char *const rel[] = { "oly-keeper", "../keeper/oly-keeper", "../libexec/oly/oly-keeper" };
        return find_oly_binary("OLY_KEEPER", rel, ELEMENTSOF(rel), OLY_LIBEXECDIR "/oly-keeper");
}

/* Everything fd has to say, up to max bytes (the rest is read and dropped so the writer never blocks). */
static int read_all(int fd, char *buf, size_t max) {
        size_t n = 0;

        for (;;) {
                char tmp[512];
                ssize_t k = read(fd, tmp, sizeof tmp);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                size_t take = MIN((size_t) k, max - 1 - n);
                memcpy(buf + n, tmp, take);
                n += take;
        }
        buf[n] = 0;
        return 0;
}

static int preflight_parse(char *text, DaemonPreflight *ret) {
        DaemonPreflight p = {};
        bool have_port = false, have_password = false;

        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                const char *v;
                uint64_t port;

                if ((v = startswith(line, "http_port=")) && parse_uint_range(v, 1, 65535, &port) >= 0) {
                        p.http_port = (unsigned) port;
                        have_port = true;
                } else if ((v = startswith(line, "web_password=")) && (streq(v, "yes") || streq(v, "no"))) {
                        p.web_password = streq(v, "yes");
                        have_password = true;
                }
                /* Anything else is for a later oly. */
        }
        if (!have_port || !have_password)
                return -EBADMSG;
        *ret = p;
        return 0;
}

int daemon_preflight(const char *daemon, DaemonPreflight *ret) {
        char *argv[] = { (char *) "oly-daemon", (char *) "--preflight", NULL };
        char out[DAEMON_PREFLIGHT_OUTPUT_MAX], err[DAEMON_PREFLIGHT_OUTPUT_MAX];
        _cleanup_close_ int out_r = -EBADF, err_r = -EBADF;
        posix_spawn_file_actions_t fa;
        int out_p[2], err_p[2], status, r;
        pid_t pid;

        if (pipe2(out_p, O_CLOEXEC) < 0)
                return cli_error("cannot ask %s --preflight: %m", daemon);
        if (pipe2(err_p, O_CLOEXEC) < 0) {
                safe_close(out_p[0]);
                safe_close(out_p[1]);
                return cli_error("cannot ask %s --preflight: %m", daemon);
        }
        out_r = out_p[0];
        err_r = err_p[0];
        r = posix_spawn_file_actions_init(&fa);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, out_p[1], STDOUT_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, err_p[1], STDERR_FILENO);
        if (r == 0)
                r = posix_spawn(&pid, daemon, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        safe_close(out_p[1]);
        safe_close(err_p[1]);
        if (r != 0)
                return cli_error("cannot run %s: %s (set OLY_DAEMON to the oly-daemon binary).", daemon,
                                 strerror(r));

        /* Both answers are far smaller than a pipe: reading one, then the other, cannot block the child. */
        if (read_all(out_r, out, sizeof out) < 0 || read_all(err_r, err, sizeof err) < 0)
                *out = *err = 0;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return cli_error("cannot wait for %s --preflight: %m", daemon);

        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                err[strcspn(err, "\n")] = 0;
                if (!isempty(err) && WIFEXITED(status) && WEXITSTATUS(status) == 1)
                        return cli_error("%s", err); /* the daemon's own words, in oly's voice */
                return cli_error("%s --preflight failed (%s %d)%s%s", daemon,
                                 WIFEXITED(status) ? "exit code" : "signal",
                                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                                 isempty(err) ? "" : ": ", err);
        }
        if (preflight_parse(out, ret) < 0)
                return cli_error(
                        "%s --preflight gave an answer this oly does not understand; is it from another "
                        "oly version?",
                        daemon);
        return 0;
}

/* With stdin, stdout or stderr closed, the next fd opened would take its number, and the detached child's
 * dup2() onto 0..2 would then overwrite a socket meant for the daemon (or the daemon would start without
 * stdio): /dev/null fills the gaps before anything else is opened. */
int daemon_ensure_stdio(void) {
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

int daemon_bind_bus_socket(const char *path, int *ret) {
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

int daemon_bind_http_socket(unsigned port, int *ret) {
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_port = htons((uint16_t) port),
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

int daemon_exec(const char *daemon, const PassedFds *p, bool http_no_auth, const char *notify) {
        char pid[32], names[128] = "", count[8];
        int high[DAEMON_PASSED_FDS_MAX];

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
        _cleanup_free_ char *keeper = daemon_find_keeper();
        if (!keeper)
                return -ENOMEM;
        if (http_no_auth)
                execl(keeper, "oly-keeper", daemon, "--http-no-auth", (char *) NULL);
        else
                execl(keeper, "oly-keeper", daemon, (char *) NULL);
        return -errno;
}

/* Readiness: an abstract datagram socket the daemon sends READY=1 to, as to systemd. */
static int notify_socket_open(char *name, size_t size, int *ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        uint64_t rnd = 0;
        size_t l;

        (void) getrandom(&rnd, sizeof rnd, GRND_NONBLOCK);
        snprintf(name, size, "@oly-notify/%d/%016llx", (int) getpid(), (unsigned long long) rnd);
        l = strlen(name);
        memcpy(sa.sun_path, name, l);
        sa.sun_path[0] = 0;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        /* With credentials: READY=1 comes from the daemon, whose pid we report (not the keeper's). */
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &(int) { 1 }, sizeof(int)) < 0 ||
            bind(fd, (struct sockaddr *) &sa, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l)) < 0)
                return -errno;
        *ret = TAKE_FD(fd);
        return 0;
}

/* True once a datagram said READY=1; its sender's pid in *ret_pid. */
static bool notify_ready(int fd, pid_t *ret_pid) {
        char buf[4096];
        ssize_t n;

        for (;;) {
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(struct ucred))];
                } control = {};
                struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                                     .msg_controllen = sizeof control.buf };
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
                if (n <= 0)
                        break;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                            c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
                                struct ucred u;
                                memcpy(&u, CMSG_DATA(c), sizeof u);
                                *ret_pid = u.pid;
                        }
                buf[n] = 0;
                for (char *line = buf, *e; line && *line; line = e ? e + 1 : NULL) {
                        e = strchr(line, '\n');
                        if (e)
                                *e = 0;
                        if (streq(line, "READY=1"))
                                return true;
                }
        }
        return false;
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

int daemon_spawn_and_wait(const char *daemon, PassedFds *p, bool http_no_auth, const char *logpath,
                          pid_t *ret_pid, pid_t *ret_keeper_pid) {
        _cleanup_close_ int notify_fd = -EBADF, log_fd = -EBADF;
        char notify[64];
        off_t log_start;
        usec_t deadline;
        pid_t pid;
        int r;

        r = notify_socket_open(notify, sizeof notify, &notify_fd);
        if (r < 0)
                return cli_error("cannot create the readiness socket: %s", strerror(-r));
        log_fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (log_fd < 0)
                return cli_error("cannot open %s: %m", logpath);
        log_start = lseek(log_fd, 0, SEEK_END);

        pid = fork();
        if (pid < 0)
                return cli_error("cannot fork: %m");
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                (void) setsid();
                if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
                    dup2(log_fd, STDERR_FILENO) < 0)
                        _exit(EXIT_ERROR);
                r = daemon_exec(daemon, p, http_no_auth, notify);
                fprintf(stderr, "oly: cannot execute %s: %s\n", daemon, strerror(-r));
                _exit(127);
        }
        for (unsigned i = 0; i < p->n; i++)
                p->fd[i] = safe_close(p->fd[i]);

        deadline = now_usec(CLOCK_MONOTONIC) + DAEMON_READY_TIMEOUT_USEC;
        for (;;) {
                usec_t now = now_usec(CLOCK_MONOTONIC);
                int status;

                pid_t daemon_pid = pid;
                if (notify_ready(notify_fd, &daemon_pid)) {
                        *ret_pid = daemon_pid;
                        *ret_keeper_pid = pid;
                        return 0;
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
                        return cli_error(
                                "the daemon did not report readiness within %llus; stopped it. Its log: %s",
                                (unsigned long long) (DAEMON_READY_TIMEOUT_USEC / USEC_PER_SEC), logpath);
                }
                (void) poll(&(struct pollfd){ .fd = notify_fd, .events = POLLIN }, 1, 50);
        }
}
