/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The target step every session verb shares: the connection, the Manager object (this machine's, or a
 * connected node's with --node), and the session id or prefix as the user typed it. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "oly-def.h"

#define CLI_NODE_NAME_MAX 64

int cli_target_parse_node(CliTargetArgs *a, const char *verb, const char *name) {
        if (isempty(name) || strlen(name) > CLI_NODE_NAME_MAX)
                return usage_error(verb, "invalid node name '%s'.", name);
        a->node = name;
        return 0;
}

static int manager_path(const char *node, char **ret) {
        if (!node) {
                *ret = strdup(OLY_MANAGER_PATH);
                return *ret ? 0 : -ENOMEM;
        }
        return sd_bus_path_encode(OLY_NODE_PATH_PREFIX, node, ret);
}

int cli_target_open(CliTarget *t, const CliTargetArgs *a) {
        int r;

        *t = (CliTarget){ .node = a->node, .id = a->id };
        r = manager_path(a->node, &t->path);
        if (r < 0)
                return cli_error("invalid node name: %s", strerror(-r));
        if (cli_connect(&t->bus) < 0)
                return EXIT_ERROR;
        return 0;
}

void cli_target_done(CliTarget *t) {
        t->bus = sd_bus_flush_close_unref(t->bus);
        t->path = mfree(t->path);
}

int cli_target_new_call(CliTarget *t, const char *method, sd_bus_message **ret) {
        return sd_bus_message_new_method_call(t->bus, ret, NULL, t->path, OLY_MANAGER_IFACE, method);
}

int cli_callv(sd_bus *bus, const char *path, const char *iface, const char *method, uint64_t timeout_usec,
              sd_bus_error *error, sd_bus_message **reply, const char *types, va_list ap) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, NULL, path, iface, method);
        if (r < 0)
                return r;
        if (types) {
                r = sd_bus_message_appendv(m, types, ap);
                if (r < 0)
                        return r;
        }
        return sd_bus_call(bus, m, timeout_usec, error, reply);
}

int cli_target_call(CliTarget *t, const char *method, uint64_t timeout_usec, sd_bus_error *error,
                    sd_bus_message **reply, const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = cli_callv(t->bus, t->path, OLY_MANAGER_IFACE, method, timeout_usec, error, reply, types, ap);
        va_end(ap);
        return r;
}

int cli_target_resolve(CliTarget *t, char **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *full;
        int r;

        r = cli_target_call(t, "ResolveSession", 0, &error, &reply, "s", t->id);
        if (r < 0)
                return cli_bus_error(&error, r, t->node, "Failed to find the session");
        r = sd_bus_message_read(reply, "so", &full, NULL);
        if (r < 0)
                return cli_bad_reply(r);
        *ret = strdup(full);
        return *ret ? 0 : cli_error("out of memory");
}
