/*
 * Listening sockets, event loops and the daemon's lifecycle.
 *
 * Architecture. The daemon runs N event loops (N = --workers, default one
 * per core), each on its own thread and each a complete worker: it accepts
 * connections, parses HTTP, and classifies inline with its own
 * cfd_engine_worker. Classification takes tens of microseconds, so running it
 * on the loop thread costs less than handing every request to a pool and
 * back; a loop is "blocked" only by the articles it is itself serving, and
 * the other loops keep going. An NDJSON batch (up to a second of articles
 * per MiB) yields its loop every CFD__ND_SLICE_NS (2 ms, handlers.c): what
 * is done is flushed and the batch goes on after the loop has served the
 * other connections' I/O (cfd_conn_yield, resumed by the wake callback or
 * by its own write callback). Models are shared read-only between loops.
 *
 * Accepting. The listening sockets are opened once; every loop watches its
 * own dup() of each listening fd (uv_poll_t) and calls accept4() itself.
 * The accepted fd is kept by the accepting loop when that loop has no more
 * open connections than the least loaded loop, and is otherwise handed to the
 * least loaded loop through its inbox (mutex + uv_async_t). Connections thus
 * spread evenly over the loops even when one loop wins every accept race.
 * Over --max-connections, a connection gets a short 503 and is closed.
 *
 * Body memory. Each loop has its own share of --max-body-memory
 * (body_budget.h: why per loop and not one shared counter), reserved by
 * the requests it receives; a request whose body does not fit is answered
 * 503 body_memory_exhausted and its connection closed.
 *
 * The main thread's loop handles only signals and reloads:
 *   SIGHUP         cfd_engine_reload(e, NULL, NULL) on the libuv thread pool
 *                  (never on an I/O loop), and the request log reopened.
 *   SIGUSR1        the request log reopened, nothing else (logrotate).
 *   SIGTERM/SIGINT remove the socket file at once (so no new client can
 *                  connect), let every loop accept what is already in the
 *                  listen backlog (those clients did connect) and then stop
 *                  accepting (a TCP listener is shut down, so that new TCP
 *                  clients are refused at once); replies from then on carry
 *                  "Connection: close"; every request already received is
 *                  answered; idle connections are closed; after
 *                  --shutdown-grace whatever is left is closed; then the
 *                  listening sockets are closed and cfd_server_run returns 0.
 * Admin requests (POST /v1/plugins/...) are run by the loop that received
 * them with uv_queue_work (the work itself on the thread pool), and the
 * reply is written from its after-work callback on that same loop.
 *
 * Service manager. Under systemd with Type=notify (NOTIFY_SOCKET set) the
 * main thread sends READY=1 once the loops serve, RELOADING=1 and READY=1
 * around a SIGHUP reload, STOPPING=1 when a stop begins (sd_notify; no-ops
 * otherwise).
 *
 * Socket file. At start, an existing file at the socket path is probed: if a
 * daemon answers a connect() there, start-up fails (CFD_EEXIST); a socket
 * nobody listens on is stale and is removed; anything that is not a socket is
 * left alone and start-up fails. The new socket gets --socket-mode (default
 * 0660) before it starts listening. At exit it is removed if it is still ours
 * (same inode).
 *
 * Threads: cfd_server_* are called from the main thread, except where a
 * function below says otherwise (the checks, cfd_server_stop,
 * cfd_server_render_metrics).
 */
#ifndef CFD_SERVER_H
#define CFD_SERVER_H

#include <stdatomic.h>
#include <sys/types.h>

#include <uv.h>

#include <classifyd/error.h>

#include "article.h"
#include "body_budget.h"
#include "config.h"
#include "engine.h"
#include "http.h"
#include "log.h"
#include "metrics.h"

#define CFD_READ_BUF (64u << 10)

struct cfd_conn;
struct cfd_server;

typedef struct cfd_listen {
    uv_poll_t poll;
    int fd;             /* this loop's dup() of the listening fd */
    int is_unix;
    int active;
} cfd_listen;

