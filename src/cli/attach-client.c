/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The client end of a terminal stream: raw mode, the Ctrl-] escape, SIGWINCH, and a terminal put back
 * the way it was on every way out. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "attach-protocol.h"
#include "buf.h"
#include "cli.h"
#include "oly-def.h"

#define ESCAPE_CHAR 0x1d /* Ctrl-] */

static struct termios saved_termios;
static bool termios_saved;

static void restore_terminal(void) {
        if (termios_saved) {
                (void) tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
                termios_saved = false;
        }
}

static int write_all(int fd, const void *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                struct pollfd pf = { .fd = fd, .events = POLLOUT };
                                (void) poll(&pf, 1, 1000);
                                continue;
                        }
                        return -errno;
                }
                p = (const uint8_t *) p + k;
                n -= (size_t) k;
        }
        return 0;
}

static void queue_resize(Buf *out) {
        struct winsize ws;
        uint8_t p[4];
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
                return;
        if (ws.ws_row == 0 || ws.ws_col == 0)
                return;
        put_u16(p, (uint16_t) MIN((unsigned) ws.ws_row, (unsigned) OLY_ROWS_MAX));
        put_u16(p + 2, (uint16_t) MIN((unsigned) ws.ws_col, (unsigned) OLY_COLS_MAX));
        (void) frame_append(out, FRAME_RESIZE, p, sizeof p);
}

static int open_terminal(sd_bus *bus, const char *node, const char *id, bool from_start, int *ret_fd) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int fd, r;

        r = cli_call(bus, node, "OpenTerminal", 0, &error, &reply, "st", id,
                     (uint64_t) (from_start ? OLY_OPEN_TERMINAL_FROM_START : 0));
        if (r < 0) {
                r = cli_bus_error(&error, r, node, "Failed to attach");
                sd_bus_error_free(&error);
                return -r;
        }
        r = sd_bus_message_read(reply, "h", &fd);
        if (r < 0)
                return cli_error("bad reply from the daemon: %s", strerror(-r)), -EXIT_ERROR;
        /* The fd belongs to the message: keep a copy of our own. */
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return cli_error("cannot duplicate the terminal stream: %m"), -EXIT_ERROR;
        *ret_fd = fd;
        return 0;
}

