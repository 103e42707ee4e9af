/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmicrohttpd driven from sd-event: MHD in external-loop mode without a listening socket, its epoll fd
 * watched, its timeout kept on one timer, and a deferred run after connections are resumed. */
#pragma once

#include <microhttpd.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

typedef struct HttpMhd HttpMhd;

/* Starts MHD: access is called for every request, completed when one ends (both get userdata). */
int http_mhd_new(sd_event *e, MHD_AccessHandlerCallback access, MHD_RequestCompletedCallback completed,
                 void *userdata, HttpMhd **ret);
/* Lets MHD finish what it can, then stops it: resume every suspended connection first. */
HttpMhd *http_mhd_free(HttpMhd *m);

/* Hands an accepted connection to MHD and runs it (MHD closes fd itself when it cannot take it). */
int http_mhd_add_connection(HttpMhd *m, int fd, const struct sockaddr *addr, socklen_t addr_len);
/* Resumes a suspended connection; MHD runs soon after (from a defer source). */
void http_mhd_resume(HttpMhd *m, struct MHD_Connection *c);
/* Runs MHD soon (from a defer source) and re-arms its timer. */
void http_mhd_kick(HttpMhd *m);
/* Watches the socket of a suspended connection for the peer leaving (EPOLLRDHUP): MHD does not watch
 * suspended connections. The source must be gone before the connection is resumed (MHD may close the
 * socket then, and a reused fd number must not reach a stale watch). */
int http_mhd_watch_hup(HttpMhd *m, struct MHD_Connection *c, sd_event_io_handler_t handler, void *userdata,
                       sd_event_source **ret);
