/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Web push: one oly-push child per notification, with the job in a memfd on its stdin and its results in
 * a memfd on its stdout, read back when it exits (or is killed at its timeout, see push.h). */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec-util.h"
#include "log.h"
#include "oly-def.h"
#include "push.h"
#include "spawn-util.h"

extern char **environ;

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

struct Push {
        PushSender *sender;
        LIST_FIELDS(Push, pushes);
        pid_t pid;
        int out_fd;
        sd_event_source *child, *timer;
        char *session_id;
        bool timed_out;
        usec_t timeout;
};

static void push_free(Push *p) {
        LIST_REMOVE(pushes, p->sender->pushes, p);
        p->sender->n_pushes--;
        sd_event_source_disable_unref(p->child);
        sd_event_source_disable_unref(p->timer);
        safe_close(p->out_fd);
        free(p->session_id);
        free(p);
}

static char *push_binary(void) {
        static const char *const rel[] = { "oly-push", "../push/oly-push" };
        return find_oly_binary("OLY_PUSH", rel, ELEMENTSOF(rel), OLY_LIBEXECDIR "/oly-push");
}

/* At most max bytes of s, cut at a UTF-8 character boundary. */
static json_object *text(const char *s, size_t max) {
        size_t n = strlen(s);
        if (n > max) {
                n = max;
                while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                        n--;
        }
        return json_object_new_string_len(s, (int) n);
}

/* {"title","body","id","trigger","node","url"}: what the service worker shows. Shortened until it fits
 * in one push message. */
static char *push_payload(const HookEvent *e) {
        const char *name = !isempty(e->title) ? e->title : strempty(e->command);

        for (size_t max = PUSH_TEXT_MAX; max >= 32; max /= 2) {
                _cleanup_(json_object_putp) json_object *o = json_object_new_object();
                _cleanup_free_ char *title = NULL, *url = NULL;
                const char *s;

                if (!o || asprintf(&title, "oly: %s needs input", name) < 0 ||
                    asprintf(&url, "/#/sessions/%s", e->id) < 0)
                        return NULL;
                json_object_object_add(o, "title", text(title, max));
                json_object_object_add(o, "body", text(strempty(e->line), max));
                json_object_object_add(o, "id", json_object_new_string(e->id));
                json_object_object_add(o, "trigger", json_object_new_string(strempty(e->trigger)));
                json_object_object_add(o, "node", text(strempty(e->node), max));
                json_object_object_add(o, "url", json_object_new_string(url));
                s = json_object_to_json_string_ext(o,
                                                   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
                if (s && strlen(s) <= OLY_PUSH_PAYLOAD_MAX)
                        return strdup(s);
        }
        return NULL;
}

static int add_subscription(const char *endpoint, const char *p256dh, const char *auth, usec_t created_at,
                            void *userdata) {
        json_object *subs = userdata, *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "endpoint", json_object_new_string(endpoint));
        json_object_object_add(o, "p256dh", json_object_new_string(p256dh));
        json_object_object_add(o, "auth", json_object_new_string(auth));
        return json_object_array_add(subs, o) < 0 ? (json_object_put(o), -ENOMEM) : 0;
}

static char *push_subject(PushSender *m) {
        char host[256] = {}, *s;

        if (!isempty(m->config->web_push_subject))
                return strdup(m->config->web_push_subject);
        if (gethostname(host, sizeof host - 1) < 0 || isempty(host))
                strcpy(host, "localhost");
        return asprintf(&s, "mailto:oly@%s", host) < 0 ? NULL : s;
}

