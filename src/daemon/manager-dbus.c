/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.openrelay.Oly1.Manager on /org/openrelay/Oly1: the daemon's methods, signals and properties. The
 * core answers waiting calls through completion callbacks; here they become replies. */
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "bus-error.h"
#include "bus-server.h"
#include "federation-dbus.h"
#include "keyspec.h"
#include "log.h"
#include "manager-dbus.h"
#include "oly-def.h"
#include "session-dbus.h"
#include "strv.h"
#include "web-dbus.h"

/* Reads the session argument every per-session method starts with (a unique prefix, or "" for the most
 * recent session) and resolves it, setting a named error when there is no such session. */
static int read_session(Manager *m, sd_bus_message *msg, Session **ret, sd_bus_error *error) {
        _cleanup_strv_free_ char **cands = NULL;
        char id[OLY_ID_STRLEN];
        const char *prefix;
        int r;

        r = sd_bus_message_read(msg, "s", &prefix);
        if (r < 0)
                return r;
        r = manager_resolve_id(m, prefix, id, &cands);
        if (r == -EINVAL || (r == -ENXIO && !isempty(prefix)))
                return sd_bus_error_setf(error, OLY_ERROR_NO_SUCH_SESSION, "No session matches '%s'.",
                                         prefix);
        if (r == -ENXIO)
                return sd_bus_error_set(error, OLY_ERROR_NO_SUCH_SESSION, "There are no sessions.");
        if (r == -ENOTUNIQ) {
                char list[MANAGER_CANDIDATES_MAX * (OLY_ID_STRLEN + 2) + 8] = "";
                size_t n = 0;
                for (; cands && cands[n]; n++) {
                        if (n > 0)
                                strcat(list, ", ");
                        strcat(list, cands[n]);
                }
                return sd_bus_error_setf(error, OLY_ERROR_AMBIGUOUS_SESSION,
                                         "Session prefix '%s' is ambiguous: %s%s.", prefix, list,
                                         n >= MANAGER_CANDIDATES_MAX ? ", …" : "");
        }
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to look up session '%s'", prefix);
        r = manager_get_session(m, id, ret);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to load session %s", id);
        return 0;
}

static int method_create_session(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
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
                return sd_bus_error_setf(
                        error, OLY_ERROR_INVALID_ARGUMENT,
                        "Command line and environment exceed the limits (%u arguments, %u variables, "
                        "%u bytes).",
                        OLY_ARGV_MAX, OLY_ENV_MAX, OLY_ARG_BYTES_MAX);
        if (strlen(title) > OLY_TITLE_MAX)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Title is longer than %u bytes.",
                                         OLY_TITLE_MAX);
        if (cwd[0] != '/')
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                         "Working directory '%s' is not an absolute path.", cwd);
        if (stat(cwd, &st) < 0 || !S_ISDIR(st.st_mode))
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Working directory '%s' %s.",
                                         cwd, errno == ENOENT ? "does not exist" : "is not a directory");
        if (rows > OLY_ROWS_MAX || cols > OLY_COLS_MAX)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                         "Terminal size %ux%u out of range (at most %ux%u).", rows, cols,
                                         OLY_ROWS_MAX, OLY_COLS_MAX);
        if (flags & ~_OLY_CREATE_FLAGS_ALL)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Unknown flags 0x%llx.",
                                         (unsigned long long) (flags & ~_OLY_CREATE_FLAGS_ALL));
        if (m->n_active >= m->config.max_running_sessions)
                return sd_bus_error_setf(
                        error, OLY_ERROR_LIMIT_REACHED,
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
        r = manager_create_session(m, &p, &s, &reason);
        if (r == -ESHUTDOWN)
                return sd_bus_error_set(error, OLY_ERROR_SHUTTING_DOWN, "The daemon is shutting down.");
        if (r < 0 && s)
                return sd_bus_error_setf(error, OLY_ERROR_EXEC_FAILED, "Session %s failed to start: %s",
                                         s->rec.id, reason ?: strerror(-r));
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
        _cleanup_strv_free_ char **statuses = NULL;
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
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                         "Search text is longer than %u bytes.", OLY_SEARCH_MAX);
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
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                         "Limit %u is above the maximum %u.", limit, OLY_LIST_LIMIT_MAX);
        f.limit = limit ?: OLY_LIST_LIMIT_MAX;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', SESSION_DBUS_STRUCT);
        if (r < 0)
                return r;
        r = db_session_list(m->db, &f, list_one, &(ListContext){ m, reply });
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

