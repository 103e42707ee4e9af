/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's side of oly-keeper. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>

#include "keeper-link.h"
#include "keeper-protocol.h"
#include "log.h"
#include "parse-util.h"

/* How long the keeper may take to tell us what it holds. */
#define KEEPER_STATE_TIMEOUT_MSEC 10000

struct KeeperLink {
        Manager *manager;
        ManagerFace face;
        int sock;
        sd_event_source *source;
};

static int keeper_link_send(KeeperLink *k, KeeperMessageType type, const char *id, pid_t pid, int fd) {
        KeeperMessage msg = { .type = type, .version = OLY_KEEPER_PROTOCOL_VERSION, .pid = (uint32_t) pid };
        int r;

        if (k->sock < 0)
                return -ENOTCONN;
        if (id)
                snprintf(msg.id, sizeof msg.id, "%s", id);
        r = keeper_send(k->sock, &msg, fd);
        if (r < 0)
                log_warning_errno(r, "Failed to tell oly-keeper about %s: %m", id ?: "us");
        return r;
}

static void keeper_link_disconnect(KeeperLink *k) {
        k->source = sd_event_source_disable_unref(k->source);
        k->sock = safe_close(k->sock);
}

static void keeper_link_session_event(ManagerFace *f, Session *s, SessionEvent e, unsigned changed) {
        KeeperLink *k = f->userdata;

        if (e == SESSION_EVENT_SPAWNED && s->master_fd >= 0)
                (void) keeper_link_send(k, KEEPER_HOLD, s->rec.id, (pid_t) s->rec.pid, s->master_fd);
        else if (e == SESSION_EVENT_ENDED)
                (void) keeper_link_send(k, KEEPER_DROP, s->rec.id, 0, -EBADF);
}

static void keeper_link_free(ManagerFace *f) {
        KeeperLink *k = f->userdata;
        keeper_link_disconnect(k);
        k->manager->keeper = NULL;
        free(k);
}

/* An end the keeper reaped: a session leader an earlier daemon spawned. */
static void keeper_link_exited(KeeperLink *k, const KeeperMessage *msg) {
        Session *s = manager_find_session(k->manager, msg->id);
        siginfo_t si = { .si_code = msg->how,
                         .si_status = msg->what }; /* not .si_pid: another union member */

        if (!s || !s->active || s->child_exited || s->rec.pid != msg->pid)
                return;
        s->exit_time = msg->time;
        session_on_child_exit(s, &si);
}

static int on_keeper_message(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        KeeperLink *k = userdata;

        for (int i = 0; i < 64; i++) {
                KeeperMessage msg;
                int mfd = -EBADF;
                int r = keeper_recv(k->sock, &msg, &mfd);
                if (r == -EAGAIN)
                        return 0;
                if (r <= 0) {
                        /* Without it our sessions die with us; everything else goes on. */
                        log_error_errno(r, "Lost oly-keeper (%m); sessions will not survive this daemon.");
                        keeper_link_disconnect(k);
                        k->manager->keeper = NULL;
                        return 0;
                }
                safe_close(mfd);
                if (msg.type == KEEPER_EXITED)
                        keeper_link_exited(k, &msg);
                else
                        log_debug("Ignoring message %u from oly-keeper.", msg.type);
        }
        return 0;
}

