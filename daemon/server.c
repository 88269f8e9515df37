/*
 * The per-core event loops (accepting, handing connections to the least
 * loaded loop, timeouts, draining) and cfd_server_run, which starts them and
 * the main thread's loop; see server.h for the architecture. The main
 * thread's signal handling is in server_signals.c, the sockets are made in
 * listen.c.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "conn.h"
#include "errno_text.h"
#include "log.h"
#include "server.h"
#include "server_internal.h"

#define CFD__ACCEPT_BATCH 32
#define CFD__ADMIN_HEADROOM 16u /* connections over max_connections for admins */

/* ---- accepting -------------------------------------------------------- */

static void cfd__refuse(cfd_worker *w, int fd)
{
    static const char body[] =
        "{\"error\":{\"code\":\"too_many_connections\",\"message\":\"the daemon has "
        "max_connections open; retry later or reuse connections\"}}\n";
    char reply[512];
    int n = snprintf(reply, sizeof(reply),
                     "HTTP/1.1 503 Service Unavailable\r\nServer: classifyd\r\nDate: %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\nRetry-After: 1\r\n\r\n%s",
                     w->date, sizeof(body) - 1, body);
    /* Best effort on a fresh socket: its buffer takes this at once. */
    if (write(fd, reply, (size_t)n) < 0)
        cfd_log(CFD_LOG_DEBUG, "refusing a connection: %s", cfd_errno_str(errno));
    close(fd);
    cfd_metrics_add(&w->metrics.connections_refused, 1);
}

static cfd_worker *cfd__least_loaded(cfd_server *s, cfd_worker *self)
{
    cfd_worker *best = self;
    unsigned best_load = atomic_load(&self->load);
    for (unsigned i = 0; i < s->n_workers; i++) {
        unsigned l = atomic_load(&s->workers[i].load);
        if (l < best_load) {
            best = &s->workers[i];
            best_load = l;
        }
    }
    return best;
}

/*
 * Whether a new connection is over the limit, given the connections open
 * before it. TCP clients are unauthenticated: they may take at most three
 * quarters of max_connections (rounded up, but never the last slot when
 * there are two or more), so that they cannot lock the Unix socket's
 * clients out. A Unix peer running as the daemon's user or root (the only
 * ones admin calls accept) may go CFD__ADMIN_HEADROOM over the limit:
 * however many connections others hold, a reload or rollback still gets
 * through, and the descriptors in use stay bounded.
 */
static int cfd__over_limit(cfd_server *s, int fd, int is_unix, unsigned open_before)
{
    unsigned max = s->cfg->max_connections;
    if (!is_unix) {
        /* A quarter is kept for Unix clients, and at least one slot once
         * there are two: max - max / 4 alone gives TCP every slot of a
         * max_connections of 1, 2 or 3. */
        unsigned keep = max / 4 != 0 ? max / 4 : (max >= 2 ? 1 : 0);
        return open_before >= max - keep;
    }
    if (open_before < max)
        return 0;
    if (open_before >= max + CFD__ADMIN_HEADROOM)
        return 1;
    struct ucred cred;
    socklen_t cl = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0 &&
        (cred.uid == 0 || cred.uid == geteuid()))
        return 0;
    return 1;
}

/* Queues fd for loop t; returns 0, or -1 if t no longer takes connections. */
static int cfd__handoff(cfd_worker *t, int fd, int is_unix)
{
    int rc = -1;
    uv_mutex_lock(&t->inbox_lock);
    if (t->inbox_closed)
        goto out;
    if (t->inbox_len == t->inbox_cap) {
        size_t cap = t->inbox_cap ? t->inbox_cap * 2 : 64;
        int *n = realloc(t->inbox, cap * sizeof(*n));
        if (n == NULL)
            goto out;
        t->inbox = n;
        t->inbox_cap = cap;
    }
    t->inbox[t->inbox_len++] = fd * 2 + (is_unix ? 1 : 0);
    /* Under the lock: t cannot close its wake handle in between. */
    uv_async_send(&t->wake);
    rc = 0;
out:
    uv_mutex_unlock(&t->inbox_lock);
    return rc;
}

/* Accepts up to one batch from l; returns 1 when the batch was full (more
 * clients may be waiting), 0 when the backlog is empty or accept failed. */
