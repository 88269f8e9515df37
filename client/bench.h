/*
 * classifyd-bench: a load generator for classifyd on libuv.
 *
 * One event loop, --concurrency connections to the daemon's Unix socket,
 * each keeping up to --pipeline requests in flight (pipelined HTTP/1.1:
 * several requests written back to back, replies read in order). Requests
 * are built once, before the clock starts, from a data file (each request
 * one article as JSON, or --ndjson N articles as one NDJSON request), so the
 * generator spends its time on sockets and parsing replies, not on JSON.
 *
 * Files:
 *   bench.c        options, request building, the run, the JSON report
 *   bench_conn.c   one connection: connect, write, parse replies, reconnect
 *   bench_stats.c  latency samples and percentiles
 *
 * Accounting (all in the JSON report):
 *   ok               2xx replies to good requests
 *   expected_errors  4xx replies to requests built to be bad (--bad)
 *   failed           every other reply (a good request not 2xx, a bad one
 *                    answered 2xx or 5xx), plus NDJSON lines with an error
 *                    in an otherwise good request
 *   truncated        connections closed in the middle of a reply
 *   unanswered       requests written but never answered on a connection
 *                    the daemon had served (it closed with requests in flight)
 *   unanswered_unserved  the same on a connection that never got any reply
 *                    (typically queued in the listen backlog of a daemon
 *                    that was stopping and never accepted it)
 *   connect_errors   failed connection attempts
 * After about a second of refused reconnects the daemon is taken to be gone
 * and the run ends early (the report is still printed).
 * The exit status is 0 only when failed, truncated, unanswered and
 * connect_errors are all 0.
 *
 * Threads: everything runs on the loop thread.
 */
#ifndef CFD_CLIENT_BENCH_H
#define CFD_CLIENT_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

/* One prebuilt request: the full HTTP bytes. */
typedef struct cfd_bench_req {
    char *data;
    size_t len;
    uint32_t articles;   /* articles it carries (NDJSON: lines) */
    int bad;             /* built to be refused with 4xx */
} cfd_bench_req;

/* Latency samples in microseconds. */
typedef struct cfd_bench_stats {
    uint32_t *us;
    size_t n, cap;
    int oom;
} cfd_bench_stats;

typedef struct cfd_bench {
    uv_loop_t *loop;
    const char *socket;
    int concurrency;
    int pipeline;
    double duration_s;
    uint64_t max_requests;     /* 0 = no limit */
    double drain_s;            /* how long to wait for in-flight replies at the end */
    cfd_bench_req *reqs;
    size_t n_reqs;
    size_t next_req;
    FILE *record;              /* reply lines of good requests, or NULL */
    int ndjson;                /* articles per NDJSON request; 0 = JSON requests */
    int busy_poll;             /* poll the connections instead of sleeping */

    /* run state */
    int stopping;              /* no new requests; close when drained */
    uint64_t t_start_ns, t_stop_ns, t_end_ns;
    uint64_t first_signal_ns;  /* when SIGINT/SIGTERM first came, 0 before */
    int open_conns;
    uv_timer_t stop_timer;
    uv_timer_t drain_timer;
    struct cfd_bench_conn *conns;

    /* accounting (see above) */
    uint64_t sent, ok, expected_errors, failed, truncated, unanswered, connect_errors;
    uint64_t unanswered_unserved;
    uint64_t articles_ok, line_errors;
    uint64_t measured_replies, measured_articles; /* sent after the warm-up */
    uint64_t status[6];        /* replies by status class 1xx..5xx (index 1..5) */
    cfd_bench_stats lat;
} cfd_bench;

/* bench_conn.c */
int cfd_bench_conns_start(cfd_bench *b);
/* Called when the run is over: stop issuing, close idle connections. */
void cfd_bench_conns_stop(cfd_bench *b);
/* Closes every connection now (drain timeout). */
void cfd_bench_conns_abort(cfd_bench *b);
/* Releases per-connection memory once the loop has finished. */
void cfd_bench_conns_free(cfd_bench *b);

/* bench_stats.c */
int cfd_bench_stats_add(cfd_bench_stats *s, uint32_t us);
/* Sorts the samples; then cfd_bench_stats_pct may be called. */
void cfd_bench_stats_finish(cfd_bench_stats *s);
/* q in [0,1]; 0 when there are no samples. */
uint32_t cfd_bench_stats_pct(const cfd_bench_stats *s, double q);
double cfd_bench_stats_mean(const cfd_bench_stats *s);
void cfd_bench_stats_free(cfd_bench_stats *s);

#endif
