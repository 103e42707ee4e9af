/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The limits and names of oly-http, documented once: every bound a peer can grow is here. */
#pragma once

#include "macro.h"
#include "oly-def.h"

/* Connections */
#define HTTP_CONNECTIONS_MAX 1024U         /* HTTP connections MHD serves at once */
#define HTTP_PEEKING_MAX 256U              /* accepted connections whose request head is still being read */
#define HTTP_HEAD_MAX 8192U                /* bytes of the first request head (peeked before routing) */
#define HTTP_HEAD_TIMEOUT_USEC (10 * USEC_PER_SEC) /* the first request head must arrive within this */
#define HTTP_CONNECTION_TIMEOUT_SEC 60U    /* idle keep-alive connections are closed after this */
#define HTTP_CONNECTION_MEMORY_MAX (16U * 1024U) /* MHD's per-connection pool: later request heads (it is cleared per request: keep it small) */
#define HTTP_BODY_MAX (256U * 1024U)       /* request bodies (OLY_HTTP_BODY_MAX in the contract) → 413 */
#define HTTP_BODY_DISCARD_MAX (1024U * 1024U) /* a chunked body beyond the limit is read this far for the 413 */
#define HTTP_JSON_DEPTH_MAX 16             /* nesting of request bodies */
#define HTTP_WS_CONNECTIONS_MAX 256U       /* WebSocket attach connections */
#define HTTP_LISTEN_BACKLOG 128

/* D-Bus */
#define HTTP_BUS_TIMEOUT_USEC (25 * USEC_PER_SEC)      /* default for calls into the daemon */
#define HTTP_BUS_RECONNECT_USEC (1 * USEC_PER_SEC)     /* retry interval while the daemon is away */
#define HTTP_EVENT_FETCHES_MAX 256U                    /* GetSession calls in flight for the event stream */

/* Auth */
#define HTTP_TOKEN_BYTES 32U                           /* random bytes in a token */
#define HTTP_TOKEN_STRLEN 43U                          /* their unpadded base64url length */
#define HTTP_DIGEST_STRLEN 64U                         /* lowercase hex SHA-256 */
#define HTTP_TOKEN_CACHE_SIZE 256U                     /* validated digests kept in memory */
#define HTTP_TOKEN_CACHE_USEC (5 * USEC_PER_SEC)       /* how long a validation is trusted */
#define HTTP_PASSWORD_MAX 1024U                        /* bytes of a login password */
#define HTTP_HOST_NAME_MAX 256U                        /* bytes of a Host name checked for loopback */
#define HTTP_CLIENT_MAX 64U                            /* bytes of a client address string */
#define HTTP_LOGINS_CHECKING_MAX 4U                    /* logins past their lockout check, all clients */
#define HTTP_WORKERS 2U                                /* threads for Argon2 and log rendering */
#define HTTP_WORKER_QUEUE_MAX 64U                      /* queued jobs beyond those → 503 */

/* Sessions API */
#define HTTP_LIST_DEFAULT 50U
#define HTTP_LIST_MAX 1000U
#define HTTP_LIST_CURSOR_SLACK 64U                     /* extra rows fetched to step over equal timestamps */
#define HTTP_LOGS_TAIL_DEFAULT 40U
#define HTTP_LOGS_TAIL_MAX 10000U
#define HTTP_LOG_LENGTH_DEFAULT 65536U
#define HTTP_LOG_LENGTH_MAX (1024U * 1024U)
#define HTTP_INPUT_CHUNKS_MAX 4096U
#define HTTP_PUSH_FIELD_MAX 2048U                      /* bytes of a push endpoint or key */

/* Server-sent events */
#define HTTP_SSE_CLIENTS_MAX 1024U
#define HTTP_SSE_RING 1024U                            /* events kept for Last-Event-ID replay */
#define HTTP_SSE_BACKLOG_MAX 512U                      /* events a client may lag behind before it is closed */
#define HTTP_SSE_SNAPSHOT_SESSIONS 200U
#define HTTP_SSE_HEARTBEAT_USEC (15 * USEC_PER_SEC)
#define HTTP_SSE_BLOCK_SIZE (16U * 1024U)              /* MHD's buffer for the stream */

#define HTTP_COOKIE_NAME "oly_token"
#define HTTP_SERVER_NAME "oly-http"

