/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.openrelay.Oly1.Manager on /org/openrelay/Oly1: the daemon's methods, signals and properties. */
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "keyspec.h"
#include "log.h"
#include "manager.h"
#include "oly-def.h"
#include "session.h"

int bus_error_from_errno(sd_bus_error *error, int r, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return sd_bus_error_setf(error, r == -ENOMEM ? SD_BUS_ERROR_NO_MEMORY : SD_BUS_ERROR_FAILED, "%s: %s", msg,
                                 strerror(r < 0 ? -r : r));
}

static bool strv_bounded(char **v, size_t max_n, size_t *bytes) {
        size_t n = 0;
        for (; v && v[n]; n++)
                *bytes += strlen(v[n]) + 1;
        return n <= max_n;
}

static void strv_freep_local(char ***v) {
        if (!*v)
                return;
        for (char **p = *v; *p; p++)
                free(*p);
        free(*v);
}

/* Reads the session argument every per-session method starts with (a unique prefix, or "" for the most
 * recent session) and resolves it, setting a named error when there is no such session. */
static int read_session(Manager *m, sd_bus_message *msg, Session **ret, sd_bus_error *error) {
        const char *id;
        int r = sd_bus_message_read(msg, "s", &id);
        if (r < 0)
                return r;
        return manager_resolve_session(m, id, ret, error);
}

static int method_create_session(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        __attribute__((cleanup(strv_freep_local))) char **argv = NULL, **env = NULL;
        _cleanup_free_ char *reason = NULL;
        const char *title, *cwd;
        uint16_t rows, cols;
        uint64_t flags;
        size_t bytes = 0;
        Session *s = NULL;
        struct stat st;
        int r;

        r = sd_bus_message_read(msg, "s", &title);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(msg, &argv);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "s", &cwd);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(msg, &env);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "qqt", &rows, &cols, &flags);
        if (r < 0)
                return r;

        if (m->shutting_down)
                return sd_bus_error_set(error, OLY_ERROR_SHUTTING_DOWN, "The daemon is shutting down.");
        if (!argv || !argv[0] || isempty(argv[0]))
                return sd_bus_error_set(error, OLY_ERROR_INVALID_ARGUMENT, "No command given.");
        if (!strv_bounded(argv, OLY_ARGV_MAX, &bytes) || !strv_bounded(env, OLY_ENV_MAX, &bytes) ||
            bytes > OLY_ARG_BYTES_MAX)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                         "Command line and environment exceed the limits (%u arguments, %u variables, "
                                         "%u bytes).", OLY_ARGV_MAX, OLY_ENV_MAX, OLY_ARG_BYTES_MAX);
        if (strlen(title) > OLY_TITLE_MAX)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Title is longer than %u bytes.",
                                         OLY_TITLE_MAX);
        if (cwd[0] != '/')
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                         "Working directory '%s' is not an absolute path.", cwd);
        if (stat(cwd, &st) < 0 || !S_ISDIR(st.st_mode))
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Working directory '%s' %s.", cwd,
                                         errno == ENOENT ? "does not exist" : "is not a directory");
        if (rows > OLY_ROWS_MAX || cols > OLY_COLS_MAX)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                         "Terminal size %ux%u out of range (at most %ux%u).", rows, cols, OLY_ROWS_MAX,
                                         OLY_COLS_MAX);
        if (flags & ~_OLY_CREATE_FLAGS_ALL)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Unknown flags 0x%llx.",
                                         (unsigned long long) (flags & ~_OLY_CREATE_FLAGS_ALL));
        if (m->n_active >= m->config.max_running_sessions)
                return sd_bus_error_setf(error, OLY_ERROR_LIMIT_REACHED,
                                         "%u session%s running, the most max_running_sessions (config.json) allows.",
                                         m->n_active, m->n_active == 1 ? " is" : "s are");

        SessionSpawn p = {
                .title = isempty(title) ? NULL : title,
                .argv = argv,
                .cwd = cwd,
                .env = env,
                .rows = rows ?: OLY_DEFAULT_ROWS,
                .cols = cols ?: OLY_DEFAULT_COLS,
                .notifications_enabled = !(flags & OLY_CREATE_NOTIFICATIONS_DISABLED),
        };
        r = session_spawn(m, &p, &s, &reason);
        if (r < 0 && s)
                return sd_bus_error_setf(error, OLY_ERROR_EXEC_FAILED, "Session %s failed to start: %s", s->rec.id,
                                         reason ?: strerror(-r));
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to create a session");

        return sd_bus_reply_method_return(msg, "so", s->rec.id, s->object_path);
}

typedef struct ListContext {
        Manager *manager;
        sd_bus_message *reply;
} ListContext;

