/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The private peer-to-peer D-Bus server and the user bus connection: the D-Bus face's transport. */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "bus-server.h"
#include "log.h"
#include "oly-def.h"
#include "strv.h"

static BusClient *bus_client_free(BusClient *c) {
        if (!c)
                return NULL;
        sd_event_source_disable_unref(c->opening);
        if (c->freed)
                *c->freed = true;
        BusServer *m = c->server;
        LIST_REMOVE(clients, m->clients, c);
        m->n_clients--;
        sd_bus_flush_close_unref(c->bus);
        free(c);
        return NULL;
}

static int on_client_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusClient *c = userdata;
        log_debug("Client :1.%llu disconnected.", (unsigned long long) c->serial);
        bus_client_free(c);
        return 0;
}

/* busctl (and sd-bus clients set up as bus clients) always say Hello first; a p2p server has no
 * bus driver, so we answer for it with a made-up unique name. */
static int method_hello(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusClient *c = userdata;
        char name[32];
        snprintf(name, sizeof name, ":1.%llu", (unsigned long long) c->serial);
        return sd_bus_reply_method_return(msg, "s", name);
}

static int method_get_id(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusClient *c = userdata;
        char s[SD_ID128_STRING_MAX];
        return sd_bus_reply_method_return(msg, "s", sd_id128_to_string(c->server->server_id, s));
}

static int method_add_match(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        /* On a p2p connection every signal is sent to the peer anyway; matches are the peer's filter. */
        return sd_bus_reply_method_return(msg, NULL);
}

static const sd_bus_vtable driver_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Hello", "", "s", method_hello, 0),
        SD_BUS_METHOD("GetId", "", "s", method_get_id, 0),
        SD_BUS_METHOD("AddMatch", "s", "", method_add_match, 0),
        SD_BUS_METHOD("RemoveMatch", "s", "", method_add_match, 0),
        SD_BUS_VTABLE_END,
};

/* A client may send its first message in the same write as the authentication's BEGIN; sd-bus (252)
 * then holds that message in its read buffer and waits for a wake-up that never comes. Until the
 * connection is up, process it after every loop iteration, which also drains such a message. */
static int on_client_opening(sd_event_source *src, void *userdata) {
        BusClient *c = userdata;
        bool freed = false;
        int r;

        /* Processing can dispatch the Disconnected message, which frees c: watch for that. */
        c->freed = &freed;
        while ((r = sd_bus_process(c->bus, NULL)) > 0 && !freed)
                ;
        if (freed)
                return 0;
        c->freed = NULL;
        if (r < 0) {
                bus_client_free(c);
                return 0;
        }
        if (sd_bus_is_ready(c->bus) > 0)
                c->opening = sd_event_source_disable_unref(c->opening);
        return 0;
}

/* Sets up a connection whose bus already has its fd. */
static int bus_client_setup(BusClient *c) {
        BusServer *m = c->server;
        int r;

        r = sd_bus_set_server(c->bus, 1, m->server_id);
        if (r < 0)
                return r;
        r = sd_bus_negotiate_fds(c->bus, 1);
        if (r < 0)
                return r;
        r = sd_bus_negotiate_creds(c->bus, 1, SD_BUS_CREDS_PID | SD_BUS_CREDS_UID | SD_BUS_CREDS_EUID);
        if (r < 0)
                return r;
        r = sd_bus_set_connected_signal(c->bus, 1);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(c->bus, NULL, "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     driver_vtable, c);
        if (r < 0)
                return r;
        r = m->add_objects(m->manager, c->bus);
        if (r < 0)
                return r;
        r = sd_bus_match_signal(c->bus, NULL, "org.freedesktop.DBus.Local", NULL,
                                "org.freedesktop.DBus.Local", "Disconnected", on_client_disconnected, c);
        if (r < 0)
                return r;
        r = sd_bus_start(c->bus);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(c->bus, m->manager->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        return sd_event_add_post(m->manager->event, &c->opening, on_client_opening, c);
}

static int bus_client_new(BusServer *m, int fd) {
        _cleanup_close_ int cfd = fd;
        BusClient *c;
        int r;

        c = calloc(1, sizeof *c);
        if (!c)
                return log_oom();
        c->server = m;
        c->serial = ++m->next_client_serial;
        LIST_PREPEND(clients, m->clients, c);
        m->n_clients++;

        r = sd_bus_new(&c->bus);
        if (r >= 0)
                r = sd_bus_set_fd(c->bus, cfd, cfd);
        if (r >= 0) {
                TAKE_FD(cfd); /* the connection owns it now */
                r = bus_client_setup(c);
        }
        if (r < 0) {
                log_warning_errno(r, "Failed to set up a D-Bus connection: %m");
                bus_client_free(c);
                return r;
        }
        return 0;
}

static int on_accept(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        BusServer *m = userdata;

        for (int i = 0; i < 16; i++) {
                _cleanup_close_ int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                struct ucred cred;
                socklen_t l = sizeof cred;

                if (cfd < 0) {
                        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                                return 0;
                        log_warning_errno(errno, "Failed to accept a connection: %m");
                        return 0;
                }
                if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &l) < 0) {
                        log_warning_errno(errno, "Failed to read the credentials of a connection: %m");
                        continue;
                }
                /* Only our own uid, or root, may drive our sessions. */
                if (cred.uid != geteuid() && cred.uid != 0) {
                        log_warning("Refused a connection from pid %d uid %u: not uid %u.", (int) cred.pid,
                                    (unsigned) cred.uid, (unsigned) geteuid());
                        continue;
                }
                if (m->n_clients >= OLY_CLIENTS_MAX) {
                        log_warning("Refused a connection from pid %d: %u clients connected already.",
                                    (int) cred.pid, m->n_clients);
                        continue;
                }
                (void) bus_client_new(m, TAKE_FD(cfd));
        }
        return 0;
}

