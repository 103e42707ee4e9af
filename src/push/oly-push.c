/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oly-push: sends one web push message (RFC 8030) to each subscription of a job, encrypted (RFC 8291) and
 * signed (VAPID, RFC 8292), over HTTPS. Run by oly-daemon, which opens no network sockets itself: the job
 * (JSON) on stdin, one JSON result line per subscription on stdout, diagnostics on stderr. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <json-c/json.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "oly-def.h"
#include "macro.h"
#include "push-crypto.h"

#define PUSH_JOB_MAX (8u * 1024 * 1024)      /* bytes of job on stdin */
#define PUSH_SUBSCRIPTIONS_MAX 4096u           /* subscriptions in one job */
#define PUSH_ENDPOINT_MAX 2048u                /* bytes of an endpoint URL */
#define PUSH_SUBJECT_MAX 1024u                 /* bytes of the VAPID subject */
#define PUSH_REQUEST_TIMEOUT_MS (OLY_PUSH_REQUEST_TIMEOUT_SEC * 1000) /* per subscription */
#define PUSH_RESPONSE_HEAD_MAX 16384u          /* bytes of the response read (status line and headers) */
#define PUSH_TTL_MAX (28u * 24 * 3600)         /* seconds */
#define PUSH_JWT_LIFETIME_SEC (12 * 3600)      /* RFC 8292: at most 24 h */

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(gnutls_session_t, gnutls_deinit);

typedef struct Job {
        const char *subject, *payload, *urgency, *vapid_public;
        uint8_t vapid_private[PUSH_P256_SCALAR_SIZE];
        unsigned ttl;
        gnutls_certificate_credentials_t cred;
} Job;

typedef struct Url {
        char host[256];  /* without brackets */
        char port[8];
        char origin[320]; /* scheme://host[:port], the VAPID audience */
        const char *path; /* the request target: path and query, without the fragment (RFC 9112 §3.2) */
        int path_len;
        bool path_slash;  /* "/" goes before it: the URL has a query but no path */
        char host_header[270];
} Url;

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int url_parse(const char *s, Url *u) {
        const char *a = startswith(s, "https://"), *end, *hp, *he;
        size_t hl;

        if (!a)
                return -EPROTONOSUPPORT;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f) /* no header injection, no spaces */
                        return -EINVAL;
        end = a + strcspn(a, "/?#");
        if (memchr(a, '@', (size_t) (end - a)))
                return -EINVAL;
        if (*a == '[') {
                hp = a + 1;
                he = memchr(hp, ']', (size_t) (end - hp));
                if (!he)
                        return -EINVAL;
                a = he + 1;
        } else {
                hp = a;
                he = memchr(hp, ':', (size_t) (end - hp));
                if (!he)
                        he = end;
                a = he;
        }
        hl = (size_t) (he - hp);
        if (hl == 0 || hl >= sizeof u->host)
                return -EINVAL;
        memcpy(u->host, hp, hl);
        u->host[hl] = 0;
        strcpy(u->port, "443");
        if (a < end) {
                char *e;
                unsigned long port;
                if (*a != ':' || end - a < 2 || end - a > 6)
                        return -EINVAL;
                port = strtoul(a + 1, &e, 10);
                if (e != end || port == 0 || port > 65535)
                        return -EINVAL;
                snprintf(u->port, sizeof u->port, "%lu", port);
        }
        bool v6 = strchr(u->host, ':');
        bool default_port = streq(u->port, "443");
        snprintf(u->host_header, sizeof u->host_header, "%s%s%s%s%s", v6 ? "[" : "", u->host, v6 ? "]" : "",
                 default_port ? "" : ":", default_port ? "" : u->port);
        snprintf(u->origin, sizeof u->origin, "https://%s", u->host_header);
        u->path = end;
        u->path_len = (int) strcspn(end, "#");
        u->path_slash = *end != '/';
        return 0;
}