static int list_one(const SessionRecord *rec, void *userdata) {
        ListContext *c = userdata;
        Session *s = manager_find_session(c->manager, rec->id);
        /* A session in memory is the fresher truth (input_needed lives only there). */
        if (s)
                return session_append_struct(c->reply, s);
        return session_record_append_struct(c->reply, rec, false);
}

static int method_list_sessions(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        __attribute__((cleanup(strv_freep_local))) char **statuses = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        SessionFilter f = {};
        const char *search;
        uint32_t limit;
        int r;

        r = sd_bus_message_read(msg, "s", &search);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(msg, &statuses);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "ttu", &f.since, &f.until, &limit);
        if (r < 0)
                return r;

        if (strlen(search) > OLY_SEARCH_MAX)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Search text is longer than %u bytes.",
                                         OLY_SEARCH_MAX);
        f.search = isempty(search) ? NULL : search;
        for (size_t i = 0; statuses && statuses[i]; i++) {
                SessionStatus st = session_status_from_string(statuses[i]);
                if (st < 0)
                        return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Unknown status '%s'.",
                                                 statuses[i]);
                f.status_mask |= 1U << st;
        }
        if (f.until == 0)
                f.until = USEC_INFINITY;
        if (limit > OLY_LIST_LIMIT_MAX)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Limit %u is above the maximum %u.", limit,
                                         OLY_LIST_LIMIT_MAX);
        f.limit = limit ?: OLY_LIST_LIMIT_MAX;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sssasssuitttbb)");
        if (r < 0)
                return r;
        r = db_session_list(m->db, &f, list_one, &(ListContext) { m, reply });
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to list sessions");
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_session(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        Session *s;
        int r;

        r = read_session(m, msg, &s, error);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = session_append_struct(reply, s);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_resolve_session(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Session *s;
        int r;

        r = read_session(m, msg, &s, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "so", s->rec.id, s->object_path);
}

static int method_stop_session(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint64_t grace;
        Session *s;
        int r;

        r = read_session(m, msg, &s, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "t", &grace);
        if (r < 0)
                return r;
        if (grace > OLY_GRACE_MAX_SEC * USEC_PER_SEC)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Grace period is longer than %us.",
                                         OLY_GRACE_MAX_SEC);
        r = session_stop(s, grace, msg);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to stop session %s", s->rec.id);
        return 1; /* answered when the session has ended */
}

static int method_kill_session(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int32_t sig;
        Session *s;
        int r;

        r = read_session(m, msg, &s, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "i", &sig);
        if (r < 0)
                return r;
        if (sig <= 0 || sig >= _NSIG)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Invalid signal number %d.", sig);
        r = session_kill(s, sig);
        if (r == -ESRCH)
                return sd_bus_error_setf(error, OLY_ERROR_NOT_RUNNING, "Session %s is not running (%s).", s->rec.id,
                                         session_status_to_string(s->rec.status));
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to signal session %s", s->rec.id);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_set_notifications(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int enabled;
        Session *s;
        int r;

        r = read_session(m, msg, &s, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "b", &enabled);
        if (r < 0)
                return r;
        if (!s->active)
                return sd_bus_error_setf(error, OLY_ERROR_NOT_RUNNING, "Session %s has ended (%s).", s->rec.id,
                                         session_status_to_string(s->rec.status));
        r = session_set_notifications(s, enabled);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to change notifications of %s", s->rec.id);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_shutdown(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint64_t grace;
        int r;

        r = sd_bus_message_read(msg, "t", &grace);
        if (r < 0)
                return r;
        if (grace > OLY_GRACE_MAX_SEC * USEC_PER_SEC)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Grace period is longer than %us.",
                                         OLY_GRACE_MAX_SEC);
        sd_bus_message **w = reallocarray(m->shutdown_waiters, m->n_shutdown_waiters + 1, sizeof *w);
        if (!w)
                return -ENOMEM;
        m->shutdown_waiters = w;
        w[m->n_shutdown_waiters++] = sd_bus_message_ref(msg);
        r = manager_begin_shutdown(m, grace);
        if (r < 0)
                return r;
        return 1; /* answered once every session has ended */
}

