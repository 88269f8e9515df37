/*
 * liblinear parity (core/model_export.c and the scoring in core/model.c):
 *  1. a model of ours, exported to liblinear's text format and loaded with
 *     liblinear's own load_model, gives predict_values equal to
 *     cfd_model_scores (within 1e-5) on many random sparse vectors;
 *  2. a model trained by liblinear's train() on small synthetic data,
 *     converted to ours (the mapping documented in core/model.c), scores the
 *     same as liblinear, also after a save/load round trip through our file
 *     format, and again after exporting it back.
 * Binary and multi-class, logistic regression and SVM solvers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linear.h>

#include "model.h"
#include "test_rng.h"

#define TOL 1e-5
#define HASH_BITS 10
#define NB (1u << HASH_BITS)

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
    return cfd_test_rnd(&rng_state);
}

static double rndu(void) { return (double)rnd() / 4294967296.0; }

static float rndw(void) { return (float)((int)(rnd() % 200001) - 100000) / 40000.0f; }

static void quiet(const char *s) { (void)s; }

static void config(cfd_feat_config *f)
{
    memset(f, 0, sizeof(*f));
    f->hash_bits = HASH_BITS;
    f->word_unigrams = 1;
    f->char_min = 1;
    f->char_max = 3;
    f->sublinear_tf = 1;
    f->l2_normalize = 1;
    f->title_weight = 1.0f;
}

static cfd_model *from_dense(uint32_t nl, const float *w, const float *bias, const char *solver)
{
    cfd_feat_config f;
    config(&f);
    char names[64][16];
    const char *labels[64];
    for (uint32_t c = 0; c < nl; c++) {
        snprintf(names[c], sizeof(names[c]), "class%u", c);
        labels[c] = names[c];
    }
    cfd_model_meta meta = {0};
    snprintf(meta.solver, sizeof(meta.solver), "%s", solver);
    cfd_model *m = NULL;
    cfd_error err;
    if (cfd_model_from_dense("parity", labels, nl, &f, w, bias, NULL, 1.0f, &meta, &m, &err) != 0)
        fail_msg("from_dense: %s", err.msg);
    return m;
}

/* A random sparse vector: sorted unique buckets, values like a featurizer's. */
static uint32_t random_vector(cfd_feature *items, uint32_t max)
{
    uint32_t n = 0;
    uint32_t k = 1 + rnd() % max;
    uint32_t b = rnd() % 8;
    while (n < k && b < NB) {
        items[n].index = b;
        items[n].value = (float)(0.05 + rndu());
        n++;
        b += 1 + rnd() % 40;
    }
    return n;
}

/* liblinear input for the same vector, with the bias feature appended. */
static void to_liblinear(const cfd_feature *items, uint32_t n, struct feature_node *x)
{
    for (uint32_t i = 0; i < n; i++) {
        x[i].index = (int)items[i].index + 1;
        x[i].value = items[i].value;
    }
    x[n].index = (int)NB + 1;
    x[n].value = 1.0;
    x[n + 1].index = -1;
}

static char *export_path(char *buf, size_t cap)
{
    snprintf(buf, cap, "/tmp/cfd_test_export.%ld.txt", (long)getpid());
    return buf;
}

/* Scores of m vs liblinear's decision values of lm, on `trials` vectors.
 * one_column: liblinear keeps one column (binary), equal to s[0] - s[1]. */
static void compare(const cfd_model *m, const struct model *lm, int trials)
{
    cfd_feature items[300];
    struct feature_node x[302];
    float s[64];
    double dec[64];
    int nr_w = get_nr_class(lm) == 2 && lm->param.solver_type != MCSVM_CS ? 1 : get_nr_class(lm);
    double worst = 0.0;
    for (int t = 0; t < trials; t++) {
        uint32_t n = random_vector(items, 250);
        to_liblinear(items, n, x);
        cfd_featvec v = {items, n};
        cfd_model_scores(m, &v, s);
        predict_values(lm, x, dec);
        for (int j = 0; j < nr_w; j++) {
            double ours = nr_w == 1 ? (double)s[0] - (double)s[1] : (double)s[j];
            double d = fabs(ours - dec[j]);
            if (d > worst)
                worst = d;
            if (d > TOL)
                fail_msg("vector %d, column %d: ours %.9g, liblinear %.9g", t, j, ours, dec[j]);
        }
    }
    assert_true(worst <= TOL);
}