static int tcp_connect(const Url *u, int64_t deadline, char **ret_error) {
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *ai = NULL;
        int r, fd = -EBADF, err = 0;

        r = getaddrinfo(u->host, u->port, &hints, &ai);
        if (r != 0) {
                if (asprintf(ret_error, "cannot resolve %s: %s", u->host, gai_strerror(r)) < 0)
                        *ret_error = NULL;
                return -EHOSTUNREACH;
        }
        for (struct addrinfo *i = ai; i; i = i->ai_next) {
                struct pollfd pfd;
                socklen_t sl = sizeof err;
                int64_t left = deadline - now_ms();

                if (left <= 0) {
                        err = ETIMEDOUT;
                        break;
                }
                fd = socket(i->ai_family, i->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, i->ai_protocol);
                if (fd < 0) {
                        err = errno;
                        continue;
                }
                if (connect(fd, i->ai_addr, i->ai_addrlen) == 0)
                        break;
                err = errno;
                if (err == EINPROGRESS) {
                        pfd = (struct pollfd) { .fd = fd, .events = POLLOUT };
                        r = poll(&pfd, 1, (int) left);
                        if (r == 0)
                                err = ETIMEDOUT;
                        else if (r < 0)
                                err = errno;
                        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
                                err = errno;
                        if (err == 0)
                                break;
                }
                fd = safe_close(fd);
        }
        freeaddrinfo(ai);
        if (fd < 0) {
                if (asprintf(ret_error, "cannot connect to %s port %s: %s", u->host, u->port,
                             strerror(err ? err : EHOSTUNREACH)) < 0)
                        *ret_error = NULL;
                return -(err ? err : EHOSTUNREACH);
        }
        (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        return fd;
}

/* Blocking socket I/O, each call bounded by what is left of the deadline. */
static bool set_timeouts(int fd, gnutls_session_t s, int64_t deadline) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
                return false;
        struct timeval tv = { .tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000 };
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        gnutls_record_set_timeout(s, (unsigned) left);
        return true;
}

static int tls_error(int g, const char *what, char **ret_error) {
        bool timeout = g == GNUTLS_E_AGAIN || g == GNUTLS_E_TIMEDOUT;
        if (asprintf(ret_error, "%s: %s", what, timeout ? "timed out" : gnutls_strerror(g)) < 0)
                *ret_error = NULL;
        return timeout ? -ETIMEDOUT : -EIO;
}

/* POSTs the request; returns the HTTP status (≥ 100) or -errno with a message in *ret_error. */
static int https_post(const Job *job, const Url *u, const char *head, const uint8_t *body, size_t body_len,
                      char **ret_error) {
        _cleanup_(gnutls_deinitp) gnutls_session_t s = NULL;
        _cleanup_close_ int fd = -EBADF;
        int64_t deadline = now_ms() + PUSH_REQUEST_TIMEOUT_MS;
        char resp[PUSH_RESPONSE_HEAD_MAX + 1];
        size_t have = 0;
        struct in6_addr a6;
        int g, status;

        fd = tcp_connect(u, deadline, ret_error);
        if (fd < 0)
                return fd;
        if (gnutls_init(&s, GNUTLS_CLIENT) < 0)
                return -ENOMEM;
        if (gnutls_set_default_priority(s) < 0 || gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, job->cred) < 0)
                return tls_error(GNUTLS_E_INTERNAL_ERROR, "TLS setup", ret_error);
        /* No SNI for an address literal (RFC 6066 §3); the certificate is checked against it all the same. */
        if (inet_pton(AF_INET, u->host, &a6) != 1 && inet_pton(AF_INET6, u->host, &a6) != 1)
                (void) gnutls_server_name_set(s, GNUTLS_NAME_DNS, u->host, strlen(u->host));
        gnutls_session_set_verify_cert(s, u->host, 0);
        gnutls_transport_set_int(s, fd);

        if (!set_timeouts(fd, s, deadline))
                return tls_error(GNUTLS_E_TIMEDOUT, "TLS handshake", ret_error);
        gnutls_handshake_set_timeout(s, (unsigned) MAX(deadline - now_ms(), 1));
        do
                g = gnutls_handshake(s);
        while (g < 0 && !gnutls_error_is_fatal(g) && set_timeouts(fd, s, deadline));
        if (g < 0) {
                if (g == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
                        gnutls_datum_t out = {};
                        unsigned st = gnutls_session_get_verify_cert_status(s);
                        if (gnutls_certificate_verification_status_print(st, GNUTLS_CRT_X509, &out, 0) >= 0) {
                                if (asprintf(ret_error, "TLS certificate of %s not trusted: %s", u->host,
                                             (char *) out.data) < 0)
                                        *ret_error = NULL;
                                gnutls_free(out.data);
                                return -EPERM;
                        }
                }
                return tls_error(g, "TLS handshake", ret_error);
        }

        for (int part = 0; part < 2; part++) {
                const uint8_t *p = part == 0 ? (const uint8_t *) head : body;
                size_t n = part == 0 ? strlen(head) : body_len;
                while (n > 0) {
                        if (!set_timeouts(fd, s, deadline))
                                return tls_error(GNUTLS_E_TIMEDOUT, "sending the request", ret_error);
                        ssize_t k = gnutls_record_send(s, p, n);
                        if (k == GNUTLS_E_INTERRUPTED || k == GNUTLS_E_AGAIN)
                                continue; /* until the deadline, which set_timeouts() enforces */
                        if (k < 0)
                                return tls_error((int) k, "sending the request", ret_error);
                        p += k, n -= (size_t) k;
                }
        }

        /* The status line and the headers; the body, if any, is of no interest. */
        while (have < PUSH_RESPONSE_HEAD_MAX) {
                if (!set_timeouts(fd, s, deadline)) {
                        if (memchr(resp, '\n', have))
                                break;
                        return tls_error(GNUTLS_E_TIMEDOUT, "waiting for the response", ret_error);
                }
                ssize_t k = gnutls_record_recv(s, resp + have, PUSH_RESPONSE_HEAD_MAX - have);
                /* GNUTLS_E_AGAIN also comes after a TLS 1.3 post-handshake message (a session ticket). */
                if (k == GNUTLS_E_INTERRUPTED || k == GNUTLS_E_AGAIN || k == GNUTLS_E_REHANDSHAKE)
                        continue;
                if (k == 0 || k == GNUTLS_E_PREMATURE_TERMINATION)
                        break;
                if (k < 0) {
                        if (memchr(resp, '\n', have))
                                break;
                        return tls_error((int) k, "waiting for the response", ret_error);
                }
                have += (size_t) k;
                resp[have] = 0;
                if (strstr(resp, "\r\n\r\n"))
                        break;
        }
        resp[have] = 0;
        if (sscanf(resp, "HTTP/1.%*1[01] %3d", &status) != 1 || status < 100 || status > 599) {
                if (asprintf(ret_error, "no HTTP status line in the response") < 0)
                        *ret_error = NULL;
                return -EBADMSG;
        }
        if (set_timeouts(fd, s, deadline))
                (void) gnutls_bye(s, GNUTLS_SHUT_WR);
        return status;
}