static int method_open_terminal(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_close_ int fd = -EBADF;
        uint64_t flags;
        Session *s;
        int r;

        r = read_session(m, msg, &s, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "t", &flags);
        if (r < 0)
                return r;
        if (flags & ~(uint64_t) OLY_OPEN_TERMINAL_FROM_START)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Unknown flags 0x%llx.",
                                         (unsigned long long) flags);
        if (!sd_bus_message_get_bus(msg) || sd_bus_can_send(sd_bus_message_get_bus(msg), SD_BUS_TYPE_UNIX_FD) <= 0)
                return sd_bus_error_set(error, OLY_ERROR_INVALID_ARGUMENT,
                                        "This connection cannot pass file descriptors; connect with fd passing "
                                        "enabled.");
        r = session_open_terminal(s, flags & OLY_OPEN_TERMINAL_FROM_START, &fd);
        if (r == -ESRCH)
                return sd_bus_error_setf(error, OLY_ERROR_NOT_RUNNING, "Session %s has ended (%s); see 'oly logs %s'.",
                                         s->rec.id, session_status_to_string(s->rec.status), s->rec.id);
        if (r == -EUSERS)
                return sd_bus_error_setf(error, OLY_ERROR_LIMIT_REACHED, "Session %s already has %u clients attached.",
                                         s->rec.id, SESSION_CLIENTS_MAX);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to open a terminal stream on %s", s->rec.id);
        return sd_bus_reply_method_return(msg, "h", fd);
}

static int method_resize_session(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint16_t rows, cols;
        Session *s;
        int r;

        r = read_session(m, msg, &s, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "qq", &rows, &cols);
        if (r < 0)
                return r;
        r = session_resize(s, rows, cols);
        if (r == -ESRCH)
                return sd_bus_error_setf(error, OLY_ERROR_NOT_RUNNING, "Session %s has ended.", s->rec.id);
        if (r == -EINVAL)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Invalid size %ux%u (at most %ux%u).", rows,
                                         cols, OLY_ROWS_MAX, OLY_COLS_MAX);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to resize %s", s->rec.id);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_send_input(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Buf bytes = { .max = SESSION_INPUT_MAX };
        Session *s;
        int r;

        r = read_session(m, msg, &s, error);
        if (r < 0)
                return r;
        if (!s->active || s->master_fd < 0)
                return sd_bus_error_setf(error, OLY_ERROR_NOT_RUNNING, "Session %s has ended (%s).", s->rec.id,
                                         session_status_to_string(s->rec.status));

        /* Every chunk is checked before any byte is written: a bad one sends nothing. */
        bool app_cursor = session_app_cursor(s);
        r = sd_bus_message_enter_container(msg, 'a', "(say)");
        if (r < 0)
                return r;
        for (unsigned i = 0;; i++) {
                const char *kind;
                const void *data;
                size_t n;
                r = sd_bus_message_enter_container(msg, 'r', "say");
                if (r < 0)
                        goto fail;
                if (r == 0)
                        break;
                r = sd_bus_message_read(msg, "s", &kind);
                if (r >= 0)
                        r = sd_bus_message_read_array(msg, 'y', &data, &n);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        goto fail;
                if (streq(kind, "text"))
                        r = buf_put(&bytes, data, n);
                else if (streq(kind, "key")) {
                        char spec[128];
                        uint8_t enc[KEYSPEC_BYTES_MAX];
                        if (n == 0 || n >= sizeof spec || memchr(data, 0, n)) {
                                r = sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Chunk %u: invalid key spec.",
                                                      i + 1);
                                goto fail;
                        }
                        memcpy(spec, data, n);
                        spec[n] = 0;
                        int k = keyspec_encode(spec, app_cursor, enc, sizeof enc);
                        if (k < 0) {
                                r = sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                                      "Chunk %u: invalid key spec 'key:%s'.", i + 1, spec);
                                goto fail;
                        }
                        r = buf_put(&bytes, enc, (size_t) k);
                } else {
                        r = sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                              "Chunk %u: unknown kind '%s' (expected text or key).", i + 1, kind);
                        goto fail;
                }
                if (r == -ENOBUFS) {
                        r = sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Input is larger than %u bytes.",
                                              SESSION_INPUT_MAX);
                        goto fail;
                }
                if (r < 0)
                        goto fail;
        }
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
                goto fail;

        r = session_write_input(s, bytes.data, bytes.len, msg);
        buf_free(&bytes);
        if (r == -EUSERS)
                return sd_bus_error_setf(error, OLY_ERROR_LIMIT_REACHED,
                                         "%u calls already wait for session %s to read its input.", OLY_WAITERS_MAX,
                                         s->rec.id);
        if (r == -ENOBUFS)
                return sd_bus_error_setf(error, OLY_ERROR_LIMIT_REACHED,
                                         "Session %s is not reading its input (%zu bytes already queued, at most %u); "
                                         "try again later.", s->rec.id, s->input.len, SESSION_INPUT_MAX);
        if (r == -ESRCH)
                return sd_bus_error_setf(error, OLY_ERROR_NOT_RUNNING, "Session %s has ended.", s->rec.id);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to send input to %s", s->rec.id);
        return 1; /* answered once the bytes are in the PTY */
fail:
        buf_free(&bytes);
        return r;
}

