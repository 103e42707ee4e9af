/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The router of oly-http: one table from method and path to a route, the checks every request passes
 * first (loopback Host without authentication, Origin on state-changing requests), static files for
 * everything outside /api/. */
#pragma once

#include "http-request.h"

/* Routes req: every request MHD reads goes through here (health excepted, answered from a cache). */
void http_router_dispatch(HttpRequest *req);
