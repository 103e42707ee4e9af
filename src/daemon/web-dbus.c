/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.openrelay.Oly1.Web: what oly-http needs stored (it keeps no state of its own): the password hash,
 * login tokens as digests, per-client lockouts, push subscriptions. Argon2 never runs here: oly-http
 * verifies passwords on a worker thread against the hash it reads. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "argon2-phc.h"
#include "bus-server.h"
#include "log.h"
#include "manager.h"
#include "oly-def.h"
#include "time-util.h"
#include "web-dbus.h"

static int web_error(sd_bus_error *error, int r, const char *what) {
        log_warning_errno(r, "%s: %m", what);
        return sd_bus_error_setf(error, r == -ENOMEM ? SD_BUS_ERROR_NO_MEMORY : SD_BUS_ERROR_FAILED,
                                 "%s: %s", what, strerror(-r));
}

/* A SHA-256 digest in lowercase hex: anything else is not one of ours. */
static bool digest_valid(const char *d) {
        if (strlen(d) != 64)
                return false;
        for (const char *p = d; *p; p++)
                if (!strchr("0123456789abcdef", *p))
                        return false;
        return true;
}

/* What oly-http names a client: its address, or "local" for every peer on this host (any loopback address,
 * a UNIX socket), "unknown" when it has none. */
static bool client_valid(const char *c) {
        struct in6_addr a;

        return streq(c, "local") || streq(c, "unknown") || inet_pton(AF_INET, c, &a) == 1 ||
               inet_pton(AF_INET6, c, &a) == 1;
}

static int method_get_password_hash(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *hash = NULL;
        int r;

        r = db_web_get_password(m->db, &hash);
        if (r < 0)
                return web_error(error, r, "Failed to read the web password");
        return sd_bus_reply_method_return(msg, "s", hash ?: "");
}

static int emit_password_set(sd_bus *bus, void *userdata) {
        return sd_bus_emit_properties_changed(bus, OLY_MANAGER_PATH, OLY_WEB_IFACE, "PasswordSet", NULL);
}

static int method_set_password_hash(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *hash;
        size_t n;
        int r;

        r = sd_bus_message_read(msg, "s", &hash);
        if (r < 0)
                return r;
        /* oly-http verifies what is stored here: one it cannot use would make every login fail. */
        n = strlen(hash);
        r = n < OLY_WEB_PASSWORD_HASH_MAX ? argon2_phc_parse(hash, n, NULL) : -EINVAL;
        if (r == -ERANGE)
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                         "The Argon2id hash's parameters are out of bounds: m at most %u KiB "
                                         "(and 8 per lane), t at most %u, p at most %u, salt %u to %u bytes, "
                                         "hash %u to %u bytes.",
                                         ARGON2_PHC_M_MAX_KIB, ARGON2_PHC_T_MAX, ARGON2_PHC_P_MAX,
                                         ARGON2_PHC_SALT_MIN, ARGON2_PHC_SALT_MAX, ARGON2_PHC_HASH_MIN,
                                         ARGON2_PHC_HASH_MAX);
        if (r < 0)
                return sd_bus_error_set(error, OLY_ERROR_INVALID_ARGUMENT,
                                        "The password hash must be an Argon2id PHC string "
                                        "($argon2id$v=19$m=M,t=T,p=P$salt$hash, unpadded base64).");
        r = db_web_set_password(m->db, hash, now_usec(CLOCK_REALTIME));
        if (r < 0)
                return web_error(error, r, "Failed to store the web password");
        log_info("The web password was set; every earlier web login is revoked.");
        /* Every client hears it (oly-http drops the logins it validated). */
        bus_server_emit(m->bus_server, emit_password_set, NULL);
        return sd_bus_reply_method_return(msg, NULL);
}

