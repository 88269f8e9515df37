/*
 * In-process engine benchmark: where does the time of one article go on the
 * serving path, without sockets, HTTP or JSON parsing in the way?
 *
 * Loads the real plugins from a build directory and the models from a models
 * directory through cfd_engine_open (exactly what the daemon does), then
 * classifies every article of a TSV file (label<TAB>text, the text sent as
 * the body, as classifyd-bench does) single-threaded with
 * cfd_engine_classify, and prints the median and p90 microseconds per
 * article and articles per second.
 *
 * Breakdown: the same plugins opened a second time outside the engine
 * (plugin loader + their load()), and per article: featurization through
 * the daemon's own per-article cache (daemon/featurize_cache.h, one count
 * per counting config), each plugin's classify(), and the rest of
 * cfd_engine_classify (snapshot, aggregation, reply JSON) as the engine's
 * mean minus the parts' means. Means add up, medians do not.
 *
 * Every figure is per article the MINIMUM over the passes (then median, p90
 * or mean over articles): on a shared, loaded machine a pass is often
 * preempted, and the minimum is the least disturbed estimate of the cost.
 *
 * usage: bench_engine [--plugins DIR] [--models DIR] [--data FILE]
 *                     [--reps N] [--max N] [--no-breakdown]
 *   --plugins DIR  default: <dir of this binary>/../lib/classifyd/plugins
 *   --models DIR   default: models (run from the repo root)
 *   --data FILE    default: ../shared/data/news8/train.tsv
 *   --reps N       timed passes over the data (default 5; one warm-up pass)
 *   --max N        use the first N articles only
 * Wall times are noisy on a shared machine; for stable figures count
 * instructions: valgrind --tool=callgrind bench_engine --reps 1 --max 200.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <classifyd/plugin.h>

#include "engine.h"
#include "featurize.h"
#include "featurize_cache.h"
#include "plugin_loader.h"

#define CFD_BE_MAX_PLUGINS 16

typedef struct cfd_be_article {
    const char *text;
    size_t len;
} cfd_be_article;

static uint64_t cfd__ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cfd__cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double cfd__pct_us(uint64_t *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, cfd__cmp_u64);
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return (double)v[i] / 1000.0;
}

static char *cfd__slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap = cap ? cap * 2 : 1 << 20;
            char *q = realloc(buf, cap);
            if (q == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = q;
        }
        size_t r = fread(buf + n, 1, 65536, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void cfd__log(void *ud, int level, const char *msg)
{
    (void)ud;
    if (level <= CFD_LOG_WARN)
        fprintf(stderr, "bench_engine: engine: %s\n", msg);
}

/* One plugin opened outside the engine, for the breakdown. */
typedef struct cfd_be_plugin {
    cfd_loaded_plugin lp;
    void *model;
    cfd_plugin_model_info info;
    uint64_t counts_hash, idf_key;
    uint64_t ns;
} cfd_be_plugin;

static int cfd__be_before(const cfd_be_plugin *a, const cfd_be_plugin *b)
{
    if ((a->info.feat == NULL) != (b->info.feat == NULL))
        return a->info.feat != NULL;
    if (a->counts_hash != b->counts_hash)
        return a->counts_hash < b->counts_hash;
    return a->idf_key < b->idf_key;
}

