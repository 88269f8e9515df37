/*
 * bench_featurize: how long the featurizer takes on real Korean articles,
 * against the budget of 40 µs per 2.6 KB article, and what one
 * utf8proc_map NFC call costs on the same text (why cfd_nfc runs only when
 * cfd_nfc_quick_check asks for it).
 *
 *   bench_featurize [FILE.tsv] [MAX_LINES]
 *
 * FILE defaults to ../shared/data/news8/train.tsv (run from the repository
 * root), MAX_LINES to 200. Each line is label<TAB>text. Every article is
 * featurized (default config, body only) in BATCHES batches of BATCH runs
 * after a warm-up run, timed with the thread's CPU clock (see time_one);
 * its time is scaled to a 2.6 KB article (time * 2600 / bytes), and the
 * median and 90th percentile over articles are printed, plus the same for
 * cfd_featurize_counts alone, for cfd_featurize with the default models'
 * counting config (2^19 buckets and word prefixes, training/model-options.sh
 * SHARED_FEAT_OPTS; their weighting differs per model and is not timed
 * here) and for utf8proc_map(NFC). The last line is
 * the clock frequency this thread got and the median in cycles, which is
 * comparable across runs on a shared machine where microseconds are not.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

#include "featurize.h"

#define BATCH 10
#define BATCHES 5

typedef struct {
    char *text;
    size_t len;
} article;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_double);
    size_t k = (size_t)(p * (double)(n - 1) + 0.5);
    return v[k];
}

enum { MODE_FULL, MODE_COUNTS, MODE_NFC };

/* One run of the operation under test; exits on failure. */
static void run_once(cfd_featurizer *fz, const cfd_feat_config *cfg, const article *a, int mode)
{
    cfd_featvec v;
    cfd_error err;
    int rc = 0;
    if (mode == MODE_FULL) {
        rc = cfd_featurize(fz, cfg, NULL, NULL, 0, a->text, a->len, &v, &err);
    } else if (mode == MODE_COUNTS) {
        rc = cfd_featurize_counts(fz, cfg, NULL, 0, a->text, a->len, &v, &err);
    } else {
        utf8proc_uint8_t *out = NULL;
        utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)a->text,
                                          (utf8proc_ssize_t)a->len, &out,
                                          UTF8PROC_STABLE | UTF8PROC_COMPOSE);
        free(out);
        rc = n < 0;
    }
    if (rc != 0) {
        fprintf(stderr, "bench_featurize: failed: %s\n",
                mode == MODE_NFC ? "utf8proc_map" : err.msg);
        exit(1);
    }
}

/*
 * Time of one run of an operation on one article, in µs of this thread's
 * CPU time: the fastest of BATCHES batches of BATCH runs each, divided by
 * BATCH. Reading the thread CPU clock costs ~1 µs here (a system call), so
 * it is read once per batch, not per run; and the machine is shared, so
 * the fastest batch is the one least disturbed by other processes (cache
 * and memory contention), the most reproducible estimate of the cost.
 */
static double time_one(cfd_featurizer *fz, const cfd_feat_config *cfg, const article *a, int mode)
{
    double best = 1e300;
    run_once(fz, cfg, a, mode); /* warm-up */
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_us();
        for (int r = 0; r < BATCH; r++)
            run_once(fz, cfg, a, mode);
        double t = (now_us() - t0) / BATCH;
        if (t < best)
            best = t;
    }
    return best;
}

/*
 * The clock this thread is actually getting, in GHz: a chain of dependent
 * register additions retires one per cycle, so its rate is the frequency
 * (shared machines throttle and migrate; this puts the figures in cycles).
 * Returns 0 where the measurement is not implemented.
 */
static double effective_ghz(void)
{
#if defined(__x86_64__)
    double best = 0;
    for (int b = 0; b < 5; b++) {
        uint64_t x = 0;
        double t0 = now_us();
        for (int i = 0; i < 100000; i++)
            __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                             "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                             "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                             "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
                             : "+r"(x));
        double us = now_us() - t0, ghz = 1.6e6 / (us * 1e3);
        if (ghz > best)
            best = ghz;
    }
    return best;
#else
    return 0;
#endif
}