static int send_one(const Job *job, const char *endpoint, const char *p256dh, const char *auth, int *ret_status,
                    char **ret_error) {
        _cleanup_free_ uint8_t *body = NULL;
        _cleanup_free_ char *jwt = NULL, *head = NULL;
        uint8_t ua[PUSH_P256_POINT_SIZE], secret[PUSH_AUTH_SIZE];
        size_t body_len;
        Url u;
        int r;

#define FAIL(e, ...)                                             \
        do {                                                     \
                if (asprintf(ret_error, __VA_ARGS__) < 0)        \
                        *ret_error = NULL;                       \
                return (e);                                      \
        } while (0)

        if (strlen(endpoint) > PUSH_ENDPOINT_MAX)
                FAIL(-EINVAL, "endpoint longer than %u bytes", PUSH_ENDPOINT_MAX);
        r = url_parse(endpoint, &u);
        if (r == -EPROTONOSUPPORT)
                FAIL(r, "endpoint is not an https:// URL");
        if (r < 0)
                FAIL(r, "endpoint is not a valid URL");
        if (base64url_decode(p256dh, ua, sizeof ua) < 0 || push_p256_check_point(ua) < 0)
                FAIL(-EINVAL, "p256dh is not a base64url P-256 point (65 bytes, uncompressed)");
        if (base64url_decode(auth, secret, sizeof secret) < 0)
                FAIL(-EINVAL, "auth is not a base64url 16-byte secret");

        r = push_encrypt(ua, secret, NULL, NULL, job->payload, strlen(job->payload), &body, &body_len);
        explicit_bzero(secret, sizeof secret);
        if (r < 0)
                FAIL(r, "cannot encrypt the message: %s", strerror(-r));
        r = push_vapid_jwt(u.origin, (uint64_t) time(NULL) + PUSH_JWT_LIFETIME_SEC, job->subject, job->vapid_private,
                           &jwt);
        if (r < 0)
                FAIL(r, "cannot sign the VAPID token: %s", strerror(-r));
        if (asprintf(&head,
                     "POST %s%.*s HTTP/1.1\r\n"
                     "Host: %s\r\n"
                     "Authorization: vapid t=%s, k=%s\r\n"
                     "Content-Encoding: aes128gcm\r\n"
                     "Content-Type: application/octet-stream\r\n"
                     "TTL: %u\r\n"
                     "Urgency: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "Connection: close\r\n"
                     "\r\n",
                     u.path_slash ? "/" : "", u.path_len, u.path, u.host_header, jwt, job->vapid_public, job->ttl, job->urgency,
                     body_len) < 0) {
                head = NULL;
                return -ENOMEM;
        }
        r = https_post(job, &u, head, body, body_len, ret_error);
        if (r < 0)
                return r;
        *ret_status = r;
        if (r < 200 || r > 299)
                FAIL(-EIO, "push service answered HTTP %d", r);
        return 0;
#undef FAIL
}