/* A new web password handed over by 'oly daemon start' in a memfd: store it, never keep the fd. */
static int take_password_fd(Manager *m, int fd) {
        char buf[OLY_WEB_PASSWORD_HASH_MAX];
        ssize_t n;
        int r;

        n = pread(fd, buf, sizeof buf - 1, 0);
        safe_close(fd);
        if (n < 0)
                return log_error_errno(errno, "Failed to read the web password passed in: %m");
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        if (!startswith(buf, "$argon2id$"))
                return log_error_errno(-EINVAL, "The web password passed in is not an Argon2id PHC string.");
        r = db_web_set_password(m->db, buf, now_usec(CLOCK_REALTIME));
        explicit_bzero(buf, sizeof buf);
        if (r < 0)
                return log_error_errno(r, "Failed to store the web password: %m");
        log_info("Stored a new web password; earlier web logins are revoked.");
        return 0;
}

static int bus_server_listen(BusServer *b) {
        Manager *m = b->manager;
        int n, r, fd = -EBADF;
        bool owned = false;

        /* What arrives: the bus socket (from oly-daemon.socket, or bound by 'oly daemon start', which names
         * it so: then it is ours to remove at exit — a socket unit's file is systemd's), and from 'oly
         * daemon start' also oly-http's TCP socket and a new web password. */
        char **names = NULL;
        n = sd_listen_fds_with_names(1, &names);
        if (n < 0)
                return log_error_errno(n, "Failed to read the sockets passed by the service manager: %m");
        r = 0;
        for (int i = 0; i < n; i++) {
                int f = SD_LISTEN_FDS_START + i;
                const char *name = names && names[i] ? names[i] : "";

                if (r < 0) {
                        safe_close(f);
                        continue;
                }
                if (streq(name, OLY_LISTEN_FDNAME_PASSWORD)) {
                        r = take_password_fd(m, f);
                } else if (streq(name, OLY_LISTEN_FDNAME_HTTP)) {
                        if (sd_is_socket(f, AF_UNSPEC, SOCK_STREAM, 1) <= 0 ||
                            fcntl(f, F_SETFD, FD_CLOEXEC) < 0)
                                r = log_error_errno(
                                        -EINVAL,
                                        "The web UI socket passed in is not a listening stream socket.");
                        else
                                m->http_listen_fd = f;
                } else if (fd >= 0)
                        r = log_error_errno(-EINVAL,
                                            "Expected one bus socket from the service manager, got more.");
                else {
                        fd = f;
                        owned = streq(name, OLY_LISTEN_FDNAME_OWNED);
                }
        }
        strv_free(names);
        if (r < 0)
                return r;
        if (fd >= 0) {
                if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0)
                        return log_error_errno(
                                -EINVAL, "The socket passed in is not a listening AF_UNIX stream socket.");
                /* It arrives blocking: one accept loop would freeze the whole event loop. */
                int fl = fcntl(fd, F_GETFL);
                if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                        return log_error_errno(errno, "Failed to set up the passed socket: %m");
                b->listen_fd = fd;
                if (owned) {
                        struct sockaddr_un sa;
                        socklen_t l = sizeof sa;
                        /* Only remove it if it is the path we would use ourselves. */
                        if (getsockname(fd, (struct sockaddr *) &sa, &l) >= 0 && sa.sun_family == AF_UNIX &&
                            l > offsetof(struct sockaddr_un, sun_path) && streq(sa.sun_path, m->bus_path))
                                b->bound_socket = true;
                }
                log_debug("Using the socket passed by the service manager.");
        } else {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                if (strlen(m->bus_path) >= sizeof sa.sun_path)
                        return log_error_errno(-ENAMETOOLONG, "Socket path %s is longer than %zu bytes.",
                                               m->bus_path, sizeof sa.sun_path - 1);
                strcpy(sa.sun_path, m->bus_path);

                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return log_error_errno(errno, "Failed to create a socket: %m");
                b->listen_fd = fd;
                /* We hold the state lock, so a socket file left here is a dead daemon's. */
                (void) unlink(m->bus_path);
                mode_t old = umask(0177);
                r = bind(fd, (struct sockaddr *) &sa, sizeof sa);
                umask(old);
                if (r < 0)
                        return log_error_errno(errno, "Failed to bind %s: %m", m->bus_path);
                b->bound_socket = true;
                if (listen(fd, SOMAXCONN) < 0)
                        return log_error_errno(errno, "Failed to listen on %s: %m", m->bus_path);
        }

        r = sd_event_add_io(m->event, &b->listen_source, b->listen_fd, EPOLLIN, on_accept, b);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the bus socket: %m");
        return 0;
}