static int method_open_log(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ uint64_t *rz = NULL;
        size_t n;
        Session *s;
        int r;

        r = read_session(m, msg, &s, error);
        if (r < 0)
                return r;
        r = session_open_log(s, &fd, &rz, &n);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to open the log of %s", s->rec.id);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "sh", s->rec.id, fd);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(tqq)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(tqq)", rz[3 * i], (uint16_t) rz[3 * i + 1], (uint16_t) rz[3 * i + 2]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "bs", s->active, session_status_to_string(s->rec.status));
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_wait_input_needed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint64_t timeout;
        Session *s;
        int r;

        r = read_session(m, msg, &s, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "t", &timeout);
        if (r < 0)
                return r;
        r = session_wait_input_needed(s, timeout, msg);
        if (r == -EUSERS)
                return sd_bus_error_setf(error, OLY_ERROR_LIMIT_REACHED, "%u calls already wait on session %s.",
                                         OLY_WAITERS_MAX, s->rec.id);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to wait on %s", s->rec.id);
        return 1;
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", OLY_VERSION);
}

static int property_get_running(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "u", m->n_active);
}

static int property_get_state_dir(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", m->state_dir);
}

#define SESSION_STRUCT "(sssasssuitttbb)"

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("StateDirectory", "s", property_get_state_dir, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("RunningSessions", "u", property_get_running, 0, 0),
        SD_BUS_PROPERTY("MaxRunningSessions", "u", NULL, offsetof(Manager, config.max_running_sessions),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("CreateSession",
                                SD_BUS_ARGS("s", title, "as", argv, "s", cwd, "as", environment, "q", rows, "q", cols,
                                            "t", flags),
                                SD_BUS_RESULT("s", id, "o", path), method_create_session, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListSessions",
                                SD_BUS_ARGS("s", search, "as", statuses, "t", since, "t", until, "u", limit),
                                SD_BUS_RESULT("a" SESSION_STRUCT, sessions), method_list_sessions, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetSession", SD_BUS_ARGS("s", id), SD_BUS_RESULT(SESSION_STRUCT, session),
                                method_get_session, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ResolveSession", SD_BUS_ARGS("s", id), SD_BUS_RESULT("s", id, "o", path),
                                method_resolve_session, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("StopSession", SD_BUS_ARGS("s", id, "t", grace),
                                SD_BUS_RESULT("s", id, "s", status, "i", exit_code), method_stop_session, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("KillSession", SD_BUS_ARGS("s", id, "i", signal), SD_BUS_NO_RESULT,
                                method_kill_session, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetNotifications", SD_BUS_ARGS("s", id, "b", enabled), SD_BUS_NO_RESULT,
                                method_set_notifications, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("OpenTerminal", SD_BUS_ARGS("s", id, "t", flags), SD_BUS_RESULT("h", fd),
                                method_open_terminal, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ResizeSession", SD_BUS_ARGS("s", id, "q", rows, "q", cols), SD_BUS_NO_RESULT,
                                method_resize_session, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SendInput", SD_BUS_ARGS("s", id, "a(say)", chunks), SD_BUS_NO_RESULT,
                                method_send_input, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("OpenLog", SD_BUS_ARGS("s", id),
                                SD_BUS_RESULT("s", id, "h", fd, "a(tqq)", resizes, "b", running, "s", status),
                                method_open_log, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Shutdown", SD_BUS_ARGS("t", grace), SD_BUS_NO_RESULT, method_shutdown, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("WaitForInputNeeded", SD_BUS_ARGS("s", id, "t", timeout),
                                SD_BUS_RESULT("s", id, "s", result, "s", trigger, "s", line), method_wait_input_needed,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("InputNeeded", SD_BUS_ARGS("s", id, "o", path, "s", trigger, "s", line), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Notification",
                                SD_BUS_ARGS("s", id, "o", path, "s", title, "s", command, "s", trigger, "s", line), 0),
        SD_BUS_SIGNAL_WITH_ARGS("SessionCreated", SD_BUS_ARGS("s", id, "o", path), 0),
        SD_BUS_SIGNAL_WITH_ARGS("SessionExited", SD_BUS_ARGS("s", id, "o", path, "s", status, "i", exit_code), 0),
        SD_BUS_VTABLE_END,
};

int manager_add_bus_objects(Manager *m, sd_bus *bus) {
        int r;

        r = sd_bus_add_object_vtable(bus, NULL, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, manager_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(bus, NULL, OLY_MANAGER_PATH, OLY_WEB_IFACE, web_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_fallback_vtable(bus, NULL, OLY_SESSION_PATH_PREFIX, OLY_SESSION_IFACE, session_vtable,
                                       session_object_find, m);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(bus, NULL, OLY_SESSION_PATH_PREFIX, session_node_enumerator, m);
}