static int cfd__breakdown(const char *plugin_dir, const char *models_dir,
                          const cfd_be_article *arts, size_t n_arts, int reps,
                          double engine_mean_us)
{
    char **names = NULL;
    size_t n_names = 0;
    cfd_error err;
    cfd_error_clear(&err);
    cfd_be_plugin pl[CFD_BE_MAX_PLUGINS];
    size_t np = 0;
    cfd_fcache fc;
    int rc = 1;
    float *probs = malloc(CFD_PLUGIN_MAX_LABELS * sizeof(float));
    memset(&fc, 0, sizeof fc);
    if (probs == NULL || cfd_fcache_init(&fc) != 0)
        goto out;
    if (cfd_plugin_scan(plugin_dir, &names, &n_names, &err) != 0) {
        fprintf(stderr, "bench_engine: %s\n", err.msg);
        goto out;
    }
    for (size_t i = 0; i < n_names && np < CFD_BE_MAX_PLUGINS; i++) {
        cfd_be_plugin *p = &pl[np];
        memset(p, 0, sizeof *p);
        if (cfd_plugin_open(plugin_dir, names[i], &p->lp, &err) != 0) {
            fprintf(stderr, "bench_engine: %s\n", err.msg);
            goto out;
        }
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", models_dir, p->lp.p->default_model);
        if (access(path, R_OK) != 0) { /* e.g. the ABI test plugin: no model */
            cfd_plugin_close(&p->lp);
            continue;
        }
        if (p->lp.p->load(path, &p->model, &p->info, &err) != 0) {
            fprintf(stderr, "bench_engine: %s: %s\n", path, err.msg);
            cfd_plugin_close(&p->lp);
            goto out;
        }
        if (p->info.feat != NULL) {
            p->counts_hash = cfd_feat_config_counts_hash(p->info.feat);
            /* weighting mode + table identity, enough to group like the engine */
            p->idf_key = (uint64_t)p->info.feat->sublinear_tf |
                         (uint64_t)p->info.feat->use_idf << 1 |
                         (uint64_t)p->info.feat->l2_normalize << 2 |
                         (uint64_t)(uintptr_t)p->info.idf << 3;
        }
        np++;
    }
    /* the engine's order: equal counting configs adjacent, raw-text last */
    for (size_t i = 1; i < np; i++)
        for (size_t j = i; j > 0 && cfd__be_before(&pl[j], &pl[j - 1]); j--) {
            cfd_be_plugin t = pl[j];
            pl[j] = pl[j - 1];
            pl[j - 1] = t;
        }

    uint64_t feat_ns = 0, n_counts = 0, n_weights = 0;
    size_t n_feats = 0;
    /* min[a * (np + 1) + 0] featurize, [.. + 1 + k] plugin k; passes go over
     * all articles like the engine's, so caches are as cold as there */
    uint64_t *mins = malloc(n_arts * (np + 1) * sizeof *mins);
    if (mins == NULL)
        goto out;
    for (size_t i = 0; i < n_arts * (np + 1); i++)
        mins[i] = UINT64_MAX;
    for (int r = 0; r <= reps; r++) { /* pass 0 warms up */
        for (size_t a = 0; a < n_arts; a++) {
            uint64_t fns = 0, c0 = fc.n_counts, w0 = fc.n_weights;
            uint64_t *m = mins + a * (np + 1);
            cfd_fcache_begin(&fc, NULL, 0, arts[a].text, arts[a].len);
            for (size_t k = 0; k < np; k++) {
                cfd_plugin_input in = {NULL, 0, arts[a].text, arts[a].len, NULL};
                if (pl[k].info.feat != NULL) {
                    const cfd_featvec *fv;
                    uint64_t t0 = cfd__ns();
                    int frc = cfd_fcache_get(&fc, pl[k].info.feat, pl[k].info.idf,
                                             pl[k].idf_key, &fv, &err);
                    fns += cfd__ns() - t0;
                    if (frc != 0) {
                        fprintf(stderr, "bench_engine: featurize: %s\n", err.msg);
                        free(mins);
                        goto out;
                    }
                    in.features = fv;
                    if (r == 0)
                        n_feats += fv->n;
                }
                cfd_plugin_output po = {probs, pl[k].info.n_labels, -1};
                uint64_t t0 = cfd__ns();
                pl[k].lp.p->classify(pl[k].model, &in, &po);
                uint64_t dt = cfd__ns() - t0;
                if (r > 0 && dt < m[1 + k])
                    m[1 + k] = dt;
            }
            if (r == 0) {
                n_counts += fc.n_counts - c0;
                n_weights += fc.n_weights - w0;
            } else if (fns < m[0]) {
                m[0] = fns;
            }
        }
    }
    for (size_t a = 0; a < n_arts; a++) {
        feat_ns += mins[a * (np + 1)];
        for (size_t k = 0; k < np; k++)
            pl[k].ns += mins[a * (np + 1) + 1 + k];
    }
    free(mins);
    double denom = (double)n_arts;
    double sum = (double)feat_ns / 1000.0 / denom;
    printf("breakdown (mean over articles of the per-article minimum over %d passes, us):\n",
           reps);
    printf("  featurize            %8.1f  (%.2f countings + %.2f weightings per article, "
           "%.0f features per plugin)\n",
           sum, (double)n_counts / denom, (double)n_weights / denom,
           (double)n_feats / denom / (double)(np > 1 ? np - 1 : 1));
    for (size_t k = 0; k < np; k++) {
        double us = (double)pl[k].ns / 1000.0 / denom;
        sum += us;
        printf("  plugin %-13s %8.1f", pl[k].lp.name, us);
        if (pl[k].info.feat != NULL)
            printf("  (2^%u buckets, chars %u..%u%s)", pl[k].info.feat->hash_bits,
                   pl[k].info.feat->char_min, pl[k].info.feat->char_max,
                   pl[k].info.feat->use_idf ? ", IDF" : "");
        printf("\n");
    }
    /* The engine's figure and the parts' come from separate passes, each
     * the per-article minimum: on a busy machine their difference moves by
     * tens of microseconds, so it is shown as what it is, not as a cost. */
    printf("  rest (snapshot, aggregate, JSON) %5.1f  (engine mean %.1f - parts %.1f; the two "
           "are timed in separate passes, so this difference is only indicative)\n",
           engine_mean_us - sum, engine_mean_us, sum);
    rc = 0;
out:
    for (size_t k = 0; k < np; k++) {
        pl[k].lp.p->unload(pl[k].model);
        cfd_plugin_close(&pl[k].lp);
    }
    cfd_plugin_names_free(names, n_names);
    cfd_fcache_free(&fc);
    free(probs);
    return rc;
}