static void bus_server_stop_accepting(ManagerFace *f) {
        BusServer *b = f->userdata;
        b->listen_source = sd_event_source_disable_unref(b->listen_source);
}

static void bus_server_flush(ManagerFace *f) {
        BusServer *b = f->userdata;
        LIST_FOREACH (clients, c, b->clients)
                (void) sd_bus_flush(c->bus);
}

static void bus_server_free(ManagerFace *f) {
        BusServer *b = f->userdata;

        while (b->clients)
                bus_client_free(b->clients);
        b->listen_source = sd_event_source_disable_unref(b->listen_source);
        /* A restart leaves the socket to the next daemon (the keeper holds it meanwhile). */
        if (b->bound_socket && !b->manager->restarting)
                (void) unlink(b->manager->bus_path);
        safe_close(b->listen_fd);
        sd_bus_flush_close_unref(b->user_bus);
        b->manager->bus_server = NULL;
        free(b);
}

static int bus_user_connect(BusServer *b) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (!getenv("DBUS_SESSION_BUS_ADDRESS")) {
                const char *rt = getenv("XDG_RUNTIME_DIR");
                _cleanup_free_ char *p = NULL;
                if (!rt || asprintf(&p, "%s/bus", rt) < 0 || access(p, F_OK) < 0) {
                        log_debug("No user session bus; serving the private socket only.");
                        return 0;
                }
        }
        r = sd_bus_open_user(&bus);
        if (r < 0)
                return log_debug_errno(r, "No user session bus (%m); serving the private socket only."), 0;
        r = b->add_objects(b->manager, bus);
        if (r < 0)
                return log_warning_errno(r, "Failed to register objects on the user bus: %m"), 0;
        r = sd_bus_request_name_async(bus, NULL, OLY_BUS_NAME, 0, NULL, NULL);
        if (r < 0)
                return log_warning_errno(r, "Failed to request %s on the user bus: %m", OLY_BUS_NAME), 0;
        r = sd_bus_attach_event(bus, b->manager->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_warning_errno(r, "Failed to attach the user bus: %m"), 0;
        b->user_bus = TAKE_PTR(bus);
        log_debug("Also serving %s on the user bus.", OLY_BUS_NAME);
        return 0;
}

int bus_server_new(Manager *m, bus_add_objects_fn add_objects, BusServer **ret) {
        BusServer *b;
        int r;

        b = calloc(1, sizeof *b);
        if (!b)
                return log_oom();
        b->manager = m;
        b->add_objects = add_objects;
        b->listen_fd = -EBADF;
        b->face = (ManagerFace){
                .shutting_down = bus_server_stop_accepting,
                .exiting = bus_server_flush,
                .free = bus_server_free,
                .userdata = b,
        };
        /* Registered at once: from here on the manager frees it. */
        m->bus_server = b;
        manager_add_face(m, &b->face);
        r = sd_id128_randomize(&b->server_id);
        if (r < 0)
                return log_error_errno(r, "Failed to make a server id: %m");
        r = bus_server_listen(b);
        if (r < 0)
                return r;
        (void) bus_user_connect(b);
        if (ret)
                *ret = b;
        return 0;
}

void bus_server_emit(BusServer *b, bus_emit_fn fn, void *userdata) {
        if (!b)
                return;
        LIST_FOREACH (clients, c, b->clients) {
                int r = fn(c->bus, userdata);
                if (r < 0)
                        log_debug_errno(r, "Failed to emit to client :1.%llu: %m",
                                        (unsigned long long) c->serial);
        }
        if (b->user_bus)
                (void) fn(b->user_bus, userdata);
}