static int cfd__accept_batch(cfd_worker *w, cfd_listen *l)
{
    cfd_server *s = w->srv;
    for (int i = 0; i < CFD__ACCEPT_BATCH; i++) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                /* Out of descriptors: pause this listener until the next sweep. */
                cfd_log(CFD_LOG_WARN, "accept: %s; raise the open files limit or lower "
                                      "max_connections", cfd_errno_str(errno));
                uv_poll_stop(&l->poll);
                l->active = 0;
            }
            return 0;
        }
        if (cfd__over_limit(s, fd, l->is_unix, atomic_fetch_add(&s->open_total, 1))) {
            atomic_fetch_sub(&s->open_total, 1);
            cfd__refuse(w, fd);
            continue;
        }
        /* While draining, every loop keeps what it accepts (the others may
         * be closing). */
        cfd_worker *t = atomic_load(&s->draining) ? w : cfd__least_loaded(s, w);
        atomic_fetch_add(&t->load, 1);
        if (t != w && cfd__handoff(t, fd, l->is_unix) != 0) {
            atomic_fetch_sub(&t->load, 1);
            atomic_fetch_add(&w->load, 1);
            t = w;
        }
        if (t == w)
            cfd_conn_open(w, fd, l->is_unix);
    }
    return 1;
}

static void cfd__accept_cb(uv_poll_t *p, int status, int events)
{
    (void)events;
    if (status < 0)
        return;
    (void)cfd__accept_batch(p->loop->data, p->data);
}

/* ---- per-loop housekeeping -------------------------------------------- */

static void cfd__stop_listening(cfd_worker *w)
{
    for (int i = 0; i < 2; i++) {
        cfd_listen *l = &w->listen[i];
        if (l->fd < 0)
            continue;
        /* Clients in the backlog have connected: take them (or refuse them
         * with a 503) until it is empty, before closing. The socket file is
         * gone already, so no new Unix client can join; a TCP listener has
         * no file to remove, so stop it listening: new TCP clients are then
         * refused at once instead of waiting in the backlog, unanswered,
         * until the process exits. shutdown() acts on the socket all loops'
         * dups share: the other loops' accept4() fails from then on. */
        for (int k = 0; k < 1000 && cfd__accept_batch(w, l); k++)
            ;
        if (!l->is_unix)
            (void)shutdown(l->fd, SHUT_RD);
        uv_close((uv_handle_t *)&l->poll, NULL);
        close(l->fd);
        l->fd = -1;
        l->active = 0;
    }
}

static void cfd__take_inbox(cfd_worker *w)
{
    uv_mutex_lock(&w->inbox_lock);
    int *fds = w->inbox;
    size_t n = w->inbox_len;
    w->inbox = NULL;
    w->inbox_len = w->inbox_cap = 0;
    uv_mutex_unlock(&w->inbox_lock);
    for (size_t i = 0; i < n; i++)
        cfd_conn_open(w, fds[i] / 2, fds[i] & 1);
    free(fds);
}

static void cfd__sweep_cb(uv_timer_t *t);

static void cfd__set_sweep(cfd_worker *w)
{
    const cfd_config *cfg = w->srv->cfg;
    uint64_t every = cfg->read_timeout_ms < cfg->idle_timeout_ms ? cfg->read_timeout_ms
                                                                 : cfg->idle_timeout_ms;
    every /= 4;
    if (every > 1000)
        every = 1000;
    if (every < 50)
        every = 50;
    if (w->draining)
        every = 25;
    uv_timer_start(&w->sweep, cfd__sweep_cb, every, every);
}

static void cfd__wake_cb(uv_async_t *a)
{
    cfd_worker *w = a->data;
    cfd__take_inbox(w);
    if (atomic_exchange(&w->drain_req, 0) && !w->draining) {
        w->draining = 1;
        cfd__stop_listening(w);
        cfd__set_sweep(w);
    }
    if (atomic_exchange(&w->force_req, 0))
        cfd_conn_close_all(w);
    cfd_conn_resume_all(w);
}

static void cfd__sweep_cb(uv_timer_t *t)
{
    cfd_worker *w = t->data;
    uint64_t now = uv_now(&w->loop);
    cfd_http_date(w->date, (int64_t)time(NULL));
    cfd_conn_sweep(w, now);
    for (int i = 0; i < 2; i++) { /* resume a listener paused by EMFILE */
        cfd_listen *l = &w->listen[i];
        if (l->fd >= 0 && !l->active && !w->draining) {
            uv_poll_start(&l->poll, UV_READABLE, cfd__accept_cb);
            l->active = 1;
        }
    }
    if (w->draining && w->conns == NULL) {
        /* Last handles: the loop ends once they are closed. */
        uv_mutex_lock(&w->inbox_lock);
        w->inbox_closed = 1;
        uv_mutex_unlock(&w->inbox_lock);
        cfd__take_inbox(w);
        if (w->conns != NULL)
            return; /* handed over just now: serve them first */
        w->can_yield = 0; /* no connection is left to yield */
        uv_close((uv_handle_t *)&w->sweep, NULL);
        uv_close((uv_handle_t *)&w->wake, NULL);
    }
}

