/*
 * Tests for training/trainer.c and training/solver.c: a separable toy
 * problem is learnt; train -> save -> load -> predict equals the in-memory
 * model; the dense scores equal the serving path's; two-label models follow
 * core/model.c's mapping; --jobs does not change the weights; IDF follows
 * its formula; classes absent from the training rows are handled; pruning.
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

#include "featurize.h"
#include "model_format.h"
#include "trainer.h"
#include "tmpdir.h"

static char g_dir[64];

static const char *const VOCAB[3][6] = {
    {"국회", "대통령", "선거", "여당", "야당", "장관"},
    {"주가", "금리", "환율", "증시", "투자", "은행"},
    {"축구", "야구", "골프", "선수", "경기", "우승"},
};
static const char *const LABELS[3] = {"경제", "스포츠", "정치"}; /* sorted bytewise */
static const int LABEL_OF_VOCAB[3] = {2, 0, 1};

static uint64_t g_rng;

static uint32_t rnd(uint32_t n)
{
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)((g_rng >> 33) % n);
}

/* Writes a TSV of per_class examples for each of the first n_classes vocabularies. */
static const char *write_toy(const char *name, int n_classes, int per_class, uint64_t seed)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    g_rng = seed;
    for (int i = 0; i < per_class; i++) {
        for (int v = 0; v < n_classes; v++) {
            fprintf(f, "%s\t", LABELS[LABEL_OF_VOCAB[v]]);
            for (int w = 0; w < 4; w++)
                fprintf(f, "%s%s", w ? " " : "", VOCAB[v][rnd(6)]);
            fprintf(f, "\n");
        }
    }
    assert_int_equal(fclose(f), 0);
    return path;
}

static int setup(void **state)
{
    (void)state;
    return cfd_test_tmpdir(g_dir, sizeof g_dir, "trainer");
}

static int teardown(void **state)
{
    (void)state;
    return cfd_test_rmtree(g_dir);
}

static cfd_linear_params params(int solver, unsigned jobs)
{
    cfd_linear_params p = {.solver = solver, .c = 1.0, .eps = cfd_solver_default_eps(solver),
                           .jobs = jobs, .seed = 7};
    return p;
}

/* Loads a file and featurizes it with cfg (default config when NULL). */
static void load(const char *path, const cfd_feat_config *cfg, cfd_dataset **ds,
                 cfd_corpus **c)
{
    cfd_error err;
    cfd_feat_config def;
    if (cfg == NULL) {
        cfd_feat_config_default(&def);
        def.hash_bits = 16;
        cfg = &def;
    }
    assert_int_equal(cfd_dataset_load(path, CFD_FORMAT_AUTO, NULL, 0, ds, &err), 0);
    assert_int_equal(cfd_corpus_build(*ds, cfg, 2, NULL, c, &err), 0);
}

static uint32_t predict_text(const cfd_model *m, cfd_featurizer *fz, const char *text,
                             float *scores)
{
    cfd_featvec v;
    cfd_error err;
    assert_int_equal(cfd_featurize(fz, &m->feat, m->idf, NULL, 0, text, strlen(text), &v, &err),
                     0);
    cfd_model_scores(m, &v, scores);
    return cfd_argmax(scores, m->n_labels);
}