static void reply_stop(Session *s, SessionWaitResult result, void *userdata) {
        sd_bus_message *msg = userdata;
        int r = sd_bus_reply_method_return(msg, "ssi", s->rec.id, session_status_to_string(s->rec.status),
                                           s->rec.exit_code);
        if (r < 0)
                log_debug_errno(r, "Failed to answer a stop request for %s: %m", s->rec.id);
        sd_bus_message_unref(msg);
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
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                         "Grace period is longer than %us.", OLY_GRACE_MAX_SEC);
        r = session_stop(s, grace, reply_stop, sd_bus_message_ref(msg), NULL);
        if (r < 0) {
                sd_bus_message_unref(msg);
                if (r == -EUSERS)
                        return sd_bus_error_setf(error, OLY_ERROR_LIMIT_REACHED,
                                                 "%u calls already wait on session %s.", OLY_WAITERS_MAX,
                                                 s->rec.id);
                return bus_error_from_errno(error, r, "Failed to stop session %s", s->rec.id);
        }
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
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT, "Invalid signal number %d.",
                                         sig);
        r = session_kill(s, sig);
        if (r == -ESRCH)
                return sd_bus_error_setf(error, OLY_ERROR_NOT_RUNNING, "Session %s is not running (%s).",
                                         s->rec.id, session_status_to_string(s->rec.status));
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
                return sd_bus_error_setf(error, OLY_ERROR_NOT_RUNNING, "Session %s has ended (%s).",
                                         s->rec.id, session_status_to_string(s->rec.status));
        r = session_set_notifications(s, enabled);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to change notifications of %s", s->rec.id);
        return sd_bus_reply_method_return(msg, NULL);
}

static void reply_shutdown(Manager *m, void *userdata) {
        sd_bus_message *msg = userdata;
        (void) sd_bus_reply_method_return(msg, NULL);
        sd_bus_message_unref(msg);
}

static int method_shutdown(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint64_t grace;
        int r;

        r = sd_bus_message_read(msg, "t", &grace);
        if (r < 0)
                return r;
        if (grace > OLY_GRACE_MAX_SEC * USEC_PER_SEC)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                         "Grace period is longer than %us.", OLY_GRACE_MAX_SEC);
        r = manager_begin_shutdown(m, grace, reply_shutdown, sd_bus_message_ref(msg));
        if (r < 0) {
                sd_bus_message_unref(msg);
                return r;
        }
        return 1; /* answered once every session has ended */
}

static int method_restart(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        if (!m->keeper)
                return sd_bus_error_set(error, SD_BUS_ERROR_NOT_SUPPORTED,
                                        "Nothing keeps the sessions across a restart of this daemon (it was not "
                                        "started by 'oly daemon start'); under systemd use 'systemctl --user "
                                        "restart oly-daemon'.");
        if (m->shutting_down)
                return sd_bus_error_set(error, OLY_ERROR_SHUTTING_DOWN, "The daemon is shutting down.");
        r = sd_bus_reply_method_return(msg, NULL);
        if (r < 0)
                return r;
        return manager_restart(m);
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
        if (!sd_bus_message_get_bus(msg) ||
            sd_bus_can_send(sd_bus_message_get_bus(msg), SD_BUS_TYPE_UNIX_FD) <= 0)
                return sd_bus_error_set(
                        error, OLY_ERROR_INVALID_ARGUMENT,
                        "This connection cannot pass file descriptors; connect with fd passing "
                        "enabled.");
        r = session_open_terminal(s, flags & OLY_OPEN_TERMINAL_FROM_START, &fd);
        if (r == -ESRCH)
                return sd_bus_error_setf(error, OLY_ERROR_NOT_RUNNING,
                                         "Session %s has ended (%s); see 'oly logs %s'.", s->rec.id,
                                         session_status_to_string(s->rec.status), s->rec.id);
        if (r == -EUSERS)
                return sd_bus_error_setf(error, OLY_ERROR_LIMIT_REACHED,
                                         "Session %s already has %u clients attached.", s->rec.id,
                                         SESSION_CLIENTS_MAX);
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
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                         "Invalid size %ux%u (at most %ux%u).", rows, cols, OLY_ROWS_MAX,
                                         OLY_COLS_MAX);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to resize %s", s->rec.id);
        return sd_bus_reply_method_return(msg, NULL);
}

static void reply_input(Session *s, SessionWaitResult result, void *userdata) {
        sd_bus_message *msg = userdata;
        if (result == SESSION_WAIT_DONE)
                (void) sd_bus_reply_method_return(msg, NULL);
        else
                (void) sd_bus_reply_method_errorf(msg, OLY_ERROR_NOT_RUNNING,
                                                  "Session %s ended before its input was written.",
                                                  s->rec.id);
        sd_bus_message_unref(msg);
}

