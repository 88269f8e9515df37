/*
 * Tests for core/model.c: building a model from dense weights (and the
 * validity rules of core/model_check.c it applies), scoring against a naive
 * dense computation, softmax probabilities, argmax.
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

#include "model.h"
#include "test_rng.h"

#define HB 10
#define NB (1u << HB)

static uint64_t rng_state = 0xd1b54a32d192ed03ull;

static uint32_t rnd(void)
{
    return cfd_test_rnd(&rng_state);
}

static float rndw(void) { return (float)((int)(rnd() % 200001) - 100000) / 30000.0f; }

static void config(cfd_feat_config *f)
{
    memset(f, 0, sizeof(*f));
    f->hash_bits = HB;
    f->word_unigrams = 1;
    f->word_bigrams = 1;
    f->char_min = 1;
    f->char_max = 3;
    f->sublinear_tf = 1;
    f->l2_normalize = 1;
    f->clean_news = 1;
    f->title_weight = 2.0f;
    f->seed = 7;
}

static const char *const labels5[] = {"정치", "경제", "사회", "world", "IT과학"};

/* Dense weights with about one row in `every` non-zero. */
static float *dense(uint32_t nl, uint32_t every, uint32_t *nonzero)
{
    float *w = calloc((size_t)NB * nl, sizeof(float));
    *nonzero = 0;
    for (uint32_t b = 0; b < NB; b++) {
        if (rnd() % every != 0)
            continue;
        (*nonzero)++;
        for (uint32_t c = 0; c < nl; c++)
            w[(size_t)b * nl + c] = rndw();
        w[(size_t)b * nl + rnd() % nl] = 0.0f; /* some zeros inside a row stay */
    }
    return w;
}

static cfd_model *build(const float *w, const float *bias, float prob_scale)
{
    cfd_feat_config f;
    config(&f);
    cfd_model *m = NULL;
    cfd_error err;
    if (cfd_model_from_dense("topic", labels5, 5, &f, w, bias, NULL, prob_scale, NULL, &m, &err))
        fail_msg("from_dense: %s", err.msg);
    return m;
}

static void test_from_dense_sparse_layout(void **state)
{
    (void)state;
    uint32_t nonzero;
    float *w = dense(5, 7, &nonzero);
    float bias[5] = {0.1f, -0.2f, 0.3f, 0.0f, 1.5f};
    cfd_model *m = build(w, bias, 1.0f);
    assert_int_equal(m->n_buckets, NB);
    assert_int_equal(m->n_rows, nonzero);
    assert_true(nonzero > 50 && nonzero < NB);
    uint32_t seen = 0;
    for (uint32_t b = 0; b < NB; b++) {
        int zero = 1;
        for (uint32_t c = 0; c < 5; c++)
            zero &= w[b * 5 + c] == 0.0f;
        if (zero) {
            assert_int_equal(m->row_of[b], CFD_NO_ROW);
            continue;
        }
        assert_true(m->row_of[b] < m->n_rows);
        assert_memory_equal(m->rows + (size_t)m->row_of[b] * 5, w + (size_t)b * 5,
                            5 * sizeof(float));
        seen++;
    }
    assert_int_equal(seen, nonzero);
    /* Everything is copied: the caller's arrays may go away. */
    assert_true(m->labels[0] != labels5[0]);
    assert_string_equal(m->labels[4], "IT과학");
    assert_string_equal(m->name, "topic");
    memset(w, 0, (size_t)NB * 5 * sizeof(float));
    bias[0] = 99.0f;
    assert_true(m->bias[0] == 0.1f);
    assert_null(m->idf);
    assert_null(m->meta.notes);
    free(w);
    cfd_model_free(m);
    cfd_model_free(NULL);
}