static int read_digest(sd_bus_message *msg, const char **ret, sd_bus_error *error) {
        int r = sd_bus_message_read(msg, "s", ret);
        if (r < 0)
                return r;
        if (!digest_valid(*ret))
                return sd_bus_error_set(error, OLY_ERROR_INVALID_ARGUMENT,
                                        "A token digest is 64 lowercase hex characters (SHA-256).");
        return 0;
}

static int method_add_token(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *digest;
        int r;

        r = read_digest(msg, &digest, error);
        if (r != 0)
                return r;
        usec_t now = now_usec(CLOCK_REALTIME);
        usec_t expires = now + (usec_t) m->config.http_token_lifetime_sec * USEC_PER_SEC;
        r = db_web_token_add(m->db, digest, now, expires, OLY_WEB_TOKENS_MAX);
        if (r < 0)
                return web_error(error, r, "Failed to store the login");
        return sd_bus_reply_method_return(msg, "t", expires);
}

static int method_check_token(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *digest;
        usec_t expires;
        int r;

        r = read_digest(msg, &digest, error);
        if (r != 0)
                return r;
        r = db_web_token_check(m->db, digest, now_usec(CLOCK_REALTIME), &expires);
        if (r == -ENOENT)
                return sd_bus_error_set(error, OLY_ERROR_UNAUTHORIZED, "Unknown or expired token.");
        if (r < 0)
                return web_error(error, r, "Failed to check the login");
        return sd_bus_reply_method_return(msg, "t", expires);
}

static int method_revoke_token(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *digest;
        int r;

        r = read_digest(msg, &digest, error);
        if (r != 0)
                return r;
        r = db_web_token_revoke(m->db, digest);
        if (r < 0)
                return web_error(error, r, "Failed to revoke the login");
        return sd_bus_reply_method_return(msg, NULL);
}

static int read_client(sd_bus_message *msg, const char **ret, sd_bus_error *error) {
        int r = sd_bus_message_read(msg, "s", ret);
        if (r < 0)
                return r;
        if (!client_valid(*ret))
                return sd_bus_error_set(error, OLY_ERROR_INVALID_ARGUMENT, "Invalid client address.");
        return 0;
}

/* The lock in force for a client (or for all of them, DB_WEB_LOGIN_ALL), 0 when none. */
static int login_state(Manager *m, const char *client, unsigned max, usec_t now, unsigned *ret_failures,
                       usec_t *ret_first, usec_t *ret_locked_until) {
        unsigned failures;
        usec_t first, locked;
        int r;

        r = db_web_login_get(m->db, client, &failures, &first, &locked);
        if (r < 0)
                return r;
        if (locked <= now)
                locked = 0;
        /* Failures older than the window, or from before a lock that is over, no longer count. */
        if (locked == 0 &&
            (failures >= max || (first > 0 && now - first > (usec_t) OLY_WEB_LOCKOUT_SEC * USEC_PER_SEC))) {
                failures = 0;
                first = 0;
        }
        *ret_failures = failures;
        *ret_first = first;
        *ret_locked_until = locked;
        return 0;
}

/* Counts one failure against client (or all clients) unless it is locked already: max failures within the
 * window lock it for as long. */
static int login_count_failure(Manager *m, const char *client, unsigned max, usec_t now, unsigned *ret_failures,
                               usec_t *ret_locked_until) {
        unsigned failures;
        usec_t first, locked;
        int r;

        r = login_state(m, client, max, now, &failures, &first, &locked);
        if (r < 0)
                return r;
        if (locked == 0) {
                if (failures == 0)
                        first = now;
                failures++;
                if (failures >= max) {
                        locked = now + (usec_t) OLY_WEB_LOCKOUT_SEC * USEC_PER_SEC;
                        if (streq(client, DB_WEB_LOGIN_ALL))
                                log_warning("%u failed web logins from all clients within %u minutes: every "
                                            "web login is refused for %u minutes.",
                                            failures, OLY_WEB_LOCKOUT_SEC / 60, OLY_WEB_LOCKOUT_SEC / 60);
                        else
                                log_warning("%u failed web logins from %s: locked out for %u minutes.", failures,
                                            client, OLY_WEB_LOCKOUT_SEC / 60);
                }
                r = db_web_login_put(m->db, client, failures, first, locked, OLY_WEB_LOGIN_CLIENTS_MAX, now);
                if (r < 0)
                        return r;
        }
        *ret_failures = failures;
        *ret_locked_until = locked;
        return 0;
}