static int method_send_input(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_buf_free_ Buf bytes = { .max = SESSION_INPUT_MAX };
        Session *s;
        int r;

        r = read_session(m, msg, &s, error);
        if (r < 0)
                return r;
        if (!s->active || s->master_fd < 0)
                return sd_bus_error_setf(error, OLY_ERROR_NOT_RUNNING, "Session %s has ended (%s).",
                                         s->rec.id, session_status_to_string(s->rec.status));

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
                        return r;
                if (r == 0)
                        break;
                r = sd_bus_message_read(msg, "s", &kind);
                if (r >= 0)
                        r = sd_bus_message_read_array(msg, 'y', &data, &n);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
                if (streq(kind, "text"))
                        r = buf_put(&bytes, data, n);
                else if (streq(kind, "key")) {
                        char spec[128];
                        uint8_t enc[KEYSPEC_BYTES_MAX];
                        if (n == 0 || n >= sizeof spec || memchr(data, 0, n)) {
                                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                                         "Chunk %u: invalid key spec.", i + 1);
                        }
                        memcpy(spec, data, n);
                        spec[n] = 0;
                        int k = keyspec_encode(spec, app_cursor, enc, sizeof enc);
                        if (k < 0) {
                                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                                         "Chunk %u: invalid key spec 'key:%s'.", i + 1,
                                                         spec);
                        }
                        r = buf_put(&bytes, enc, (size_t) k);
                } else {
                        return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                                 "Chunk %u: unknown kind '%s' (expected text or key).",
                                                 i + 1, kind);
                }
                if (r == -ENOBUFS)
                        return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                                 "Input is larger than %u bytes.", SESSION_INPUT_MAX);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
                return r;

        r = session_write_input(s, bytes.data, bytes.len, reply_input, sd_bus_message_ref(msg), NULL);
        if (r < 0)
                sd_bus_message_unref(msg);
        if (r == -EUSERS)
                return sd_bus_error_setf(error, OLY_ERROR_LIMIT_REACHED,
                                         "%u calls already wait for session %s to read its input.",
                                         OLY_WAITERS_MAX, s->rec.id);
        if (r == -ENOBUFS)
                return sd_bus_error_setf(
                        error, OLY_ERROR_LIMIT_REACHED,
                        "Session %s is not reading its input (%zu bytes already queued, at most %u); "
                        "try again later.",
                        s->rec.id, s->input.len, SESSION_INPUT_MAX);
        if (r == -ESRCH)
                return sd_bus_error_setf(error, OLY_ERROR_NOT_RUNNING, "Session %s has ended.", s->rec.id);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to send input to %s", s->rec.id);
        return 1; /* answered once the bytes are in the PTY */
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
                r = sd_bus_message_append(reply, "(tqq)", rz[3 * i], (uint16_t) rz[3 * i + 1],
                                          (uint16_t) rz[3 * i + 2]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "bs", s->active, session_status_to_string(s->rec.status));
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static void reply_input_needed(Session *s, SessionWaitResult result, void *userdata) {
        static const char *const names[] = {
                [SESSION_WAIT_DONE] = "input-needed",
                [SESSION_WAIT_ENDED] = "exited",
                [SESSION_WAIT_TIMEOUT] = "timeout",
        };
        sd_bus_message *msg = userdata;
        bool needed = result == SESSION_WAIT_DONE;
        (void) sd_bus_reply_method_return(msg, "ssss", s->rec.id, names[result],
                                          needed ? strempty(s->input_trigger) : "",
                                          needed ? strempty(s->input_line) : "");
        sd_bus_message_unref(msg);
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
        r = session_wait_input_needed(s, timeout, reply_input_needed, sd_bus_message_ref(msg), NULL);
        if (r < 0)
                sd_bus_message_unref(msg);
        if (r == -EUSERS)
                return sd_bus_error_setf(error, OLY_ERROR_LIMIT_REACHED,
                                         "%u calls already wait on session %s.", OLY_WAITERS_MAX, s->rec.id);
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

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("StateDirectory", "s", property_get_state_dir, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("RunningSessions", "u", property_get_running, 0, 0),
        SD_BUS_PROPERTY("MaxRunningSessions", "u", NULL, offsetof(Manager, config.max_running_sessions),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("CreateSession",
                                SD_BUS_ARGS("s", title, "as", argv, "s", cwd, "as", environment, "q", rows,
                                            "q", cols, "t", flags),
                                SD_BUS_RESULT("s", id, "o", path), method_create_session,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListSessions",
                                SD_BUS_ARGS("s", search, "as", statuses, "t", since, "t", until, "u", limit),
                                SD_BUS_RESULT("a" SESSION_DBUS_STRUCT, sessions), method_list_sessions,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetSession", SD_BUS_ARGS("s", id),
                                SD_BUS_RESULT(SESSION_DBUS_STRUCT, session), method_get_session,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ResolveSession", SD_BUS_ARGS("s", id), SD_BUS_RESULT("s", id, "o", path),
                                method_resolve_session, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("StopSession", SD_BUS_ARGS("s", id, "t", grace),
                                SD_BUS_RESULT("s", id, "s", status, "i", exit_code), method_stop_session,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("KillSession", SD_BUS_ARGS("s", id, "i", signal), SD_BUS_NO_RESULT,
                                method_kill_session, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetNotifications", SD_BUS_ARGS("s", id, "b", enabled), SD_BUS_NO_RESULT,
                                method_set_notifications, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("OpenTerminal", SD_BUS_ARGS("s", id, "t", flags), SD_BUS_RESULT("h", fd),
                                method_open_terminal, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ResizeSession", SD_BUS_ARGS("s", id, "q", rows, "q", cols),
                                SD_BUS_NO_RESULT, method_resize_session, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SendInput", SD_BUS_ARGS("s", id, "a(say)", chunks), SD_BUS_NO_RESULT,
                                method_send_input, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS(
                "OpenLog", SD_BUS_ARGS("s", id),
                SD_BUS_RESULT("s", id, "h", fd, "a(tqq)", resizes, "b", running, "s", status),
                method_open_log, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Shutdown", SD_BUS_ARGS("t", grace), SD_BUS_NO_RESULT, method_shutdown,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Restart", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_restart,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("WaitForInputNeeded", SD_BUS_ARGS("s", id, "t", timeout),
                                SD_BUS_RESULT("s", id, "s", result, "s", trigger, "s", line),
                                method_wait_input_needed, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("InputNeeded", SD_BUS_ARGS("s", id, "o", path, "s", trigger, "s", line), 0),
        SD_BUS_SIGNAL_WITH_ARGS(
                "Notification",
                SD_BUS_ARGS("s", id, "o", path, "s", title, "s", command, "s", trigger, "s", line), 0),
        SD_BUS_SIGNAL_WITH_ARGS("SessionCreated", SD_BUS_ARGS("s", id, "o", path), 0),
        SD_BUS_SIGNAL_WITH_ARGS("SessionExited",
                                SD_BUS_ARGS("s", id, "o", path, "s", status, "i", exit_code), 0),
        SD_BUS_VTABLE_END,
};

int manager_dbus_add_objects(Manager *m, sd_bus *bus) {
        int r;

        r = sd_bus_add_object_vtable(bus, NULL, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, manager_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(bus, NULL, OLY_MANAGER_PATH, OLY_WEB_IFACE, web_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(bus, NULL, OLY_MANAGER_PATH, OLY_FEDERATION_IFACE, federation_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_fallback_vtable(bus, NULL, OLY_SESSION_PATH_PREFIX, OLY_SESSION_IFACE, session_vtable,
                                       session_object_find, m);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(bus, NULL, OLY_SESSION_PATH_PREFIX, session_node_enumerator, m);
}

/* ---- Signals: the D-Bus face of session events ---- */

typedef struct SignalArgs {
        Session *session;
        SessionEvent event;
} SignalArgs;

static int emit_session_signal(sd_bus *bus, void *userdata) {
        SignalArgs *a = userdata;
        Session *s = a->session;

        switch (a->event) {
        case SESSION_EVENT_STARTED:
                return sd_bus_emit_signal(bus, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, "SessionCreated", "so",
                                          s->rec.id, s->object_path);
        case SESSION_EVENT_ENDED:
                return sd_bus_emit_signal(bus, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, "SessionExited", "sosi",
                                          s->rec.id, s->object_path, session_status_to_string(s->rec.status),
                                          s->rec.exit_code);
        case SESSION_EVENT_INPUT_NEEDED:
                return sd_bus_emit_signal(bus, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, "InputNeeded", "soss",
                                          s->rec.id, s->object_path, s->input_trigger, s->input_line);
        case SESSION_EVENT_NOTIFY:
                return sd_bus_emit_signal(bus, OLY_MANAGER_PATH, OLY_MANAGER_IFACE, "Notification", "sossss",
                                          s->rec.id, s->object_path, strempty(s->rec.title), s->rec.argv[0],
                                          s->input_trigger, s->input_line);
        default:
                return 0;
        }
}

static void manager_dbus_session_event(ManagerFace *f, Session *s, SessionEvent e, unsigned changed) {
        Manager *m = f->userdata;

        if (e == SESSION_EVENT_CHANGED)
                session_dbus_send_changed(s, m->bus_server, changed);
        else
                bus_server_emit(m->bus_server, emit_session_signal, &(SignalArgs){ s, e });
}

static void manager_dbus_free(ManagerFace *f) {
        free(f);
}

int manager_dbus_setup(Manager *m) {
        ManagerFace *f = calloc(1, sizeof *f);
        if (!f)
                return -ENOMEM;
        f->session_event = manager_dbus_session_event;
        f->free = manager_dbus_free;
        f->userdata = m;
        manager_add_face(m, f);
        return 0;
}