static void test_from_dense_meta_and_idf(void **state)
{
    (void)state;
    cfd_feat_config f;
    config(&f);
    f.use_idf = 1;
    float *w = calloc((size_t)NB * 2, sizeof(float));
    float *idf = malloc(NB * sizeof(float));
    for (uint32_t b = 0; b < NB; b++)
        idf[b] = 1.0f + (float)b / 100.0f;
    w[2 * 17] = 1.0f;
    float bias[2] = {0, 0};
    cfd_model_meta meta = {0};
    snprintf(meta.solver, sizeof(meta.solver), "L2R_LR");
    char notes[] = "CC BY-NC-SA 3.0: non-commercial";
    meta.notes = notes;
    const char *labels[] = {"positive", "negative"};
    cfd_model *m = NULL;
    cfd_error err;
    assert_int_equal(cfd_model_from_dense("sentiment", labels, 2, &f, w, bias, idf, 0.8f, &meta,
                                          &m, &err), 0);
    assert_int_equal(m->n_rows, 1);
    assert_int_equal(m->row_of[17], 0);
    assert_non_null(m->idf);
    assert_true(m->idf != idf);
    assert_memory_equal(m->idf, idf, NB * sizeof(float));
    assert_true(m->meta.notes != notes);
    assert_string_equal(m->meta.notes, notes);
    assert_string_equal(m->meta.solver, "L2R_LR");
    assert_true(m->prob_scale == 0.8f);
    cfd_model_free(m);
    free(idf);
    free(w);
}

#define expect_reject(code, needle, ...)                                                  \
    do {                                                                                  \
        cfd_model *m_ = (cfd_model *)0x1;                                                 \
        cfd_error e_;                                                                     \
        int rc_ = cfd_model_from_dense(__VA_ARGS__, &m_, &e_);                            \
        if (rc_ != (code) || m_ != NULL || strstr(e_.msg, (needle)) == NULL)              \
            fail_msg("line %d: expected %s with \"%s\", got %s: %s", __LINE__,            \
                     cfd_errname(code), needle, cfd_errname(rc_), e_.msg);                \
    } while (0)

static void test_from_dense_rejects(void **state)
{
    (void)state;
    cfd_feat_config f, bad;
    config(&f);
    float *w = calloc((size_t)NB * 5, sizeof(float));
    float bias[5] = {0};
    float *idf = calloc(NB, sizeof(float));

    const char *dup[] = {"a", "b", "a"};
    expect_reject(CFD_EFORMAT, "labels 0 and 2 are both \"a\"", "t", dup, 3, &f, w, bias, NULL,
                  1.0f, NULL);
    expect_reject(CFD_EFORMAT, "label count is 1", "t", labels5, 1, &f, w, bias, NULL, 1.0f, NULL);
    expect_reject(CFD_ETOOBIG, "label count is 5000", "t", labels5, 5000, &f, w, bias, NULL, 1.0f,
                  NULL);
    const char *empty[] = {"a", ""};
    expect_reject(CFD_EEMPTY, "label 1 is empty", "t", empty, 2, &f, w, bias, NULL, 1.0f, NULL);
    const char *badutf[] = {"a", "\xed\xa0\x80"}; /* a surrogate */
    expect_reject(CFD_EUTF8, "label 1 is not valid UTF-8", "t", badutf, 2, &f, w, bias, NULL, 1.0f,
                  NULL);
    const char *newline[] = {"a", "b\n"};
    expect_reject(CFD_EFORMAT, "control character 0x0a", "t", newline, 2, &f, w, bias, NULL, 1.0f,
                  NULL);
    char longname[200];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    expect_reject(CFD_ETOOBIG, "model name is 199 bytes", longname, labels5, 5, &f, w, bias, NULL,
                  1.0f, NULL);
    expect_reject(CFD_EEMPTY, "model name is empty", "", labels5, 5, &f, w, bias, NULL, 1.0f, NULL);

    w[5 * 33 + 2] = NAN;
    expect_reject(CFD_ERANGE, "bucket 33, label 2 is not finite", "t", labels5, 5, &f, w, bias,
                  NULL, 1.0f, NULL);
    w[5 * 33 + 2] = 0.0f;
    bias[3] = INFINITY;
    expect_reject(CFD_ERANGE, "bias of label 3", "t", labels5, 5, &f, w, bias, NULL, 1.0f, NULL);
    bias[3] = 0.0f;
    expect_reject(CFD_ERANGE, "prob_scale is 0", "t", labels5, 5, &f, w, bias, NULL, 0.0f, NULL);
    expect_reject(CFD_ERANGE, "prob_scale is nan", "t", labels5, 5, &f, w, bias, NULL, NAN, NULL);

    bad = f;
    bad.char_min = 4;
    bad.char_max = 2;
    expect_reject(CFD_EINVAL, "featurizer config", "t", labels5, 5, &bad, w, bias, NULL, 1.0f,
                  NULL);
    bad = f;
    bad.hash_bits = 40;
    expect_reject(CFD_EINVAL, "hash_bits", "t", labels5, 5, &bad, w, bias, NULL, 1.0f, NULL);
    expect_reject(CFD_EINVAL, "use_idf = 0", "t", labels5, 5, &f, w, bias, idf, 1.0f, NULL);
    bad = f;
    bad.use_idf = 1;
    expect_reject(CFD_EINVAL, "no IDF table", "t", labels5, 5, &bad, w, bias, NULL, 1.0f, NULL);
    idf[9] = -1.0f;
    expect_reject(CFD_ERANGE, "idf[9]", "t", labels5, 5, &bad, w, bias, idf, 1.0f, NULL);

    cfd_model_meta meta = {0};
    snprintf(meta.data_sha256, sizeof(meta.data_sha256), "abc");
    expect_reject(CFD_EFORMAT, "data_sha256 has 3 characters", "t", labels5, 5, &f, w, bias, NULL,
                  1.0f, &meta);
    memset(&meta, 0, sizeof(meta));
    meta.c = -1.0;
    expect_reject(CFD_ERANGE, "meta.c is -1", "t", labels5, 5, &f, w, bias, NULL, 1.0f, &meta);
    memset(&meta, 0, sizeof(meta));
    memset(meta.solver, 'x', sizeof(meta.solver)); /* no NUL */
    expect_reject(CFD_EINVAL, "meta.solver is not NUL-terminated", "t", labels5, 5, &f, w, bias,
                  NULL, 1.0f, &meta);
    expect_reject(CFD_EINVAL, "required", NULL, labels5, 5, &f, w, bias, NULL, 1.0f, NULL);
    free(idf);
    free(w);
}

