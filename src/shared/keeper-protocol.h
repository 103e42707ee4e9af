/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keeper protocol: oly-keeper holds the PTY masters of running sessions (as systemd's fd store does)
 * and outlives the daemon it runs; the daemon speaks to it over one SOCK_SEQPACKET socket (fd in
 * $OLY_KEEPER_FD). One fixed-size message per packet, a PTY master riding along with HOLD and HELD as
 * SCM_RIGHTS. Anything malformed ends the connection. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "id.h"

#define OLY_KEEPER_PROTOCOL_VERSION 1
#define OLY_KEEPER_FD_ENV "OLY_KEEPER_FD"
/* The daemon exits with this to be started again at once by its keeper (oly daemon restart). */
#define OLY_EXIT_RESTART 75
/* Sessions one keeper holds (each one PTY master). */
#define OLY_KEEPER_HOLD_MAX 65536

typedef enum KeeperMessageType {
        /* keeper → daemon, at each daemon start: HELLO, then HELD per master and EXITED per record, then END
         */
        KEEPER_HELLO = 1, /* pid: the keeper's */
        KEEPER_HELD = 2, /* id, pid; a master fd */
        KEEPER_EXITED = 3, /* id, pid, how, what, time: a held session's leader ended (also while we run) */
        KEEPER_END = 4,
        /* daemon → keeper */
        KEEPER_HOLD = 16, /* id, pid; a master fd: keep it (replaces one held for the same id) */
        KEEPER_DROP =
                17, /* id: the session has ended and is recorded; close its master, forget its record */
        KEEPER_READY = 18, /* the daemon serves: later exits of it are crashes to recover from */
        _KEEPER_MESSAGE_MAX,
} KeeperMessageType;

typedef struct KeeperMessage {
        uint32_t type;
        uint32_t version;
        char id[OLY_ID_STRLEN]; /* NUL-terminated session id, or empty */
        uint32_t pid;
        int32_t how; /* KEEPER_EXITED: waitid's si_code (CLD_EXITED, CLD_KILLED, CLD_DUMPED) */
        int32_t what; /* KEEPER_EXITED: si_status */
        uint64_t time; /* KEEPER_EXITED: CLOCK_REALTIME µs of the exit */
} KeeperMessage;

/* Checks a message received: its type is known and its fields fit it. has_fd: one fd came with it. */
bool keeper_message_valid(const KeeperMessage *m, bool has_fd);
/* Sends one message, with fd (or -1). */
int keeper_send(int sock, const KeeperMessage *m, int fd);
/* Receives one message (and its fd, or -EBADF in *ret_fd). 0 on EOF, 1 on a message, -EAGAIN, -errno;
 * -EBADMSG for anything malformed (extra fds are closed). */
int keeper_recv(int sock, KeeperMessage *ret, int *ret_fd);
