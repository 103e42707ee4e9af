/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Manager: start-up (dirs, lock, config, database, socket), session bookkeeping, shutdown. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "bus-server.h"
#include "hook.h"
#include "prompt.h"
#include "push.h"
#include "log.h"
#include "http-child.h"
#include "manager.h"
#include "vapid.h"
#include "oly-def.h"
#include "paths.h"
#include "session.h"

int manager_new(Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        m->listen_fd = -EBADF;
        m->lock_fd = -EBADF;
        m->http_listen_fd = -EBADF;
        oly_config_init(&m->config);
        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        r = sd_id128_randomize(&m->server_id);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_shutdown_waiters; i++)
                sd_bus_message_unref(m->shutdown_waiters[i]);
        free(m->shutdown_waiters);
        m->shutdown_timer = sd_event_source_disable_unref(m->shutdown_timer);
        for (unsigned b = 0; b < MANAGER_SESSION_BUCKETS; b++)
                while (m->buckets[b]) {
                        Session *s = m->buckets[b];
                        m->buckets[b] = s->hash_next;
                        session_free(s);
                }
        http_child_stop(m);
        bus_server_done(m);
        hooks_kill_all(m);
        push_kill_all(m);
        m->prompt = prompt_matcher_free(m->prompt);
        free(m->node_name);
        m->db = db_close(m->db);
        safe_close(m->lock_fd);
        oly_config_done(&m->config);
        free(m->state_dir);
        free(m->runtime_dir);
        free(m->sessions_dir);
        free(m->bus_path);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

static unsigned id_hash(const char *id) {
        unsigned h = 5381;
        for (; *id; id++)
                h = h * 33 + (unsigned char) *id;
        return h % MANAGER_SESSION_BUCKETS;
}

Session *manager_find_session(Manager *m, const char *id) {
        for (Session *s = m->buckets[id_hash(id)]; s; s = s->hash_next)
                if (streq(s->rec.id, id))
                        return s;
        return NULL;
}

void manager_add_session(Manager *m, Session *s) {
        unsigned h = id_hash(s->rec.id);
        s->hash_next = m->buckets[h];
        m->buckets[h] = s;
        m->n_sessions++;
}

void manager_remove_session(Manager *m, Session *s) {
        for (Session **p = &m->buckets[id_hash(s->rec.id)]; *p; p = &(*p)->hash_next)
                if (*p == s) {
                        *p = s->hash_next;
                        s->hash_next = NULL;
                        m->n_sessions--;
                        return;
                }
}

int manager_get_session(Manager *m, const char *id, Session **ret) {
        SessionRecord rec;
        Session *s;
        int r;

        s = manager_find_session(m, id);
        if (s) {
                if (!s->active)
                        session_schedule_eviction(s); /* in use again: keep it a while longer */
                *ret = s;
                return 0;
        }
        r = db_session_get(m->db, id, &rec);
        if (r < 0)
                return r;
        /* Rows of active sessions always have an in-memory session; one that does not is stale. */
        r = session_load(m, &rec, ret);
        session_record_done(&rec);
        return r;
}

int manager_resolve_session(Manager *m, const char *prefix, Session **ret, sd_bus_error *error) {
        char id[OLY_ID_STRLEN];
        char **cands = NULL;
        int r;

        if (!isempty(prefix) && !session_id_prefix_is_valid(prefix))
                return sd_bus_error_setf(error, OLY_ERROR_NO_SUCH_SESSION, "No session matches '%s'.", prefix);

        r = db_session_resolve(m->db, strempty(prefix), 10, id, &cands);
        if (r == -ENXIO)
                return isempty(prefix) ? sd_bus_error_set(error, OLY_ERROR_NO_SUCH_SESSION, "There are no sessions.")
                                       : sd_bus_error_setf(error, OLY_ERROR_NO_SUCH_SESSION,
                                                           "No session matches '%s'.", prefix);
        if (r == -ENOTUNIQ) {
                char list[10 * (OLY_ID_STRLEN + 2) + 8] = "";
                size_t n = 0;
                for (; cands[n]; n++) {
                        if (n > 0)
                                strcat(list, ", ");
                        strcat(list, cands[n]);
                        free(cands[n]);
                }
                free(cands);
                return sd_bus_error_setf(error, OLY_ERROR_AMBIGUOUS_SESSION,
                                         "Session prefix '%s' is ambiguous: %s%s.", prefix, list,
                                         n >= 10 ? ", …" : "");
        }
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to look up session '%s'", prefix);
        r = manager_get_session(m, id, ret);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to load session %s", id);
        return 0;
}

void manager_update_status(Manager *m) {
        (void) sd_notifyf(0, "STATUS=%u session%s running", m->n_active, m->n_active == 1 ? "" : "s");
}

