/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.openrelay.Oly1.Session: one object per session, under a fallback vtable with an enumerator. */

#include "session-dbus.h"
#include "bus-server.h"
#include "log.h"
#include "oly-def.h"

static int property_get_status(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Session *s = userdata;
        return sd_bus_message_append(reply, "s", session_status_to_string(s->rec.status));
}

static int property_get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Session *s = userdata;
        const char *v = streq(property, "Id")        ? s->rec.id
                        : streq(property, "Title")   ? strempty(s->rec.title)
                        : streq(property, "Command") ? s->rec.argv[0]
                                                     : s->rec.cwd;
        return sd_bus_message_append(reply, "s", v);
}

static int property_get_args(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Session *s = userdata;
        return sd_bus_message_append_strv(reply, s->rec.argv + 1);
}

static int property_get_input(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Session *s = userdata;
        return sd_bus_message_append(
                reply, "s", strempty(streq(property, "InputTrigger") ? s->input_trigger : s->input_line));
}

const sd_bus_vtable session_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Title", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Command", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Args", "as", property_get_args, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Cwd", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("CreatedAt", "t", NULL, offsetof(Session, rec.created_at),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("StartedAt", "t", NULL, offsetof(Session, rec.started_at),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("EndedAt", "t", NULL, offsetof(Session, rec.ended_at),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Pid", "u", NULL, offsetof(Session, rec.pid), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Status", "s", property_get_status, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ExitCode", "i", NULL, offsetof(Session, rec.exit_code),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("InputNeeded", "b", NULL, offsetof(Session, input_needed),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("InputTrigger", "s", property_get_input, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("InputLine", "s", property_get_input, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("NotificationsEnabled", "b", NULL, offsetof(Session, notifications_enabled),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

int session_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                        sd_bus_error *error) {
        Manager *m = userdata;
        const char *id = startswith(path, OLY_SESSION_PATH_PREFIX "/");
        Session *s;

        if (!id || !session_id_is_valid(id))
                return 0;
        if (manager_get_session(m, id, &s) < 0)
                return 0;
        *found = s;
        return 1;
}

int session_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                            sd_bus_error *error) {
        Manager *m = userdata;
        char **l = calloc(m->n_sessions + 1, sizeof(char *));
        size_t k = 0;

        if (!l)
                return -ENOMEM;
        /* Only sessions held in memory: the database may hold far too many to list here. */
        for (unsigned b = 0; b < MANAGER_SESSION_BUCKETS; b++)
                for (Session *s = m->buckets[b]; s && k < m->n_sessions; s = s->hash_next)
                        if (!(l[k++] = strdup(s->object_path))) {
                                for (size_t i = 0; i < k - 1; i++)
                                        free(l[i]);
                                free(l);
                                return -ENOMEM;
                        }
        *nodes = l;
        return 1;
}

int session_record_append_struct(sd_bus_message *m, const SessionRecord *r, bool input_needed) {
        int q;

        q = sd_bus_message_open_container(m, 'r', "sssasssuitttbb");
        if (q < 0)
                return q;
        q = sd_bus_message_append(m, "sss", r->id, strempty(r->title), r->argv[0]);
        if (q < 0)
                return q;
        q = sd_bus_message_append_strv(m, r->argv + 1);
        if (q < 0)
                return q;
        q = sd_bus_message_append(m, "ssuitttbb", r->cwd, session_status_to_string(r->status), r->pid,
                                  r->exit_code, r->created_at, r->started_at, r->ended_at,
                                  (int) input_needed, (int) r->notifications_enabled);
        if (q < 0)
                return q;
        return sd_bus_message_close_container(m);
}

int session_append_struct(sd_bus_message *m, Session *s) {
        return session_record_append_struct(m, &s->rec, s->input_needed);
}

typedef struct ChangedArgs {
        const char *path;
        char **names;
} ChangedArgs;

static int emit_changed(sd_bus *bus, void *userdata) {
        ChangedArgs *a = userdata;
        return sd_bus_emit_properties_changed_strv(bus, a->path, OLY_SESSION_IFACE, a->names);
}

void session_dbus_send_changed(Session *s, BusServer *b, unsigned properties) {
        static const struct {
                unsigned mask;
                const char *name;
        } table[] = {
                { SESSION_PROP_STATUS, "Status" },
                { SESSION_PROP_EXIT_CODE, "ExitCode" },
                { SESSION_PROP_ENDED_AT, "EndedAt" },
                { SESSION_PROP_INPUT_NEEDED, "InputNeeded" },
                { SESSION_PROP_INPUT_NEEDED, "InputTrigger" },
                { SESSION_PROP_INPUT_NEEDED, "InputLine" },
                { SESSION_PROP_NOTIFICATIONS, "NotificationsEnabled" },
        };
        const char *names[ELEMENTSOF(table) + 1];
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (properties & table[i].mask)
                        names[n++] = table[i].name;
        names[n] = NULL;
        if (n > 0)
                bus_server_emit(b, emit_changed,
                                &(ChangedArgs){ .path = s->object_path, .names = (char **) names });
}
