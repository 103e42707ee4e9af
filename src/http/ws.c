/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* WebSocket attach for oly-http: libwebsockets on a libuv loop nested in sd-event, each connection bridged
 * to a terminal stream of oly-daemon with one-byte opcodes (ttyd style) and backpressure both ways. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libwebsockets.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <uv.h>
/* libuv pulls in <sys/param.h>, whose MIN/MAX macro.h defines its own way. */
#undef MIN
#undef MAX

#include "attach-protocol.h"
#include "buf.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "oly-def.h"
#include "ws-guard.h"
#include "ws.h"

#define WS_CONNECTIONS_MAX 256U
/* A browser message larger than this closes the connection with 1009. */
#define WS_MESSAGE_IN_MAX (1024U * 1024U)
/* Consecutive daemon output frames already at hand are merged into one 'o' message up to this size. */
#define WS_MESSAGE_OUT_MAX (256U * 1024U)
/* Input for the daemon not yet taken by it: one browser message, plus what lws may still hand us before
 * rx flow control takes hold. */
#define WS_TO_TERM_MAX (2U * (WS_MESSAGE_IN_MAX + 64U))
/* lws delivers messages in pieces of this size; we reassemble them. */
#define WS_RX_BUFFER_SIZE (64U * 1024U)
#define WS_SERVICE_BUFFER_SIZE (64U * 1024U)
#define WS_PING_PAYLOAD_MAX 125U
/* The upgrade request (cookies included); oly-http's router peeks at most this much anyway. */
#define WS_HEADER_MAX 8192U
/* An idle connection gets a protocol-level PING after this long and is dropped if nothing confirms it. */
#define WS_IDLE_PING_SEC 30U
#define WS_IDLE_HANGUP_SEC 75U
#define WS_DRAIN_ITERATIONS_MAX 1000U
#define WS_POST_RUNS_MAX 2U
#define WS_TIMER_SLACK_USEC (1U * USEC_PER_SEC)

/* Opcodes, first byte of every binary message. */
enum {
        WS_OP_OUTPUT = 'o',
        WS_OP_SNAPSHOT = 's',
        WS_OP_EXIT = 'x',
        WS_OP_NOTICE = 'n',
        WS_OP_PONG = 'P',
        WS_OP_HELLO = 'h',
        WS_OP_INPUT = 'i',
        WS_OP_RESIZE = 'r',
        WS_OP_PING = 'p',
};

typedef struct WsConn WsConn;

struct WsServer {
        sd_event *event;
        uv_loop_t loop;
        bool loop_initialized;
        sd_event_source *uv_io, *uv_timer, *uv_defer, *uv_post;
        uint64_t uv_deadline; /* what uv_timer is armed for, USEC_INFINITY when off */
        bool kick;            /* lws was called from outside uv_run(): flush libuv's queued changes */
        struct lws_context *context;
        struct lws_vhost *vhost;
        WsConn *conns;
        unsigned n_conns;
        WsGuard *guards; /* the relays in front of lws (ws-guard.c), which may outlive their WsConn */
};

struct WsConn {
        WsServer *server;
        LIST_FIELDS(WsConn, conns);
        struct lws *wsi;
        WsGuard *guard;
        int term_fd;
        sd_event_source *term_source;
        FrameReader *reader;
        uint8_t *out;   /* LWS_PRE headroom, then the pending message */
        size_t out_len; /* 0: nothing pending, term_fd may be read */
        uint8_t pong[LWS_PRE + 1 + WS_PING_PAYLOAD_MAX];
        size_t pong_len;
        Buf rx;      /* a browser message being reassembled */
        Buf to_term; /* frames for the daemon it did not take yet */
        bool adopting, dead, established, term_eof, rx_paused;
        int close_after_send; /* after out is sent, close with this status (X: 1000) */
        int close_status;     /* closing: send a close frame with this status at the next WRITEABLE */
        const char *close_reason;
};

static void ws_server_kick(WsServer *ws) {
        ws->kick = true;
}

/* libuv nested in sd-event: the backend fd tells us when libuv has I/O, a timer stands for libuv's own
 * timeout (a defer source when that is 0, which costs no timerfd), and a post source re-arms both after
 * every iteration. */
