/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Benchmark helper: the daemon's side of `oly send`, without starting a process per send. On one
 * connection it alternates N Peer.Ping calls (the round trip alone) with N SendInput calls of one
 * text chunk (SendInput answers once the bytes are written to the session's terminal), and prints
 *
 *   "ping_median_s ping_p99_s send_median_s send_p99_s"
 *
 *   send-client ID N [BYTES]      BYTES: the chunk's size (default 1)
 *
 * The socket is $OLY_RUNTIME_DIR/bus. Built by bench/bench_send.py with:
 *   cc -O2 send-client.c $(pkg-config --cflags --libs libsystemd) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double q) {
        qsort(v, (size_t) n, sizeof *v, cmp);
        int k = (int) (q / 100.0 * n + 0.5) - 1;
        return v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

static void die(const char *what, sd_bus_error *e, int r) {
        fprintf(stderr, "send-client: %s failed: %s\n", what, e && e->message ? e->message : strerror(-r));
        exit(1);
}

int main(int argc, char *argv[]) {
        const char *rt = getenv("OLY_RUNTIME_DIR");
        sd_bus *bus = NULL;
        char addr[512];
        int r;

        if (argc < 3 || !rt) {
                fprintf(stderr, "usage: OLY_RUNTIME_DIR=... send-client ID N [BYTES]\n");
                return 2;
        }
        const char *id = argv[1];
        int n = atoi(argv[2]);
        size_t len = argc > 3 ? (size_t) atoi(argv[3]) : 1;
        char *chunk = malloc(len);
        if (n < 1 || !chunk)
                return 2;
        memset(chunk, 'x', len);
        double *ping = calloc((size_t) n, sizeof *ping), *send = calloc((size_t) n, sizeof *send);

        snprintf(addr, sizeof addr, "unix:path=%s/bus", rt);
        if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, addr) < 0 || sd_bus_negotiate_fds(bus, 1) < 0 ||
            sd_bus_start(bus) < 0)
                die("connecting", NULL, -ECONNREFUSED);

        for (int i = -20; i < n; i++) { /* 20 untimed rounds first */
                sd_bus_error e = SD_BUS_ERROR_NULL;
                sd_bus_message *m = NULL;
                double t = now();
                r = sd_bus_call_method(bus, NULL, "/org/openrelay/Oly1", "org.freedesktop.DBus.Peer", "Ping", &e,
                                       NULL, NULL);
                if (r < 0)
                        die("Ping", &e, r);
                if (i >= 0)
                        ping[i] = now() - t;

                t = now();
                r = sd_bus_message_new_method_call(bus, &m, NULL, "/org/openrelay/Oly1", "org.openrelay.Oly1.Manager",
                                                   "SendInput");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", id);
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "(say)");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'r', "say");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "text");
                if (r >= 0)
                        r = sd_bus_message_append_array(m, 'y', chunk, len);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_call(bus, m, 0, &e, NULL);
                if (r < 0)
                        die("SendInput", &e, r);
                if (i >= 0)
                        send[i] = now() - t;
                sd_bus_message_unref(m);
        }
        double p50 = pct(ping, n, 50), p99 = pct(ping, n, 99), s50 = pct(send, n, 50), s99 = pct(send, n, 99);
        printf("%.9f %.9f %.9f %.9f\n", p50, p99, s50, s99);
        sd_bus_flush_close_unref(bus);
        return 0;
}
