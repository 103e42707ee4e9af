/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* WebSocket attach for oly-http: libwebsockets on a libuv loop nested in sd-event; each adopted
 * connection is bridged to a terminal stream of oly-daemon (src/shared/attach-protocol.h). */
#pragma once

#include <systemd/sd-event.h>

typedef struct WsServer WsServer;

/* Creates the lws context on a libuv loop driven from e. */
int ws_server_new(sd_event *e, WsServer **ret);
WsServer *ws_server_free(WsServer *ws);

/* Takes over sock (an accepted TCP connection whose WebSocket upgrade request is still unread: it was
 * only peeked) and term_fd (the daemon's end of OpenTerminal). lws performs the handshake; from then on
 * frames are bridged both ways. Both fds are owned by the server afterwards, also on failure. */
int ws_server_adopt(WsServer *ws, int sock, int term_fd);

/* Number of open WebSocket connections (for the connection limit and for tests/benchmarks). */
unsigned ws_server_count(WsServer *ws);
