/*
 * Tests for training/cv.c: stratified deterministic folds, cross-validation
 * on a separable problem (perfect out-of-fold predictions, scores kept for
 * calibration, folds never train on their own examples), the C grid's
 * choice and tie rule, and the JSON report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "cv.h"
#include "tmpdir.h"

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    return cfd_test_tmpdir(g_dir, sizeof g_dir, "cv");
}

static int teardown(void **state)
{
    (void)state;
    return cfd_test_rmtree(g_dir);
}

static void test_folds_stratified(void **state)
{
    (void)state;
    /* labels with 50, 23 and 7 examples, interleaved */
    enum { N = 80, K = 5, L = 3 };
    uint32_t y[N], fold[N], again[N], other[N];
    for (int i = 0; i < N; i++)
        y[i] = i < 50 ? 0 : i < 73 ? 1 : 2;
    assert_int_equal(cfd_cv_folds(y, N, L, K, 1, fold), 0);
    unsigned per[L][K] = {{0}}, size[K] = {0};
    for (int i = 0; i < N; i++) {
        assert_true(fold[i] < K);
        per[y[i]][fold[i]]++;
        size[fold[i]]++;
    }
    for (int c = 0; c < L; c++) {
        unsigned lo = N, hi = 0;
        for (int f = 0; f < K; f++) {
            lo = per[c][f] < lo ? per[c][f] : lo;
            hi = per[c][f] > hi ? per[c][f] : hi;
        }
        assert_true(hi - lo <= 1); /* each label spread evenly */
    }
    for (int f = 0; f < K; f++)
        assert_int_equal(size[f], N / K); /* rotation balances the totals */
    assert_int_equal(cfd_cv_folds(y, N, L, K, 1, again), 0);
    assert_memory_equal(fold, again, sizeof fold);
    assert_int_equal(cfd_cv_folds(y, N, L, K, 2, other), 0);
    assert_true(memcmp(fold, other, sizeof fold) != 0);
    assert_int_equal(cfd_cv_folds(y, N, L, 1, 1, fold), CFD_EINVAL);
    assert_int_equal(cfd_cv_folds(y, 3, L, 4, 1, fold), CFD_EINVAL);
}

/* With groups (lead copies): a copy lands in its article's fold, and the
 * articles get the folds plain cfd_cv_folds gives a dataset of them alone. */
static void test_folds_grouped(void **state)
{
    (void)state;
    enum { A = 40, K = 4, L = 2 };
    uint32_t ya[A], fa[A], y[2 * A], group[2 * A], fold[2 * A], at[A];
    size_t n = 0;
    for (uint32_t i = 0; i < A; i++) {
        ya[i] = i % 3 == 0;
        at[i] = (uint32_t)n;
        y[n] = ya[i];
        group[n] = (uint32_t)at[i];
        n++;
        if (i % 2 == 0) { /* every other article has a lead copy */
            y[n] = ya[i];
            group[n] = at[i];
            n++;
        }
    }
    assert_int_equal(cfd_cv_folds(ya, A, L, K, 9, fa), 0);
    assert_int_equal(cfd_cv_folds_grouped(y, n, L, K, 9, group, fold), 0);
    for (size_t j = 0; j < n; j++)
        assert_int_equal(fold[j], fold[group[j]]);
    for (uint32_t i = 0; i < A; i++)
        assert_int_equal(fold[at[i]], fa[i]);
    /* NULL groups: plain folds */
    assert_int_equal(cfd_cv_folds_grouped(ya, A, L, K, 9, NULL, fold), 0);
    assert_memory_equal(fold, fa, sizeof fa);
    /* a group that names a later example, or a copy as its group: refused */
    group[1] = 2;
    assert_int_equal(cfd_cv_folds_grouped(y, n, L, K, 9, group, fold), CFD_EINVAL);
    group[1] = 0;
    group[2] = 1;
    assert_int_equal(cfd_cv_folds_grouped(y, n, L, K, 9, group, fold), CFD_EINVAL);
}

static const char *const WORDS[3][5] = {
    {"apple", "banana", "cherry", "grape", "melon"},
    {"engine", "wheel", "brake", "clutch", "gear"},
    {"violin", "cello", "flute", "drum", "harp"},
};

