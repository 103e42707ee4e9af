/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The REST routes of oly-http (the contract's HTTP API) and the router in front of them. */
#pragma once

#include "http-server.h"

/* Routes req: every request MHD reads goes through here (health excepted, answered from a cache). */
void http_api_dispatch(HttpRequest *req);
