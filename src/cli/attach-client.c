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
#include "time-util.h"

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

static int open_terminal(CliTarget *t, const char *id, bool from_start, int *ret_fd) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int fd, r;

        r = cli_target_call(t, "OpenTerminal", 0, &error, &reply, "st", id,
                            (uint64_t) (from_start ? OLY_OPEN_TERMINAL_FROM_START : 0));
        if (r < 0)
                return cli_bus_error(&error, r, t->node, "Failed to attach");
        r = sd_bus_message_read(reply, "h", &fd);
        if (r < 0)
                return cli_bad_reply(r);
        /* The fd belongs to the message: keep a copy of our own. */
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return cli_error("cannot duplicate the terminal stream: %m");
        *ret_fd = fd;
        return 0;
}

/* One attachment: the stream, what is queued for the daemon, and how it ended. */
typedef struct Attach {
        int fd;
        FrameReader *rd;
        Buf out;
        bool tty_in, tty_out, stdin_open, esc;
        bool exited, detached, lost;
        int caught; /* the signal that ended it */
        int32_t exit_code;
        char status[32], notice[256];
} Attach;

/* Keys from the terminal: Ctrl-] d detaches, Ctrl-] Ctrl-] sends one; the rest goes out at once. */
static void attach_input(Attach *a) {
        uint8_t in[4096], send_buf[8192];
        size_t k = 0;
        ssize_t n = read(STDIN_FILENO, in, sizeof in);

        if (n <= 0 && !(n < 0 && errno == EINTR))
                a->stdin_open = false; /* piped input ran out: keep showing output */
        for (ssize_t i = 0; i < n && !a->detached; i++) {
                uint8_t b = in[i];
                if (!a->tty_in)
                        send_buf[k++] = b;
                else if (a->esc) {
                        a->esc = false;
                        if (b == 'd')
                                a->detached = true;
                        else if (b == ESCAPE_CHAR)
                                send_buf[k++] = b;
                        else {
                                send_buf[k++] = ESCAPE_CHAR;
                                send_buf[k++] = b;
                        }
                } else if (b == ESCAPE_CHAR)
                        a->esc = true;
                else
                        send_buf[k++] = b;
        }
        if (k > 0) {
                (void) frame_append(&a->out, FRAME_INPUT, send_buf, k);
                /* Keystrokes go out now, not after another trip through poll(). */
                ssize_t w = write(a->fd, a->out.data, a->out.len);
                if (w > 0)
                        buf_consume(&a->out, (size_t) w);
        }
}

/* Frames from the daemon: output to the terminal, the exit, notices. */
static void attach_stream(Attach *a) {
        size_t space;
        uint8_t *dst = frame_reader_space(a->rd, &space);
        ssize_t n = read(a->fd, dst, space);

        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                a->lost = true;
                return;
        }
        if (n > 0)
                frame_reader_fill(a->rd, (size_t) n);
        while (!a->lost && !a->exited) {
                FrameType t;
                const uint8_t *pl;
                uint32_t len;
                int q = frame_reader_next(a->rd, &t, &pl, &len);
                if (q == 0)
                        break;
                if (q < 0) {
                        a->lost = true;
                        break;
                }
                if (t == FRAME_HELLO) {
                        if (len < 4 || get_u32(pl) != OLY_ATTACH_PROTOCOL_VERSION) {
                                snprintf(a->notice, sizeof a->notice,
                                         "the daemon speaks attach protocol %u, this oly speaks %u",
                                         len >= 4 ? get_u32(pl) : 0, OLY_ATTACH_PROTOCOL_VERSION);
                                a->lost = true;
                        }
                } else if (t == FRAME_OUTPUT || t == FRAME_SNAPSHOT) {
                        if (write_all(STDOUT_FILENO, pl, len) < 0)
                                a->caught = SIGPIPE;
                } else if (t == FRAME_EXIT && len >= 4) {
                        a->exit_code = (int32_t) get_u32(pl);
                        snprintf(a->status, sizeof a->status, "%.*s", (int) MIN(len - 4, 31u), pl + 4);
                        a->exited = true;
                } else if (t == FRAME_NOTICE)
                        snprintf(a->notice, sizeof a->notice, "%.*s", (int) MIN(len, 255u), pl);
                frame_reader_consume(a->rd);
        }
}

static void attach_loop(Attach *a, int sfd) {
        while (!a->exited && !a->detached && !a->lost && !a->caught) {
                struct pollfd p[3] = {
                        { .fd = a->fd, .events = POLLIN | (a->out.len > 0 ? POLLOUT : 0) },
                        { .fd = sfd, .events = POLLIN },
                        /* Stop reading the keyboard while our own queue to the daemon is long. */
                        { .fd = a->stdin_open && a->out.len < 1024U * 1024U ? STDIN_FILENO : -1,
                          .events = POLLIN },
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
                                        queue_resize(&a->out);
                                else if (si.ssi_signo != SIGPIPE)
                                        a->caught = (int) si.ssi_signo;
                        }
                }
                if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
                        attach_input(a);
                if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        attach_stream(a);
                        if (a->lost)
                                break;
                }
                if (a->out.len > 0 && (p[0].revents & POLLOUT || a->detached)) {
                        ssize_t n = write(a->fd, a->out.data, a->out.len);
                        if (n > 0)
                                buf_consume(&a->out, (size_t) n);
                }
        }
}