static cfd_corpus *toy_corpus(cfd_dataset **ds)
{
    char path[128];
    snprintf(path, sizeof path, "%s/toy.tsv", g_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    uint64_t r = 5;
    for (int i = 0; i < 30; i++) {
        for (int c = 0; c < 3; c++) {
            fprintf(f, "c%d\t", c);
            for (int w = 0; w < 3; w++) {
                r = r * 6364136223846793005ull + 1442695040888963407ull;
                fprintf(f, "%s%s", w ? " " : "", WORDS[c][(r >> 33) % 5]);
            }
            fputc('\n', f);
        }
    }
    fclose(f);
    cfd_error err;
    assert_int_equal(cfd_dataset_load(path, CFD_FORMAT_AUTO, NULL, 0, ds, &err), 0);
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    cfg.hash_bits = 14;
    cfg.use_idf = 1; /* exercises per-fold IDF */
    cfd_corpus *c;
    assert_int_equal(cfd_corpus_build(*ds, &cfg, 2, NULL, &c, &err), 0);
    return c;
}

static void test_cv_separable(void **state)
{
    (void)state;
    cfd_dataset *ds;
    cfd_corpus *c = toy_corpus(&ds);
    uint32_t *fold = malloc(c->n * sizeof(uint32_t));
    assert_int_equal(cfd_cv_folds(c->y, c->n, c->n_labels, 3, 7, fold), 0);
    cfd_linear_params p = {.solver = L2R_L2LOSS_SVC_DUAL, .c = 1, .eps = 0.1, .jobs = 2,
                           .seed = 7};
    cfd_cv_result r;
    cfd_error err;
    assert_int_equal(cfd_cv_run(c, &p, 3, fold, 1, NULL, &r, &err), 0);
    assert_int_equal(r.k, 3);
    assert_int_equal(r.pooled.n, c->n); /* every example held out exactly once */
    assert_true(r.mean_macro_f1 == 1.0);
    assert_true(r.sd_macro_f1 == 0.0);
    for (int f = 0; f < 3; f++)
        assert_true(r.fold_accuracy[f] == 1.0);
    assert_non_null(r.scores);
    for (size_t i = 0; i < c->n; i++)
        assert_int_equal(cfd_argmax(r.scores + i * 3, 3), c->y[i]);

    cfd_buf b = CFD_BUF_INIT;
    assert_int_equal(cfd_cv_result_json(&r, (const char *const *)ds->labels, 1, &b), 0);
    cJSON *j = cJSON_Parse(b.data);
    assert_non_null(j);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "fold_macro_f1")), 3);
    assert_true(cJSON_GetObjectItem(j, "mean_macro_f1")->valuedouble == 1.0);
    assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetObjectItem(j, "pooled"), "n")->valuedouble,
                     (int)c->n);
    cJSON_Delete(j);
    cfd_buf_free(&b);
    cfd_cv_result_free(&r);
    free(fold);
    cfd_corpus_free(c);
    cfd_dataset_free(ds);
}

static void test_cv_jobs_identical(void **state)
{
    (void)state;
    cfd_dataset *ds;
    cfd_corpus *c = toy_corpus(&ds);
    uint32_t *fold = malloc(c->n * sizeof(uint32_t));
    assert_int_equal(cfd_cv_folds(c->y, c->n, c->n_labels, 4, 3, fold), 0);
    cfd_linear_params p = {.solver = L2R_L2LOSS_SVC_DUAL, .c = 0.01, .eps = 0.1, .jobs = 1,
                           .seed = 5};
    cfd_cv_result a, b;
    cfd_error err;
    assert_int_equal(cfd_cv_run(c, &p, 4, fold, 1, NULL, &a, &err), 0);
    p.jobs = 3; /* folds in worker processes */
    assert_int_equal(cfd_cv_run(c, &p, 4, fold, 1, NULL, &b, &err), 0);
    assert_memory_equal(a.scores, b.scores, c->n * c->n_labels * sizeof(float));
    assert_memory_equal(a.fold_macro_f1, b.fold_macro_f1, 4 * sizeof(double));
    assert_memory_equal(a.pooled.confusion, b.pooled.confusion, 9 * sizeof(uint64_t));
    cfd_cv_result_free(&a);
    cfd_cv_result_free(&b);
    free(fold);
    cfd_corpus_free(c);
    cfd_dataset_free(ds);
}