void manager_emit(Manager *m, manager_emit_fn fn, void *userdata) {
        for (BusClient *c = m->clients; c; c = c->next) {
                int r = fn(c->bus, userdata);
                if (r < 0)
                        log_debug_errno(r, "Failed to emit to client :1.%llu: %m", (unsigned long long) c->serial);
        }
        if (m->user_bus)
                (void) fn(m->user_bus, userdata);
}

typedef struct SignalArgs {
        const char *member;
        Session *session;
} SignalArgs;

static int emit_session_signal(sd_bus *bus, void *userdata) {
        SignalArgs *a = userdata;
        Session *s = a->session;
        if (streq(a->member, "SessionExited"))
                return sd_bus_emit_signal(bus, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, a->member, "sosi", s->rec.id,
                                          s->object_path, session_status_to_string(s->rec.status), s->rec.exit_code);
        return sd_bus_emit_signal(bus, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, a->member, "so", s->rec.id,
                                  s->object_path);
}

static void manager_check_shutdown(Manager *m) {
        if (!m->shutting_down || m->n_active > 0 || m->n_lingering > 0)
                return;
        for (size_t i = 0; i < m->n_shutdown_waiters; i++) {
                (void) sd_bus_reply_method_return(m->shutdown_waiters[i], NULL);
                m->shutdown_waiters[i] = sd_bus_message_unref(m->shutdown_waiters[i]);
        }
        m->n_shutdown_waiters = 0;
        /* Let the replies go out before the connections close. */
        for (BusClient *c = m->clients; c; c = c->next)
                (void) sd_bus_flush(c->bus);
        (void) sd_event_exit(m->event, 0);
}

void manager_session_started(Manager *m, Session *s) {
        if (!s->active) {
                s->active = true;
                m->n_active++;
        }
        manager_emit(m, emit_session_signal, &(SignalArgs) { "SessionCreated", s });
        manager_update_status(m);
}

void manager_session_lingering(Manager *m, int delta) {
        m->n_lingering = (unsigned) ((int) m->n_lingering + delta);
        manager_check_shutdown(m);
}

void manager_session_ended(Manager *m, Session *s) {
        if (s->active) {
                s->active = false;
                m->n_active--;
        }
        manager_emit(m, emit_session_signal, &(SignalArgs) { "SessionExited", s });
        manager_update_status(m);
        manager_check_shutdown(m);
}

static int on_shutdown_deadline(sd_event_source *src, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        /* Sessions got SIGKILL at the end of their grace; if one still has not ended (a process stuck in
         * the kernel), leave anyway rather than hang. */
        if (m->n_active > 0)
                log_warning("%u session(s) did not end after SIGKILL; exiting anyway.", m->n_active);
        for (unsigned b = 0; b < MANAGER_SESSION_BUCKETS; b++)
                for (Session *s = m->buckets[b]; s; s = s->hash_next) {
                        session_hurry_lingering(s, 0); /* SIGKILL now for jobs that outlived their session */
                        if (s->active) {
                                s->rec.status = SESSION_UNKNOWN;
                                s->rec.ended_at = now_usec(CLOCK_REALTIME);
                                (void) db_session_update(m->db, &s->rec);
                        }
                }
        m->n_active = 0;
        manager_check_shutdown(m);
        return 0;
}

int manager_begin_shutdown(Manager *m, uint64_t grace_usec) {
        int r;

        if (!m->shutting_down) {
                m->shutting_down = true;
                log_info("Shutting down: stopping %u session(s) with a grace of %.3fs.", m->n_active,
                         (double) grace_usec / USEC_PER_SEC);
                (void) sd_notify(0, "STOPPING=1");
                m->listen_source = sd_event_source_disable_unref(m->listen_source);
                r = sd_event_add_time_relative(m->event, &m->shutdown_timer, CLOCK_MONOTONIC,
                                               grace_usec + 5 * USEC_PER_SEC, USEC_PER_SEC, on_shutdown_deadline, m);
                if (r < 0)
                        log_warning_errno(r, "Failed to arm the shutdown deadline: %m");
        }
        for (unsigned b = 0; b < MANAGER_SESSION_BUCKETS; b++)
                for (Session *s = m->buckets[b], *next; s; s = next) {
                        next = s->hash_next;
                        if (s->active)
                                (void) session_stop(s, grace_usec, NULL);
                        else
                                session_hurry_lingering(s, grace_usec);
                }
        manager_check_shutdown(m);
        return 0;
}

static int on_signal(sd_event_source *src, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        log_info("Received %s.", strsignal((int) si->ssi_signo));
        return manager_begin_shutdown(m, OLY_DEFAULT_SHUTDOWN_GRACE_SEC * USEC_PER_SEC);
}