/*
 * A worker loop runs until its last handle is closed (drain). With
 * busy-poll set, a loop that served a read (classified and replied) within
 * the last busy_poll_ns polls (epoll_wait with timeout 0) instead of
 * sleeping, so the next request of a client that sends one at a time finds
 * its thread running: waking a sleeping thread costs that request ~15 us on
 * this VM (README, "Benchmarks"). The price is a core kept busy for that
 * long after each read; off by default.
 */
static void cfd__worker_main(void *arg)
{
    cfd_worker *w = arg;
    int alive = 1;
    while (alive) {
        if (w->busy_poll_ns != 0 && uv_hrtime() - w->last_work_ns < w->busy_poll_ns)
            alive = uv_run(&w->loop, UV_RUN_NOWAIT);
        else
            alive = uv_run(&w->loop, UV_RUN_ONCE);
    }
    /* Handed-over fds that arrived after the wake handle closed. */
    uv_mutex_lock(&w->inbox_lock);
    for (size_t i = 0; i < w->inbox_len; i++)
        close(w->inbox[i] / 2);
    free(w->inbox);
    w->inbox = NULL;
    w->inbox_len = 0;
    uv_mutex_unlock(&w->inbox_lock);
    cfd_engine_worker_free(w->ew);
    w->ew = NULL;
    cfd_article_decoder_free(&w->dec);
    cfd_buf_free(&w->scratch);
    atomic_fetch_sub(&w->srv->workers_left, 1);
    uv_async_send(&w->srv->worker_done);
}

static int cfd__worker_init(cfd_server *s, cfd_worker *w, unsigned index, cfd_error *err)
{
    int rc;
    w->srv = s;
    w->busy_poll_ns = (uint64_t)s->cfg->busy_poll_us * 1000;
    w->index = index;
    w->listen[0].fd = w->listen[1].fd = -1;
    if ((rc = uv_loop_init(&w->loop)) != 0)
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "uv_loop_init: %s", uv_strerror(rc));
    w->loop.data = w;
    uv_mutex_init(&w->inbox_lock);
    cfd_metrics_init(&w->metrics);
    cfd_body_budget_init(&w->body_budget, cfd_body_budget_share(s->cfg->max_body_memory,
                                                                s->n_workers, s->cfg->max_body));
    w->body_budget.free_below = CFD_BODY_UNCOUNTED; /* the connection's own buffer */
    cfd_article_decoder_init(&w->dec);
    cfd_http_date(w->date, (int64_t)time(NULL));
    uv_timer_init(&w->loop, &w->sweep);
    w->sweep.data = w;
    uv_async_init(&w->loop, &w->wake, cfd__wake_cb);
    w->wake.data = w;
    w->can_yield = 1;
    int fds[2] = {s->unix_fd, s->tcp_fd};
    for (int i = 0; i < 2; i++) {
        if (fds[i] < 0)
            continue;
        cfd_listen *l = &w->listen[i];
        l->fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        if (l->fd < 0)
            return cfd_error_set(err, CFD_EIO, (size_t)-1, "dup: %s", cfd_errno_str(errno));
        l->is_unix = i == 0;
        uv_poll_init_socket(&w->loop, &l->poll, l->fd);
        l->poll.data = l;
        uv_poll_start(&l->poll, UV_READABLE, cfd__accept_cb);
        l->active = 1;
    }
    cfd__set_sweep(w);
    rc = cfd_engine_worker_new(s->engine, &w->ew);
    if (rc != 0)
        return cfd_error_set(err, rc, (size_t)-1, "cannot create an engine worker: %s",
                             cfd_strerror(rc));
    return 0;
}