static void ws_server_arm_timer(WsServer *ws) {
        int t = uv_backend_timeout(&ws->loop);
        uint64_t deadline;
        int r;

        if (t == 0) {
                r = sd_event_source_set_enabled(ws->uv_defer, SD_EVENT_ONESHOT);
                if (r < 0)
                        log_error_errno(r, "Failed to schedule the libuv loop: %m");
                return;
        }
        deadline = t < 0 ? USEC_INFINITY : (uv_now(&ws->loop) + (uint64_t) t) * USEC_PER_MSEC;
        /* lws moves its timers on every message; a timer that fires a little early only costs a
         * wakeup, so keep an earlier deadline rather than re-arm (timerfd_settime) each time. */
        if (deadline == ws->uv_deadline ||
            (deadline != USEC_INFINITY && ws->uv_deadline <= deadline &&
             deadline - ws->uv_deadline < WS_TIMER_SLACK_USEC))
                return;
        if (deadline == USEC_INFINITY)
                r = sd_event_source_set_enabled(ws->uv_timer, SD_EVENT_OFF);
        else {
                r = sd_event_source_set_time(ws->uv_timer, deadline);
                if (r >= 0)
                        r = sd_event_source_set_enabled(ws->uv_timer, SD_EVENT_ONESHOT);
        }
        if (r < 0) {
                log_error_errno(r, "Failed to arm the libuv timer: %m");
                (void) sd_event_source_set_enabled(ws->uv_defer, SD_EVENT_ONESHOT);
                deadline = USEC_INFINITY;
        }
        ws->uv_deadline = deadline;
}

static int ws_server_on_uv_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        WsServer *ws = userdata;
        (void) uv_run(&ws->loop, UV_RUN_NOWAIT);
        return 0;
}

static int ws_server_on_uv_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        WsServer *ws = userdata;
        ws->uv_deadline = USEC_INFINITY; /* a oneshot timer turns itself off */
        (void) uv_run(&ws->loop, UV_RUN_NOWAIT);
        return 0;
}

static int ws_server_on_uv_defer(sd_event_source *s, void *userdata) {
        WsServer *ws = userdata;
        (void) uv_run(&ws->loop, UV_RUN_NOWAIT);
        return 0;
}

static int ws_server_on_uv_post(sd_event_source *s, void *userdata) {
        WsServer *ws = userdata;
        /* Work libuv has queued (epoll changes from lws calls made outside uv_run(), idle handles) is
         * done now rather than after another trip through the timer; bounded, so lws cannot starve the
         * rest of the loop. */
        for (unsigned i = 0; i < WS_POST_RUNS_MAX && (ws->kick || uv_backend_timeout(&ws->loop) == 0); i++) {
                ws->kick = false;
                (void) uv_run(&ws->loop, UV_RUN_NOWAIT);
        }
        ws->kick = false;
        ws_server_arm_timer(ws);
        return 0;
}

static void ws_lws_log(int level, const char *line) {
        size_t n = strlen(line);
        while (n > 0 && line[n - 1] == '\n')
                n--;
        log_full(level == LLL_ERR ? LOG_WARNING : LOG_DEBUG, "lws: %.*s", (int) n, line);
}

static WsConn *ws_conn_free(WsConn *c) {
        if (!c)
                return NULL;
        if (c->server) {
                LIST_REMOVE(conns, c->server->conns, c);
                c->server->n_conns--;
        }
        ws_guard_forget(c->guard);
        sd_event_source_disable_unref(c->term_source);
        safe_close(c->term_fd);
        free(c->reader);
        free(c->out);
        buf_free(&c->rx);
        buf_free(&c->to_term);
        return mfree(c);
}

