/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The health route (see http-health.h). */
#include <stdlib.h>

#include "http-health.h"
#include "http-json.h"
#include "http-response.h"
#include "oly-def.h"

struct HttpHealth {
        struct MHD_Response *ok, *unavailable;
};

static struct MHD_Response *health_response(bool ok) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        struct MHD_Response *r;

        if (ok) {
                o = json_object_new_object();
                if (!o)
                        return NULL;
                json_object_object_add(o, "status", json_object_new_string("ok"));
                json_object_object_add(o, "version", json_object_new_string(OLY_VERSION));
                r = http_response_json(o);
        } else
                r = http_response_error("unavailable", "the oly daemon is not reachable");
        if (r)
                http_response_add_headers(r, true);
        return r;
}

int http_health_new(HttpHealth **ret) {
        HttpHealth *h = calloc(1, sizeof *h);

        if (!h)
                return -ENOMEM;
        h->ok = health_response(true);
        h->unavailable = health_response(false);
        if (!h->ok || !h->unavailable) {
                http_health_free(h);
                return -ENOMEM;
        }
        *ret = h;
        return 0;
}

HttpHealth *http_health_free(HttpHealth *h) {
        if (!h)
                return NULL;
        if (h->ok)
                MHD_destroy_response(h->ok);
        if (h->unavailable)
                MHD_destroy_response(h->unavailable);
        return mfree(h);
}

bool http_health_is_request(const char *url, const char *method) {
        return streq(url, "/api/health") && (streq(method, "GET") || streq(method, "HEAD"));
}

enum MHD_Result http_health_queue(HttpHealth *h, struct MHD_Connection *c, bool daemon_ready) {
        return MHD_queue_response(c, daemon_ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                                  daemon_ready ? h->ok : h->unavailable);
}
