/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Worker threads (see http-worker.h). */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>

#include "http-worker.h"
#include "log.h"
#include "macro.h"

typedef struct HttpJob HttpJob;
struct HttpJob {
        HttpWorkFunc work;
        HttpWorkDone done;
        void *userdata;
        HttpJob *next;
};

struct HttpWorkers {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        HttpJob *queue, *queue_tail, *finished;
        unsigned n_queued, queue_max, n_threads;
        bool stop;
        pthread_t *threads;
        int efd;
        sd_event_source *source;
};

static void *worker_main(void *p) {
        HttpWorkers *w = p;

        for (;;) {
                HttpJob *j;

                pthread_mutex_lock(&w->lock);
                while (!w->stop && !w->queue)
                        pthread_cond_wait(&w->cond, &w->lock);
                if (w->stop) {
                        pthread_mutex_unlock(&w->lock);
                        return NULL;
                }
                j = w->queue;
                w->queue = j->next;
                if (!w->queue)
                        w->queue_tail = NULL;
                pthread_mutex_unlock(&w->lock);

                j->work(j->userdata);

                pthread_mutex_lock(&w->lock);
                j->next = w->finished;
                w->finished = j;
                pthread_mutex_unlock(&w->lock);
                (void) eventfd_write(w->efd, 1);
        }
}

static int on_finished(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        HttpWorkers *w = userdata;
        HttpJob *list, *rev = NULL;
        eventfd_t v;

        (void) eventfd_read(fd, &v);
        pthread_mutex_lock(&w->lock);
        list = w->finished;
        w->finished = NULL;
        pthread_mutex_unlock(&w->lock);
        /* The list is newest first: run them in the order they finished. */
        while (list) {
                HttpJob *n = list->next;
                list->next = rev;
                rev = list;
                list = n;
        }
        while (rev) {
                HttpJob *n = rev->next;
                pthread_mutex_lock(&w->lock);
                w->n_queued--;
                pthread_mutex_unlock(&w->lock);
                rev->done(rev->userdata);
                free(rev);
                rev = n;
        }
        return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(HttpWorkers *, http_workers_free);

int http_workers_new(sd_event *e, unsigned n_threads, unsigned queue_max, HttpWorkers **ret) {
        _cleanup_(http_workers_freep) HttpWorkers *w = NULL;
        sigset_t all, old;
        int r = 0;

        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->cond, NULL);
        w->queue_max = queue_max;
        w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->efd < 0)
                return -errno;
        r = sd_event_add_io(e, &w->source, w->efd, EPOLLIN, on_finished, w);
        if (r < 0)
                return r;
        w->threads = calloc(n_threads, sizeof *w->threads);
        if (!w->threads)
                return -ENOMEM;
        /* Workers take no signals: they stay with the loop's signalfd. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        for (unsigned i = 0; i < n_threads; i++) {
                r = -pthread_create(&w->threads[i], NULL, worker_main, w);
                if (r < 0)
                        break;
                w->n_threads++;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (w->n_threads == 0)
                return r < 0 ? r : -EINVAL;
        *ret = TAKE_PTR(w);
        return 0;
}

HttpWorkers *http_workers_free(HttpWorkers *w) {
        if (!w)
                return NULL;
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
        for (unsigned i = 0; i < w->n_threads; i++)
                pthread_join(w->threads[i], NULL);
        for (HttpJob *l = w->queue; l;) {
                HttpJob *n = l->next;
                free(l);
                l = n;
        }
        for (HttpJob *l = w->finished; l;) {
                HttpJob *n = l->next;
                free(l);
                l = n;
        }
        free(w->threads);
        sd_event_source_disable_unref(w->source);
        safe_close(w->efd);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        return mfree(w);
}

int http_workers_submit(HttpWorkers *w, HttpWorkFunc work, HttpWorkDone done, void *userdata) {
        HttpJob *j;

        pthread_mutex_lock(&w->lock);
        if (w->n_queued >= w->queue_max) {
                pthread_mutex_unlock(&w->lock);
                return -EBUSY;
        }
        j = calloc(1, sizeof *j);
        if (!j) {
                pthread_mutex_unlock(&w->lock);
                return -ENOMEM;
        }
        *j = (HttpJob){ .work = work, .done = done, .userdata = userdata };
        if (w->queue_tail)
                w->queue_tail->next = j;
        else
                w->queue = j;
        w->queue_tail = j;
        w->n_queued++;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        return 0;
}
