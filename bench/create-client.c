/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Benchmark helper: calls CreateSession N times ("sleep 100000", the caller's environment, as
 * 'oly start --detach' would), to measure the daemon's side of session creation without the cost
 * of starting a process per session.
 *
 *   create-client N          one connection, N calls
 *   create-client -c N       a new connection (connect, Ping, call, close) per call
 *
 * Prints one line: "total_s per_call_median_s per_call_min_s per_call_p99_s". The socket is
 * $OLY_RUNTIME_DIR/bus.
 * Built by bench/bench_create.py with: cc -O2 create-client.c $(pkg-config --cflags --libs libsystemd) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

extern char **environ;

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static sd_bus *connect_bus(const char *addr) {
        sd_bus *bus = NULL;
        if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, addr) < 0 || sd_bus_negotiate_fds(bus, 1) < 0 ||
            sd_bus_start(bus) < 0) {
                fprintf(stderr, "create-client: cannot connect to %s\n", addr);
                exit(1);
        }
        if (sd_bus_call_method(bus, NULL, "/org/freedesktop/DBus", "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                               NULL) < 0) {
                fprintf(stderr, "create-client: no answer on %s\n", addr);
                exit(1);
        }
        return bus;
}

static void create(sd_bus *bus, const char *cwd) {
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char *argv[] = { "sleep", "100000", NULL };
        int r;

        r = sd_bus_message_new_method_call(bus, &m, NULL, "/org/openrelay/Oly1", "org.openrelay.Oly1.Manager",
                                           "CreateSession");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, argv);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", cwd);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, environ);
        if (r >= 0)
                r = sd_bus_message_append(m, "qqt", (uint16_t) 0, (uint16_t) 0, (uint64_t) 0);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0) {
                fprintf(stderr, "create-client: CreateSession failed: %s\n", error.message ?: strerror(-r));
                exit(1);
        }
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
}

int main(int argc, char *argv[]) {
        int reconnect = argc > 1 && strcmp(argv[1], "-c") == 0;
        int n = argc > 1 + reconnect ? atoi(argv[1 + reconnect]) : 100;
        const char *rt = getenv("OLY_RUNTIME_DIR");
        char addr[512], cwd[4096];
        double *t, t0, total;
        sd_bus *bus = NULL;

        if (!rt || n <= 0 || !getcwd(cwd, sizeof cwd)) {
                fprintf(stderr, "usage: OLY_RUNTIME_DIR=DIR create-client [-c] N\n");
                return 2;
        }
        snprintf(addr, sizeof addr, "unix:path=%s/bus", rt);
        t = calloc(n, sizeof *t);
        if (!reconnect)
                bus = connect_bus(addr);
        t0 = now();
        for (int i = 0; i < n; i++) {
                double a = now();
                if (reconnect)
                        bus = connect_bus(addr);
                create(bus, cwd);
                if (reconnect)
                        bus = sd_bus_flush_close_unref(bus);
                t[i] = now() - a;
        }
        total = now() - t0;
        sd_bus_flush_close_unref(bus);
        qsort(t, n, sizeof *t, cmp);
        int k99 = (int) (0.99 * n + 0.5) - 1; /* nearest rank */
        printf("%.6f %.6f %.6f %.6f\n", total, t[n / 2], t[0], t[k99 < 0 ? 0 : k99 >= n ? n - 1 : k99]);
        free(t);
        return 0;
}
