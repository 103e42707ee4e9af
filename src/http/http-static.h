/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Static files of the web UI: <state>/wwwroot when it exists, else $OLY_WEB_DIR, else OLY_DATADIR/web. */
#pragma once

#include "http-context.h"
#include "http-request.h"

/* Opens the web directory (logs which one); -ENOENT when none exists (then every file is 404). */
int http_static_open(HttpContext *c);
/* Serves the file named by req's URL (a GET or HEAD outside /api/). */
void http_static_serve(HttpRequest *req);
/* Content-Type by file name. */
const char *http_static_mime_type(const char *name);