static int manager_load_config(Manager *m) {
        _cleanup_free_ char *path = path_join(m->state_dir, OLY_CONFIG_FILE), *err = NULL;
        int r;

        if (!path)
                return log_oom();
        if (access(path, F_OK) < 0 && errno == ENOENT) {
                _cleanup_free_ char *text = oly_config_default_text();
                if (!text)
                        return log_oom();
                r = write_file_atomic(path, text, strlen(text));
                if (r < 0)
                        log_warning_errno(r, "Failed to write the default %s: %m", path);
        }
        r = oly_config_load(&m->config, path, &err);
        if (r < 0) {
                log_error("Invalid configuration: %s", err ?: strerror(-r));
                (void) sd_notifyf(0, "STATUS=Invalid configuration: %s", err ?: strerror(-r));
                return r;
        }
        log_set_max_level(m->config.log_level);

        free(err);
        err = NULL;
        r = prompt_matcher_new(&m->config, &m->prompt, &err);
        if (r < 0) {
                log_error("Invalid configuration: %s: %s", path, err ?: strerror(-r));
                (void) sd_notifyf(0, "STATUS=Invalid configuration: %s", err ?: strerror(-r));
                return r;
        }
        /* Only a configuration found valid is written to (a rejected one stays as the user left it). */
        (void) vapid_ensure_keys(&m->config, path);
        return 0;
}

int manager_startup(Manager *m) {
        _cleanup_free_ char *dbpath = NULL, *lockpath = NULL;
        int r;

        umask(0077);

        r = oly_state_dir(&m->state_dir);
        if (r < 0)
                return log_error_errno(r, "Failed to determine the state directory (OLY_STATE_DIR must be absolute): %m");
        r = oly_runtime_dir(&m->runtime_dir);
        if (r < 0)
                return log_error_errno(r, "Failed to determine the runtime directory: %m");
        r = oly_bus_socket_path(&m->bus_path);
        if (r == -ENAMETOOLONG)
                return log_error_errno(r, "The bus socket path under %s is too long for a unix socket (max 107 bytes); "
                                          "set OLY_RUNTIME_DIR to a shorter directory.", m->runtime_dir);
        if (r < 0)
                return log_error_errno(r, "Failed to determine the bus socket path: %m");

        r = mkdir_p(m->state_dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Failed to create the state directory %s: %m", m->state_dir);
        m->sessions_dir = path_join(m->state_dir, "sessions");
        if (!m->sessions_dir)
                return log_oom();
        r = mkdir_p(m->sessions_dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", m->sessions_dir);
        r = mkdir_p(m->runtime_dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Failed to create the runtime directory %s: %m", m->runtime_dir);

        /* One daemon per state directory: two would both think they own the sessions. */
        lockpath = path_join(m->state_dir, "daemon.lock");
        if (!lockpath)
                return log_oom();
        m->lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (m->lock_fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", lockpath);
        if (flock(m->lock_fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK)
                        return log_error_errno(-EBUSY, "Another oly-daemon is already running for %s.", m->state_dir);
                return log_error_errno(errno, "Failed to lock %s: %m", lockpath);
        }

        r = manager_load_config(m);
        if (r < 0)
                return r;
        char host[256] = "";
        (void) gethostname(host, sizeof host - 1);
        m->node_name = strdup(host);
        if (!m->node_name)
                return log_oom();

        dbpath = path_join(m->state_dir, "oly.db");
        if (!dbpath)
                return log_oom();
        r = db_open(dbpath, &m->db);
        if (r == -EPROTONOSUPPORT)
                return log_error_errno(r, "%s was written by a newer oly; refusing to touch it.", dbpath);
        if (r < 0)
                return log_error_errno(r, "Failed to open the database %s: %m", dbpath);

        r = db_session_mark_lost(m->db, now_usec(CLOCK_REALTIME));
        if (r < 0)
                return log_error_errno(r, "Failed to update sessions left by an earlier daemon: %m");
        if (r > 0)
                log_warning("%d session(s) were still marked active by a daemon that is gone; now 'unknown'.", r);

        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");
        (void) signal(SIGPIPE, SIG_IGN);
        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_signal, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");
        (void) sd_event_set_watchdog(m->event, true);

        r = bus_server_listen(m);
        if (r < 0)
                return r;
        (void) bus_user_connect(m);

        log_info("oly-daemon %s serving %s (state in %s).", OLY_VERSION, m->bus_path, m->state_dir);
        return 0;
}

int manager_run(Manager *m) {
        (void) http_child_start(m);
        (void) sd_notifyf(0, "READY=1\nSTATUS=%u sessions running", m->n_active);
        return sd_event_loop(m->event);
}