static int keeper_read_state(KeeperLink *k, ManagerAdoptable **ret_list, size_t *ret_n) {
        ManagerAdoptable *list = NULL;
        size_t n = 0;
        bool hello = false;
        int r = 0;

        for (;;) {
                KeeperMessage msg;
                int fd = -EBADF;

                r = keeper_recv(k->sock, &msg, &fd);
                if (r == -EAGAIN) {
                        r = poll(&(struct pollfd){ .fd = k->sock, .events = POLLIN }, 1,
                                 KEEPER_STATE_TIMEOUT_MSEC);
                        if (r == 0)
                                r = -ETIMEDOUT;
                        if (r < 0)
                                break;
                        continue;
                }
                if (r == 0)
                        r = -ECONNRESET;
                if (r < 0)
                        break;
                if (!hello && msg.type != KEEPER_HELLO) {
                        safe_close(fd);
                        r = -EBADMSG;
                        break;
                }
                hello = true;
                if (msg.type == KEEPER_END) {
                        r = 0;
                        break;
                }
                if (msg.type == KEEPER_HELD) {
                        ManagerAdoptable *nl =
                                n < OLY_KEEPER_HOLD_MAX ? reallocarray(list, n + 1, sizeof *nl) : NULL;
                        if (!nl) {
                                safe_close(fd);
                                r = -ENOMEM;
                                break;
                        }
                        list = nl;
                        list[n] = (ManagerAdoptable){ .pid = (pid_t) msg.pid, .fd = fd };
                        memcpy(list[n].id, msg.id, sizeof list[n].id);
                        n++;
                } else if (msg.type == KEEPER_EXITED) {
                        for (size_t i = 0; i < n; i++)
                                if (streq(list[i].id, msg.id)) {
                                        list[i].exited = true;
                                        list[i].how = msg.how;
                                        list[i].what = msg.what;
                                        list[i].time = msg.time;
                                }
                } else
                        safe_close(fd);
        }
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        safe_close(list[i].fd);
                free(list);
                return r;
        }
        *ret_list = list;
        *ret_n = n;
        return 0;
}

int keeper_link_new(Manager *m, ManagerAdoptable **ret_list, size_t *ret_n) {
        const char *e = getenv(OLY_KEEPER_FD_ENV);
        KeeperLink *k;
        uint64_t v;
        int fd, r;

        *ret_list = NULL;
        *ret_n = 0;
        if (!e)
                return 0;
        if (parse_uint_range(e, 3, INT_MAX, &v) < 0 ||
            sd_is_socket(fd = (int) v, AF_UNIX, SOCK_SEQPACKET, 0) <= 0) {
                (void) unsetenv(OLY_KEEPER_FD_ENV);
                return log_error_errno(-EBADF, "$%s does not name oly-keeper's socket.", OLY_KEEPER_FD_ENV);
        }
        (void) unsetenv(OLY_KEEPER_FD_ENV); /* not for our children */
        (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
        (void) fcntl(fd, F_SETFL, O_NONBLOCK);

        k = calloc(1, sizeof *k);
        if (!k) {
                safe_close(fd);
                return log_oom();
        }
        k->manager = m;
        k->sock = fd;
        k->face = (ManagerFace){ .session_event = keeper_link_session_event,
                                 .free = keeper_link_free,
                                 .userdata = k };
        manager_add_face(m, &k->face);
        m->keeper = k;

        r = keeper_read_state(k, ret_list, ret_n);
        if (r < 0) {
                log_error_errno(
                        r, "Failed to learn from oly-keeper what it holds (%m); sessions will not survive "
                           "this daemon.");
                keeper_link_disconnect(k);
                m->keeper = NULL;
                return 0;
        }
        r = sd_event_add_io(m->event, &k->source, k->sock, EPOLLIN, on_keeper_message, k);
        if (r < 0)
                return log_error_errno(r, "Failed to watch oly-keeper's socket: %m");
        log_debug("oly-keeper holds %zu session(s).", *ret_n);
        return 0;
}

void keeper_link_ready(Manager *m, const ManagerAdoptable *list, size_t n) {
        KeeperLink *k = m->keeper;

        if (!k)
                return;
        /* Held sessions that no row claims (ended, or unknown to this state) are not ours to keep. */
        for (size_t i = 0; i < n; i++) {
                Session *s = manager_find_session(m, list[i].id);
                if (!s || !s->active)
                        (void) keeper_link_send(k, KEEPER_DROP, list[i].id, 0, -EBADF);
        }
        (void) keeper_link_send(k, KEEPER_READY, NULL, 0, -EBADF);
}
