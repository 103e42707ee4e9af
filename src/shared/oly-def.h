/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The names and limits oly's processes agree on: D-Bus names, error names, object paths, bounds. */
#pragma once

#define OLY_BUS_NAME "org.openrelay.Oly1"
#define OLY_MANAGER_PATH "/org/openrelay/Oly1"
#define OLY_MANAGER_IFACE "org.openrelay.Oly1.Manager"
#define OLY_SESSION_IFACE "org.openrelay.Oly1.Session"
#define OLY_SESSION_PATH_PREFIX "/org/openrelay/Oly1/session"
#define OLY_NODE_PATH_PREFIX "/org/openrelay/Oly1/node"

#define OLY_ERROR_PREFIX "org.openrelay.Oly1.Error."
#define OLY_ERROR_NO_SUCH_SESSION OLY_ERROR_PREFIX "NoSuchSession"
#define OLY_ERROR_AMBIGUOUS_SESSION OLY_ERROR_PREFIX "AmbiguousSession"
#define OLY_ERROR_LIMIT_REACHED OLY_ERROR_PREFIX "LimitReached"
#define OLY_ERROR_INVALID_ARGUMENT OLY_ERROR_PREFIX "InvalidArgument"
#define OLY_ERROR_EXEC_FAILED OLY_ERROR_PREFIX "ExecFailed"
#define OLY_ERROR_NOT_RUNNING OLY_ERROR_PREFIX "NotRunning"
#define OLY_ERROR_SHUTTING_DOWN OLY_ERROR_PREFIX "ShuttingDown"
#define OLY_ERROR_NO_SUCH_NODE OLY_ERROR_PREFIX "NoSuchNode"
#define OLY_ERROR_UNAUTHORIZED OLY_ERROR_PREFIX "Unauthorized"
#define OLY_ERROR_NOT_FOUND OLY_ERROR_PREFIX "NotFound"
#define OLY_ERROR_EXISTS OLY_ERROR_PREFIX "Exists"

#define OLY_WEB_IFACE "org.openrelay.Oly1.Web"
#define OLY_FEDERATION_IFACE "org.openrelay.Oly1.Federation"

/* The LISTEN_FDNAMES name 'oly daemon start' gives the bus socket it binds for the daemon: the daemon
 * removes that socket file when it exits (a socket unit's belongs to systemd). */
#define OLY_LISTEN_FDNAME_OWNED "oly-bus-owned"
/* ... the TCP socket it binds for the web UI (the daemon hands it to its oly-http child), and a memfd
 * holding a new web password's Argon2id PHC string (stored, then closed; never argv or environment). */
#define OLY_LISTEN_FDNAME_HTTP "oly-http"
#define OLY_LISTEN_FDNAME_PASSWORD "oly-web-password"

/* Session ids: OLY_ID_LEN characters of OLY_ID_ALPHABET (lowercase, URL- and object-path-safe). */
#define OLY_ID_LEN 8
#define OLY_ID_ALPHABET "0123456789abcdefghjkmnpqrstvwxyz"

/* Bounds on what a caller may hand the daemon in one CreateSession call. */
#define OLY_ARGV_MAX 4096          /* arguments */
#define OLY_ENV_MAX 4096           /* environment entries */
#define OLY_ARG_BYTES_MAX (1U << 20) /* total bytes of argv + env */
#define OLY_TITLE_MAX 256          /* bytes */
#define OLY_SEARCH_MAX 256         /* bytes of an ls search string */
#define OLY_LIST_LIMIT_MAX 100000  /* rows one ListSessions call returns */
#define OLY_STATUS_FILTER_MAX 16   /* status values in one filter */
#define OLY_GRACE_MAX_SEC 3600     /* longest stop grace period */
#define OLY_CLIENTS_MAX 256        /* concurrent D-Bus connections on the private socket */
#define OLY_WAITERS_MAX 64         /* pending WaitForInputNeeded / SendInput calls per session */

/* The web surface's stored state (org.openrelay.Oly1.Web). */
#define OLY_WEB_TOKENS_MAX 4096          /* logins kept; the oldest makes room */
#define OLY_WEB_LOGIN_FAILURES_MAX 3     /* failed logins from one client before it is locked out */
#define OLY_WEB_LOGIN_FAILURES_ALL_MAX 30 /* from all clients together, before every client is */
#define OLY_WEB_LOCKOUT_SEC (15U * 60U)  /* how long, and the window the failures are counted in */
#define OLY_WEB_LOGIN_CLIENTS_MAX 4096   /* clients whose failures are remembered */
#define OLY_WEB_CLIENT_MAX 64            /* bytes of a client address */
#define OLY_WEB_PASSWORD_HASH_MAX 512    /* bytes of a PHC string */
#define OLY_PUSH_SUBSCRIPTIONS_MAX 256
#define OLY_PUSH_FIELD_MAX 2048          /* bytes of a subscription's endpoint or key */
/* Bytes of a push message's payload: one 4096-byte aes128gcm record (RFC 8291) less its 86-byte header,
 * the padding delimiter and the 16-byte tag (src/push/push-crypto.h checks the arithmetic). */
#define OLY_PUSH_PAYLOAD_MAX 3993
/* One push (connect, TLS, request, status line) gets this long; oly-push sends them one after another. */
#define OLY_PUSH_REQUEST_TIMEOUT_SEC 10

/* Federation (org.openrelay.Oly1.Federation): API keys on a primary, named like the nodes they admit. */
#define OLY_API_KEYS_MAX 256  /* keys one primary keeps */
#define OLY_NODE_NAME_MAX 64  /* bytes of a key's or node's name ([A-Za-z0-9._-]) */

/* The largest terminal a session may have: libvterm allocates rows × cols cells, twice. */
#define OLY_ROWS_MAX 500
#define OLY_COLS_MAX 1000
#define OLY_DEFAULT_ROWS 24
#define OLY_DEFAULT_COLS 80
#define OLY_DEFAULT_STOP_GRACE_SEC 5
#define OLY_DEFAULT_SHUTDOWN_GRACE_SEC 15
#define OLY_DEFAULT_LIST_LIMIT 10

/* OpenTerminal flags: replay the whole output from the first byte instead of a screen snapshot. */
#define OLY_OPEN_TERMINAL_FROM_START (UINT64_C(1) << 0)

/* CreateSession flags */
#define OLY_CREATE_NOTIFICATIONS_DISABLED (UINT64_C(1) << 0)
#define _OLY_CREATE_FLAGS_ALL OLY_CREATE_NOTIFICATIONS_DISABLED