static void ws_conn_update_term_events(WsConn *c) {
        uint32_t events = 0;
        int r;

        if (!c->term_source)
                return;
        if (c->established && !c->close_status && c->out_len == 0 && !c->term_eof && !c->close_after_send)
                events |= EPOLLIN;
        if (!c->close_status && c->to_term.len > 0)
                events |= EPOLLOUT;
        if (events == 0) {
                r = sd_event_source_set_enabled(c->term_source, SD_EVENT_OFF);
        } else {
                r = sd_event_source_set_io_events(c->term_source, events);
                if (r >= 0)
                        r = sd_event_source_set_enabled(c->term_source, SD_EVENT_ON);
        }
        if (r < 0)
                log_error_errno(r, "Failed to update the terminal stream watch: %m");
}

/* Closes the WebSocket with status once what is pending has been sent. */
static void ws_conn_close(WsConn *c, int status, const char *reason) {
        if (c->close_status)
                return;
        c->close_status = status;
        c->close_reason = reason;
        ws_conn_update_term_events(c);
        lws_callback_on_writable(c->wsi);
        ws_server_kick(c->server);
}

/* Returns > 0 when bytes arrived, 0 when none are there now or the stream ended (term_eof), < 0 on error. */
static int ws_conn_read_term(WsConn *c) {
        size_t space;
        uint8_t *dst = frame_reader_space(c->reader, &space);

        for (;;) {
                ssize_t n = read(c->term_fd, dst, space);
                if (n > 0) {
                        frame_reader_fill(c->reader, (size_t) n);
                        return 1;
                }
                if (n == 0) {
                        c->term_eof = true;
                        return 0;
                }
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN)
                        return 0;
                if (errno == ECONNRESET) {
                        c->term_eof = true;
                        return 0;
                }
                return -errno;
        }
}

static void ws_conn_out_put(WsConn *c, const void *p, size_t n) {
        assert(c->out_len + n <= 1 + WS_MESSAGE_OUT_MAX);
        memcpy(c->out + LWS_PRE + c->out_len, p, n);
        c->out_len += n;
}

/* JSON string contents; the status names are plain ASCII, but the daemon is still a peer. */
static void ws_conn_out_put_json_string(WsConn *c, const uint8_t *s, size_t n) {
        char esc[8];
        for (size_t i = 0; i < n && c->out_len + sizeof esc <= 1 + WS_MESSAGE_OUT_MAX; i++) {
                if (s[i] == '"' || s[i] == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char) s[i];
                        ws_conn_out_put(c, esc, 2);
                } else if (s[i] < 0x20 || s[i] == 0x7f) {
                        snprintf(esc, sizeof esc, "\\u%04x", s[i]);
                        ws_conn_out_put(c, esc, 6);
                } else
                        ws_conn_out_put(c, s + i, 1);
        }
}

/* Turns what the daemon sent into the next WebSocket message, reading more as long as output frames can
 * be merged. Returns 1 when a message is ready in out, 0 when more bytes are needed (or the stream ended:
 * see term_eof), -EBADMSG on a malformed stream. */