static struct model *export_and_load(const cfd_model *m)
{
    char path[128];
    cfd_error err;
    if (cfd_model_export_liblinear(m, export_path(path, sizeof(path)), &err) != 0)
        fail_msg("export: %s", err.msg);
    struct model *lm = load_model(path);
    unlink(path);
    assert_non_null(lm);
    assert_int_equal(get_nr_feature(lm), NB);
    assert_true(lm->bias == 1.0);
    int labels[64];
    get_labels(lm, labels);
    for (int c = 0; c < get_nr_class(lm); c++)
        assert_int_equal(labels[c], c);
    return lm;
}

static cfd_model *random_model(uint32_t nl, const char *solver)
{
    float *w = calloc((size_t)NB * nl, sizeof(float));
    float bias[64];
    for (uint32_t b = 0; b < NB; b++)
        if (rnd() % 3 == 0)
            for (uint32_t c = 0; c < nl; c++)
                w[(size_t)b * nl + c] = rndw();
    for (uint32_t c = 0; c < nl; c++)
        bias[c] = rndw();
    cfd_model *m = from_dense(nl, w, bias, solver);
    free(w);
    return m;
}

static void test_export_multiclass(void **state)
{
    (void)state;
    cfd_model *m = random_model(5, "L2R_LR");
    struct model *lm = export_and_load(m);
    assert_int_equal(get_nr_class(lm), 5);
    compare(m, lm, 2000);
    free_and_destroy_model(&lm);
    cfd_model_free(m);
}

static void test_export_binary(void **state)
{
    (void)state;
    /* Two columns that are both non-zero: liblinear gets their difference. */
    cfd_model *m = random_model(2, "L2R_L2LOSS_SVC_DUAL");
    struct model *lm = export_and_load(m);
    assert_int_equal(lm->param.solver_type, L2R_L2LOSS_SVC_DUAL);
    compare(m, lm, 2000);
    free_and_destroy_model(&lm);
    cfd_model_free(m);
    /* Crammer-Singer keeps both columns even for two classes. */
    m = random_model(2, "MCSVM_CS");
    lm = export_and_load(m);
    assert_int_equal(lm->param.solver_type, MCSVM_CS);
    compare(m, lm, 500);
    free_and_destroy_model(&lm);
    cfd_model_free(m);
}

/* Synthetic data: each class has its own preferred buckets, plus noise. */
static struct problem *synthetic(int n_class, int l)
{
    struct problem *p = calloc(1, sizeof(*p));
    p->l = l;
    p->n = (int)NB + 1; /* + the bias feature */
    p->bias = 1.0;
    p->y = calloc((size_t)l, sizeof(double));
    p->x = calloc((size_t)l, sizeof(*p->x));
    for (int i = 0; i < l; i++) {
        int y = i % n_class;
        p->y[i] = y * 10 + 3; /* arbitrary liblinear labels: 3, 13, 23... */
        struct feature_node *x = calloc(64, sizeof(*x));
        int n = 0;
        uint32_t b = rnd() % 5;
        while (n < 60 && b < NB) {
            int mine = (b % (uint32_t)n_class) == (uint32_t)y;
            if (mine || rnd() % 4 == 0) {
                x[n].index = (int)b + 1;
                x[n].value = (mine ? 1.0 : 0.5) * (0.2 + rndu());
                n++;
            }
            b += 1 + rnd() % 30;
        }
        x[n].index = (int)NB + 1;
        x[n].value = 1.0;
        x[n + 1].index = -1;
        p->x[i] = x;
    }
    return p;
}

static void free_problem(struct problem *p)
{
    for (int i = 0; i < p->l; i++)
        free(p->x[i]);
    free(p->x);
    free(p->y);
    free(p);
}

/* liblinear model -> ours, with the documented binary mapping. */
static cfd_model *convert(const struct model *lm, const char *solver)
{
    int nc = get_nr_class(lm);
    int nr_w = nc == 2 && lm->param.solver_type != MCSVM_CS ? 1 : nc;
    assert_int_equal(get_nr_feature(lm), NB);
    float *w = calloc((size_t)NB * nc, sizeof(float));
    float bias[64] = {0};
    for (uint32_t b = 0; b <= NB; b++)
        for (int j = 0; j < nr_w; j++) {
            float v = (float)lm->w[(size_t)b * nr_w + j];
            if (b == NB)
                bias[j] = v;
            else
                w[(size_t)b * nc + j] = v;
        }
    cfd_model *m = from_dense((uint32_t)nc, w, bias, solver);
    free(w);
    return m;
}