/* The later of the client's own lock and the one on all clients. */
static int login_lockout(Manager *m, const char *client, usec_t now, usec_t *ret) {
        unsigned failures;
        usec_t first, mine, all;
        int r;

        r = login_state(m, client, OLY_WEB_LOGIN_FAILURES_MAX, now, &failures, &first, &mine);
        if (r >= 0)
                r = login_state(m, DB_WEB_LOGIN_ALL, OLY_WEB_LOGIN_FAILURES_ALL_MAX, now, &failures, &first,
                                &all);
        if (r < 0)
                return r;
        *ret = MAX(mine, all);
        return 0;
}

static int method_get_login_lockout(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *client;
        usec_t locked;
        int r;

        r = read_client(msg, &client, error);
        if (r != 0)
                return r;
        r = login_lockout(m, client, now_usec(CLOCK_REALTIME), &locked);
        if (r < 0)
                return web_error(error, r, "Failed to read the login lockout");
        return sd_bus_reply_method_return(msg, "t", locked);
}

static int method_record_login_failure(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *client;
        unsigned failures, all_failures;
        usec_t locked, all_locked, now = now_usec(CLOCK_REALTIME);
        int r;

        r = read_client(msg, &client, error);
        if (r != 0)
                return r;
        r = login_count_failure(m, client, OLY_WEB_LOGIN_FAILURES_MAX, now, &failures, &locked);
        if (r >= 0)
                r = login_count_failure(m, DB_WEB_LOGIN_ALL, OLY_WEB_LOGIN_FAILURES_ALL_MAX, now, &all_failures,
                                        &all_locked);
        if (r < 0)
                return web_error(error, r, "Failed to record the failed login");
        return sd_bus_reply_method_return(msg, "ut", failures, MAX(locked, all_locked));
}

static int method_reset_login_failures(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *client;
        int r;

        /* Only the client's own count: one right password does not forgive the guesses of others. */
        r = read_client(msg, &client, error);
        if (r != 0)
                return r;
        r = db_web_login_reset(m->db, client);
        if (r < 0)
                return web_error(error, r, "Failed to reset the failed logins");
        return sd_bus_reply_method_return(msg, NULL);
}

static bool push_field_valid(const char *s) {
        size_t n = strlen(s);
        return n > 0 && n < OLY_PUSH_FIELD_MAX;
}

