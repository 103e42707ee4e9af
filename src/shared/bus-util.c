/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-util.h"
#include "macro.h"
#include "paths.h"

/* sd-bus addresses escape everything but [A-Za-z0-9/_.-] as %xx. */
static char *address_escape(const char *path) {
        char *r = malloc(strlen(path) * 3 + 1), *p = r;
        if (!r)
                return NULL;
        for (const char *c = path; *c; c++) {
                unsigned char ch = (unsigned char) *c;
                if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    strchr("/_.-", ch))
                        *p++ = (char) ch;
                else
                        p += sprintf(p, "%%%02x", ch);
        }
        *p = 0;
        return r;
}

int oly_bus_open_daemon(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *path = NULL, *esc = NULL, *addr = NULL;
        int r;

        r = oly_bus_socket_path(&path);
        if (r < 0)
                return r;
        if (access(path, F_OK) < 0)
                return -errno;
        esc = address_escape(path);
        if (!esc || asprintf(&addr, "unix:path=%s", esc) < 0)
                return -ENOMEM;
        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, addr);
        if (r < 0)
                return r;
        r = sd_bus_negotiate_fds(bus, 1);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

int oly_bus_append_input_chunk(sd_bus_message *m, const char *kind, const void *data, size_t n) {
        int r = sd_bus_message_open_container(m, 'r', "say");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", kind);
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', data, n);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}