int attach_session(sd_bus *bus, const char *node, const char *id, bool from_start) {
        _cleanup_close_ int fd = -EBADF, sfd = -EBADF;
        _cleanup_free_ FrameReader *rd = NULL;
        Buf out = { .max = 4U * 1024U * 1024U };
        bool tty_in = isatty(STDIN_FILENO), tty_out = isatty(STDOUT_FILENO), stdin_open = true, esc = false;
        bool exited = false, detached = false, lost = false;
        int32_t exit_code = -1;
        char status[32] = "", notice[256] = "";
        int caught = 0, r;
        sigset_t mask, old;

        r = open_terminal(bus, node, id, from_start, &fd);
        if (r < 0)
                return -r;
        rd = malloc(sizeof *rd);
        if (!rd)
                return cli_error("out of memory");
        rd->start = rd->end = 0;

        sigemptyset(&mask);
        sigaddset(&mask, SIGWINCH);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGQUIT);
        sigaddset(&mask, SIGPIPE);
        sigprocmask(SIG_BLOCK, &mask, &old);
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0)
                return cli_error("cannot watch signals: %m");

        if (tty_in && tcgetattr(STDIN_FILENO, &saved_termios) == 0) {
                struct termios raw = saved_termios;
                cfmakeraw(&raw);
                termios_saved = true;
                atexit(restore_terminal);
                if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) < 0)
                        restore_terminal();
        }
        if (tty_in || tty_out)
                queue_resize(&out);
        (void) fcntl(fd, F_SETFL, O_NONBLOCK);

        while (!exited && !detached && !lost && !caught) {
                struct pollfd p[3] = {
                        { .fd = fd, .events = POLLIN | (out.len > 0 ? POLLOUT : 0) },
                        { .fd = sfd, .events = POLLIN },
                        /* Stop reading the keyboard while our own queue to the daemon is long. */
                        { .fd = stdin_open && out.len < 1024U * 1024U ? STDIN_FILENO : -1, .events = POLLIN },
                };
                if (poll(p, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[1].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof si) == sizeof si) {
                                if (si.ssi_signo == SIGWINCH)
                                        queue_resize(&out);
                                else if (si.ssi_signo != SIGPIPE)
                                        caught = (int) si.ssi_signo;
                        }
                }
                if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
                        uint8_t in[4096], send_buf[8192];
                        size_t k = 0;
                        ssize_t n = read(STDIN_FILENO, in, sizeof in);
                        if (n <= 0 && !(n < 0 && errno == EINTR))
                                stdin_open = false; /* piped input ran out: keep showing output */
                        for (ssize_t i = 0; i < n && !detached; i++) {
                                uint8_t b = in[i];
                                if (!tty_in)
                                        send_buf[k++] = b;
                                else if (esc) {
                                        esc = false;
                                        if (b == 'd')
                                                detached = true;
                                        else if (b == ESCAPE_CHAR)
                                                send_buf[k++] = b;
                                        else {
                                                send_buf[k++] = ESCAPE_CHAR;
                                                send_buf[k++] = b;
                                        }
                                } else if (b == ESCAPE_CHAR)
                                        esc = true;
                                else
                                        send_buf[k++] = b;
                        }
                        if (k > 0) {
                                (void) frame_append(&out, FRAME_INPUT, send_buf, k);
                                /* Keystrokes go out now, not after another trip through poll(). */
                                ssize_t w = write(fd, out.data, out.len);
                                if (w > 0)
                                        buf_consume(&out, (size_t) w);
                        }
                }
                if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        size_t space;
                        uint8_t *dst = frame_reader_space(rd, &space);
                        ssize_t n = read(fd, dst, space);
                        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                                lost = true;
                                break;
                        }
                        if (n > 0)
                                frame_reader_fill(rd, (size_t) n);
                        for (;;) {
                                FrameType t;
                                const uint8_t *pl;
                                uint32_t len;
                                int q = frame_reader_next(rd, &t, &pl, &len);
                                if (q == 0)
                                        break;
                                if (q < 0) {
                                        lost = true;
                                        break;
                                }
                                if (t == FRAME_HELLO) {
                                        if (len < 4 || get_u32(pl) != OLY_ATTACH_PROTOCOL_VERSION) {
                                                snprintf(notice, sizeof notice,
                                                         "the daemon speaks attach protocol %u, this oly speaks %u",
                                                         len >= 4 ? get_u32(pl) : 0, OLY_ATTACH_PROTOCOL_VERSION);
                                                lost = true;
                                        }
                                } else if (t == FRAME_OUTPUT || t == FRAME_SNAPSHOT) {
                                        if (write_all(STDOUT_FILENO, pl, len) < 0)
                                                caught = SIGPIPE;
                                } else if (t == FRAME_EXIT && len >= 4) {
                                        exit_code = (int32_t) get_u32(pl);
                                        snprintf(status, sizeof status, "%.*s", (int) MIN(len - 4, 31u), pl + 4);
                                        exited = true;
                                } else if (t == FRAME_NOTICE)
                                        snprintf(notice, sizeof notice, "%.*s", (int) MIN(len, 255u), pl);
                                frame_reader_consume(rd);
                                if (lost || exited)
                                        break;
                        }
                }
                if (out.len > 0 && (p[0].revents & POLLOUT || detached)) {
                        ssize_t n = write(fd, out.data, out.len);
                        if (n > 0)
                                buf_consume(&out, (size_t) n);
                }
        }

        /* The terminal first: nothing below may leave it raw. */
        restore_terminal();
        if (detached || caught) {
                /* Input not yet taken by the daemon is dropped (the program may not be reading at all);
                 * DETACH goes out if the socket takes it at once, and closing the stream detaches anyway. */
                out.len = 0;
                (void) frame_append(&out, FRAME_DETACH, NULL, 0);
                (void) send(fd, out.data, out.len, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        buf_free(&out);
        /* Put back what a full-screen program may have left on: the alternate screen, application keys,
         * bracketed paste, mouse reporting, a hidden cursor, colours. */
        static const char reset_modes[] =
                "\033[?1049l\033[?1l\033>\033[?2004l\033[?1000l\033[?1002l\033[?1003l\033[?1006l\033[?25h\033[0m";
        if (tty_out)
                (void) write_all(STDOUT_FILENO, reset_modes, sizeof reset_modes - 1);
        sigprocmask(SIG_SETMASK, &old, NULL);

        fputc('\n', stderr);
        if (exited) {
                fprintf(stderr, "oly: session %s exited with code %d (%s).\n", id, exit_code, status);
                return EXIT_OK;
        }
        if (detached) {
                fprintf(stderr, "oly: detached from session %s (it keeps running).\n", id);
                return EXIT_OK;
        }
        if (caught) {
                fprintf(stderr, "oly: detached from session %s on SIG%s (it keeps running).\n", id,
                        sigabbrev_np(caught) ?: "?");
                return EXIT_ERROR;
        }
        if (*notice)
                fprintf(stderr, "oly: %s.\n", notice);
        fprintf(stderr, "oly: lost the connection to the daemon; session %s may still be running.\n", id);
        return EXIT_ERROR;
}