int cfd_server_run(cfd_server *s, cfd_engine *e, cfd_error *err)
{
    int rc;
    unsigned n = s->cfg->workers ? s->cfg->workers : uv_available_parallelism();
    s->engine = e;
    if ((rc = uv_loop_init(&s->main_loop)) != 0)
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "uv_loop_init: %s", uv_strerror(rc));
    s->workers = calloc(n, sizeof(*s->workers));
    if (s->workers == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    s->n_workers = n;
    for (unsigned i = 0; i < n; i++)
        if ((rc = cfd__worker_init(s, &s->workers[i], i, err)) != 0)
            return rc; /* start-up failure: the process exits */
    uv_signal_init(&s->main_loop, &s->sig_term);
    uv_signal_init(&s->main_loop, &s->sig_int);
    uv_signal_init(&s->main_loop, &s->sig_hup);
    uv_signal_init(&s->main_loop, &s->sig_usr1);
    s->sig_term.data = s->sig_int.data = s->sig_hup.data = s->sig_usr1.data = s;
    uv_signal_start(&s->sig_term, cfd__server_signal_cb, SIGTERM);
    uv_signal_start(&s->sig_int, cfd__server_signal_cb, SIGINT);
    uv_signal_start(&s->sig_hup, cfd__server_signal_cb, SIGHUP);
    uv_signal_start(&s->sig_usr1, cfd__server_signal_cb, SIGUSR1);
    uv_timer_init(&s->main_loop, &s->grace);
    s->grace.data = s;
    uv_async_init(&s->main_loop, &s->worker_done, cfd__server_worker_done_cb);
    s->worker_done.data = s;
    uv_async_init(&s->main_loop, &s->stop, cfd__server_stop_cb);
    s->stop.data = s;
    atomic_store(&s->workers_left, n);
    for (unsigned i = 0; i < n; i++) {
        if ((rc = uv_thread_create(&s->workers[i].thread, cfd__worker_main, &s->workers[i])) != 0)
            return cfd_error_set(err, CFD_EIO, (size_t)-1, "cannot start a worker thread: %s",
                                 uv_strerror(rc));
    }
    if (s->cfg->max_body_memory / n < s->cfg->max_body)
        cfd_log(CFD_LOG_WARN, "max_body_memory (%zu bytes) over %u worker loops is less than "
                "max_body (%zu bytes) per loop: each loop may hold one body of max_body, so "
                "request bodies may take up to %zu bytes (raise max_body_memory, or lower "
                "workers or max_body)", s->cfg->max_body_memory, n, s->cfg->max_body,
                (size_t)n * s->cfg->max_body);
    if (s->cfg->tcp_host != NULL) {
        int v6 = strchr(s->cfg->tcp_host, ':') != NULL; /* [::1]:8080, as --tcp takes it */
        cfd_log(CFD_LOG_INFO, "listening on %s and tcp %s%s%s:%u with %u worker loop%s",
                s->cfg->socket_path, v6 ? "[" : "", s->cfg->tcp_host, v6 ? "]" : "",
                s->tcp_port, n, n == 1 ? "" : "s");
    } else
        cfd_log(CFD_LOG_INFO, "listening on %s with %u worker loop%s", s->cfg->socket_path, n,
                n == 1 ? "" : "s");
    /* Under systemd (Type=notify, etc/classifyd.service.in): the models
     * are loaded and the loops accept, so dependent units may start; a
     * no-op without $NOTIFY_SOCKET. */
    sd_notifyf(0, "READY=1\nSTATUS=serving on %s with %u worker loop%s%s", s->cfg->socket_path,
               n, n == 1 ? "" : "s",
               cfd_engine_ready(e) ? ""
                                   : "; a plugin has no model: classify answers 503 (/readyz)");
    /* The handlers are in place (and the loops' threads keep the signals
     * blocked, if the caller held them): a signal that came during
     * start-up is delivered now, to this thread. */
    sigset_t set;
    cfd__server_handled_signals(&set);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    uv_run(&s->main_loop, UV_RUN_DEFAULT);
    for (unsigned i = 0; i < n; i++) {
        uv_thread_join(&s->workers[i].thread);
        uv_loop_close(&s->workers[i].loop);
        uv_mutex_destroy(&s->workers[i].inbox_lock);
    }
    uv_loop_close(&s->main_loop);
    free(s->workers);
    s->workers = NULL;
    s->n_workers = 0;
    return 0;
}

int cfd_server_render_metrics(cfd_server *s, cfd_buf *out)
{
    cfd_metrics *loops[256];
    const cfd_body_budget *budgets[256];
    size_t n = s->n_workers < 256 ? s->n_workers : 256;
    for (size_t i = 0; i < n; i++) {
        loops[i] = &s->workers[i].metrics;
        budgets[i] = &s->workers[i].body_budget;
    }
    int rc = cfd_metrics_render(loops, n, out);
    return rc != 0 ? rc : cfd_body_budget_render(budgets, n, out);
}