static int method_add_push_subscription(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *endpoint, *p256dh, *auth;
        int r;

        r = sd_bus_message_read(msg, "sss", &endpoint, &p256dh, &auth);
        if (r < 0)
                return r;
        if (!startswith(endpoint, "https://") || !push_field_valid(endpoint) || !push_field_valid(p256dh) ||
            !push_field_valid(auth))
                return sd_bus_error_setf(
                        error, OLY_ERROR_INVALID_ARGUMENT,
                        "A push subscription needs an https:// endpoint and its p256dh and auth "
                        "keys, each under %u bytes.",
                        OLY_PUSH_FIELD_MAX);
        r = db_push_add(m->db, endpoint, p256dh, auth, now_usec(CLOCK_REALTIME), OLY_PUSH_SUBSCRIPTIONS_MAX);
        if (r == -ENOSPC)
                return sd_bus_error_setf(error, OLY_ERROR_LIMIT_REACHED,
                                         "%u push subscriptions are already stored.",
                                         OLY_PUSH_SUBSCRIPTIONS_MAX);
        if (r < 0)
                return web_error(error, r, "Failed to store the push subscription");
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_remove_push_subscription(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *endpoint;
        int r;

        r = sd_bus_message_read(msg, "s", &endpoint);
        if (r < 0)
                return r;
        r = db_push_remove(m->db, endpoint);
        if (r == -ENOENT)
                return sd_bus_error_set(error, OLY_ERROR_NOT_FOUND, "No such push subscription.");
        if (r < 0)
                return web_error(error, r, "Failed to remove the push subscription");
        return sd_bus_reply_method_return(msg, NULL);
}

static int append_push(const char *endpoint, const char *p256dh, const char *auth, usec_t created_at,
                       void *userdata) {
        return sd_bus_message_append(userdata, "(ssst)", endpoint, p256dh, auth, created_at);
}

static int method_list_push_subscriptions(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssst)");
        if (r < 0)
                return r;
        r = db_push_list(m->db, append_push, reply);
        if (r < 0)
                return web_error(error, r, "Failed to list the push subscriptions");
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_nodes(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        /* Federation is not built yet: no secondary is ever connected. */
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "a(sst)", 0);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int property_get_password_set(sd_bus *bus, const char *path, const char *interface,
                                     const char *property, sd_bus_message *reply, void *userdata,
                                     sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *hash = NULL;
        int r = db_web_get_password(m->db, &hash);
        if (r < 0)
                return r;
        return sd_bus_message_append(reply, "b", r > 0);
}

static int property_get_token_lifetime(sd_bus *bus, const char *path, const char *interface,
                                       const char *property, sd_bus_message *reply, void *userdata,
                                       sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "t",
                                     (uint64_t) m->config.http_token_lifetime_sec * USEC_PER_SEC);
}

static int property_get_trust_forwarded(sd_bus *bus, const char *path, const char *interface,
                                        const char *property, sd_bus_message *reply, void *userdata,
                                        sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "b", m->config.http_trust_forwarded_for);
}

static int property_get_vapid(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", m->config.web_push_vapid_public_key ?: "");
}

const sd_bus_vtable web_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("PasswordSet", "b", property_get_password_set, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TokenLifetime", "t", property_get_token_lifetime, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("TrustForwardedFor", "b", property_get_trust_forwarded, 0,
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("VapidPublicKey", "s", property_get_vapid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("GetPasswordHash", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", phc),
                                method_get_password_hash, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetPasswordHash", SD_BUS_ARGS("s", phc), SD_BUS_NO_RESULT,
                                method_set_password_hash, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AddToken", SD_BUS_ARGS("s", digest), SD_BUS_RESULT("t", expires_at),
                                method_add_token, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CheckToken", SD_BUS_ARGS("s", digest), SD_BUS_RESULT("t", expires_at),
                                method_check_token, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RevokeToken", SD_BUS_ARGS("s", digest), SD_BUS_NO_RESULT,
                                method_revoke_token, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetLoginLockout", SD_BUS_ARGS("s", client),
                                SD_BUS_RESULT("t", locked_until), method_get_login_lockout,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RecordLoginFailure", SD_BUS_ARGS("s", client),
                                SD_BUS_RESULT("u", failures, "t", locked_until), method_record_login_failure,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ResetLoginFailures", SD_BUS_ARGS("s", client), SD_BUS_NO_RESULT,
                                method_reset_login_failures, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AddPushSubscription", SD_BUS_ARGS("s", endpoint, "s", p256dh, "s", auth),
                                SD_BUS_NO_RESULT, method_add_push_subscription, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemovePushSubscription", SD_BUS_ARGS("s", endpoint), SD_BUS_NO_RESULT,
                                method_remove_push_subscription, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListPushSubscriptions", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(ssst)", subscriptions), method_list_push_subscriptions,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListNodes", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sst)", nodes),
                                method_list_nodes, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};