static int ws_conn_fill(WsConn *c) {
        char json[96];
        int r;

        assert(c->out_len == 0);
        for (;;) {
                FrameType type;
                const uint8_t *p;
                uint32_t len;

                r = frame_reader_next(c->reader, &type, &p, &len);
                if (r < 0)
                        return r;
                if (r == 0) {
                        if (c->term_eof)
                                break;
                        r = ws_conn_read_term(c);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                break;
                        continue;
                }

                if (c->out_len > 0) {
                        /* Only output merges into the pending 'o' message. */
                        if (type != FRAME_OUTPUT || c->out[LWS_PRE] != WS_OP_OUTPUT ||
                            c->out_len + len > 1 + WS_MESSAGE_OUT_MAX)
                                break;
                        ws_conn_out_put(c, p, len);
                        frame_reader_consume(c->reader);
                        continue;
                }

                switch (type) {
                case FRAME_HELLO:
                        if (len < 8 || get_u32(p) != OLY_ATTACH_PROTOCOL_VERSION) {
                                int n = snprintf(json, sizeof json,
                                                 "%cthe daemon speaks attach protocol %" PRIu32
                                                 ", this oly-http speaks %u",
                                                 WS_OP_NOTICE, len >= 4 ? get_u32(p) : 0,
                                                 OLY_ATTACH_PROTOCOL_VERSION);
                                ws_conn_out_put(c, json, (size_t) MIN(n, (int) sizeof json - 1));
                                c->close_after_send = LWS_CLOSE_STATUS_UNEXPECTED_CONDITION;
                        } else {
                                int n = snprintf(json, sizeof json, "%c{\"rows\":%u,\"cols\":%u}",
                                                 WS_OP_HELLO, get_u16(p + 4), get_u16(p + 6));
                                ws_conn_out_put(c, json, (size_t) n);
                        }
                        break;
                case FRAME_SNAPSHOT:
                        ws_conn_out_put(c, &(uint8_t) { WS_OP_SNAPSHOT }, 1);
                        ws_conn_out_put(c, p, len);
                        break;
                case FRAME_OUTPUT:
                        ws_conn_out_put(c, &(uint8_t) { WS_OP_OUTPUT }, 1);
                        ws_conn_out_put(c, p, len);
                        frame_reader_consume(c->reader);
                        continue; /* merge what follows */
                case FRAME_EXIT: {
                        if (len < 4)
                                return -EBADMSG;
                        ws_conn_out_put(c, &(uint8_t) { WS_OP_EXIT }, 1);
                        ws_conn_out_put(c, "{\"status\":\"", 11);
                        ws_conn_out_put_json_string(c, p + 4, MIN(len - 4, 64U));
                        int n = snprintf(json, sizeof json, "\",\"exit_code\":%" PRIi32 "}",
                                         (int32_t) get_u32(p));
                        ws_conn_out_put(c, json, (size_t) n);
                        c->close_after_send = LWS_CLOSE_STATUS_NORMAL;
                        break;
                }
                case FRAME_NOTICE:
                        ws_conn_out_put(c, &(uint8_t) { WS_OP_NOTICE }, 1);
                        ws_conn_out_put(c, p, len);
                        break;
                default:
                        /* A frame type this bridge does not know (a newer daemon): skip it. */
                        frame_reader_consume(c->reader);
                        continue;
                }
                frame_reader_consume(c->reader);
                break;
        }
        return c->out_len > 0;
}

/* After a message went out (or the connection was established): prepare the next one, or watch term_fd. */
static void ws_conn_pump(WsConn *c) {
        int r;

        if (c->close_status || c->close_after_send || c->out_len > 0)
                return;
        r = ws_conn_fill(c);
        if (r < 0) {
                log_warning_errno(r, "Dropping WebSocket: bad terminal stream from the daemon: %m");
                ws_conn_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "bad terminal stream");
                return;
        }
        if (r > 0) {
                lws_callback_on_writable(c->wsi);
                ws_server_kick(c->server);
        } else if (c->term_eof)
                ws_conn_close(c, LWS_CLOSE_STATUS_GOINGAWAY, "terminal stream closed");
        ws_conn_update_term_events(c);
}

