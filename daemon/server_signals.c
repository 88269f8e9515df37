/*
 * The main thread's loop: signals (graceful stop, SIGHUP reload of models
 * and rules, SIGUSR1 log reopening) and the end of the run; see server.h.
 * The per-core event loops are in server.c.
 */
#define _GNU_SOURCE /* strsignal */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "server_internal.h"

typedef struct cfd__hup_job {
    uv_work_t work;
    cfd_server *s;
    int rc;
    cfd_error err;
    cfd_buf result;
} cfd__hup_job;

static void cfd__hup_work(uv_work_t *req)
{
    cfd__hup_job *j = req->data;
    cfd_error_clear(&j->err);
    j->rc = cfd_engine_reload(j->s->engine, NULL, NULL, &j->result, &j->err);
}

static void cfd__start_reload(cfd_server *s);

static void cfd__hup_done(uv_work_t *req, int status)
{
    cfd__hup_job *j = req->data;
    cfd_server *s = j->s;
    /* without the rules' warnings: the engine logged each already */
    size_t shown = cfd_engine_reply_sans_warnings(j->result.data, j->result.len);
    const char *end = shown < j->result.len ? "}" : "";
    if (j->rc == 0 && status == 0)
        cfd_log(CFD_LOG_INFO, "SIGHUP: reload done: %.*s%s", (int)shown,
                j->result.data ? j->result.data : "", end);
    else
        cfd_log(CFD_LOG_ERROR, "SIGHUP: reload failed (a plugin that failed keeps its old "
                "model; the others may have swapped): %s; result: %.*s%s",
                j->err.msg[0] ? j->err.msg : cfd_strerror(j->rc), (int)shown,
                j->result.data ? j->result.data : "", end);
    cfd_buf_free(&j->result);
    free(j);
    s->reload_running = 0;
    if (!s->reload_again && !s->stopping)
        sd_notify(0, cfd_engine_ready(s->engine)
                         ? "READY=1\nSTATUS=serving; reload done"
                         : "READY=1\nSTATUS=reload done, but a plugin has no model: "
                           "classify answers 503 (/readyz)");
    if (s->reload_again && !s->stopping) {
        s->reload_again = 0;
        cfd__start_reload(s);
    } else if (s->stopping) {
        cfd__server_worker_done_cb(&s->worker_done); /* close the handles it left open */
    }
}

static void cfd__start_reload(cfd_server *s)
{
    if (s->reload_running) {
        s->reload_again = 1; /* one more after this one: it may have read old files */
        return;
    }
    cfd__hup_job *j = calloc(1, sizeof(*j));
    int rc = j == NULL ? UV_ENOMEM : 0;
    if (j != NULL) {
        j->s = s;
        j->work.data = j;
        rc = uv_queue_work(&s->main_loop, &j->work, cfd__hup_work, cfd__hup_done);
    }
    if (rc != 0) {
        /* Said, not dropped: "re-reading ..." was logged and nothing would follow. */
        cfd_log(CFD_LOG_ERROR, "SIGHUP: cannot start the reload (%s): nothing was re-read; "
                "send SIGHUP again", uv_strerror(rc));
        free(j);
        return;
    }
    s->reload_running = 1;
    /* MONOTONIC_USEC: systemd >= 253 pairs the reload with this message by
     * it (sd_notify(3)); older ones ignore it. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading models and decision rules",
               (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
}

static void cfd__force_all(cfd_server *s)
{
    for (unsigned i = 0; i < s->n_workers; i++) {
        atomic_store(&s->workers[i].force_req, 1);
        uv_async_send(&s->workers[i].wake);
    }
}

static void cfd__grace_cb(uv_timer_t *t)
{
    cfd_server *s = t->data;
    cfd_log(CFD_LOG_WARN, "shutdown grace period over: closing the remaining connections");
    cfd__force_all(s);
}

static void cfd__begin_stop(cfd_server *s, const char *why)
{
    if (s->stopping) {
        cfd_log(CFD_LOG_WARN, "%s again: closing every connection now", why);
        cfd__force_all(s);
        return;
    }
    s->stopping = 1;
    sd_notify(0, "STOPPING=1\nSTATUS=finishing in-flight requests");
    cfd_log(CFD_LOG_INFO, "%s: no new connections; finishing in-flight requests (grace %u ms)",
            why, s->cfg->shutdown_grace_ms);
    cfd_server_unlink_socket(s);
    atomic_store(&s->draining, 1);
    for (unsigned i = 0; i < s->n_workers; i++) {
        atomic_store(&s->workers[i].drain_req, 1);
        uv_async_send(&s->workers[i].wake);
    }
    uv_timer_start(&s->grace, cfd__grace_cb, s->cfg->shutdown_grace_ms, 0);
}

/* A renamed request log (logrotate) is let go of and a new one created. */
static void cfd__reopen_log(cfd_server *s, const char *why)
{
    cfd_error err;
    cfd_error_clear(&err);
    if (cfd_log_reopen_requests(s->cfg->request_log, &err) != 0)
        cfd_log(CFD_LOG_ERROR, "%s: %s", why, err.msg);
    else if (s->cfg->request_log != NULL && s->cfg->request_log[0] != '\0' &&
             strcmp(s->cfg->request_log, "-") != 0)
        cfd_log(CFD_LOG_INFO, "%s: request log %s reopened", why, s->cfg->request_log);
}

void cfd__server_signal_cb(uv_signal_t *h, int signum)
{
    cfd_server *s = h->data;
    if (signum == SIGUSR1) {
        cfd__reopen_log(s, "SIGUSR1");
        return;
    }
    if (signum == SIGHUP) {
        cfd__reopen_log(s, "SIGHUP");
        cfd_log(CFD_LOG_INFO, "SIGHUP: re-reading every plugin's model file and the decision rules");
        cfd__start_reload(s);
        return;
    }
    cfd__begin_stop(s, strsignal(signum));
}

void cfd__server_stop_cb(uv_async_t *a) { cfd__begin_stop(a->data, "stop requested"); }

void cfd_server_stop(cfd_server *s) { uv_async_send(&s->stop); }

void cfd__server_worker_done_cb(uv_async_t *a)
{
    cfd_server *s = a->data;
    if (atomic_load(&s->workers_left) != 0 || s->reload_running || s->handles_closed)
        return; /* closing the signal handles restores the default action (exit) */
    s->handles_closed = 1;
    uv_close((uv_handle_t *)&s->sig_term, NULL);
    uv_close((uv_handle_t *)&s->sig_int, NULL);
    uv_close((uv_handle_t *)&s->sig_hup, NULL);
    uv_close((uv_handle_t *)&s->sig_usr1, NULL);
    uv_close((uv_handle_t *)&s->grace, NULL);
    uv_close((uv_handle_t *)&s->worker_done, NULL);
    uv_close((uv_handle_t *)&s->stop, NULL);
}

/* The signals cfd_server_run handles (SIGTERM, SIGINT, SIGHUP, SIGUSR1). */
void cfd__server_handled_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGUSR1);
}

void cfd_server_hold_signals(void)
{
    sigset_t set;
    cfd__server_handled_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

