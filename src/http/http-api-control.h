/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The routes that act on one session: POST …/stop, …/kill, …/input, …/resize, PUT …/notifications. */
#pragma once

#include "http-request.h"

void http_api_control_stop(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
void http_api_control_kill(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
void http_api_control_input(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
void http_api_control_resize(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
void http_api_control_notifications(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error);