static int write_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k, n -= (size_t) k;
        }
        return 0;
}

static const char *member_string(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static int report(const char *endpoint, int status, bool gone, const char *error) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        const char *s;

        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "endpoint", endpoint ? json_object_new_string(endpoint) : NULL);
        json_object_object_add(o, "status", status > 0 ? json_object_new_int(status) : NULL);
        json_object_object_add(o, "gone", json_object_new_boolean(gone));
        json_object_object_add(o, "error", error ? json_object_new_string(error) : NULL);
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return -ENOMEM;
        int r = write_all(STDOUT_FILENO, s, strlen(s));
        return r < 0 ? r : write_all(STDOUT_FILENO, "\n", 1);
}

static char *read_job(size_t *ret_len) {
        size_t n = 0, cap = 65536;
        char *buf = malloc(cap + 1);

        if (!buf)
                return fprintf(stderr, "oly-push: out of memory.\n"), NULL;
        for (;;) {
                if (n == cap) {
                        if (cap >= PUSH_JOB_MAX) {
                                fprintf(stderr, "oly-push: the job is larger than %u bytes.\n", PUSH_JOB_MAX);
                                return explicit_bzero(buf, n), free(buf), NULL;
                        }
                        char *b = realloc(buf, MIN(cap * 2, (size_t) PUSH_JOB_MAX) + 1);
                        if (!b) {
                                fprintf(stderr, "oly-push: out of memory.\n");
                                return explicit_bzero(buf, n), free(buf), NULL;
                        }
                        buf = b;
                        cap = MIN(cap * 2, (size_t) PUSH_JOB_MAX);
                }
                ssize_t k = read(STDIN_FILENO, buf + n, cap - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        fprintf(stderr, "oly-push: cannot read the job: %m\n");
                        return explicit_bzero(buf, n), free(buf), NULL;
                }
                if (k == 0) {
                        buf[n] = 0;
                        *ret_len = n;
                        return buf;
                }
                n += (size_t) k;
        }
        fprintf(stderr, "oly-push: out of memory.\n");
        return NULL;
}

