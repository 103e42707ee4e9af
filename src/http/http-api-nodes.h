/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GET /api/nodes. */
#pragma once

#include "http-request.h"

void http_api_nodes_list(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
