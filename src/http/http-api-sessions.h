/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sessions routes: list, create, get, and the attach endpoint asked without an Upgrade. */
#pragma once

#include "http-request.h"

void http_api_sessions_list(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
void http_api_sessions_create(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
void http_api_sessions_get(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
void http_api_sessions_attach_plain(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);

/* Answers req with session id as it is now (GetSession): how the routes that change a session end. */
void http_api_sessions_respond(HttpRequest *req, const char *id);