int main(int argc, char **argv)
{
    char def_plugins[PATH_MAX];
    const char *plugin_dir = NULL, *models_dir = "models",
               *data = "../shared/data/news8/train.tsv";
    int reps = 5, breakdown = 1;
    size_t max = SIZE_MAX;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--plugins") == 0 && i + 1 < argc)
            plugin_dir = argv[++i];
        else if (strcmp(argv[i], "--models") == 0 && i + 1 < argc)
            models_dir = argv[++i];
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data = argv[++i];
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--max") == 0 && i + 1 < argc)
            max = (size_t)strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--no-breakdown") == 0)
            breakdown = 0;
        else {
            fprintf(stderr, "usage: bench_engine [--plugins DIR] [--models DIR] [--data FILE] "
                            "[--reps N] [--max N] [--no-breakdown]\n");
            return 2;
        }
    }
    if (reps < 1)
        reps = 1;
    if (plugin_dir == NULL) {
        ssize_t n = readlink("/proc/self/exe", def_plugins, sizeof def_plugins - 64);
        if (n <= 0) {
            fprintf(stderr, "bench_engine: pass --plugins DIR\n");
            return 2;
        }
        def_plugins[n] = '\0';
        char *slash = strrchr(def_plugins, '/');
        strcpy(slash ? slash : def_plugins, "/../lib/classifyd/plugins");
        plugin_dir = def_plugins;
    }

    size_t len;
    char *buf = cfd__slurp(data, &len);
    if (buf == NULL) {
        fprintf(stderr, "bench_engine: cannot read %s: %s\n", data, strerror(errno));
        return 1;
    }
    size_t cap = 1024, n_arts = 0, bytes = 0;
    cfd_be_article *arts = malloc(cap * sizeof *arts);
    for (char *p = buf; arts != NULL && *p && n_arts < max;) {
        char *nl = strchr(p, '\n');
        char *end = nl ? nl : p + strlen(p);
        char *tab = memchr(p, '\t', (size_t)(end - p));
        const char *text = tab ? tab + 1 : p;
        if (end > text) {
            if (n_arts == cap) {
                cap *= 2;
                cfd_be_article *q = realloc(arts, cap * sizeof *arts);
                if (q == NULL) {
                    free(arts);
                    arts = NULL;
                    break;
                }
                arts = q;
            }
            arts[n_arts++] = (cfd_be_article){text, (size_t)(end - text)};
            bytes += (size_t)(end - text);
        }
        p = nl ? nl + 1 : end;
    }
    if (arts == NULL || n_arts == 0) {
        fprintf(stderr, "bench_engine: no articles in %s\n", data);
        return 1;
    }

    cfd_engine_config cfg = {0};
    cfg.plugin_dir = plugin_dir;
    cfg.models_dir = models_dir;
    cfg.log = cfd__log;
    cfd_engine *e = NULL;
    cfd_engine_worker *w = NULL;
    cfd_error err;
    cfd_error_clear(&err);
    if (cfd_engine_open(&cfg, &e, &err) != 0) {
        fprintf(stderr, "bench_engine: %s\n", err.msg);
        return 1;
    }
    if (!cfd_engine_ready(e) || cfd_engine_worker_new(e, &w) != 0) {
        fprintf(stderr, "bench_engine: engine not ready (a model failed to load?)\n");
        return 1;
    }
    cfd_buf out = CFD_BUF_INIT;
    uint64_t *t = malloc(n_arts * sizeof *t);
    if (t == NULL)
        return 1;
    size_t reply_bytes = 0;
    uint64_t total = 0, all = 0;
    for (size_t a = 0; a < n_arts; a++)
        t[a] = UINT64_MAX;
    for (int r = -1; r < reps; r++) { /* r = -1 warms up */
        for (size_t a = 0; a < n_arts; a++) {
            cfd_article art = {0};
            art.body = arts[a].text;
            art.body_len = arts[a].len;
            cfd_buf_reset(&out);
            uint64_t t0 = cfd__ns();
            int rc = cfd_engine_classify(w, &art, &out, &err);
            uint64_t dt = cfd__ns() - t0;
            if (rc != 0) {
                fprintf(stderr, "bench_engine: article %zu: %s\n", a + 1, err.msg);
                return 1;
            }
            if (r >= 0) {
                if (dt < t[a])
                    t[a] = dt;
                all += dt;
                if (r == 0)
                    reply_bytes += out.len;
            }
        }
    }
    for (size_t a = 0; a < n_arts; a++)
        total += t[a];
    double mean_us = (double)total / 1000.0 / (double)n_arts;
    double all_us = (double)all / 1000.0 / (double)n_arts / reps;
    printf("bench_engine: %zu articles (%.0f bytes mean) from %s, %d passes, 1 thread\n",
           n_arts, (double)bytes / (double)n_arts, data, reps);
    printf("cfd_engine_classify (per-article minimum): median %.1f us, p90 %.1f us, mean %.1f us "
           "= %.0f articles/s on one core; all passes: mean %.1f us = %.0f articles/s; "
           "reply %.0f bytes\n",
           cfd__pct_us(t, n_arts, 0.5), cfd__pct_us(t, n_arts, 0.9), mean_us, 1e6 / mean_us,
           all_us, 1e6 / all_us, (double)reply_bytes / (double)n_arts);
    cfd_buf_free(&out);
    free(t);
    cfd_engine_worker_free(w);
    cfd_engine_close(e);
    int rc = breakdown ? cfd__breakdown(plugin_dir, models_dir, arts, n_arts, reps, mean_us) : 0;
    free(arts);
    free(buf);
    return rc;
}
