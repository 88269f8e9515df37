/*
 * The daemon's own metrics (requests by endpoint and status, a request
 * latency histogram, connections, resident memory) and their Prometheus text
 * rendering (format 0.0.4). The engine renders its own lines (per-plugin
 * time, articles, model loads); GET /metrics appends both.
 *
 * Each event loop owns one cfd_metrics and is its only writer, so counting
 * costs a plain add (relaxed atomic load + store, no locked instruction);
 * a scrape on any loop reads every loop's struct with relaxed loads and sums
 * them. Counters are monotonic per loop, so the sum is monotonic too.
 */
#ifndef CFD_METRICS_H
#define CFD_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum cfd_endpoint {
    CFD_EP_CLASSIFY,
    CFD_EP_PLUGINS,
    CFD_EP_HEALTHZ,
    CFD_EP_READYZ,
    CFD_EP_METRICS,
    CFD_EP_ADMIN_MODEL,
    CFD_EP_ADMIN_ROLLBACK,
    CFD_EP_ADMIN_RELOAD,
    CFD_EP_OTHER,            /* unknown paths and unparsable requests */
    CFD_EP_COUNT
};

#define CFD_METRICS_STATUSES 17  /* 200 400 403 404 405 408 409 411 413 415 422 431 500 501 503 505 other */
#define CFD_METRICS_BUCKETS 16   /* upper bounds in cfd_metrics_bucket_bounds, last = +Inf */

typedef struct cfd_metrics {
    _Atomic uint64_t requests[CFD_EP_COUNT][CFD_METRICS_STATUSES];
    _Atomic uint64_t buckets[CFD_METRICS_BUCKETS]; /* per bucket, not cumulative */
    _Atomic uint64_t duration_ns;                  /* sum */
    _Atomic uint64_t ndjson_lines;
    _Atomic uint64_t connections_total;
    _Atomic uint64_t connections_refused;          /* over max_connections */
    _Atomic int64_t open_connections;
} cfd_metrics;

/* Bucket upper bounds in seconds (the last is +Inf). */
extern const double cfd_metrics_bucket_bounds[CFD_METRICS_BUCKETS];

void cfd_metrics_init(cfd_metrics *m);

/* Owner thread only. */
void cfd_metrics_request(cfd_metrics *m, int endpoint, int status, uint64_t ns);
void cfd_metrics_add(_Atomic uint64_t *counter, uint64_t n);
void cfd_metrics_gauge_add(_Atomic int64_t *gauge, int64_t n);

/* Any thread: sums the loops and appends the daemon's metric families. */
int cfd_metrics_render(cfd_metrics *const *loops, size_t n_loops, cfd_buf *out);

/* Resident set size from /proc/self/statm. Returns 0 or CFD_EIO. */
int cfd_metrics_rss(uint64_t *bytes);

#endif