static int job_parse(json_object *o, Job *job) {
        const char *priv;
        uint8_t pub[PUSH_P256_POINT_SIZE], derived[PUSH_P256_POINT_SIZE];
        json_object *v;

        job->subject = member_string(o, "subject");
        job->payload = member_string(o, "payload");
        job->vapid_public = member_string(o, "vapid_public_key");
        job->urgency = member_string(o, "urgency");
        priv = member_string(o, "vapid_private_key");
        if (!job->subject || strlen(job->subject) > PUSH_SUBJECT_MAX ||
            (!startswith(job->subject, "mailto:") && !startswith(job->subject, "https://")))
                return fprintf(stderr, "oly-push: \"subject\" must be a mailto: or https: URI.\n"), -EINVAL;
        if (!job->payload || strlen(job->payload) > PUSH_PAYLOAD_MAX)
                return fprintf(stderr, "oly-push: \"payload\" must be a string of at most %u bytes.\n",
                               (unsigned) PUSH_PAYLOAD_MAX), -EINVAL;
        if (!job->urgency)
                job->urgency = "normal";
        if (!streq(job->urgency, "very-low") && !streq(job->urgency, "low") && !streq(job->urgency, "normal") &&
            !streq(job->urgency, "high"))
                return fprintf(stderr, "oly-push: \"urgency\" must be very-low, low, normal or high.\n"), -EINVAL;
        job->ttl = 86400;
        if (json_object_object_get_ex(o, "ttl", &v)) {
                int64_t t = json_object_get_int64(v);
                if (!json_object_is_type(v, json_type_int) || t < 0 || t > PUSH_TTL_MAX)
                        return fprintf(stderr, "oly-push: \"ttl\" must be 0…%u seconds.\n", PUSH_TTL_MAX), -EINVAL;
                job->ttl = (unsigned) t;
        }
        if (!job->vapid_public || base64url_decode(job->vapid_public, pub, sizeof pub) < 0 ||
            push_p256_check_point(pub) < 0)
                return fprintf(stderr, "oly-push: \"vapid_public_key\" is not a base64url P-256 point.\n"), -EINVAL;
        if (!priv || base64url_decode(priv, job->vapid_private, sizeof job->vapid_private) < 0 ||
            push_p256_public(job->vapid_private, derived) < 0)
                return fprintf(stderr, "oly-push: \"vapid_private_key\" is not a base64url P-256 scalar.\n"), -EINVAL;
        if (memcmp(pub, derived, sizeof pub) != 0)
                return fprintf(stderr, "oly-push: the VAPID public key does not belong to the private key.\n"), -EINVAL;
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_erase_free_ char *text = NULL;
        json_tokener *tok;
        json_object *subs;
        const char *ca;
        size_t len = 0, n;
        Job job = {};
        int r, g;

        if (argc > 1) {
                fprintf(stderr, "Usage: %s < job.json\n(run by oly-daemon; see oly-daemon(8), WEB PUSH)\n",
                        argv[0]);
                return 2;
        }
        text = read_job(&len);
        if (!text)
                return 1;
        tok = json_tokener_new();
        if (!tok)
                return 1;
        o = json_tokener_parse_ex(tok, text, (int) len);
        g = json_tokener_get_error(tok);
        json_tokener_free(tok);
        if (g != json_tokener_success || !json_object_is_type(o, json_type_object)) {
                fprintf(stderr, "oly-push: the job is not a JSON object.\n");
                return 1;
        }
        /* The parsed copy holds the private key too; the text is no longer needed. */
        explicit_bzero(text, len);
        if (job_parse(o, &job) < 0)
                return 1;
        if (!json_object_object_get_ex(o, "subscriptions", &subs) || !json_object_is_type(subs, json_type_array) ||
            json_object_array_length(subs) > PUSH_SUBSCRIPTIONS_MAX) {
                fprintf(stderr, "oly-push: \"subscriptions\" must be an array of at most %u.\n",
                        PUSH_SUBSCRIPTIONS_MAX);
                return 1;
        }

        if (gnutls_certificate_allocate_credentials(&job.cred) < 0)
                return 1;
        g = gnutls_certificate_set_x509_system_trust(job.cred);
        ca = getenv("OLY_PUSH_CA_FILE");
        if (!isempty(ca)) {
                int k = gnutls_certificate_set_x509_trust_file(job.cred, ca, GNUTLS_X509_FMT_PEM);
                if (k <= 0) {
                        fprintf(stderr, "oly-push: no CA certificate in OLY_PUSH_CA_FILE=%s: %s\n", ca,
                                k < 0 ? gnutls_strerror(k) : "empty");
                        return 1;
                }
        } else if (g <= 0)
                fprintf(stderr, "oly-push: no system trust store (%s); every push will fail.\n",
                        g < 0 ? gnutls_strerror(g) : "empty");

        n = json_object_array_length(subs);
        r = 0;
        for (size_t i = 0; i < n && r >= 0; i++) {
                json_object *sub = json_object_array_get_idx(subs, i);
                const char *endpoint = member_string(sub, "endpoint"), *p256dh = member_string(sub, "p256dh"),
                           *auth = member_string(sub, "auth");
                _cleanup_free_ char *error = NULL;
                int status = 0, k;

                if (!endpoint || !p256dh || !auth)
                        k = -EINVAL, error = strdup("subscription without endpoint, p256dh or auth");
                else
                        k = send_one(&job, endpoint, p256dh, auth, &status, &error);
                if (k < 0 && !error)
                        error = strdup(strerror(-k));
                r = report(endpoint, status, status == 404 || status == 410, k < 0 ? strempty(error) : NULL);
        }
        explicit_bzero(job.vapid_private, sizeof job.vapid_private);
        gnutls_certificate_free_credentials(job.cred);
        if (r < 0) {
                fprintf(stderr, "oly-push: cannot write the results: %s\n", strerror(-r));
                return 1;
        }
        return 0;
}
