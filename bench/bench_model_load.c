/*
 * Model file load time (target: a 20 MB model in <= 50 ms), plus save time,
 * Q8 size and scoring cost, on a synthetic model shaped like a production
 * one: 2^20 buckets, 8 labels, ~450k non-zero rows, an IDF table.
 *
 * Usage: bench_model_load [runs]   (default 21; prints medians)
 * The model is written to a fresh directory under $TMPDIR (or /tmp) and
 * removed afterwards. Loads read from the page cache after the first, which
 * is the daemon's situation on a hot swap right after training wrote it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "featurize.h"
#include "model.h"

#define LABELS 8
#define HASH_BITS 20

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static double median_load_ms(const char *path, int runs, double *min_ms)
{
    double *t = malloc((size_t)runs * sizeof(double));
    for (int i = 0; i < runs; i++) {
        cfd_model *m = NULL;
        cfd_error err;
        double t0 = now_ms();
        if (cfd_model_load(path, &m, &err) != 0) {
            fprintf(stderr, "load failed: %s\n", err.msg);
            exit(1);
        }
        t[i] = now_ms() - t0;
        cfd_model_free(m);
    }
    qsort(t, (size_t)runs, sizeof(double), cmp_double);
    double med = t[runs / 2];
    *min_ms = t[0];
    free(t);
    return med;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

int main(int argc, char **argv)
{
    char *end = NULL;
    long r = argc > 1 ? strtol(argv[1], &end, 10) : 21;
    if (argc > 2 || (argc > 1 && (*argv[1] == '\0' || *end != '\0' || r < 1 || r > 10000))) {
        fprintf(argc > 1 && strcmp(argv[1], "--help") == 0 ? stdout : stderr,
                "usage: bench_model_load [RUNS]   (RUNS 1..10000, default 21; prints medians)\n");
        return argc > 1 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    int runs = (int)r;
    const char *tmp = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/cfd_bench_model.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char f32[600], q8[600];
    snprintf(f32, sizeof(f32), "%s/big-f32.cfdm", dir);
    snprintf(q8, sizeof(q8), "%s/big-q8.cfdm", dir);

    cfd_feat_config feat;
    cfd_feat_config_default(&feat);
    feat.hash_bits = HASH_BITS;
    feat.use_idf = 1;
    uint32_t nb = 1u << HASH_BITS;
    float *w = calloc((size_t)nb * LABELS, sizeof(float));
    float *idf = malloc((size_t)nb * sizeof(float));
    float bias[LABELS];
    for (uint32_t b = 0; b < nb; b++) {
        idf[b] = 1.0f + (float)(rnd() % 1000) / 100.0f;
        if (rnd() % 100 < 43)
            for (int c = 0; c < LABELS; c++)
                w[(size_t)b * LABELS + c] = (float)((int)(rnd() % 20001) - 10000) / 5000.0f;
    }
    for (int c = 0; c < LABELS; c++)
        bias[c] = (float)c / 10.0f;
    const char *labels[LABELS] = {"정치", "경제", "사회", "생활문화", "세계", "IT과학",
                                  "연예", "스포츠"};
    cfd_model_meta meta = {0};
    snprintf(meta.solver, sizeof(meta.solver), "L2R_LR");
    cfd_model *m = NULL;
    cfd_error err;
    if (cfd_model_from_dense("section", labels, LABELS, &feat, w, bias, idf, 1.0f, &meta, &m,
                             &err) != 0) {
        fprintf(stderr, "from_dense: %s\n", err.msg);
        return 1;
    }
    free(w);
    free(idf);

    double t0 = now_ms();
    if (cfd_model_save(m, f32, CFD_WEIGHTS_F32, &err) != 0) {
        fprintf(stderr, "save: %s\n", err.msg);
        return 1;
    }
    double save_ms = now_ms() - t0;
    if (cfd_model_save(m, q8, CFD_WEIGHTS_Q8, &err) != 0) {
        fprintf(stderr, "save: %s\n", err.msg);
        return 1;
    }

    double min32, minq8;
    double med32 = median_load_ms(f32, runs, &min32);
    double medq8 = median_load_ms(q8, runs, &minq8);

    /* Scoring: 400-feature vectors, the size of a long article. */
    cfd_feature items[400];
    uint32_t n = 0;
    for (uint32_t b = rnd() % 1000; b < nb && n < 400; b += 1 + rnd() % 5000)
        items[n++] = (cfd_feature){b, 0.05f};
    cfd_featvec v = {items, n};
    float s[LABELS];
    volatile float sink = 0.0f;
    const int reps = 200000;
    t0 = now_ms();
    for (int i = 0; i < reps; i++) {
        items[i % n].value = (float)(i & 7) * 0.01f;
        cfd_model_scores(m, &v, s);
        sink += s[i % LABELS];
    }
    (void)sink; /* clang: -Wunused-but-set-variable */
    double score_us = (now_ms() - t0) * 1e3 / reps;

    printf("model: 2^%d buckets x %d labels, %u non-zero rows, IDF table\n", HASH_BITS, LABELS,
           m->n_rows);
    printf("f32 file: %.1f MB, save %.1f ms (incl. fsync), load median %.2f ms, min %.2f ms "
           "(%d runs)\n", (double)file_size(f32) / 1e6, save_ms, med32, min32, runs);
    printf("q8  file: %.1f MB, load median %.2f ms, min %.2f ms\n",
           (double)file_size(q8) / 1e6, medq8, minq8);
    printf("scoring: %.2f us per %u-feature vector\n", score_us, n);
    printf("target: load <= 50 ms for a 20 MB model: %s\n", med32 <= 50.0 ? "met" : "NOT met");

    cfd_model_free(m);
    unlink(f32);
    unlink(q8);
    rmdir(dir);
    return 0;
}
