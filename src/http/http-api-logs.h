/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A session's log: GET …/logs (rendered lines) and GET …/log (raw bytes). */
#pragma once

#include "http-request.h"

void http_api_logs_render(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
void http_api_logs_raw(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