/* The job in a sealed memfd, at offset 0: a pipe would hold only 64 KiB of it. */
static int push_job_fd(PushSender *m, const HookEvent *e, json_object *subs) {
        _cleanup_(json_object_putp) json_object *job = json_object_new_object();
        _cleanup_free_ char *payload = push_payload(e), *subject = push_subject(m);
        _cleanup_close_ int fd = -EBADF;
        const char *s;
        size_t n;
        int r = 0;

        if (!job || !payload || !subject)
                return -ENOMEM;
        json_object_object_add(job, "subject", json_object_new_string(subject));
        json_object_object_add(job, "vapid_public_key",
                               json_object_new_string(m->config->web_push_vapid_public_key));
        json_object_object_add(job, "vapid_private_key",
                               json_object_new_string(m->config->web_push_vapid_private_key));
        json_object_object_add(job, "payload", json_object_new_string(payload));
        json_object_object_add(job, "ttl", json_object_new_int(PUSH_TTL_SEC));
        json_object_object_add(job, "urgency", json_object_new_string("high"));
        json_object_object_add(job, "subscriptions", json_object_get(subs));
        s = json_object_to_json_string_ext(job, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return -ENOMEM;
        n = strlen(s);

        fd = memfd_create("oly-push-job", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                r = -errno;
        for (const char *p = s; r == 0 && p < s + n;) {
                ssize_t k = write(fd, p, (size_t) (s + n - p));
                if (k < 0 && errno != EINTR)
                        r = -errno;
                else if (k > 0)
                        p += k;
        }
        /* json-c's serialization buffer holds the private key: wipe it. */
        explicit_bzero((char *) s, n);
        if (r < 0)
                return r;
        (void) fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        return TAKE_FD(fd);
}

static void push_read_results(Push *p) {
        PushSender *m = p->sender;
        _cleanup_free_ char *buf = NULL;
        unsigned sent = 0, gone = 0, failed = 0;
        ssize_t n = 0;
        struct stat st;

        if (fstat(p->out_fd, &st) < 0 || st.st_size < 0)
                return (void) log_warning_errno(errno, "Cannot read oly-push's results for %s: %m",
                                                p->session_id);
        size_t size = MIN((size_t) st.st_size, (size_t) PUSH_RESULTS_MAX);
        buf = malloc(size + 1);
        if (!buf)
                return (void) log_oom();
        while (n < (ssize_t) size) {
                ssize_t k = pread(p->out_fd, buf + n, size - (size_t) n, n);
                if (k <= 0)
                        break;
                n += k;
        }
        buf[n] = 0;

        for (char *line = buf, *nl; line && *line; line = nl) {
                _cleanup_(json_object_putp) json_object *o = NULL;
                json_object *v;
                const char *endpoint = NULL, *error = NULL;
                bool is_gone = false;

                nl = strchr(line, '\n');
                if (nl)
                        *nl++ = 0;
                else if (line + strlen(line) == buf + size && (size_t) st.st_size > size)
                        break; /* cut at PUSH_RESULTS_MAX */
                o = json_tokener_parse(line);
                if (!o || !json_object_is_type(o, json_type_object))
                        continue;
                if (json_object_object_get_ex(o, "endpoint", &v) && json_object_is_type(v, json_type_string))
                        endpoint = json_object_get_string(v);
                if (json_object_object_get_ex(o, "error", &v) && json_object_is_type(v, json_type_string))
                        error = json_object_get_string(v);
                if (json_object_object_get_ex(o, "gone", &v))
                        is_gone = json_object_get_boolean(v);
                if (is_gone && endpoint) {
                        int r = db_push_remove(m->db, endpoint);
                        if (r < 0 && r != -ENOENT)
                                log_warning_errno(r, "Failed to forget push subscription %s: %m", endpoint);
                        else
                                log_info("Push subscription %s is gone; forgot it.", endpoint);
                        gone++;
                } else if (error) {
                        if (failed < PUSH_FAILURES_LOGGED_MAX)
                                log_warning("Web push for %s to %.200s failed: %.300s", p->session_id,
                                            strempty(endpoint), error);
                        failed++;
                } else
                        sent++;
        }
        if (failed > PUSH_FAILURES_LOGGED_MAX)
                log_warning("Web push for %s: %u more subscriptions failed.", p->session_id,
                            failed - PUSH_FAILURES_LOGGED_MAX);
        log_info("Web push for %s: %u sent, %u gone, %u failed.", p->session_id, sent, gone, failed);
}

static int on_push_exit(sd_event_source *src, const siginfo_t *si, void *userdata) {
        Push *p = userdata;

        if (si->si_code == CLD_EXITED && si->si_status != 0)
                log_warning("oly-push for %s failed with exit code %d.", p->session_id, si->si_status);
        else if (si->si_code != CLD_EXITED && !p->timed_out)
                log_warning("oly-push for %s was killed by signal %s.", p->session_id,
                            strsignal(si->si_status));
        /* What it finished before an error or the timeout counts all the same. */
        push_read_results(p);
        (void) kill(-p->pid, SIGKILL); /* the group leader is still unreaped: its id cannot be reused */
        push_free(p);
        return 0;
}

static int on_push_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        Push *p = userdata;
        log_warning("oly-push for %s did not finish within %us; killing it.", p->session_id,
                    (unsigned) (p->timeout / USEC_PER_SEC));
        p->timed_out = true;
        (void) kill(-p->pid, SIGKILL);
        p->timer = sd_event_source_disable_unref(p->timer);
        return 0;
}

/* The daemon's environment minus what belongs to its service manager (OLY_PUSH_CA_FILE stays). */
static char **push_env(void) {
        size_t n = 0, k = 0;
        char **env;

        while (environ[n])
                n++;
        env = calloc(n + 1, sizeof(char *));
        if (!env)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (!startswith(environ[i], "NOTIFY_SOCKET=") && !startswith(environ[i], "LISTEN_") &&
                    !startswith(environ[i], "WATCHDOG_"))
                        env[k++] = environ[i];
        return env;
}

int push_notify(PushSender *m, const HookEvent *e) {
        _cleanup_(json_object_putp) json_object *subs = NULL;
        _cleanup_close_ int in_fd = -EBADF, out_fd = -EBADF;
        _cleanup_free_ char *binary = NULL;
        _cleanup_free_ char **env = NULL;
        Push *p;
        pid_t pid;
        int r;

        if (isempty(m->config->web_push_vapid_public_key) ||
            isempty(m->config->web_push_vapid_private_key)) {
                log_debug("No VAPID key pair: no web push for %s.", e->id);
                return 0;
        }
        subs = json_object_new_array();
        if (!subs)
                return log_oom();
        r = db_push_list(m->db, add_subscription, subs);
        if (r < 0)
                return log_warning_errno(r, "Failed to list push subscriptions: %m");
        if (json_object_array_length(subs) == 0)
                return 0;
        if (m->n_pushes >= PUSH_RUNNING_MAX) {
                log_warning("%u web pushes are still being sent; not sending one for %s.", m->n_pushes,
                            e->id);
                return -EBUSY;
        }

        in_fd = push_job_fd(m, e, subs);
        if (in_fd < 0)
                return log_warning_errno(in_fd, "Failed to prepare the web push for %s: %m", e->id);
        out_fd = memfd_create("oly-push-results", MFD_CLOEXEC);
        if (out_fd < 0)
                return log_warning_errno(errno, "Failed to prepare the web push for %s: %m", e->id);
        binary = push_binary();
        env = push_env();
        if (!binary || !env)
                return log_oom();

        char *argv[] = { binary, NULL };
        /* Its diagnostics (a bad OLY_PUSH_CA_FILE, say) go to our log; in the results they would be dropped
         * as lines that are not JSON. */
        r = spawn_in_own_group(binary, argv, env, in_fd, out_fd, STDERR_FILENO, &pid);
        if (r < 0)
                return log_warning_errno(r, "Failed to run %s for %s: %m", binary, e->id);

        p = calloc(1, sizeof *p);
        if (!p || !(p->session_id = strdup(e->id))) {
                free(p);
                spawn_kill_and_reap(pid);
                return log_oom();
        }
        p->sender = m;
        p->pid = pid;
        p->out_fd = TAKE_FD(out_fd);
        LIST_PREPEND(pushes, m->pushes, p);
        m->n_pushes++;
        r = sd_event_add_child(m->event, &p->child, pid, WEXITED, on_push_exit, p);
        if (r < 0) {
                spawn_kill_and_reap(pid);
                push_free(p);
                return log_warning_errno(r, "Failed to watch oly-push for %s: %m", e->id);
        }
        p->timeout = MIN(PUSH_TIMEOUT_BASE_USEC + (usec_t) json_object_array_length(subs) *
                                                          OLY_PUSH_REQUEST_TIMEOUT_SEC * USEC_PER_SEC,
                         PUSH_TIMEOUT_MAX_USEC);
        (void) sd_event_add_time_relative(m->event, &p->timer, CLOCK_MONOTONIC, p->timeout,
                                          10 * USEC_PER_MSEC, on_push_timeout, p);
        log_debug("Sending web push for %s to %zu subscription(s) (oly-push pid %d).", e->id,
                  json_object_array_length(subs), (int) pid);
        return 0;
}

void push_kill_all(PushSender *m) {
        while (m->pushes) {
                (void) kill(-m->pushes->pid, SIGKILL);
                push_free(m->pushes);
        }
}
