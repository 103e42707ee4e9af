/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Requests (see http-request.h). A route that waits for the daemon suspends its connection; the answer
 * resumes it, and so does the client leaving. */
#include <stdlib.h>

#include "http-def.h"
#include "http-mhd.h"
#include "http-request.h"
#include "log.h"

HttpRequest *http_request_new(HttpContext *c, struct MHD_Connection *connection, const char *method,
                              const char *url) {
        HttpRequest *req = calloc(1, sizeof *req);

        if (!req)
                return NULL;
        *req = (HttpRequest){
                .context = c,
                .connection = connection,
                .method = method,
                .url = url,
                .body.max = HTTP_BODY_MAX,
        };
        return req;
}

static void suspended_unlink(HttpRequest *req) {
        if (req->suspended)
                LIST_REMOVE(suspended, req->context->suspended, req);
        req->suspended = false;
}

HttpRequest *http_request_free(HttpRequest *req) {
        if (!req)
                return NULL;
        sd_event_source_disable_unref(req->hup);
        sd_bus_slot_unref(req->slot);
        buf_free(&req->body);
        json_object_put(req->json);
        if (req->data && req->data_free)
                req->data_free(req->data);
        if (req->response)
                MHD_destroy_response(req->response);
        suspended_unlink(req);
        return mfree(req);
}

int http_request_take_body(HttpRequest *req, const void *data, size_t size) {
        if (req->discarded > 0 || buf_put(&req->body, data, size) < 0) {
                req->discarded += size;
                if (req->discarded > HTTP_BODY_DISCARD_MAX)
                        return -EFBIG;
        }
        return 0;
}

bool http_request_body_too_large(HttpRequest *req) {
        return req->discarded > 0;
}

bool http_request_pending(HttpRequest *req) {
        return req->response || req->slot || req->working;
}

enum MHD_Result http_request_queue(HttpRequest *req) {
        struct MHD_Response *r = TAKE_PTR(req->response);
        enum MHD_Result ret = MHD_queue_response(req->connection, req->status, r);
        MHD_destroy_response(r);
        return ret;
}

void http_request_resume(HttpRequest *req) {
        if (!req->suspended)
                return;
        /* The watch goes first: once resumed, MHD may close the socket. */
        req->hup = sd_event_source_disable_unref(req->hup);
        suspended_unlink(req);
        http_mhd_resume(req->context->mhd, req->connection);
}

/* The client of a suspended request left: drop the daemon call and let MHD close the connection (the
 * daemon still does what was asked; nobody is there to hear the answer). A request whose worker job
 * runs waits for it: the job's data must not be freed under the thread, and jobs are short. */
static int on_request_hup(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        HttpRequest *req = userdata;

        req->hup = sd_event_source_disable_unref(req->hup);
        if (req->working)
                return 0;
        req->slot = sd_bus_slot_unref(req->slot);
        req->handler = NULL;
        http_request_resume(req); /* MHD asks again, finds no response and closes */
        return 0;
}

void http_request_suspend(HttpRequest *req) {
        MHD_suspend_connection(req->connection);
        req->suspended = true;
        LIST_PREPEND(suspended, req->context->suspended, req);
        if (http_mhd_watch_hup(req->context->mhd, req->connection, on_request_hup, req, &req->hup) < 0)
                log_debug(
                        "Cannot watch a waiting connection; a client that leaves is noticed at the answer.");
}

void http_request_resume_all(HttpContext *c) {
        while (c->suspended) {
                HttpRequest *req = c->suspended;
                req->slot = sd_bus_slot_unref(req->slot);
                http_request_resume(req);
        }
}