/* The terminal as it was: nothing after this may leave it raw. */
static void attach_restore(Attach *a) {
        /* Put back what a full-screen program may have left on: the alternate screen, application keys,
         * bracketed paste, mouse reporting, a hidden cursor, colours. */
        static const char reset_modes[] =
                "\033[?1049l\033[?1l\033>\033[?2004l\033[?1000l\033[?1002l\033[?1003l\033[?1006l\033[?25h\033[0m";

        restore_terminal();
        if (a->detached || a->caught) {
                /* Input not yet taken by the daemon is dropped (the program may not be reading at all);
                 * DETACH goes out if the socket takes it at once, and closing the stream detaches anyway. */
                a->out.len = 0;
                (void) frame_append(&a->out, FRAME_DETACH, NULL, 0);
                (void) send(a->fd, a->out.data, a->out.len, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        if (a->tty_out)
                (void) write_all(STDOUT_FILENO, reset_modes, sizeof reset_modes - 1);
}

/* How long 'oly attach' waits for a restarted daemon (kept sessions are adopted within a second). */
#define ATTACH_REATTACH_USEC (30 * USEC_PER_SEC)

/* The stream ended without an exit frame: the daemon went away (a crash or a restart; oly-keeper or the
 * service manager keeps the sessions). Connects again and opens a new stream on the same session; its
 * snapshot redraws the screen. 1 when attached again, 0 when not (the reason is in a->notice). */
static int attach_reconnect(Attach *a, CliTarget *t, const char *id) {
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + ATTACH_REATTACH_USEC;
        const char *msg = "\r\noly: lost the daemon; reattaching to the session when it is back...\r\n";

        (void) write_all(STDERR_FILENO, msg, strlen(msg));
        while (now_usec(CLOCK_MONOTONIC) < deadline) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                sd_bus_error error = SD_BUS_ERROR_NULL;
                int fd, r;

                t->bus = sd_bus_flush_close_unref(t->bus);
                if (cli_connect_quiet(&t->bus) < 0) {
                        (void) usleep(100 * 1000);
                        continue;
                }
                r = cli_target_call(t, "OpenTerminal", 5 * USEC_PER_SEC, &error, &reply, "st", id, (uint64_t) 0);
                if (r < 0) {
                        bool gone = sd_bus_error_has_name(&error, OLY_ERROR_NOT_RUNNING) ||
                                    sd_bus_error_has_name(&error, OLY_ERROR_NO_SUCH_SESSION);
                        if (gone)
                                snprintf(a->notice, sizeof a->notice, "session %s ended while the daemon was away; "
                                         "see 'oly ls -a' and 'oly logs %s'", id, id);
                        sd_bus_error_free(&error);
                        if (gone)
                                return 0;
                        (void) usleep(100 * 1000);
                        continue;
                }
                if (sd_bus_message_read(reply, "h", &fd) < 0 || (fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
                        return 0;
                safe_close(a->fd);
                a->fd = fd;
                (void) fcntl(a->fd, F_SETFL, O_NONBLOCK);
                a->rd->start = a->rd->end = 0;
                a->out.len = 0;
                a->lost = false;
                if (a->tty_in || a->tty_out)
                        queue_resize(&a->out);
                msg = "oly: reattached.\r\n";
                (void) write_all(STDERR_FILENO, msg, strlen(msg));
                return 1;
        }
        snprintf(a->notice, sizeof a->notice, "the daemon did not come back within %llus",
                 (unsigned long long) (ATTACH_REATTACH_USEC / USEC_PER_SEC));
        return 0;
}

/* One line saying how the attachment ended; returns the exit code. */
static int attach_report(const Attach *a, const char *id) {
        fputc('\n', stderr);
        if (a->exited) {
                fprintf(stderr, "oly: session %s exited with code %d (%s).\n", id, a->exit_code, a->status);
                return EXIT_OK;
        }
        if (a->detached) {
                fprintf(stderr, "oly: detached from session %s (it keeps running).\n", id);
                return EXIT_OK;
        }
        if (a->caught) {
                fprintf(stderr, "oly: detached from session %s on SIG%s (it keeps running).\n", id,
                        sigabbrev_np(a->caught) ?: "?");
                return EXIT_ERROR;
        }
        if (*a->notice)
                fprintf(stderr, "oly: %s.\n", a->notice);
        fprintf(stderr, "oly: lost the connection to the daemon; session %s may still be running.\n", id);
        return EXIT_ERROR;
}

static void attach_done(Attach *a) {
        a->fd = safe_close(a->fd);
        a->rd = mfree(a->rd);
        buf_free(&a->out);
}

/* Raw mode on a terminal, restored at exit whatever happens. */
static void attach_raw_mode(void) {
        struct termios raw;

        if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
                return;
        raw = saved_termios;
        cfmakeraw(&raw);
        termios_saved = true;
        atexit(restore_terminal);
        if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) < 0)
                restore_terminal();
}

int attach_session(CliTarget *t, const char *id, bool from_start) {
        _cleanup_(attach_done) Attach a = {
                .fd = -EBADF,
                .out = { .max = 4U * 1024U * 1024U },
                .tty_in = isatty(STDIN_FILENO),
                .tty_out = isatty(STDOUT_FILENO),
                .stdin_open = true,
                .exit_code = -1,
        };
        _cleanup_close_ int sfd = -EBADF;
        sigset_t mask, old;
        int r;

        r = open_terminal(t, id, from_start, &a.fd);
        if (r != 0)
                return r;
        a.rd = malloc(sizeof *a.rd);
        if (!a.rd)
                return cli_error("out of memory");
        a.rd->start = a.rd->end = 0;

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

        if (a.tty_in)
                attach_raw_mode();
        if (a.tty_in || a.tty_out)
                queue_resize(&a.out);
        (void) fcntl(a.fd, F_SETFL, O_NONBLOCK);

        for (;;) {
                attach_loop(&a, sfd);
                /* A protocol mismatch is no lost daemon: only a stream that just ended is retried. */
                if (!a.lost || *a.notice || attach_reconnect(&a, t, id) <= 0)
                        break;
        }
        attach_restore(&a);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return attach_report(&a, id);
}
