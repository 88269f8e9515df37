/*
 * Latency samples for classifyd-bench (see bench.h). Every reply's latency
 * is kept (4 bytes each: a 10 s run at 100k replies/s is 4 MB) and sorted
 * once at the end, so percentiles are exact rather than bucketed.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

int cfd_bench_stats_add(cfd_bench_stats *s, uint32_t us)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 65536;
        uint32_t *p = realloc(s->us, cap * sizeof *p);
        if (!p) {
            s->oom = 1;
            return -1;
        }
        s->us = p;
        s->cap = cap;
    }
    s->us[s->n++] = us;
    return 0;
}

static int cfd__cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

void cfd_bench_stats_finish(cfd_bench_stats *s)
{
    if (s->n)
        qsort(s->us, s->n, sizeof *s->us, cfd__cmp_u32);
}

uint32_t cfd_bench_stats_pct(const cfd_bench_stats *s, double q)
{
    if (!s->n)
        return 0;
    /* nearest-rank: the smallest sample with at least q of all at or below */
    double r = q * (double)s->n;
    size_t i = (size_t)r;
    if ((double)i < r)
        i++;
    if (i > 0)
        i--;
    if (i >= s->n)
        i = s->n - 1;
    return s->us[i];
}

double cfd_bench_stats_mean(const cfd_bench_stats *s)
{
    if (!s->n)
        return 0;
    double sum = 0;
    for (size_t i = 0; i < s->n; i++)
        sum += s->us[i];
    return sum / (double)s->n;
}

void cfd_bench_stats_free(cfd_bench_stats *s)
{
    free(s->us);
    memset(s, 0, sizeof *s);
}