static void train_and_compare(int n_class, int solver, const char *solver_name)
{
    struct problem *p = synthetic(n_class, 300);
    struct parameter param = {0};
    param.solver_type = solver;
    param.C = 1.0;
    param.eps = 0.01;
    assert_null(check_parameter(p, &param));
    struct model *lm = train(p, &param);
    assert_non_null(lm);
    cfd_model *m = convert(lm, solver_name);

    /* Parity on random vectors and on the training vectors themselves. */
    compare(m, lm, 1000);
    float s[64];
    double dec[64];
    cfd_feature items[64];
    int agree = 0;
    for (int i = 0; i < p->l; i++) {
        uint32_t n = 0;
        for (const struct feature_node *x = p->x[i]; x->index != -1; x++)
            if (x->index <= (int)NB) {
                items[n].index = (uint32_t)x->index - 1;
                items[n].value = (float)x->value;
                n++;
            }
        cfd_featvec v = {items, n};
        cfd_model_scores(m, &v, s);
        double pred = predict_values(lm, p->x[i], dec);
        uint32_t best = cfd_argmax(s, m->n_labels);
        agree += lm->label[best] == (int)pred;
    }
    assert_int_equal(agree, p->l);
    /* The binary mapping: column 1 is all zero, scores[1] == 0. */
    if (n_class == 2 && solver != MCSVM_CS)
        for (uint32_t r = 0; r < m->n_rows; r++)
            assert_true(m->rows[(size_t)r * 2 + 1] == 0.0f);

    /* Through our file format and back out to liblinear. */
    void *buf;
    size_t len;
    cfd_error err;
    assert_int_equal(cfd_model_serialize(m, CFD_WEIGHTS_F32, &buf, &len, &err), 0);
    cfd_model *l = NULL;
    if (cfd_model_load_buffer(buf, len, &l, &err) != 0)
        fail_msg("load: %s", err.msg);
    compare(l, lm, 500);
    struct model *lm2 = export_and_load(l);
    compare(l, lm2, 500);
    free(buf);
    cfd_model_free(l);
    free_and_destroy_model(&lm2);
    cfd_model_free(m);
    free_and_destroy_model(&lm);
    free_problem(p);
}

static void test_trained_multiclass_lr(void **state)
{
    (void)state;
    train_and_compare(4, L2R_LR, "L2R_LR");
}

static void test_trained_multiclass_svc(void **state)
{
    (void)state;
    train_and_compare(3, L2R_L2LOSS_SVC_DUAL, "L2R_L2LOSS_SVC_DUAL");
}

static void test_trained_binary_lr(void **state)
{
    (void)state;
    train_and_compare(2, L2R_LR, "L2R_LR");
}

static void test_trained_binary_probability(void **state)
{
    (void)state;
    /* With prob_scale 1, our softmax over (d, 0) is liblinear's LR
     * probability 1 / (1 + exp(-d)). */
    struct problem *p = synthetic(2, 200);
    struct parameter param = {.solver_type = L2R_LR, .C = 1.0, .eps = 0.01};
    struct model *lm = train(p, &param);
    cfd_model *m = convert(lm, "L2R_LR");
    cfd_feature items[300];
    struct feature_node x[302];
    float s[2], pr[2];
    double lp[2];
    for (int t = 0; t < 500; t++) {
        uint32_t n = random_vector(items, 250);
        to_liblinear(items, n, x);
        cfd_featvec v = {items, n};
        cfd_model_scores(m, &v, s);
        cfd_model_probs(m, s, pr);
        predict_probability(lm, x, lp);
        assert_true(fabs(pr[0] - lp[0]) < 1e-5);
        assert_true(fabs(pr[1] - lp[1]) < 1e-5);
    }
    cfd_model_free(m);
    free_and_destroy_model(&lm);
    free_problem(p);
}

static void test_export_errors(void **state)
{
    (void)state;
    cfd_model *m = random_model(3, "");
    cfd_error err;
    const char *bad = "/tmp/cfd-no-such-dir/x/model.txt";
    assert_int_equal(cfd_model_export_liblinear(m, bad, &err), CFD_ENOENT);
    assert_non_null(strstr(err.msg, bad));
    /* Unknown solver names export as L2R_LR. */
    struct model *lm = export_and_load(m);
    assert_int_equal(lm->param.solver_type, L2R_LR);
    free_and_destroy_model(&lm);
    cfd_model_free(m);
}

static int setup(void **state)
{
    (void)state;
    set_print_string_function(quiet);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_multiclass),
        cmocka_unit_test(test_export_binary),
        cmocka_unit_test(test_trained_multiclass_lr),
        cmocka_unit_test(test_trained_multiclass_svc),
        cmocka_unit_test(test_trained_binary_lr),
        cmocka_unit_test(test_trained_binary_probability),
        cmocka_unit_test(test_export_errors),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
