/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A session's log: GET …/logs renders its last lines as text (on a worker: it reads the log), GET …/log
 * sends a byte range of the raw log straight from the fd the daemon opened. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "http-api-logs.h"
#include "http-args.h"
#include "http-bus.h"
#include "http-def.h"
#include "http-response.h"
#include "http-worker.h"
#include "id.h"
#include "oly-def.h"
#include "render.h"
#include "strv.h"

typedef struct LogRender {
        HttpRequest *req;
        int fd;
        uint64_t size;
        RenderResize *resizes;
        size_t n_resizes;
        RenderOptions options;
        char id[OLY_ID_STRLEN + 8];
        char status[32];
        char **lines;
        size_t n_lines;
        int result;
} LogRender;

static void log_render_free(void *p) {
        LogRender *l = p;
        if (!l)
                return;
        safe_close(l->fd);
        free(l->resizes);
        strv_free(l->lines);
        free(l);
}

static void log_render_work(void *userdata) {
        LogRender *l = userdata;
        l->result = render_log_tail(l->fd, l->size, l->resizes, l->n_resizes, &l->options, &l->lines,
                                    &l->n_lines);
}

static void log_render_done(void *userdata) {
        LogRender *l = userdata;
        HttpRequest *req = l->req;
        json_object *o, *lines;

        req->working = false;
        if (l->result < 0)
                return http_respond_error(req, 500, "cannot render the log: %s", strerror(-l->result));
        o = json_object_new_object();
        lines = json_object_new_array();
        if (!o || !lines) {
                json_object_put(o);
                json_object_put(lines);
                return http_respond(req, 500, NULL);
        }
        for (size_t i = 0; i < l->n_lines; i++)
                json_object_array_add(lines, json_object_new_string(l->lines[i]));
        json_object_object_add(o, "id", json_object_new_string(l->id));
        json_object_object_add(o, "lines", lines);
        json_object_object_add(o, "status", json_object_new_string(l->status));
        http_respond_json(req, 200, o);
}

/* Reads OpenLog's reply: (s id, h fd, a(tqq) resizes, b running, s status). */
static int read_open_log(sd_bus_message *reply, LogRender *l) {
        const char *id, *status;
        int fd, running, r;
        struct stat st;

        r = sd_bus_message_read(reply, "sh", &id, &fd);
        if (r < 0)
                return r;
        snprintf(l->id, sizeof l->id, "%s", id);
        r = sd_bus_message_enter_container(reply, 'a', "(tqq)");
        while (r >= 0) {
                uint64_t off;
                uint16_t rows, cols;
                RenderResize *n;
                r = sd_bus_message_read(reply, "(tqq)", &off, &rows, &cols);
                if (r <= 0)
                        break;
                n = reallocarray(l->resizes, l->n_resizes + 1, sizeof *n);
                if (!n)
                        return -ENOMEM;
                l->resizes = n;
                l->resizes[l->n_resizes++] = (RenderResize){ off, rows, cols };
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "bs", &running, &status);
        if (r < 0)
                return r;
        snprintf(l->status, sizeof l->status, "%s", status);
        l->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (l->fd < 0 || fstat(l->fd, &st) < 0)
                return -errno;
        l->size = (uint64_t) st.st_size;
        return 0;
}

static void on_log_for_render(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        LogRender *l = req->data;
        int r;

        if (error)
                return http_respond_bus_error(req, error);
        r = read_open_log(reply, l);
        if (r < 0)
                return http_respond_error(req, 500, "cannot read the log: %s", strerror(-r));
        r = http_workers_submit(req->context->workers, log_render_work, log_render_done, l);
        if (r < 0)
                return http_respond_error(req, 503, "too busy rendering logs, try again");
        req->working = true;
}

/* The state of a log request (the fd OpenLog returns, its resizes, the render), owned by req. */
static LogRender *log_render_attach(HttpRequest *req) {
        LogRender *l = calloc(1, sizeof *l);
        if (!l)
                return NULL;
        *l = (LogRender){ .req = req, .fd = -EBADF };
        req->data = l;
        req->data_free = log_render_free;
        return l;
}

void http_api_logs_render(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        uint64_t tail, color;
        LogRender *l;

        if (!http_args_query_uint(req, "tail", 0, HTTP_LOGS_TAIL_MAX, HTTP_LOGS_TAIL_DEFAULT, &tail) ||
            !http_args_query_uint(req, "color", 0, 1, 0, &color))
                return;
        l = log_render_attach(req);
        if (!l)
                return http_respond(req, 500, NULL);
        l->options.tail = (unsigned) tail;
        l->options.color = color;
        http_bus_call_manager(req, "OpenLog", on_log_for_render, "s", req->id);
}

static void on_log_raw(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        LogRender *l = req->data;
        uint64_t offset = req->u1, length = req->u2;
        struct MHD_Response *r;
        char size[32];
        int k;

        if (error)
                return http_respond_bus_error(req, error);
        k = read_open_log(reply, l);
        if (k < 0)
                return http_respond_error(req, 500, "cannot read the log: %s", strerror(-k));
        offset = MIN(offset, l->size);
        length = MIN(length, l->size - offset);
        if (length == 0)
                r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        else {
                /* MHD reads (or sendfile()s) the range while sending, and closes the fd. */
                r = MHD_create_response_from_fd_at_offset64(length, l->fd, offset);
                if (r)
                        l->fd = -EBADF;
        }
        if (!r)
                return http_respond(req, 500, NULL);
        snprintf(size, sizeof size, "%" PRIu64, l->size);
        (void) MHD_add_response_header(r, "X-Oly-Log-Size", size);
        (void) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
        http_respond(req, 200, r);
}

void http_api_logs_raw(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        if (!http_args_query_uint(req, "offset", 0, INT64_MAX, 0, &req->u1) ||
            !http_args_query_uint(req, "length", 0, HTTP_LOG_LENGTH_MAX, HTTP_LOG_LENGTH_DEFAULT, &req->u2))
                return;
        if (!log_render_attach(req))
                return http_respond(req, 500, NULL);
        http_bus_call_manager(req, "OpenLog", on_log_raw, "s", req->id);
}
