/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.openrelay.Oly1.Federation: the API keys a primary admits secondaries with. AddApiKey is the only
 * reply that ever holds a key; ListApiKeys shows names and times, never keys or digests; VerifyApiKey
 * (for the link's acceptor in oly-http) answers one named error for every kind of wrong key. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "api-keys.h"
#include "federation-dbus.h"
#include "log.h"
#include "bus-error.h"
#include "manager.h"
#include "oly-def.h"
#include "time-util.h"

static int read_name(sd_bus_message *msg, const char **ret, sd_bus_error *error) {
        int r = sd_bus_message_read(msg, "s", ret);
        if (r < 0)
                return r;
        /* The name is not echoed: it may hold anything, and the CLI prints errors on one line. */
        if (!api_key_name_is_valid(*ret))
                return sd_bus_error_setf(error, OLY_ERROR_INVALID_ARGUMENT,
                                         "Invalid API key name: use 1 to %u characters of A-Z a-z 0-9 . _ -",
                                         OLY_NODE_NAME_MAX);
        return 0;
}

static int method_add_api_key(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        char key[OLY_API_KEY_STRLEN];
        const char *name;
        int r;

        r = read_name(msg, &name, error);
        if (r != 0)
                return r;
        r = api_keys_add(m->db, name, now_usec(CLOCK_REALTIME), key);
        if (r == -EEXIST)
                return sd_bus_error_setf(
                        error, OLY_ERROR_EXISTS,
                        "An API key named '%s' exists already; remove it first to replace it.", name);
        if (r == -ENOSPC)
                return sd_bus_error_setf(error, OLY_ERROR_LIMIT_REACHED,
                                         "%u API keys exist, the most oly keeps; remove one first.",
                                         OLY_API_KEYS_MAX);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to add API key '%s'", name);
        log_info("API key '%s' added.", name);
        r = sd_bus_reply_method_return(msg, "s", key);
        explicit_bzero(key, sizeof key);
        return r;
}

static int list_one(const char *name, usec_t created_at, usec_t last_used_at, void *userdata) {
        return sd_bus_message_append(userdata, "(stt)", name, created_at, last_used_at);
}

static int method_list_api_keys(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(stt)");
        if (r < 0)
                return r;
        r = db_api_key_list(m->db, list_one, reply);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to list API keys");
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_remove_api_key(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        int r;

        r = read_name(msg, &name, error);
        if (r != 0)
                return r;
        r = api_keys_remove(m->db, name);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, OLY_ERROR_NOT_FOUND, "No API key named '%s'.", name);
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to remove API key '%s'", name);
        /* No node can be connected yet (the link is not built, issue 10); once one can, a removed key
         * must drop the node it admitted here, at once. */
        log_info("API key '%s' removed.", name);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_verify_api_key(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *name = NULL;
        Manager *m = userdata;
        const char *key;
        int r;

        r = sd_bus_message_read(msg, "s", &key);
        if (r < 0)
                return r;
        r = api_keys_verify(m->db, key, now_usec(CLOCK_REALTIME), &name);
        if (r == -EACCES)
                return sd_bus_error_set(error, OLY_ERROR_UNAUTHORIZED, "Invalid API key.");
        if (r < 0)
                return bus_error_from_errno(error, r, "Failed to check an API key");
        return sd_bus_reply_method_return(msg, "s", name);
}

static int property_get_http_port(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        struct sockaddr_storage sa;
        socklen_t len = sizeof sa;
        uint32_t port = 0;

        /* The socket 'oly daemon start' bound for our oly-http child; none under a separate oly-http. */
        if (m->http_listen_fd >= 0 && getsockname(m->http_listen_fd, (struct sockaddr *) &sa, &len) >= 0) {
                if (sa.ss_family == AF_INET)
                        port = ntohs(((struct sockaddr_in *) &sa)->sin_port);
                else if (sa.ss_family == AF_INET6)
                        port = ntohs(((struct sockaddr_in6 *) &sa)->sin6_port);
        }
        return sd_bus_message_append(reply, "u", port);
}

const sd_bus_vtable federation_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("HttpPort", "u", property_get_http_port, 0, 0),
        SD_BUS_METHOD_WITH_ARGS("AddApiKey", SD_BUS_ARGS("s", name), SD_BUS_RESULT("s", key),
                                method_add_api_key, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListApiKeys", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(stt)", keys),
                                method_list_api_keys, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemoveApiKey", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT,
                                method_remove_api_key, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("VerifyApiKey", SD_BUS_ARGS("s", key), SD_BUS_RESULT("s", name),
                                method_verify_api_key, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};
