/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A few worker threads for what must not run on the event loop (Argon2 verification, log rendering):
 * a bounded queue in, an eventfd back into sd-event with the finished jobs. */
#pragma once

#include <systemd/sd-event.h>

typedef struct HttpWorkers HttpWorkers;

/* work runs on a worker thread and may only touch what userdata owns; done runs on the loop after it. */
typedef void (*HttpWorkFunc)(void *userdata);
typedef void (*HttpWorkDone)(void *userdata);

int http_workers_new(sd_event *e, unsigned n_threads, unsigned queue_max, HttpWorkers **ret);
/* Joins the threads; jobs not yet finished are dropped without their done callback. */
HttpWorkers *http_workers_free(HttpWorkers *w);
/* -EBUSY when the queue is full. */
int http_workers_submit(HttpWorkers *w, HttpWorkFunc work, HttpWorkDone done, void *userdata);
