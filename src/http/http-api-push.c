/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Web push routes: the VAPID public key, and subscriptions added and removed (the daemon sends the pushes).
 */
#include "http-api-push.h"
#include "http-args.h"
#include "http-bus.h"
#include "http-def.h"
#include "http-response.h"
#include "oly-def.h"

static void on_vapid(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        const char *key;
        json_object *o;

        if (error)
                return http_respond_bus_error(req, error);
        if (sd_bus_message_read(reply, "v", "s", &key) < 0)
                return http_respond_error(req, 500, "bad reply from the daemon");
        o = json_object_new_object();
        if (!o)
                return http_respond(req, 500, NULL);
        json_object_object_add(o, "public_key", json_object_new_string(key));
        http_respond_json(req, 200, o);
}

void http_api_push_vapid(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        http_bus_call(req, OLY_MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", 0, on_vapid, "ss",
                      OLY_WEB_IFACE, "VapidPublicKey");
}

static void on_subscribed(HttpRequest *req, sd_bus_message *reply, const sd_bus_error *error) {
        json_object *o;

        if (error)
                return http_respond_bus_error(req, error);
        o = json_object_new_object();
        if (!o)
                return http_respond(req, 500, NULL);
        json_object_object_add(o, "endpoint", json_object_get(http_args_member(req, "endpoint")));
        http_respond_json(req, 201, o);
}

static bool push_key_ok(const char *s) {
        if (isempty(s))
                return false;
        for (; *s; s++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=", *s))
                        return false;
        return true;
}

void http_api_push_subscribe(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        const char *endpoint, *p256dh = NULL, *auth = NULL;
        json_object *keys, *v;

        if (!http_args_body(req, false) ||
            !http_args_string(req, "endpoint", HTTP_PUSH_FIELD_MAX, &endpoint))
                return;
        if (!endpoint || !startswith(endpoint, "https://") || strlen(endpoint) <= strlen("https://"))
                return http_respond_error(req, 400, "\"endpoint\" must be an https:// URL");
        keys = http_args_member(req, "keys");
        if (keys && json_object_is_type(keys, json_type_object)) {
                if (json_object_object_get_ex(keys, "p256dh", &v) &&
                    json_object_is_type(v, json_type_string))
                        p256dh = json_object_get_string(v);
                if (json_object_object_get_ex(keys, "auth", &v) && json_object_is_type(v, json_type_string))
                        auth = json_object_get_string(v);
        }
        if (!push_key_ok(p256dh) || !push_key_ok(auth) || strlen(p256dh) > HTTP_PUSH_FIELD_MAX ||
            strlen(auth) > HTTP_PUSH_FIELD_MAX)
                return http_respond_error(req, 400,
                                          "\"keys\" must hold base64url strings \"p256dh\" and \"auth\"");
        http_bus_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "AddPushSubscription", 0, on_subscribed, "sss",
                      endpoint, p256dh, auth);
}

void http_api_push_unsubscribe(HttpRequest *req, sd_bus_message *m_, const sd_bus_error *e_) {
        const char *endpoint;

        if (!http_args_body(req, false) ||
            !http_args_string(req, "endpoint", HTTP_PUSH_FIELD_MAX, &endpoint))
                return;
        if (isempty(endpoint))
                return http_respond_error(req, 400, "\"endpoint\" is required");
        http_bus_call(req, OLY_MANAGER_PATH, OLY_WEB_IFACE, "RemovePushSubscription", 0,
                      http_respond_reply_empty, "s", endpoint);
}