static void test_separable_save_load(void **state)
{
    (void)state;
    cfd_dataset *ds;
    cfd_corpus *c;
    cfd_error err;
    load(write_toy("sep.tsv", 3, 40, 1), NULL, &ds, &c);
    assert_int_equal(ds->n_labels, 3);
    cfd_linear_params p = params(CFD_DEFAULT_SOLVER, 1);
    cfd_dense d;
    assert_int_equal(cfd_train_dense(c, NULL, 0, &p, NULL, &d, &err), 0);

    cfd_model_meta meta;
    memset(&meta, 0, sizeof meta);
    snprintf(meta.version, sizeof meta.version, "test");
    snprintf(meta.solver, sizeof meta.solver, "%s", cfd_solver_name(p.solver));
    meta.c = p.c;
    meta.n_examples = ds->n;
    cfd_model *m;
    assert_int_equal(cfd_dense_to_model(&d, "topic", (const char *const *)ds->labels, &c->feat,
                                        1.5f, &meta, &m, &err), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/sep.cfdm", g_dir);
    assert_int_equal(cfd_model_save(m, path, CFD_WEIGHTS_F32, &err), 0);
    cfd_model *back;
    assert_int_equal(cfd_model_load(path, &back, &err), 0);
    assert_int_equal(back->n_labels, 3);
    assert_true(back->prob_scale == 1.5f);

    cfd_featurizer *fz;
    assert_int_equal(cfd_featurizer_new(&fz), 0);
    float dense_s[3], mem_s[3], file_s[3], pm[3], pf[3];
    for (size_t i = 0; i < ds->n; i++) {
        assert_int_equal(cfd_dense_scores(&d, c, fz, i, dense_s), 0);
        /* learnt: every training example right */
        assert_int_equal(cfd_argmax(dense_s, 3), ds->ex[i].label);
        uint32_t a = predict_text(m, fz, ds->ex[i].body, mem_s);
        uint32_t b = predict_text(back, fz, ds->ex[i].body, file_s);
        assert_int_equal(a, ds->ex[i].label);
        assert_int_equal(b, a);
        for (int k = 0; k < 3; k++) {
            /* dense (counts -> weight) path == serving path == saved file */
            assert_true(fabsf(dense_s[k] - mem_s[k]) <= 1e-5f * (1 + fabsf(mem_s[k])));
            assert_true(mem_s[k] == file_s[k]);
        }
        cfd_model_probs(m, mem_s, pm);
        cfd_model_probs(back, file_s, pf);
        assert_memory_equal(pm, pf, sizeof pm);
    }
    /* unseen combinations of each class's words */
    assert_string_equal(back->labels[predict_text(back, fz, "선거 장관 국회", file_s)], "정치");
    assert_string_equal(back->labels[predict_text(back, fz, "환율 은행", file_s)], "경제");
    assert_string_equal(back->labels[predict_text(back, fz, "우승 선수 골프", file_s)],
                        "스포츠");
    cfd_featurizer_free(fz);
    cfd_model_free(back);
    cfd_model_free(m);
    cfd_dense_free(&d);
    cfd_corpus_free(c);
    cfd_dataset_free(ds);
}

static void test_binary(void **state)
{
    (void)state;
    cfd_dataset *ds;
    cfd_corpus *c;
    cfd_error err;
    load(write_toy("bin.tsv", 2, 30, 2), NULL, &ds, &c);
    assert_int_equal(ds->n_labels, 2);
    const int solvers[] = {L2R_L2LOSS_SVC_DUAL, L2R_LR, L2R_L1LOSS_SVC_DUAL, MCSVM_CS};
    cfd_featurizer *fz;
    assert_int_equal(cfd_featurizer_new(&fz), 0);
    for (size_t s = 0; s < sizeof solvers / sizeof solvers[0]; s++) {
        cfd_linear_params p = params(solvers[s], 2);
        cfd_dense d;
        assert_int_equal(cfd_train_dense(c, NULL, 0, &p, NULL, &d, &err), 0);
        if (solvers[s] != MCSVM_CS) {
            /* liblinear's one binary model: column 0 = w, column 1 = 0 */
            assert_true(d.bias[1] == 0.0f);
            int nonzero = 0;
            for (uint32_t b = 0; b < d.n_buckets; b++) {
                assert_true(d.w[b * 2 + 1] == 0.0f);
                nonzero += d.w[b * 2] != 0.0f;
            }
            assert_true(nonzero > 0);
        }
        float sc[2];
        for (size_t i = 0; i < ds->n; i++) {
            assert_int_equal(cfd_dense_scores(&d, c, fz, i, sc), 0);
            if (cfd_argmax(sc, 2) != ds->ex[i].label)
                fail_msg("solver %s: example %zu (%s) scored %g %g", cfd_solver_name(solvers[s]),
                         i, ds->ex[i].body, (double)sc[0], (double)sc[1]);
        }
        cfd_dense_free(&d);
    }
    cfd_featurizer_free(fz);
    cfd_corpus_free(c);
    cfd_dataset_free(ds);
}

static void test_jobs_do_not_change_weights(void **state)
{
    (void)state;
    cfd_dataset *ds;
    cfd_corpus *c;
    cfd_error err;
    load(write_toy("jobs.tsv", 3, 30, 3), NULL, &ds, &c);
    cfd_dense a, b, again;
    cfd_linear_params p1 = params(L2R_L2LOSS_SVC_DUAL, 1), p3 = params(L2R_L2LOSS_SVC_DUAL, 3);
    assert_int_equal(cfd_train_dense(c, NULL, 0, &p1, NULL, &a, &err), 0);
    assert_int_equal(cfd_train_dense(c, NULL, 0, &p3, NULL, &b, &err), 0);
    assert_int_equal(cfd_train_dense(c, NULL, 0, &p1, NULL, &again, &err), 0);
    size_t nw = (size_t)a.n_buckets * a.n_labels * sizeof(float);
    assert_memory_equal(a.w, b.w, nw);
    assert_memory_equal(a.bias, b.bias, 3 * sizeof(float));
    assert_memory_equal(a.w, again.w, nw);
    /* a different seed reorders the dual solver's coordinates */
    cfd_dense other;
    p1.seed = 99;
    assert_int_equal(cfd_train_dense(c, NULL, 0, &p1, NULL, &other, &err), 0);
    assert_true(memcmp(a.w, other.w, nw) != 0);
    cfd_dense_free(&a);
    cfd_dense_free(&b);
    cfd_dense_free(&again);
    cfd_dense_free(&other);
    cfd_corpus_free(c);
    cfd_dataset_free(ds);
}

/* The trainer's IDF for a bucket df of N rows have: ln((1 + N) / (1 + df))
 * rounded to the nearest of 255 levels from 0 to ln((1 + N) / 2), plus 1. */
static float expected_idf(double N, double df)
{
    double top = log((1.0 + N) / 2.0), step = top / 254.0;
    double v = log((1.0 + N) / (1.0 + df));
    return (float)(nearbyint(v / step) * step + 1.0);
}

static void test_idf(void **state)
{
    (void)state;
    cfd_dataset *ds;
    cfd_corpus *c;
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    cfg.hash_bits = 16;
    cfg.use_idf = 1;
    char path[128];
    snprintf(path, sizeof path, "%s/idf.tsv", g_dir);
    FILE *f = fopen(path, "w");
    fputs("a\tapple banana\na\tapple cherry\nb\tdurian\n", f);
    fclose(f);
    load(path, &cfg, &ds, &c);
    float *idf = malloc(c->n_buckets * sizeof(float));
    assert_int_equal(cfd_idf_compute(c, NULL, 0, idf), 0);
    /* the unigram "apple": in rows 0 and 1, so df = 2 */
    cfd_featurizer *fz;
    cfd_featvec v;
    cfd_error err;
    cfd_feat_config uni = cfg;
    uni.word_bigrams = 0;
    uni.char_min = uni.char_max = 0;
    assert_int_equal(cfd_featurizer_new(&fz), 0);
    assert_int_equal(cfd_featurize_counts(fz, &uni, NULL, 0, "apple", 5, &v, &err), 0);
    assert_int_equal(v.n, 1);
    uint32_t apple = v.items[0].index;
    assert_true(idf[apple] == expected_idf(3, 2));
    assert_true(fabs(idf[apple] - (log(4.0 / 3.0) + 1.0)) < 0.5 * log(2.0) / 254 + 1e-7);
    assert_int_equal(cfd_featurize_counts(fz, &uni, NULL, 0, "durian", 6, &v, &err), 0);
    assert_true(idf[v.items[0].index] == expected_idf(3, 1));
    assert_true(fabs(idf[v.items[0].index] - (log(4.0 / 2.0) + 1.0)) < 1e-6); /* top level */
    /* at most 256 distinct values: the file stores them as a table (IDF encoding 1) */
    {
        float table[256];
        uint32_t nt;
        assert_int_equal(cfd_model_idf_table(idf, c->n_buckets, table, &nt), 1);
    }
    /* a bucket no row has: 0, so an unseen feature is left out entirely */
    uint8_t *seen = calloc(c->n_buckets, 1);
    for (size_t j = 0; j < c->row[c->n]; j++)
        seen[c->items[j].index] = 1;
    uint32_t n_unseen = 0;
    for (uint32_t b = 0; b < c->n_buckets; b++) {
        if (!seen[b]) {
            assert_true(idf[b] == 0.0f);
            n_unseen++;
        }
    }
    assert_true(n_unseen > 0);
    /* ...including from the L2 norm: "apple banana" weighs the same with an
     * unseen word added (scikit-learn's fixed vocabulary does the same) */
    {
        cfd_feature known[64];
        uint32_t n_known;
        assert_int_equal(cfd_featurize(fz, &cfg, idf, NULL, 0, "apple banana", 12, &v, &err), 0);
        assert_true(v.n > 0 && v.n <= 64);
        n_known = v.n;
        memcpy(known, v.items, v.n * sizeof *known);
        const char *more = "apple banana xqzvw"; /* no letter of it is in the data */
        assert_int_equal(cfd_featurize(fz, &cfg, idf, NULL, 0, more, strlen(more), &v, &err), 0);
        assert_true(v.n > n_known); /* the new word's features are there, with value 0 */
        uint32_t k = 0;
        for (uint32_t j = 0; j < v.n; j++) {
            if (!seen[v.items[j].index]) {
                assert_true(v.items[j].value == 0.0f);
                continue;
            }
            assert_true(k < n_known);
            assert_int_equal(v.items[j].index, known[k].index);
            assert_true(v.items[j].value == known[k].value);
            k++;
        }
        assert_int_equal(k, n_known);
    }
    free(seen);
    /* subset: only row 2 */
    size_t rows[] = {2};
    assert_int_equal(cfd_idf_compute(c, rows, 1, idf), 0);
    assert_true(idf[apple] == 0.0f); /* not in row 2 */
    assert_int_equal(cfd_featurize_counts(fz, &uni, NULL, 0, "durian", 6, &v, &err), 0);
    assert_true(fabs(idf[v.items[0].index] - 1.0) < 1e-6); /* ln(2 / 2) + 1 */
    /* the trained model carries the IDF and uses it */
    cfd_linear_params p = params(CFD_DEFAULT_SOLVER, 1);
    cfd_dense d;
    assert_int_equal(cfd_train_dense(c, NULL, 0, &p, NULL, &d, &err), 0);
    assert_non_null(d.idf);
    assert_true(d.idf[apple] == expected_idf(3, 2));
    cfd_dense_free(&d);
    free(idf);
    cfd_featurizer_free(fz);
    cfd_corpus_free(c);
    cfd_dataset_free(ds);
}

static void test_absent_class_and_prune(void **state)
{
    (void)state;
    cfd_dataset *ds;
    cfd_corpus *c;
    cfd_error err;
    load(write_toy("absent.tsv", 3, 20, 4), NULL, &ds, &c);
    size_t *rows = malloc(c->n * sizeof(size_t)), m = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->y[i] != 1)
            rows[m++] = i;
    cfd_linear_params p = params(CFD_DEFAULT_SOLVER, 2);
    cfd_dense d;
    assert_int_equal(cfd_train_dense(c, rows, m, &p, NULL, &d, &err), 0);
    assert_true(d.bias[1] == -1.0f);
    size_t small = 0;
    for (uint32_t b = 0; b < d.n_buckets; b++) {
        assert_true(d.w[b * 3 + 1] == 0.0f);
        for (int k = 0; k < 3; k++)
            small += d.w[b * 3 + k] != 0.0f && fabsf(d.w[b * 3 + k]) < 0.05f;
    }
    assert_true(small > 0);
    assert_int_equal(cfd_dense_prune(&d, 0.05f), small);
    for (size_t i = 0; i < (size_t)d.n_buckets * 3; i++)
        assert_true(d.w[i] == 0.0f || fabsf(d.w[i]) >= 0.05f);
    assert_int_equal(cfd_dense_prune(&d, 0.05f), 0);
    cfd_dense_free(&d);
    free(rows);
    cfd_corpus_free(c);
    cfd_dataset_free(ds);
}