static void test_scores_match_dense(void **state)
{
    (void)state;
    uint32_t nonzero;
    float *w = dense(5, 3, &nonzero);
    float bias[5];
    for (int c = 0; c < 5; c++)
        bias[c] = rndw();
    cfd_model *m = build(w, bias, 1.0f);
    cfd_feature items[400];
    float s[5];
    for (int t = 0; t < 2000; t++) {
        uint32_t n = 0;
        for (uint32_t b = rnd() % 5; b < NB && n < 400; b += 1 + rnd() % 20) {
            items[n].index = b;
            items[n].value = (float)(rnd() % 10000) / 5000.0f;
            n++;
        }
        cfd_featvec v = {items, n};
        cfd_model_scores(m, &v, s);
        for (uint32_t c = 0; c < 5; c++) {
            double ref = bias[c];
            for (uint32_t i = 0; i < n; i++)
                ref += (double)items[i].value * w[(size_t)items[i].index * 5 + c];
            assert_true(fabs(ref - s[c]) <= 1e-6 * (1.0 + fabs(ref)));
        }
    }
    /* Empty vector: the biases. */
    cfd_featvec empty = {NULL, 0};
    cfd_model_scores(m, &empty, s);
    assert_memory_equal(s, bias, sizeof(bias));
    /* An index beyond n_buckets (a vector made with another config) is
     * ignored, never read out of bounds. */
    cfd_feature odd[2] = {{3, 1.0f}, {NB + 5, 100.0f}};
    cfd_featvec v = {odd, 2};
    cfd_featvec v1 = {odd, 1};
    float s1[5];
    cfd_model_scores(m, &v, s);
    cfd_model_scores(m, &v1, s1);
    assert_memory_equal(s, s1, sizeof(s));
    free(w);
    cfd_model_free(m);
}

