/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GET /api/nodes: the federation peers the daemon is connected to (none without federation). */
#include "http-api-nodes.h"
#include "http-bus.h"
#include "http-json.h"
#include "http-response.h"
#include "oly-def.h"

static void on_nodes(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        json_object *o = json_object_new_object(), *nodes = json_object_new_array();
        int r = 0;

        if (!o || !nodes) {
                json_object_put(o);
                json_object_put(nodes);
                return http_respond(req, 500, NULL);
        }
        json_object_object_add(o, "nodes", nodes);
        /* A daemon without federation has no nodes. */
        if (error && !sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                json_object_put(o);
                return http_respond_bus_error(req, error);
        }
        if (!error)
                r = sd_bus_message_enter_container(reply, 'a', "(sst)");
        while (!error && r >= 0) {
                const char *name, *address;
                uint64_t since;
                json_object *n;
                r = sd_bus_message_read(reply, "(sst)", &name, &address, &since);
                if (r <= 0)
                        break;
                n = json_object_new_object();
                json_object_object_add(n, "name", json_object_new_string(name));
                json_object_object_add(n, "address", json_object_new_string(address));
                json_object_object_add(n, "connected_since", http_json_time(since));
                json_object_array_add(nodes, n);
        }
        if (r < 0) {
                json_object_put(o);
                return http_respond_error(req, 500, "bad reply from the daemon");
        }
        http_respond_json(req, 200, o);
}

void http_api_nodes_list(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        http_bus_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "ListNodes", 0, on_nodes, NULL);
}