static void test_errors(void **state)
{
    (void)state;
    cfd_dataset *ds;
    cfd_corpus *c;
    cfd_error err;
    load(write_toy("err.tsv", 3, 5, 5), NULL, &ds, &c);
    cfd_dense d;
    cfd_linear_params p = params(CFD_DEFAULT_SOLVER, 1);
    p.c = 0;
    assert_int_equal(cfd_train_dense(c, NULL, 0, &p, NULL, &d, &err), CFD_EINVAL);
    assert_non_null(strstr(err.msg, "C and eps must be positive"));
    p = params(L2R_L2LOSS_SVR, 1);
    assert_int_equal(cfd_train_dense(c, NULL, 0, &p, NULL, &d, &err), CFD_EINVAL);
    assert_non_null(strstr(err.msg, "regression"));
    /* rows of one label only: that label wins everything, nothing crashes */
    size_t rows[] = {0, 3, 6};
    assert_int_equal(c->y[0], c->y[3]);
    assert_int_equal(c->y[0], c->y[6]);
    p = params(CFD_DEFAULT_SOLVER, 1);
    assert_int_equal(cfd_train_dense(c, rows, 3, &p, NULL, &d, &err), 0);
    assert_int_equal(cfd_argmax(d.bias, 3), c->y[0]);
    cfd_dense_free(&d);
    cfd_corpus_free(c);
    cfd_dataset_free(ds);
}