static void test_probs(void **state)
{
    (void)state;
    uint32_t nonzero;
    float *w = dense(5, 9, &nonzero);
    float bias[5] = {0};
    cfd_model *m = build(w, bias, 1.7f);
    float p[5];
    for (int t = 0; t < 1000; t++) {
        float s[5];
        for (int c = 0; c < 5; c++)
            s[c] = rndw() * 3.0f;
        cfd_model_probs(m, s, p);
        double sum = 0.0, z = 0.0;
        for (int c = 0; c < 5; c++)
            z += exp(1.7 * s[c]);
        for (int c = 0; c < 5; c++) {
            sum += p[c];
            assert_true(fabs(p[c] - exp(1.7 * s[c]) / z) < 1e-6);
        }
        assert_true(fabs(sum - 1.0) < 1e-5);
        assert_int_equal(cfd_argmax(p, 5), cfd_argmax(s, 5));
    }
    /* Huge scores overflow nothing: the winner takes (almost) all. */
    float big[5] = {1e30f, 3e30f, -1e30f, 2.9e30f, 0.0f};
    cfd_model_probs(m, big, p);
    for (int c = 0; c < 5; c++)
        assert_true(isfinite(p[c]) && p[c] >= 0.0f && p[c] <= 1.0f);
    assert_true(p[1] > 0.999f);
    /* Equal scores: uniform. */
    float eq[5] = {-800.0f, -800.0f, -800.0f, -800.0f, -800.0f};
    cfd_model_probs(m, eq, p);
    for (int c = 0; c < 5; c++)
        assert_true(fabs(p[c] - 0.2f) < 1e-6);
    /* A larger prob_scale sharpens. */
    float s2[5] = {1.0f, 0.5f, 0.0f, -0.5f, -1.0f};
    float q[5];
    cfd_model_probs(m, s2, p);
    m->prob_scale = 4.0f;
    cfd_model_probs(m, s2, q);
    assert_true(q[0] > p[0]);
    assert_true(q[4] < p[4]);
    free(w);
    cfd_model_free(m);
}

static void test_argmax(void **state)
{
    (void)state;
    float a[] = {-3.0f, -1.0f, -1.0f, -2.0f};
    assert_int_equal(cfd_argmax(a, 4), 1); /* first on ties */
    float b[] = {5.0f};
    assert_int_equal(cfd_argmax(b, 1), 0);
    float c[] = {0.1f, 0.2f, 0.3f, 0.3f};
    assert_int_equal(cfd_argmax(c, 4), 2);
    float d[] = {-INFINITY, -1e30f};
    assert_int_equal(cfd_argmax(d, 2), 1);
}

/* cfd_model_check_strings: the save-time rules for name, version and notes,
 * so classifyd-train can refuse them before training. */
static void test_check_strings(void **state)
{
    (void)state;
    cfd_error err;
    assert_int_equal(cfd_model_check_strings("topic", "v1", "licence: CC BY\nline 2", &err), 0);
    assert_int_equal(cfd_model_check_strings(NULL, NULL, NULL, &err), 0);
    assert_int_equal(cfd_model_check_strings("", NULL, NULL, &err), CFD_EEMPTY);
    assert_int_equal(cfd_model_check_strings("to\tpic", NULL, NULL, &err), CFD_EFORMAT);
    assert_non_null(strstr(err.msg, "model name"));
    char name[CFD_MAX_NAME_LEN + 2];
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_int_equal(cfd_model_check_strings(name, NULL, NULL, &err), CFD_ETOOBIG);
    assert_int_equal(cfd_model_check_strings("to\x7fpic", NULL, NULL, &err), CFD_EFORMAT);
    assert_non_null(strstr(err.msg, "control character 0x7f"));
    assert_int_equal(cfd_model_check_strings(NULL, "v\n1", NULL, &err), CFD_EFORMAT);
    assert_non_null(strstr(err.msg, "meta.version"));
    assert_int_equal(cfd_model_check_strings(NULL, "", NULL, &err), 0);
    assert_int_equal(cfd_model_check_strings(NULL, NULL, "x \xff", &err), CFD_EUTF8);
    assert_non_null(strstr(err.msg, "meta.notes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_dense_sparse_layout),
        cmocka_unit_test(test_check_strings),
        cmocka_unit_test(test_from_dense_meta_and_idf),
        cmocka_unit_test(test_from_dense_rejects),
        cmocka_unit_test(test_scores_match_dense),
        cmocka_unit_test(test_probs),
        cmocka_unit_test(test_argmax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
