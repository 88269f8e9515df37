/*
 * Counting and Prometheus rendering of the daemon's metrics; see metrics.h.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <classifyd/error.h>

#include "metrics.h"

const double cfd_metrics_bucket_bounds[CFD_METRICS_BUCKETS] = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025,   0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   0 /* +Inf */};

static const int cfd__statuses[CFD_METRICS_STATUSES] = {200, 400, 403, 404, 405, 408, 409, 411,
                                                        413, 415, 422, 431, 500, 501, 503, 505, 0};

static const char *const cfd__endpoints[CFD_EP_COUNT] = {
    "classify", "plugins", "healthz", "readyz", "metrics",
    "admin_model", "admin_rollback", "admin_reload", "other"};

void cfd_metrics_init(cfd_metrics *m) { memset(m, 0, sizeof(*m)); }

void cfd_metrics_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

void cfd_metrics_gauge_add(_Atomic int64_t *g, int64_t n)
{
    atomic_store_explicit(g, atomic_load_explicit(g, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static size_t cfd__status_slot(int status)
{
    for (size_t i = 0; i < CFD_METRICS_STATUSES - 1; i++)
        if (cfd__statuses[i] == status)
            return i;
    return CFD_METRICS_STATUSES - 1;
}

void cfd_metrics_request(cfd_metrics *m, int endpoint, int status, uint64_t ns)
{
    if (endpoint < 0 || endpoint >= CFD_EP_COUNT)
        endpoint = CFD_EP_OTHER;
    cfd_metrics_add(&m->requests[endpoint][cfd__status_slot(status)], 1);
    size_t b = 0;
    while (b < CFD_METRICS_BUCKETS - 1 && (double)ns > cfd_metrics_bucket_bounds[b] * 1e9)
        b++;
    cfd_metrics_add(&m->buckets[b], 1);
    cfd_metrics_add(&m->duration_ns, ns);
}

static uint64_t cfd__sum(cfd_metrics *const *loops, size_t n, size_t field_off)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += atomic_load_explicit((_Atomic uint64_t *)((char *)loops[i] + field_off),
                                  memory_order_relaxed);
    return s;
}

#define SUM(field) cfd__sum(loops, n_loops, offsetof(cfd_metrics, field))

int cfd_metrics_rss(uint64_t *bytes)
{
    FILE *f = fopen("/proc/self/statm", "re");
    unsigned long long size, resident;
    if (f == NULL)
        return CFD_EIO;
    int ok = fscanf(f, "%llu %llu", &size, &resident) == 2;
    fclose(f);
    if (!ok)
        return CFD_EIO;
    *bytes = (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
    return 0;
}

int cfd_metrics_render(cfd_metrics *const *loops, size_t n_loops, cfd_buf *out)
{
    cfd_buf_puts(out, "# HELP classifyd_requests_total HTTP requests answered, by endpoint "
                      "and status.\n# TYPE classifyd_requests_total counter\n");
    for (size_t e = 0; e < CFD_EP_COUNT; e++) {
        for (size_t s = 0; s < CFD_METRICS_STATUSES; s++) {
            uint64_t v = SUM(requests[e][s]);
            if (v == 0)
                continue;
            if (cfd__statuses[s])
                cfd_buf_printf(out, "classifyd_requests_total{endpoint=\"%s\",status=\"%d\"} %llu\n",
                               cfd__endpoints[e], cfd__statuses[s], (unsigned long long)v);
            else
                cfd_buf_printf(out, "classifyd_requests_total{endpoint=\"%s\",status=\"other\"} %llu\n",
                               cfd__endpoints[e], (unsigned long long)v);
        }
    }

    cfd_buf_puts(out, "# HELP classifyd_request_duration_seconds Time from a whole request "
                      "to its whole reply.\n# TYPE classifyd_request_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t b = 0; b < CFD_METRICS_BUCKETS; b++) {
        cum += SUM(buckets[b]);
        if (b < CFD_METRICS_BUCKETS - 1)
            cfd_buf_printf(out, "classifyd_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                           cfd_metrics_bucket_bounds[b], (unsigned long long)cum);
        else
            cfd_buf_printf(out, "classifyd_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                           (unsigned long long)cum);
    }
    cfd_buf_printf(out, "classifyd_request_duration_seconds_sum %.9f\n",
                   (double)SUM(duration_ns) / 1e9);
    cfd_buf_printf(out, "classifyd_request_duration_seconds_count %llu\n", (unsigned long long)cum);

    int64_t open = 0;
    for (size_t i = 0; i < n_loops; i++)
        open += atomic_load_explicit(&loops[i]->open_connections, memory_order_relaxed);
    cfd_buf_printf(out,
                   "# HELP classifyd_open_connections Client connections open now.\n"
                   "# TYPE classifyd_open_connections gauge\nclassifyd_open_connections %lld\n",
                   (long long)open);
    /* Per loop: shows whether connections and work spread over the loops. */
    cfd_buf_puts(out, "# HELP classifyd_loop_open_connections Open connections per event loop.\n"
                      "# TYPE classifyd_loop_open_connections gauge\n");
    for (size_t i = 0; i < n_loops; i++)
        cfd_buf_printf(out, "classifyd_loop_open_connections{loop=\"%zu\"} %lld\n", i,
                       (long long)atomic_load_explicit(&loops[i]->open_connections,
                                                       memory_order_relaxed));
    cfd_buf_puts(out, "# HELP classifyd_loop_requests_total Requests answered per event loop.\n"
                      "# TYPE classifyd_loop_requests_total counter\n");
    for (size_t i = 0; i < n_loops; i++) {
        uint64_t v = 0;
        for (size_t b = 0; b < CFD_METRICS_BUCKETS; b++)
            v += atomic_load_explicit(&loops[i]->buckets[b], memory_order_relaxed);
        cfd_buf_printf(out, "classifyd_loop_requests_total{loop=\"%zu\"} %llu\n", i,
                       (unsigned long long)v);
    }
    cfd_buf_printf(out,
                   "# HELP classifyd_connections_total Client connections accepted.\n"
                   "# TYPE classifyd_connections_total counter\nclassifyd_connections_total %llu\n",
                   (unsigned long long)SUM(connections_total));
    cfd_buf_printf(out,
                   "# HELP classifyd_connections_refused_total Connections refused over "
                   "max_connections.\n# TYPE classifyd_connections_refused_total counter\n"
                   "classifyd_connections_refused_total %llu\n",
                   (unsigned long long)SUM(connections_refused));
    cfd_buf_printf(out,
                   "# HELP classifyd_ndjson_lines_total NDJSON batch lines answered.\n"
                   "# TYPE classifyd_ndjson_lines_total counter\nclassifyd_ndjson_lines_total %llu\n",
                   (unsigned long long)SUM(ndjson_lines));
    uint64_t rss = 0;
    if (cfd_metrics_rss(&rss) == 0)
        cfd_buf_printf(out,
                       "# HELP classifyd_resident_memory_bytes Resident set size.\n"
                       "# TYPE classifyd_resident_memory_bytes gauge\n"
                       "classifyd_resident_memory_bytes %llu\n",
                       (unsigned long long)rss);
    return out->oom ? CFD_ENOMEM : 0;
}
