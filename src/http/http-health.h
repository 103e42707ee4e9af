/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GET/HEAD /api/health: answered from two responses made once, without a request object (load balancers
 * and the tests poll it), 200 while the daemon is connected, 503 while it is not. */
#pragma once

#include <microhttpd.h>
#include <stdbool.h>

typedef struct HttpHealth HttpHealth;

int http_health_new(HttpHealth **ret);
HttpHealth *http_health_free(HttpHealth *h);
/* Whether a request is one for the health route. */
bool http_health_is_request(const char *url, const char *method);
/* Queues the answer on c. */
enum MHD_Result http_health_queue(HttpHealth *h, struct MHD_Connection *c, bool daemon_ready);