static void test_cv_is_out_of_fold(void **state)
{
    (void)state;
    /* Every example's label is unique noise: a model that saw the example
     * would get it right, out-of-fold it cannot. */
    char path[128];
    snprintf(path, sizeof path, "%s/noise.tsv", g_dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 40; i++)
        fprintf(f, "%s\tword%d\n", i % 2 ? "odd" : "even", i);
    fclose(f);
    cfd_dataset *ds;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(path, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), 0);
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    cfg.hash_bits = 16;
    cfg.char_min = cfg.char_max = 0; /* "word12" would share n-grams */
    cfg.word_bigrams = 0;
    cfd_corpus *c;
    assert_int_equal(cfd_corpus_build(ds, &cfg, 1, NULL, &c, &err), 0);
    uint32_t fold[40];
    assert_int_equal(cfd_cv_folds(c->y, c->n, c->n_labels, 4, 1, fold), 0);
    cfd_linear_params p = {.solver = L2R_L2LOSS_SVC_DUAL, .c = 10, .eps = 0.01, .jobs = 1,
                           .seed = 1};
    cfd_cv_result r;
    assert_int_equal(cfd_cv_run(c, &p, 4, fold, 0, NULL, &r, &err), 0);
    assert_null(r.scores);
    assert_true(r.mean_accuracy < 0.8);
    cfd_cv_result_free(&r);
    cfd_corpus_free(c);
    cfd_dataset_free(ds);
}

/* The summary of the folds: the mean of their macro-F1 and accuracy, and
 * the sample standard deviation (divided by k - 1) of their macro-F1, on
 * data where the folds score differently. */
static void test_cv_fold_summary(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/mixed.tsv", g_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 60; i++)
        fprintf(f, "%s\tw%d x%d\n", i % 2 ? "odd" : "even", i % 7, i % 4);
    fclose(f);
    cfd_dataset *ds;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(path, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), 0);
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    cfg.hash_bits = 16;
    cfg.char_min = cfg.char_max = 0;
    cfg.word_bigrams = 0;
    cfd_corpus *c;
    assert_int_equal(cfd_corpus_build(ds, &cfg, 1, NULL, &c, &err), 0);
    uint32_t fold[60];
    assert_int_equal(cfd_cv_folds(c->y, c->n, c->n_labels, 4, 2, fold), 0);
    cfd_linear_params p = {.solver = L2R_L2LOSS_SVC_DUAL, .c = 1, .eps = 0.01, .jobs = 1,
                           .seed = 1};
    cfd_cv_result r;
    assert_int_equal(cfd_cv_run(c, &p, 4, fold, 0, NULL, &r, &err), 0);
    double mean = 0, mean_acc = 0, sq = 0;
    for (int k = 0; k < 4; k++) {
        mean += r.fold_macro_f1[k] / 4;
        mean_acc += r.fold_accuracy[k] / 4;
    }
    for (int k = 0; k < 4; k++)
        sq += (r.fold_macro_f1[k] - mean) * (r.fold_macro_f1[k] - mean);
    assert_true(sq > 1e-6); /* the folds differ: the check below means something */
    assert_true(fabs(r.mean_macro_f1 - mean) < 1e-12);
    assert_true(fabs(r.mean_accuracy - mean_acc) < 1e-12);
    assert_true(fabs(r.sd_macro_f1 - sqrt(sq / 3)) < 1e-12);
    cfd_cv_result_free(&r);
    cfd_corpus_free(c);
    cfd_dataset_free(ds);
}

static void test_grid(void **state)
{
    (void)state;
    cfd_dataset *ds;
    cfd_corpus *c = toy_corpus(&ds);
    uint32_t *fold = malloc(c->n * sizeof(uint32_t));
    assert_int_equal(cfd_cv_folds(c->y, c->n, c->n_labels, 3, 7, fold), 0);
    cfd_linear_params p = {.solver = L2R_L2LOSS_SVC_DUAL, .c = 1, .eps = 0.1, .jobs = 1,
                           .seed = 7};
    const double grid[] = {10, 0.001, 1};
    cfd_cv_result res[3];
    size_t best = 99;
    cfd_error err;
    assert_int_equal(cfd_cv_grid(c, &p, grid, 3, 3, fold, NULL, res, &best, &err), 0);
    assert_true(best < 3);
    for (int g = 0; g < 3; g++) {
        assert_true(res[g].c == grid[g]);
        assert_true(res[best].mean_macro_f1 >= res[g].mean_macro_f1);
        if (res[g].mean_macro_f1 == res[best].mean_macro_f1)
            assert_true(res[best].c <= res[g].c); /* ties go to the smaller C */
    }
    /* separable: every C is perfect, so the smallest wins */
    assert_true(res[0].mean_macro_f1 == 1.0 && res[1].mean_macro_f1 == 1.0);
    assert_int_equal(best, 1);
    for (int g = 0; g < 3; g++)
        cfd_cv_result_free(&res[g]);
    free(fold);
    cfd_corpus_free(c);
    cfd_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folds_stratified),
        cmocka_unit_test(test_folds_grouped),
        cmocka_unit_test(test_cv_separable),
        cmocka_unit_test(test_cv_jobs_identical),
        cmocka_unit_test(test_cv_is_out_of_fold),
        cmocka_unit_test(test_cv_fold_summary),
        cmocka_unit_test(test_grid),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