/* Writes what the daemon did not take yet; while some is left, lws stops reading from the browser. */
static int ws_conn_flush_to_term(WsConn *c) {
        while (c->to_term.len > 0) {
                ssize_t n = send(c->term_fd, c->to_term.data, c->to_term.len, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                buf_consume(&c->to_term, (size_t) n);
        }
        bool pause = c->to_term.len > 0;
        if (pause != c->rx_paused && c->wsi) {
                lws_rx_flow_control(c->wsi, !pause);
                ws_server_kick(c->server);
                c->rx_paused = pause;
        }
        ws_conn_update_term_events(c);
        return 0;
}

static int ws_conn_on_term(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        WsConn *c = userdata;
        int r;

        if (c->to_term.len > 0 && (revents & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
                r = ws_conn_flush_to_term(c);
                if (r < 0) {
                        log_debug_errno(r, "Terminal stream write failed: %m");
                        c->to_term.len = 0;
                        ws_conn_close(c, LWS_CLOSE_STATUS_GOINGAWAY, "terminal stream closed");
                        return 0;
                }
        }
        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
                ws_conn_pump(c);
        else
                ws_conn_update_term_events(c);
        return 0;
}

/* The browser sent an unmasked frame, which never reached lws. */
static void ws_conn_refused(void *userdata) {
        ws_conn_close(userdata, LWS_CLOSE_STATUS_PROTOCOL_ERR, "unmasked frame");
}

/* One whole browser message. Returns < 0 to drop the connection. */
static int ws_conn_handle_message(WsConn *c, const uint8_t *m, size_t n) {
        int r = 0;

        if (n == 0)
                return 0;
        switch (m[0]) {
        case WS_OP_INPUT:
                for (size_t off = 1; off < n && r >= 0; off += OLY_FRAME_PAYLOAD_MAX)
                        r = frame_append(&c->to_term, FRAME_INPUT, m + off,
                                                MIN(n - off, (size_t) OLY_FRAME_PAYLOAD_MAX));
                break;
        case WS_OP_RESIZE: {
                if (n != 5)
                        return 0;
                unsigned rows = (unsigned) m[1] << 8 | m[2], cols = (unsigned) m[3] << 8 | m[4];
                /* Out-of-range sizes are ignored, like a terminal ignores a nonsensical TIOCSWINSZ. */
                if (rows == 0 || cols == 0 || rows > OLY_ROWS_MAX || cols > OLY_COLS_MAX)
                        return 0;
                uint8_t p[4];
                put_u16(p, (uint16_t) rows);
                put_u16(p + 2, (uint16_t) cols);
                r = frame_append(&c->to_term, FRAME_RESIZE, p, sizeof p);
                break;
        }
        case WS_OP_PING:
                if (n - 1 > WS_PING_PAYLOAD_MAX)
                        return 0;
                /* Only the latest ping is answered if several arrive before we can write. */
                c->pong[LWS_PRE] = WS_OP_PONG;
                memcpy(c->pong + LWS_PRE + 1, m + 1, n - 1);
                c->pong_len = n;
                lws_callback_on_writable(c->wsi);
                return 0;
        default:
                /* Unknown opcodes are ignored rather than closed with 1003, so that a newer web client
                 * still works (minus the new feature) against an older oly-http. */
                return 0;
        }
        if (r < 0)
                return r;
        return ws_conn_flush_to_term(c);
}

static int ws_conn_receive(WsConn *c, const uint8_t *in, size_t len) {
        struct lws *wsi = c->wsi;
        int r;

        if (lws_is_first_fragment(wsi))
                c->rx.len = 0;
        size_t total = c->rx.len + len + lws_remaining_packet_payload(wsi);
        if (total > WS_MESSAGE_IN_MAX) {
                static const char reason[] = "message too large";
                lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *) reason,
                                 sizeof reason - 1);
                return -1;
        }
        if (lws_is_final_fragment(wsi) && c->rx.len == 0)
                r = ws_conn_handle_message(c, in, len); /* the common case: no copy */
        else {
                r = buf_put(&c->rx, in, len);
                if (r >= 0 && lws_is_final_fragment(wsi)) {
                        r = ws_conn_handle_message(c, c->rx.data, c->rx.len);
                        c->rx.len = 0;
                        if (c->rx.cap > WS_RX_BUFFER_SIZE)
                                buf_free(&c->rx);
                }
        }
        if (r < 0) {
                static const char reason[] = "terminal stream closed";
                log_debug_errno(r, "Failed to pass browser input to the daemon: %m");
                enum lws_close_status status = r == -ENOBUFS ? LWS_CLOSE_STATUS_POLICY_VIOLATION :
                                                               LWS_CLOSE_STATUS_GOINGAWAY;
                lws_close_reason(wsi, status, (unsigned char *) reason, sizeof reason - 1);
                return -1;
        }
        return 0;
}