static void test_balanced(void **state)
{
    (void)state;
    /* 60 + 60 + 6 examples sharing noise words: weighting the small class's
     * positives up must raise its scores, and both solvers paths work. */
    char path[128];
    snprintf(path, sizeof path, "%s/imb.tsv", g_dir);
    FILE *f = fopen(path, "w");
    g_rng = 11;
    static const char *const noise[] = {"오늘", "발표", "관련", "지난", "이번"};
    for (int i = 0; i < 126; i++) {
        int v = i < 60 ? 0 : i < 120 ? 1 : 2;
        fprintf(f, "%s\t%s %s %s\n", LABELS[LABEL_OF_VOCAB[v]], VOCAB[v][rnd(6)], noise[rnd(5)],
                noise[rnd(5)]);
    }
    fclose(f);
    cfd_dataset *ds;
    cfd_corpus *c;
    cfd_error err;
    load(path, NULL, &ds, &c);
    uint32_t small = (uint32_t)LABEL_OF_VOCAB[2];
    const int solvers[] = {L2R_L2LOSS_SVC_DUAL, MCSVM_CS};
    cfd_featurizer *fz;
    assert_int_equal(cfd_featurizer_new(&fz), 0);
    for (int s = 0; s < 2; s++) {
        double sum[2] = {0, 0};
        for (int bal = 0; bal < 2; bal++) {
            cfd_linear_params p = params(solvers[s], 2);
            p.balanced = bal;
            p.c = 0.1;
            cfd_dense d;
            assert_int_equal(cfd_train_dense(c, NULL, 0, &p, NULL, &d, &err), 0);
            float sc[3];
            for (size_t i = 0; i < c->n; i++) {
                assert_int_equal(cfd_dense_scores(&d, c, fz, i, sc), 0);
                sum[bal] += sc[small];
            }
            cfd_dense_free(&d);
        }
        if (!(sum[1] > sum[0]))
            fail_msg("%s: balanced did not raise the small class (%g -> %g)",
                     cfd_solver_name(solvers[s]), sum[0], sum[1]);
    }
    cfd_featurizer_free(fz);
    cfd_corpus_free(c);
    cfd_dataset_free(ds);
}

static void test_corpus_threads_identical(void **state)
{
    (void)state;
    /* enough rows that the featurizer really splits the work */
    const char *path = write_toy("big.tsv", 3, 3000, 6);
    cfd_dataset *ds;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(path, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), 0);
    assert_int_equal(ds->n, 9000);
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    cfd_corpus *one, *three;
    assert_int_equal(cfd_corpus_build(ds, &cfg, 1, NULL, &one, &err), 0);
    assert_int_equal(cfd_corpus_build(ds, &cfg, 3, NULL, &three, &err), 0);
    assert_int_equal(one->n, three->n);
    assert_memory_equal(one->row, three->row, (one->n + 1) * sizeof(size_t));
    assert_memory_equal(one->items, three->items, one->row[one->n] * sizeof(cfd_feature));
    assert_memory_equal(one->y, three->y, one->n * sizeof(uint32_t));
    cfd_corpus_free(one);
    cfd_corpus_free(three);
    cfd_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_separable_save_load),
        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_jobs_do_not_change_weights),
        cmocka_unit_test(test_idf),
        cmocka_unit_test(test_absent_class_and_prune),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_balanced),
        cmocka_unit_test(test_corpus_threads_identical),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