/* Times every article in one mode and prints its line: median and p90 per
 * 2.6 KB, and throughput. scaled has room for n values. Returns the median. */
static double measure(cfd_featurizer *fz, const cfd_feat_config *cfg, const article *arts,
                      size_t n, size_t total, int mode, const char *name, double *scaled)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double us = time_one(fz, cfg, &arts[i], mode);
        sum += us;
        scaled[i] = us * 2600.0 / (double)arts[i].len;
    }
    double med = pct(scaled, n, 0.5), p90 = pct(scaled, n, 0.9);
    printf("  %-36s median %7.1f us   p90 %7.1f us   (%.0f MB/s)\n", name, med, p90,
           (double)total / sum);
    return med;
}

int main(int argc, char **argv)
{
    if (argc > 3 || (argc > 1 && argv[1][0] == '-')) {
        int help = strcmp(argv[1], "--help") == 0;
        fprintf(help ? stdout : stderr,
                "usage: bench_featurize [FILE.tsv] [MAX_LINES]   (default "
                "../shared/data/news8/train.tsv, 200 lines)\n");
        return help ? 0 : 2;
    }
    const char *path = argc > 1 ? argv[1] : "../shared/data/news8/train.tsv";
    char *end = NULL;
    size_t max_lines = argc > 2 ? strtoul(argv[2], &end, 10) : 200;
    if (argc > 2 && (*argv[2] < '1' || *argv[2] > '9' || *end != '\0')) {
        fprintf(stderr, "bench_featurize: MAX_LINES: expected a positive integer, got \"%s\"\n",
                argv[2]);
        return 2;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "bench_featurize: cannot open %s (run from the repository root or pass "
                        "the path of a label<TAB>text file)\n", path);
        return 1;
    }
    article *arts = calloc(max_lines, sizeof *arts);
    size_t n = 0, total = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    while (n < max_lines && (got = getline(&line, &cap, f)) > 0) {
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        char *tab = strchr(line, '\t');
        const char *text = tab ? tab + 1 : line;
        size_t len = strlen(text);
        if (len == 0)
            continue;
        arts[n].text = malloc(len);
        memcpy(arts[n].text, text, len);
        arts[n].len = len;
        total += len;
        n++;
    }
    free(line);
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "bench_featurize: no articles in %s\n", path);
        return 1;
    }

    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    cfd_featurizer *fz;
    if (cfd_featurizer_new(&fz) != 0)
        return 1;

    static const char *names[] = {"cfd_featurize (default config)", "cfd_featurize_counts",
                                  "utf8proc_map NFC (for comparison)"};
    double *scaled = malloc(n * sizeof *scaled);
    double medians[3] = {0, 0, 0};
    size_t feats = 0;
    for (size_t i = 0; i < n; i++) {
        cfd_featvec v;
        cfd_error err;
        if (cfd_featurize(fz, &cfg, NULL, NULL, 0, arts[i].text, arts[i].len, &v, &err) == 0)
            feats += v.n;
    }
    printf("bench_featurize: %zu articles from %s, mean %.0f bytes, mean %.0f features\n", n,
           path, (double)total / (double)n, (double)feats / (double)n);
    printf("per article scaled to 2.6 KB (fastest of %d batches of %d runs, thread CPU time):\n",
           BATCHES, BATCH);
    /* The default models' counting config (training/model-options.sh). */
    cfd_feat_config shipped = cfg;
    shipped.hash_bits = 19;
    shipped.word_prefix = 1;
    for (int mode = MODE_FULL; mode <= MODE_NFC; mode++) {
        medians[mode] = measure(fz, &cfg, arts, n, total, mode, names[mode], scaled);
        if (mode == MODE_COUNTS)
            measure(fz, &shipped, arts, n, total, MODE_FULL, "cfd_featurize (models: 2^19+prefix)",
                    scaled);
    }
    double ghz = effective_ghz();
    if (ghz > 0)
        printf("this thread ran at ~%.2f GHz (dependent-add chain): cfd_featurize median = %.0f k "
               "cycles per 2.6 KB\n",
               ghz, medians[MODE_FULL] * ghz);
    free(scaled);
    for (size_t i = 0; i < n; i++)
        free(arts[i].text);
    free(arts);
    cfd_featurizer_free(fz);
    return 0;
}