static int ws_conn_writeable(WsConn *c) {
        struct lws *wsi = c->wsi;

        if (c->pong_len > 0) {
                size_t n = c->pong_len;
                c->pong_len = 0;
                if (lws_write(wsi, c->pong + LWS_PRE, n, LWS_WRITE_BINARY) < (int) n)
                        return -1;
                if (c->out_len > 0 || c->close_status)
                        lws_callback_on_writable(wsi);
                return 0;
        }
        if (c->out_len > 0) {
                size_t n = c->out_len;
                if (lws_write(wsi, c->out + LWS_PRE, n, LWS_WRITE_BINARY) < (int) n)
                        return -1;
                c->out_len = 0;
                if (c->close_after_send)
                        ws_conn_close(c, c->close_after_send, NULL);
                else
                        ws_conn_pump(c);
                return 0;
        }
        if (c->close_status) {
                /* Reached only after lws flushed what we wrote before. Returning -1 from WRITEABLE (or an
                 * lws timeout) would drop the socket without a close frame, since lws takes it for dead:
                 * fail from LWS_CALLBACK_TIMER instead: that sends the close frame and waits for the ack. */
                const char *reason = c->close_reason ?: "";
                lws_close_reason(wsi, (enum lws_close_status) c->close_status, (unsigned char *) reason,
                                 strlen(reason));
                lws_set_timer_usecs(wsi, 1);
                return 0;
        }
        return 0;
}

/* The browser went away: tell the daemon, which keeps the session running. Input it has not taken yet is
 * dropped, as `oly attach` does; closing the stream detaches anyway. */
