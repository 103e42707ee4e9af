/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Manager: start-up (dirs, lock, config, database, signals), the session table and its accounting,
 * notifications, shutdown. The faces hear every session event through manager_dispatch(). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "hook.h"
#include "keeper-protocol.h"
#include "log.h"
#include "manager.h"
#include "oly-def.h"
#include "paths.h"
#include "prompt.h"
#include "push.h"
#include "session.h"
#include "strv.h"
#include "vapid.h"

#define container_of(ptr, type, member) ((type *) ((char *) (ptr) -offsetof(type, member)))

static void manager_on_session_event(SessionHost *h, Session *s, SessionEvent e, unsigned changed);

int manager_new(Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        m->lock_fd = -EBADF;
        m->http_listen_fd = -EBADF;
        oly_config_init(&m->config);
        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        m->host = (SessionHost){
                .event = m->event,
                .config = &m->config,
                .event_cb = manager_on_session_event,
        };
        m->hooks = (HookRunner){ .event = m->event, .config = &m->config };
        m->pushes = (PushSender){ .event = m->event, .config = &m->config };
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        m->shutdown_timer = sd_event_source_disable_unref(m->shutdown_timer);
        /* Sessions first: their waiters are answered through the faces, which are still there. */
        for (unsigned b = 0; b < MANAGER_SESSION_BUCKETS; b++)
                while (m->buckets[b]) {
                        Session *s = m->buckets[b];
                        m->buckets[b] = s->hash_next;
                        session_free(s);
                }
        LIST_FOREACH_SAFE (faces, f, next, m->faces) {
                LIST_REMOVE(faces, m->faces, f);
                if (f->free)
                        f->free(f);
        }
        free(m->shutdown_waiters); /* not answered: nothing is left to answer them with */
        hooks_kill_all(&m->hooks);
        push_kill_all(&m->pushes);
        m->prompt = prompt_matcher_free(m->prompt);
        free(m->node_name);
        m->db = db_close(m->db);
        safe_close(m->lock_fd);
        safe_close(m->http_listen_fd);
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

static void manager_add_session(Manager *m, Session *s) {
        unsigned h = id_hash(s->rec.id);
        s->hash_next = m->buckets[h];
        m->buckets[h] = s;
        m->n_sessions++;
}

static void manager_remove_session(Manager *m, Session *s) {
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
        r = session_load(&m->host, &rec, &s);
        session_record_done(&rec);
        if (r < 0)
                return r;
        manager_add_session(m, s);
        session_schedule_eviction(s);
        *ret = s;
        return 0;
}

int manager_resolve_id(Manager *m, const char *prefix, char ret_id[static OLY_ID_STRLEN],
                       char ***ret_candidates) {
        if (!isempty(prefix) && !session_id_prefix_is_valid(prefix))
                return -EINVAL;
        return db_session_resolve(m->db, strempty(prefix), MANAGER_CANDIDATES_MAX, ret_id, ret_candidates);
}

int manager_create_session(Manager *m, const SessionSpawn *p, Session **ret, char **ret_reason) {
        char id[OLY_ID_STRLEN];
        int r;

        if (m->shutting_down)
                return -ESHUTDOWN;
        if (m->n_active >= m->config.max_running_sessions)
                return -EUSERS;
        /* A new random id. A stored session with the same one is astronomically rare: the insert then
         * fails on the primary key and we draw again (no look-up first: one statement less per create). */
        for (int tries = 0;; tries++) {
                Session *s = NULL;

                r = session_id_new(id);
                if (r < 0)
                        return r;
                if (manager_find_session(m, id) && tries < 16)
                        continue;
                r = session_spawn(&m->host, id, p, &s, ret_reason);
                if (r == -EEXIST && !s && tries < 16)
                        continue;
                if (s)
                        *ret = s;
                return r;
        }
}

void manager_update_status(Manager *m) {
        (void) sd_notifyf(0, "STATUS=%u session%s running", m->n_active, m->n_active == 1 ? "" : "s");
}

void manager_add_face(Manager *m, ManagerFace *f) {
        LIST_PREPEND(faces, m->faces, f);
}

void manager_remove_face(Manager *m, ManagerFace *f) {
        LIST_REMOVE(faces, m->faces, f);
}

static void manager_dispatch(Manager *m, Session *s, SessionEvent e, unsigned changed) {
        LIST_FOREACH (faces, f, m->faces)
                if (f->session_event)
                        f->session_event(f, s, e, changed);
}

/* The loop is about to end: the faces flush what they queued (replies, signals). */
static void manager_faces_exiting(Manager *m) {
        LIST_FOREACH(faces, f, m->faces)
                if (f->exiting)
                        f->exiting(f);
}

static void manager_check_shutdown(Manager *m) {
        if (!m->shutting_down || m->n_active > 0 || m->n_lingering > 0)
                return;
        for (size_t i = 0; i < m->n_shutdown_waiters; i++)
                m->shutdown_waiters[i].done(m, m->shutdown_waiters[i].userdata);
        m->n_shutdown_waiters = 0;
        /* Let the replies go out before the connections close. */
        manager_faces_exiting(m);
        (void) sd_event_exit(m->event, 0);
}

static void manager_notify(Manager *m, Session *s) {
        HookEvent e = {
                .id = s->rec.id,
                .title = strempty(s->rec.title),
                .command = s->rec.argv[0],
                .cwd = s->rec.cwd,
                .trigger = s->input_trigger,
                .line = s->input_line,
                .node = m->node_name,
        };
        (void) hook_run(&m->hooks, &e);
        (void) push_notify(&m->pushes, &e);
}

static void manager_on_session_event(SessionHost *h, Session *s, SessionEvent e, unsigned changed) {
        Manager *m = container_of(h, Manager, host);

        switch (e) {
        case SESSION_EVENT_STARTED:
                if (!manager_find_session(m, s->rec.id))
                        manager_add_session(m, s);
                m->n_active++;
                manager_dispatch(m, s, e, changed);
                manager_update_status(m);
                break;
        case SESSION_EVENT_ENDED:
                m->n_active--;
                manager_dispatch(m, s, e, changed);
                manager_update_status(m);
                manager_check_shutdown(m);
                break;
        case SESSION_EVENT_LINGER_BEGIN:
                m->n_lingering++;
                break;
        case SESSION_EVENT_LINGER_END:
                m->n_lingering--;
                manager_check_shutdown(m);
                break;
        case SESSION_EVENT_NOTIFY:
                manager_dispatch(m, s, e, changed);
                manager_notify(m, s);
                break;
        case SESSION_EVENT_EVICT:
                manager_remove_session(m, s);
                session_free(s);
                break;
        default:
                manager_dispatch(m, s, e, changed);
        }
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

int manager_begin_shutdown(Manager *m, uint64_t grace_usec, manager_shutdown_fn done, void *userdata) {
        int r;

        if (done) {
                __typeof__(m->shutdown_waiters) w =
                        reallocarray(m->shutdown_waiters, m->n_shutdown_waiters + 1, sizeof *w);
                if (!w)
                        return -ENOMEM;
                m->shutdown_waiters = w;
                w[m->n_shutdown_waiters++] = (__typeof__(*w)){ done, userdata };
        }

        if (!m->shutting_down) {
                m->shutting_down = true;
                log_info("Shutting down: stopping %u session(s) with a grace of %.3fs.", m->n_active,
                         (double) grace_usec / USEC_PER_SEC);
                (void) sd_notify(0, "STOPPING=1");
                LIST_FOREACH (faces, f, m->faces)
                        if (f->shutting_down)
                                f->shutting_down(f);
                r = sd_event_add_time_relative(m->event, &m->shutdown_timer, CLOCK_MONOTONIC,
                                               grace_usec + 5 * USEC_PER_SEC, USEC_PER_SEC,
                                               on_shutdown_deadline, m);
                if (r < 0)
                        log_warning_errno(r, "Failed to arm the shutdown deadline: %m");
        }
        for (unsigned b = 0; b < MANAGER_SESSION_BUCKETS; b++)
                for (Session *s = m->buckets[b], *next; s; s = next) {
                        next = s->hash_next;
                        if (s->active)
                                (void) session_stop(s, grace_usec, NULL, NULL, NULL);
                        else
                                session_hurry_lingering(s, grace_usec);
                }
        manager_check_shutdown(m);
        return 0;
}

static int on_signal(sd_event_source *src, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        log_info("Received %s.", strsignal((int) si->ssi_signo));
        return manager_begin_shutdown(m, OLY_DEFAULT_SHUTDOWN_GRACE_SEC * USEC_PER_SEC, NULL, NULL);
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
                return log_error_errno(
                        r, "Failed to determine the state directory (OLY_STATE_DIR must be absolute): %m");
        r = oly_runtime_dir(&m->runtime_dir);
        if (r < 0)
                return log_error_errno(r, "Failed to determine the runtime directory: %m");
        r = oly_bus_socket_path(&m->bus_path);
        if (r == -ENAMETOOLONG)
                return log_error_errno(
                        r,
                        "The bus socket path under %s is too long for a unix socket (max 107 bytes); "
                        "set OLY_RUNTIME_DIR to a shorter directory.",
                        m->runtime_dir);
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
                        return log_error_errno(-EBUSY, "Another oly-daemon is already running for %s.",
                                               m->state_dir);
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

        m->host.db = m->db;
        m->host.sessions_dir = m->sessions_dir;
        m->host.prompt = m->prompt;
        m->hooks.state_dir = m->state_dir;
        m->hooks.runtime_dir = m->runtime_dir;
        m->pushes.db = m->db;

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

        return 0;
}

typedef struct ActiveRows {
        SessionRecord *v;
        size_t n;
} ActiveRows;

static int collect_active(const SessionRecord *r, void *userdata) {
        ActiveRows *a = userdata;
        SessionRecord *nv = reallocarray(a->v, a->n + 1, sizeof *nv);
        if (!nv)
                return -ENOMEM;
        a->v = nv;
        SessionRecord *c = &a->v[a->n];
        *c = *r;
        c->title = r->title ? strdup(r->title) : NULL;
        c->cwd = strdup(r->cwd);
        c->argv = strv_copy(r->argv);
        a->n++;
        if ((r->title && !c->title) || !c->cwd || !c->argv)
                return -ENOMEM;
        return 0;
}

/* When a session ended that nobody saw end: its log's last change is the best guess there is. */
static uint64_t manager_guess_end(Manager *m, const SessionRecord *r) {
        _cleanup_free_ char *p = NULL;
        struct stat st;

        if (asprintf(&p, "%s/%s/output.log", m->sessions_dir, r->id) >= 0 && stat(p, &st) >= 0)
                return MAX((uint64_t) st.st_mtim.tv_sec * USEC_PER_SEC + (uint64_t) st.st_mtim.tv_nsec / 1000,
                           r->started_at ?: r->created_at);
        return now_usec(CLOCK_REALTIME);
}

int manager_adopt_sessions(Manager *m, ManagerAdoptable *list, size_t n) {
        SessionFilter f = {
                .status_mask = 1U << SESSION_CREATED | 1U << SESSION_RUNNING | 1U << SESSION_STOPPING,
                .until = USEC_INFINITY,
                .limit = UINT_MAX,
        };
        ActiveRows rows = {};
        unsigned adopted = 0, lost = 0;
        int r;

        r = db_session_list(m->db, &f, collect_active, &rows);
        if (r < 0) {
                for (size_t i = 0; i < rows.n; i++)
                        session_record_done(&rows.v[i]);
                free(rows.v);
                return log_error_errno(r, "Failed to read the sessions an earlier daemon left: %m");
        }
        for (size_t i = 0; i < rows.n; i++) {
                SessionRecord *rec = &rows.v[i];
                ManagerAdoptable *a = NULL;
                Session *s;

                for (size_t k = 0; k < n && !a; k++)
                        if (list[k].fd >= 0 && streq(list[k].id, rec->id))
                                a = &list[k];
                if (a && session_adopt(&m->host, rec, TAKE_FD(a->fd), &s) >= 0) {
                        adopted++;
                        if (a->exited) {
                                siginfo_t si = { .si_code = a->how, .si_status = a->what };
                                s->exit_time = a->time;
                                session_on_child_exit(s, &si);
                        }
                } else {
                        rec->status = SESSION_UNKNOWN;
                        rec->ended_at = manager_guess_end(m, rec);
                        (void) db_session_update(m->db, rec);
                        lost++;
                }
                session_record_done(rec);
        }
        free(rows.v);
        if (adopted > 0)
                log_info("Took over %u running session(s) from the daemon before.", adopted);
        if (lost > 0)
                log_warning("%u session(s) were still marked active by a daemon that is gone and nothing kept "
                            "them; now 'unknown'.", lost);
        return (int) adopted;
}

int manager_restart(Manager *m) {
        if (!m->keeper)
                return -EOPNOTSUPP;
        if (m->shutting_down)
                return -ESHUTDOWN;
        log_info("Restarting: %u session(s) stay, for the next daemon to take over.", m->n_active);
        m->restarting = true;
        manager_faces_exiting(m);
        return sd_event_exit(m->event, OLY_EXIT_RESTART);
}

int manager_run(Manager *m) {
        (void) sd_notifyf(0, "READY=1\nSTATUS=%u sessions running", m->n_active);
        /* Under oly-keeper NOTIFY_SOCKET is 'oly daemon start's one-shot socket, gone once it has heard
         * READY=1: a status update per session start and end would only meet ECONNREFUSED. */
        if (m->keeper)
                (void) unsetenv("NOTIFY_SOCKET");
        return sd_event_loop(m->event);
}
