/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keeper protocol's framing and validation (keeper-protocol.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "keeper-protocol.h"
#include "macro.h"

static bool id_field_valid(const char *id, bool required) {
        size_t n = strnlen(id, OLY_ID_STRLEN);
        if (n == OLY_ID_STRLEN)
                return false; /* not terminated */
        if (n == 0)
                return !required;
        return session_id_is_valid(id);
}

bool keeper_message_valid(const KeeperMessage *m, bool has_fd) {
        if (m->version != OLY_KEEPER_PROTOCOL_VERSION)
                return false;
        switch (m->type) {
        case KEEPER_HELD:
        case KEEPER_HOLD:
                return has_fd && id_field_valid(m->id, true) && m->pid > 1;
        case KEEPER_EXITED:
                return !has_fd && id_field_valid(m->id, true) && m->pid > 1;
        case KEEPER_DROP:
                return !has_fd && id_field_valid(m->id, true);
        case KEEPER_HELLO:
        case KEEPER_END:
        case KEEPER_READY:
                return !has_fd && id_field_valid(m->id, false);
        default:
                return false;
        }
}

int keeper_send(int sock, const KeeperMessage *m, int fd) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = (void *) m, .iov_len = sizeof *m };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (fd >= 0) {
                mh.msg_control = &control;
                mh.msg_controllen = sizeof control.buf;
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        for (;;) {
                ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                return n == (ssize_t) sizeof *m ? 0 : -EIO;
        }
}

int keeper_recv(int sock, KeeperMessage *ret, int *ret_fd) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * 4)];
        } control;
        KeeperMessage m;
        struct iovec iov = { .iov_base = &m, .iov_len = sizeof m };
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = &control,
                             .msg_controllen = sizeof control.buf };
        int fd = -EBADF;
        bool bad = false;
        ssize_t n;

        do
                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k; i++) {
                        int f;
                        memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (fd < 0 && !bad)
                                fd = f;
                        else {
                                safe_close(f);
                                bad = true;
                        }
                }
        }
        if (n == 0 && fd < 0 && !bad)
                return 0;
        if (bad || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || n != (ssize_t) sizeof m ||
            !keeper_message_valid(&m, fd >= 0)) {
                safe_close(fd);
                return -EBADMSG;
        }
        *ret = m;
        *ret_fd = fd;
        return 1;
}
