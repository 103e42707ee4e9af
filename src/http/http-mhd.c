/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmicrohttpd in sd-event (see http-mhd.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "http-def.h"
#include "http-mhd.h"
#include "log.h"
#include "time-util.h"

struct HttpMhd {
        sd_event *event;
        struct MHD_Daemon *daemon;
        sd_event_source *io, *timer, *defer;
};

static void mhd_rearm(HttpMhd *m) {
        MHD_UNSIGNED_LONG_LONG ms;
        uint64_t now, deadline, current;
        int enabled = 0;

        if (MHD_get_timeout(m->daemon, &ms) != MHD_YES) {
                (void) sd_event_source_set_enabled(m->timer, SD_EVENT_OFF);
                return;
        }
        /* The timeout is relative. Keep an earlier deadline that is still pending: when it fires MHD runs
         * and we arm again — far cheaper than moving the timer on every keep-alive request. */
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        deadline = now + (uint64_t) ms * USEC_PER_MSEC;
        (void) sd_event_source_get_enabled(m->timer, &enabled);
        if (enabled != SD_EVENT_OFF && sd_event_source_get_time(m->timer, &current) >= 0 &&
            current <= deadline && current > now)
                return;
        (void) sd_event_source_set_time(m->timer, deadline);
        (void) sd_event_source_set_enabled(m->timer, SD_EVENT_ONESHOT);
}

static void mhd_run(HttpMhd *m) {
        (void) MHD_run(m->daemon);
        mhd_rearm(m);
}

static int on_mhd_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        mhd_run(userdata);
        return 0;
}

static int on_mhd_timer(sd_event_source *es, uint64_t usec, void *userdata) {
        mhd_run(userdata);
        return 0;
}

static int on_mhd_defer(sd_event_source *es, void *userdata) {
        mhd_run(userdata);
        return 0;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
        char buf[512];
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        buf[strcspn(buf, "\n")] = 0;
        log_debug("libmicrohttpd: %s", buf);
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* MHD's percent-decoding, except that "%00" stays as it is: MHD hands URLs on as C strings, and a NUL
 * would cut "/index.html%00.js" to "/index.html". Left whole it names no file, route or session. */
static size_t on_mhd_unescape(void *cls, struct MHD_Connection *c, char *s) {
        char *w = s;

        for (const char *r = s; *r;) {
                int hi, lo;
                if (r[0] == '%' && (hi = hex_value(r[1])) >= 0 && (lo = hex_value(r[2])) >= 0 && (hi | lo)) {
                        *w++ = (char) (hi << 4 | lo);
                        r += 3;
                } else
                        *w++ = *r++;
        }
        *w = 0;
        return (size_t) (w - s);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(HttpMhd *, http_mhd_free);

int http_mhd_new(sd_event *e, MHD_AccessHandlerCallback access, MHD_RequestCompletedCallback completed,
                 void *userdata, HttpMhd **ret) {
        _cleanup_(http_mhd_freep) HttpMhd *m = NULL;
        const union MHD_DaemonInfo *info;
        int r;

        m = calloc(1, sizeof *m);
        if (!m)
                return log_oom();
        m->event = sd_event_ref(e);
        m->daemon = MHD_start_daemon(
                MHD_USE_NO_LISTEN_SOCKET | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0,
                NULL, NULL, access, userdata, MHD_OPTION_CONNECTION_LIMIT, (unsigned) HTTP_CONNECTIONS_MAX,
                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) HTTP_CONNECTION_TIMEOUT_SEC,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HTTP_CONNECTION_MEMORY_MAX,
                MHD_OPTION_STRICT_FOR_CLIENT, 1, /* HTTP/1.1 without Host: 400 */
                MHD_OPTION_UNESCAPE_CALLBACK, on_mhd_unescape, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed,
                userdata, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_END);
        if (!m->daemon)
                return log_error_errno(-EIO, "Failed to start libmicrohttpd.");
        info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info)
                return log_error_errno(-EIO, "libmicrohttpd has no epoll fd.");
        r = sd_event_add_io(e, &m->io, info->epoll_fd, EPOLLIN, on_mhd_io, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch libmicrohttpd: %m");
        r = sd_event_add_time(e, &m->timer, CLOCK_MONOTONIC, UINT64_MAX, 1, on_mhd_timer, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the libmicrohttpd timer: %m");
        (void) sd_event_source_set_enabled(m->timer, SD_EVENT_OFF);
        r = sd_event_add_defer(e, &m->defer, on_mhd_defer, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the libmicrohttpd runner: %m");
        (void) sd_event_source_set_enabled(m->defer, SD_EVENT_OFF);
        *ret = TAKE_PTR(m);
        return 0;
}

HttpMhd *http_mhd_free(HttpMhd *m) {
        if (!m)
                return NULL;
        if (m->daemon) {
                (void) MHD_run(m->daemon);
                MHD_stop_daemon(m->daemon);
        }
        sd_event_source_disable_unref(m->io);
        sd_event_source_disable_unref(m->timer);
        sd_event_source_disable_unref(m->defer);
        sd_event_unref(m->event);
        return mfree(m);
}

int http_mhd_add_connection(HttpMhd *m, int fd, const struct sockaddr *addr, socklen_t addr_len) {
        int r = 0;

        if (MHD_add_connection(m->daemon, fd, addr, addr_len) != MHD_YES)
                r = -EBUSY;
        mhd_run(m);
        return r;
}

void http_mhd_kick(HttpMhd *m) {
        if (m)
                (void) sd_event_source_set_enabled(m->defer, SD_EVENT_ONESHOT);
}

void http_mhd_resume(HttpMhd *m, struct MHD_Connection *c) {
        MHD_resume_connection(c);
        http_mhd_kick(m);
}

int http_mhd_watch_hup(HttpMhd *m, struct MHD_Connection *c, sd_event_io_handler_t handler, void *userdata,
                       sd_event_source **ret) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

        if (!ci || ci->connect_fd < 0)
                return -EBADF;
        return sd_event_add_io(m->event, ret, ci->connect_fd, EPOLLRDHUP, handler, userdata);
}