static void ws_conn_detach(WsConn *c) {
        if (c->term_fd < 0)
                return;
        if (c->to_term.len == 0) {
                uint8_t h[OLY_FRAME_HEADER_SIZE];
                frame_header(h, FRAME_DETACH, 0);
                (void) send(c->term_fd, h, sizeof h, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        c->term_source = sd_event_source_disable_unref(c->term_source);
        c->term_fd = safe_close(c->term_fd);
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
        WsConn *c = lws_get_opaque_user_data(wsi);

        switch (reason) {
        case LWS_CALLBACK_HTTP:
                /* oly-http's router hands over only upgrade requests. */
                return -1;
        case LWS_CALLBACK_ESTABLISHED:
                if (!c)
                        return -1;
                c->established = true;
                if (c->close_status) /* refused before the handshake was done */
                        lws_callback_on_writable(wsi);
                ws_conn_pump(c);
                return 0;
        case LWS_CALLBACK_RECEIVE:
                return c ? ws_conn_receive(c, in, len) : -1;
        case LWS_CALLBACK_SERVER_WRITEABLE:
                return c ? ws_conn_writeable(c) : -1;
        case LWS_CALLBACK_TIMER:
                return c && c->close_status ? -1 : 0;
        case LWS_CALLBACK_CLOSED:
                if (c)
                        ws_conn_detach(c);
                return 0;
        case LWS_CALLBACK_WSI_DESTROY:
                if (!c)
                        return 0;
                lws_set_opaque_user_data(wsi, NULL);
                c->wsi = NULL;
                if (c->adopting)
                        c->dead = true; /* ws_server_adopt() frees it */
                else
                        ws_conn_free(c);
                return 0;
        default:
                return 0;
        }
}

static const struct lws_protocols ws_protocols[] = {
        {
                .name = "oly-attach",
                .callback = ws_callback,
                .rx_buffer_size = WS_RX_BUFFER_SIZE,
        },
        { NULL, NULL, 0, 0, 0, NULL, 0 },
};

static const lws_retry_bo_t ws_idle_policy = {
        .secs_since_valid_ping = WS_IDLE_PING_SEC,
        .secs_since_valid_hangup = WS_IDLE_HANGUP_SEC,
};

int ws_server_new(sd_event *e, WsServer **ret) {
        WsServer *ws;
        int r;

        assert(e);
        assert(ret);

        ws = calloc(1, sizeof *ws);
        if (!ws)
                return log_oom();
        ws->event = sd_event_ref(e);
        ws->uv_deadline = USEC_INFINITY;

        r = uv_loop_init(&ws->loop);
        if (r < 0) {
                r = log_error_errno(r, "Failed to create the libuv loop: %s", uv_strerror(r));
                goto fail;
        }
        ws->loop_initialized = true;

        r = sd_event_add_io(e, &ws->uv_io, uv_backend_fd(&ws->loop), EPOLLIN, ws_server_on_uv_io, ws);
        if (r < 0) {
                log_error_errno(r, "Failed to watch the libuv loop: %m");
                goto fail;
        }
        (void) sd_event_source_set_description(ws->uv_io, "ws-uv-io");
        r = sd_event_add_time(e, &ws->uv_timer, CLOCK_MONOTONIC, USEC_INFINITY, USEC_PER_MSEC,
                              ws_server_on_uv_timer, ws);
        if (r < 0) {
                log_error_errno(r, "Failed to add the libuv timer: %m");
                goto fail;
        }
        (void) sd_event_source_set_enabled(ws->uv_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(ws->uv_timer, "ws-uv-timer");
        r = sd_event_add_defer(e, &ws->uv_defer, ws_server_on_uv_defer, ws);
        if (r < 0) {
                log_error_errno(r, "Failed to add the libuv defer source: %m");
                goto fail;
        }
        (void) sd_event_source_set_enabled(ws->uv_defer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(ws->uv_defer, "ws-uv-defer");
        r = sd_event_add_post(e, &ws->uv_post, ws_server_on_uv_post, ws);
        if (r < 0) {
                log_error_errno(r, "Failed to add the libuv post source: %m");
                goto fail;
        }
        (void) sd_event_source_set_description(ws->uv_post, "ws-uv-post");

        lws_set_log_level(LLL_ERR | LLL_WARN, ws_lws_log);

        void *foreign_loops[1] = { &ws->loop };
        struct lws_context_creation_info info = {
                .port = CONTEXT_PORT_NO_LISTEN,
                .protocols = ws_protocols,
                .options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN |
                           LWS_SERVER_OPTION_SKIP_SERVER_CANONICAL_NAME |
                           /* RFC 6455 §8.1: a text frame that is not UTF-8 closes with 1007. */
                           LWS_SERVER_OPTION_VALIDATE_UTF8,
                .foreign_loops = foreign_loops,
                .gid = -1,
                .uid = -1,
                .max_http_header_data = WS_HEADER_MAX,
                .pt_serv_buf_size = WS_SERVICE_BUFFER_SIZE,
                .retry_and_idle_policy = &ws_idle_policy,
                .pcontext = &ws->context,
                .vhost_name = "oly-http",
        };
        ws->context = lws_create_context(&info);
        if (!ws->context) {
                r = log_error_errno(-EIO, "Failed to create the libwebsockets context.");
                goto fail;
        }
        ws->vhost = lws_get_vhost_by_name(ws->context, "oly-http");
        if (!ws->vhost) {
                r = log_error_errno(-EIO, "libwebsockets created no vhost.");
                goto fail;
        }
        ws_server_kick(ws);
        *ret = ws;
        return 0;

fail:
        ws_server_free(ws);
        return r;
}

WsServer *ws_server_free(WsServer *ws) {
        if (!ws)
                return NULL;

        if (ws->context) {
                /* Drops every connection (each gets CLOSED + WSI_DESTROY, which detach and free it; the
                 * browser sees the TCP connection end, 1006, and may reconnect); with a foreign libuv loop
                 * the handles close asynchronously, and ws->context is cleared through .pcontext when lws
                 * is done. */
                lws_context_destroy(ws->context);
                for (unsigned i = 0; ws->context && i < WS_DRAIN_ITERATIONS_MAX; i++) {
                        (void) uv_run(&ws->loop, UV_RUN_NOWAIT);
                        /* lws 4.1 on a foreign loop finishes only when called again after its handles
                         * closed (the loop is ours alone, so "not alive" means exactly that). */
                        if (ws->context && !uv_loop_alive(&ws->loop))
                                lws_context_destroy(ws->context);
                }
                if (ws->context)
                        log_warning("libwebsockets did not finish closing; leaking its context.");
        }
        while (ws->conns)
                ws_conn_free(ws->conns);
        ws_guard_free_all(&ws->guards);

        ws->uv_io = sd_event_source_disable_unref(ws->uv_io);
        ws->uv_timer = sd_event_source_disable_unref(ws->uv_timer);
        ws->uv_defer = sd_event_source_disable_unref(ws->uv_defer);
        ws->uv_post = sd_event_source_disable_unref(ws->uv_post);
        if (ws->loop_initialized) {
                /* Let closing handles finish, then close; a handle lws leaked keeps the loop busy. */
                (void) uv_run(&ws->loop, UV_RUN_NOWAIT);
                int r = uv_loop_close(&ws->loop);
                if (r < 0)
                        log_debug("Failed to close the libuv loop: %s", uv_strerror(r));
        }
        sd_event_unref(ws->event);
        return mfree(ws);
}

/* Refuses a connection over the limit with a plain HTTP answer (the upgrade request was only peeked: read
 * it first, so that closing does not reset the connection and eat the answer). */
static void ws_server_refuse(int sock) {
        static const char body[] =
                "{\"error\":{\"code\":\"unavailable\",\"message\":\"too many WebSocket connections\"}}";
        char head[256], drain[WS_HEADER_MAX];

        (void) recv(sock, drain, sizeof drain, MSG_DONTWAIT);
        int n = snprintf(head, sizeof head,
                         "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                         "Content-Length: %zu\r\nRetry-After: 5\r\nConnection: close\r\n\r\n",
                         sizeof body - 1);
        (void) send(sock, head, (size_t) n, MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE);
        (void) send(sock, body, sizeof body - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        (void) shutdown(sock, SHUT_WR);
}

int ws_server_adopt(WsServer *ws, int sock, int term_fd) {
        _cleanup_close_ int s = sock, t = term_fd;
        WsConn *c;
        int r;

        assert(ws);
        assert(sock >= 0);
        assert(term_fd >= 0);

        if (ws->n_conns >= WS_CONNECTIONS_MAX) {
                ws_server_refuse(s);
                return log_warning_errno(-EBUSY, "Refusing WebSocket: already %u connections.", ws->n_conns);
        }
        if (fcntl(t, F_SETFL, fcntl(t, F_GETFL) | O_NONBLOCK) < 0 ||
            fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK) < 0)
                return log_error_errno(-errno, "Failed to make the WebSocket fds non-blocking: %m");

        c = calloc(1, sizeof *c);
        if (!c)
                return log_oom();
        c->term_fd = -EBADF;
        c->rx.max = WS_MESSAGE_IN_MAX;
        c->to_term.max = WS_TO_TERM_MAX;
        c->reader = malloc(sizeof *c->reader);
        c->out = malloc(LWS_PRE + 1 + WS_MESSAGE_OUT_MAX);
        if (!c->reader || !c->out) {
                ws_conn_free(c);
                return log_oom();
        }
        c->reader->start = c->reader->end = 0;

        r = sd_event_add_io(ws->event, &c->term_source, t, EPOLLIN, ws_conn_on_term, c);
        if (r < 0) {
                ws_conn_free(c);
                return log_error_errno(r, "Failed to watch the terminal stream: %m");
        }
        (void) sd_event_source_set_enabled(c->term_source, SD_EVENT_OFF);
        (void) sd_event_source_set_description(c->term_source, "ws-term");
        c->term_fd = TAKE_FD(t);

        c->server = ws;
        LIST_PREPEND(conns, ws->conns, c);
        ws->n_conns++;

        /* lws reads the still-unread upgrade request (through the guard) and answers the handshake
         * itself; it closes its socket if adoption fails, which ends the guard. */
        int lws_fd;
        r = ws_guard_new(ws->event, TAKE_FD(s), &ws->guards, ws_conn_refused, c, &c->guard, &lws_fd);
        if (r < 0) {
                ws_conn_free(c);
                return log_error_errno(r, "Failed to relay the WebSocket connection: %m");
        }
        c->adopting = true;
        lws_adopt_desc_t desc = {
                .vh = ws->vhost,
                .type = LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP,
                .fd.sockfd = lws_fd,
                .opaque = c,
        };
        struct lws *wsi = lws_adopt_descriptor_vhost_via_info(&desc);
        c->adopting = false;
        if (!wsi || c->dead) {
                ws_conn_free(c);
                return log_warning_errno(-EIO, "libwebsockets failed to adopt the connection.");
        }
        c->wsi = wsi;
        ws_server_kick(ws);
        return 0;
}

unsigned ws_server_count(WsServer *ws) {
        return ws ? ws->n_conns : 0;
}
