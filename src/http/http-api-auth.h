/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GET /api/auth/status, POST /api/auth/login, POST /api/auth/logout: served without a token. */
#pragma once

#include "http-request.h"

void http_api_auth_status(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
void http_api_auth_login(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
void http_api_auth_logout(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