/* One event loop, its thread and everything it owns. */
typedef struct cfd_worker {
    struct cfd_server *srv;
    unsigned index;
    uv_loop_t loop;
    uv_thread_t thread;
    cfd_listen listen[2];
    uv_timer_t sweep;          /* timeouts, Date header, drain progress */
    uv_async_t wake;           /* inbox, drain and force-close requests */
    uv_mutex_t inbox_lock;
    int *inbox;                /* accepted fds handed over by other loops; */
    size_t inbox_len, inbox_cap; /* fd * 2 + is_unix */
    int inbox_closed;          /* wake is closing: hand nothing more (under inbox_lock) */
    atomic_int drain_req, force_req;
    int draining;
    cfd_engine_worker *ew;
    cfd_article_decoder dec;
    cfd_buf scratch;           /* the engine's reply for one article */
    cfd_metrics metrics;
    cfd_body_budget body_budget; /* this loop's share of max_body_memory */
    struct cfd_conn *conns;    /* every open connection (for sweeps) */
    struct cfd_conn *resume;   /* NDJSON batches that yielded the loop (cfd_conn_yield) */
    int can_yield;             /* wake is running: a batch may yield (not in tests that
                                * drive a connection on a bare loop) */
    atomic_uint load;          /* open connections, read by other loops */
    uint64_t busy_poll_ns;     /* cfg busy_poll_us in ns; 0 = sleep when idle */
    uint64_t last_work_ns;     /* uv_hrtime() after the last read was served (busy poll) */
    char date[30];             /* Date header value, refreshed every second */
    char read_buf[CFD_READ_BUF]; /* one read buffer for every connection */
} cfd_worker;

typedef struct cfd_server {
    const cfd_config *cfg;
    cfd_engine *engine;
    cfd_http_limits limits;
    cfd_worker *workers;
    unsigned n_workers;
    int unix_fd, tcp_fd;       /* listening sockets (-1 = none) */
    unsigned tcp_port;         /* the TCP port bound (the kernel's pick for port 0) */
    dev_t sock_dev;            /* identity of the socket file we made */
    ino_t sock_ino;
    atomic_uint open_total;    /* open connections over all loops */
    cfd_log_every admin_refusal_log; /* admin.c: refused admin calls, once a second */
    cfd_log_every body_refusal_log;  /* conn.c: requests refused for body memory */
    uv_loop_t main_loop;
    uv_signal_t sig_term, sig_int, sig_hup, sig_usr1;
    uv_timer_t grace;
    uv_async_t worker_done;
    uv_async_t stop;           /* cfd_server_stop */
    atomic_uint workers_left;
    int stopping;
    atomic_int draining;       /* set before any loop is told to drain */
    int sock_unlinked;
    int reload_running, reload_again;
    int handles_closed;
} cfd_server;

/* What cfd_server_listen would refuse about a Unix socket path, found
 * without creating anything (--check-config): too long for sun_path, an
 * existing file that is not a socket, or in a directory that cannot be used
 * or created. Any thread. */
int cfd_server_check_socket_path(const char *path, cfd_error *err);

/* What cfd_server_listen would refuse about --tcp HOST:PORT before binding:
 * a host that does not resolve. Any thread (may block on the resolver). */
int cfd_server_check_tcp(const char *host, unsigned port, cfd_error *err);

/* Probes and binds the socket(s) (listen.c). Main thread, before cfd_server_run. */
int cfd_server_listen(cfd_server *s, const cfd_config *cfg, cfd_error *err);

/*
 * Blocks SIGTERM, SIGINT, SIGHUP and SIGUSR1 in the calling thread until
 * cfd_server_run has its handlers in place and unblocks them: a signal sent
 * while the daemon starts (the socket exists, models are loading) waits and
 * is then handled (a reload, a stop) instead of killing the process with
 * its default action. Main thread, before cfd_server_listen and before any
 * other thread is created (threads inherit the mask).
 */
void cfd_server_hold_signals(void);

/* Starts the loops and blocks on the main loop until shut down. Returns 0
 * after a clean stop, or an error if the loops could not start. Unblocks
 * the signals cfd_server_hold_signals held, in the calling thread, once
 * their handlers are installed (the loops' threads keep them blocked). */
int cfd_server_run(cfd_server *s, cfd_engine *e, cfd_error *err);

/* Removes the socket file if it is still the one we created (listen.c);
 * called first thing on SIGTERM so that no new client can connect. */
void cfd_server_unlink_socket(cfd_server *s);

/* Closes listening sockets and removes the socket file (if still ours). */
void cfd_server_close(cfd_server *s);

/* Any thread, once cfd_server_run has started its loops (e.g. after a first
 * reply): shut down as on SIGTERM. */
void cfd_server_stop(cfd_server *s);

/* Every loop's metrics, for a scrape (any thread). */
int cfd_server_render_metrics(cfd_server *s, cfd_buf *out);

#endif
