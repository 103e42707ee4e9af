/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Web push: GET /api/push/vapid-public-key, POST and DELETE /api/push/subscriptions. */
#pragma once

#include "http-request.h"

void http_api_push_vapid(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
void http_api_push_subscribe(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
void http_api_push_unsubscribe(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
