/*
 * Worker threads for classifyctl batch --jobs N (see batch_jobs.h): a shared
 * "next chunk to take" counter, one slot per chunk for its reply, one mutex
 * and two condition variables (a chunk finished; the main thread moved on).
 */
#include "batch_jobs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cfd__slot {
    int done;
    int rc;
    cfd_http_reply reply;
} cfd__slot;

typedef struct cfd__jobs {
    const cfd_ctl *ctl;
    size_t n_chunks;
    size_t window;          /* how far workers may run ahead of emitted */
    cfd_batch_build_fn build;
    void *ud;
    cfd__slot *slots;
    pthread_mutex_t mu;
    pthread_cond_t finished;  /* a slot became done */
    pthread_cond_t advanced;  /* emitted moved, or abort */
    size_t next_take;
    size_t emitted;
    int abort;
} cfd__jobs;

static void *cfd__worker(void *arg)
{
    cfd__jobs *j = arg;
    cfd_ctl ctl = *j->ctl;  /* own connection, same options */
    ctl.conn = NULL;
    cfd_buf body = CFD_BUF_INIT;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        while (!j->abort && j->next_take < j->n_chunks &&
               j->next_take >= j->emitted + j->window)
            pthread_cond_wait(&j->advanced, &j->mu);
        if (j->abort || j->next_take >= j->n_chunks) {
            pthread_mutex_unlock(&j->mu);
            break;
        }
        size_t k = j->next_take++;
        pthread_mutex_unlock(&j->mu);

        cfd__slot *s = &j->slots[k];
        cfd_buf_reset(&body);
        int rc;
        if (j->build(j->ud, k, &body) != 0 || body.oom) {
            fprintf(stderr, "classifyctl: out of memory\n");
            rc = CFD_CTL_EINPUT;
        } else if (body.len == 0) {
            rc = CFD_CTL_OK;   /* every line of this chunk was unusable locally */
        } else {
            char what[64];
            snprintf(what, sizeof what, "batch (request %zu of %zu)", k + 1, j->n_chunks);
            rc = cfd_ctl_call(&ctl, what, "POST", "/v1/classify", "application/x-ndjson",
                              body.data, body.len, NULL, NULL, &s->reply);
        }
        pthread_mutex_lock(&j->mu);
        s->rc = rc;
        s->done = 1;
        if (rc == CFD_CTL_ECONNECT || rc == CFD_CTL_EINPUT) {
            /* The daemon is gone (or we are out of memory): take no more
             * chunks, so the error is said once, not once per worker. */
            j->abort = 1;
            pthread_cond_broadcast(&j->advanced);
        }
        pthread_cond_broadcast(&j->finished);
        pthread_mutex_unlock(&j->mu);
    }
    cfd_buf_free(&body);
    cfd_http_close(ctl.conn);
    return NULL;
}

int cfd_batch_jobs_run(const cfd_ctl *ctl, int jobs, size_t n_chunks, cfd_batch_build_fn build,
                       cfd_batch_emit_fn emit, void *ud)
{
    cfd__jobs j = {.ctl = ctl, .n_chunks = n_chunks, .window = (size_t)jobs * 2,
                   .build = build, .ud = ud};
    j.slots = calloc(n_chunks ? n_chunks : 1, sizeof *j.slots);
    pthread_t *th = calloc((size_t)jobs, sizeof *th);
    if (!j.slots || !th) {
        free(j.slots);
        free(th);
        fprintf(stderr, "classifyctl: out of memory\n");
        return CFD_CTL_EINPUT;
    }
    pthread_mutex_init(&j.mu, NULL);
    pthread_cond_init(&j.finished, NULL);
    pthread_cond_init(&j.advanced, NULL);
    int started = 0, rc = 0;
    for (; started < jobs; started++) {
        if (pthread_create(&th[started], NULL, cfd__worker, &j) != 0)
            break;
    }
    if (started == 0) {
        fprintf(stderr, "classifyctl: cannot start worker threads\n");
        rc = CFD_CTL_EINPUT;
    }
    for (size_t k = 0; k < n_chunks && started > 0; k++) {
        pthread_mutex_lock(&j.mu);
        /* After an abort, chunks nobody took will never be done. */
        while (!j.slots[k].done && !(j.abort && k >= j.next_take))
            pthread_cond_wait(&j.finished, &j.mu);
        int done = j.slots[k].done;
        pthread_mutex_unlock(&j.mu);
        if (!done)
            break;  /* the chunk that made a worker abort was emitted before */
        int stop = emit(ud, k, j.slots[k].rc, &j.slots[k].reply);
        cfd_http_reply_free(&j.slots[k].reply);
        pthread_mutex_lock(&j.mu);
        j.emitted = k + 1;
        if (stop)
            j.abort = 1;
        pthread_cond_broadcast(&j.advanced);
        pthread_mutex_unlock(&j.mu);
        if (stop)
            break;
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    /* Replies finished after an abort were never emitted. */
    for (size_t k = 0; k < n_chunks; k++)
        cfd_http_reply_free(&j.slots[k].reply);
    pthread_cond_destroy(&j.advanced);
    pthread_cond_destroy(&j.finished);
    pthread_mutex_destroy(&j.mu);
    free(j.slots);
    free(th);
    return rc;
}
