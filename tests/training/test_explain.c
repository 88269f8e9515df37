/*
 * Tests for training/explain.c: a hand-built model and feature vector whose
 * contributions are known, so the split of the margin into bias and
 * features, the choice and order of the features on each side, the limit of
 * n, the features left out (no row, zero term), the one-sided case without a
 * rival and the runner-up rule are checked against values computed by hand.
 * Then a featurized text: the word a model weighs is what is explained.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "explain.h"
#include "featurize.h"

enum { NB = 1024, NL = 3 };

/* Labels a, b, c; buckets 1..6 carry weights, every other bucket none. */
static cfd_model *small_model(void)
{
    static const char *const labels[NL] = {"a", "b", "c"};
    static float w[NB * NL];
    memset(w, 0, sizeof(w));
    /* bucket: w[a], w[b], w[c] */
    const float rows[][4] = {
        {1, 2.0f, 0.5f, 0},   /* a - b = +1.5 */
        {2, 0.1f, 1.1f, 0},   /* a - b = -1.0 */
        {3, 1.0f, 1.0f, 3},   /* a - b = 0: never listed */
        {4, 0.3f, 0.0f, 0},   /* +0.3 */
        {5, -0.5f, 0.0f, 0},  /* -0.5 */
        {6, 0.0f, 0.0f, 1.0f} /* only c */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        for (int c = 0; c < NL; c++)
            w[(size_t)rows[i][0] * NL + (size_t)c] = rows[i][c + 1];
    const float bias[NL] = {0.25f, -0.5f, 0.0f};
    cfd_feat_config f;
    cfd_feat_config_default(&f);
    f.hash_bits = 10;
    cfd_model *m = NULL;
    cfd_error err;
    if (cfd_model_from_dense("t", labels, NL, &f, w, bias, NULL, 1.0f, NULL, &m, &err) != 0)
        fail_msg("from_dense: %s", err.msg);
    return m;
}

/* x: buckets 0 (no row), 1, 2, 3, 4, 5, 6 with values 1, 0.5, 0.5, 1, 1, 0.4, 1 */
static const cfd_feature x_items[] = {{0, 1.0f}, {1, 0.5f}, {2, 0.5f}, {3, 1.0f},
                                      {4, 1.0f}, {5, 0.4f}, {6, 1.0f}};
static const cfd_featvec x = {x_items, 7};

static void test_margin_splits_into_bias_and_terms(void **state)
{
    (void)state;
    cfd_model *m = small_model();
    cfd_contrib pro[8], con[8], scratch[8];
    cfd_explanation ex;
    assert_int_equal(cfd_explain(m, &x, 0, 1, 8, pro, con, scratch, &ex), 0);
    /* terms a over b: b1 0.5*1.5 = 0.75, b2 0.5*-1 = -0.5, b3 0, b4 0.3,
     * b5 0.4*-0.5 = -0.2, b6 0 */
    assert_true(fabs(ex.bias - 0.75) < 1e-6);
    assert_true(fabs(ex.features - (0.75 - 0.5 + 0.3 - 0.2)) < 1e-6);
    assert_int_equal(ex.n_for, 2);
    assert_int_equal(pro[0].bucket, 1);
    assert_true(fabsf(pro[0].term - 0.75f) < 1e-6f);
    assert_int_equal(pro[1].bucket, 4);
    assert_true(fabsf(pro[1].term - 0.3f) < 1e-6f);
    assert_int_equal(ex.n_against, 2);
    assert_int_equal(con[0].bucket, 2); /* most negative first */
    assert_true(fabsf(con[0].term + 0.5f) < 1e-6f);
    assert_int_equal(con[1].bucket, 5);
    assert_true(fabsf(con[1].term + 0.2f) < 1e-6f);

    /* the margin is the scorer's own: s[a] - s[b] */
    float s[NL];
    cfd_model_scores(m, &x, s);
    assert_true(fabs((double)(s[0] - s[1]) - (ex.bias + ex.features)) < 1e-5);
    cfd_model_free(m);
}

static void test_n_limits_each_side(void **state)
{
    (void)state;
    cfd_model *m = small_model();
    cfd_contrib pro[1], con[1], scratch[8];
    cfd_explanation ex;
    assert_int_equal(cfd_explain(m, &x, 0, 1, 1, pro, con, scratch, &ex), 0);
    assert_int_equal(ex.n_for, 1);
    assert_int_equal(pro[0].bucket, 1);
    assert_int_equal(ex.n_against, 1);
    assert_int_equal(con[0].bucket, 2);
    /* the sum still covers every feature, not only the listed ones */
    assert_true(fabs(ex.features - 0.35) < 1e-6);
    cfd_model_free(m);
}

static void test_reverse_rival_swaps_sides(void **state)
{
    (void)state;
    cfd_model *m = small_model();
    cfd_contrib pro[8], con[8], scratch[8];
    cfd_explanation ex;
    assert_int_equal(cfd_explain(m, &x, 1, 0, 8, pro, con, scratch, &ex), 0);
    assert_true(fabs(ex.bias + 0.75) < 1e-6);
    assert_true(fabs(ex.features + 0.35) < 1e-6);
    assert_int_equal(ex.n_for, 2);
    assert_int_equal(pro[0].bucket, 2);
    assert_int_equal(pro[1].bucket, 5);
    assert_int_equal(ex.n_against, 2);
    assert_int_equal(con[0].bucket, 1);
    assert_int_equal(con[1].bucket, 4);
    cfd_model_free(m);
}

static void test_no_rival_uses_one_column(void **state)
{
    (void)state;
    cfd_model *m = small_model();
    cfd_contrib pro[8], con[8], scratch[8];
    cfd_explanation ex;
    assert_int_equal(cfd_explain(m, &x, 2, CFD_EXPLAIN_NO_RIVAL, 8, pro, con, scratch, &ex), 0);
    /* column c: b3 1*3, b6 1*1; nothing against */
    assert_true(fabs(ex.bias - 0.0) < 1e-6);
    assert_true(fabs(ex.features - 4.0) < 1e-6);
    assert_int_equal(ex.n_for, 2);
    assert_int_equal(pro[0].bucket, 3);
    assert_int_equal(pro[1].bucket, 6);
    assert_int_equal(ex.n_against, 0);
    cfd_model_free(m);
}

static void test_bad_labels_and_empty_vector(void **state)
{
    (void)state;
    cfd_model *m = small_model();
    cfd_contrib pro[2], con[2], scratch[8];
    cfd_explanation ex;
    assert_int_equal(cfd_explain(m, &x, NL, 0, 2, pro, con, scratch, &ex), CFD_EINVAL);
    assert_int_equal(cfd_explain(m, &x, 0, NL, 2, pro, con, scratch, &ex), CFD_EINVAL);
    const cfd_featvec empty = {NULL, 0};
    assert_int_equal(cfd_explain(m, &empty, 0, 1, 2, pro, con, scratch, &ex), 0);
    assert_int_equal(ex.n_for, 0);
    assert_int_equal(ex.n_against, 0);
    assert_true(fabs(ex.features) < 1e-12);
    cfd_model_free(m);
}

static void test_runner_up(void **state)
{
    (void)state;
    const float p[4] = {0.1f, 0.5f, 0.3f, 0.1f};
    assert_int_equal(cfd_explain_runner_up(p, 4, 1), 2);
    assert_int_equal(cfd_explain_runner_up(p, 4, 2), 1);
    /* a tie: the first label */
    const float q[3] = {0.2f, 0.6f, 0.2f};
    assert_int_equal(cfd_explain_runner_up(q, 3, 1), 0);
    const float one[1] = {1.0f};
    assert_int_equal(cfd_explain_runner_up(one, 1, 0), CFD_EXPLAIN_NO_RIVAL);
}

/* A model that weighs only the bucket of the word 금리 (for label 0) explains
 * a featurized sentence by that bucket alone. */
static void test_featurized_text(void **state)
{
    (void)state;
    cfd_feat_config f;
    cfd_feat_config_default(&f);
    f.hash_bits = 12;
    f.word_bigrams = 0;
    f.char_min = f.char_max = 0;
    cfd_featurizer *fz;
    cfd_featvec v;
    cfd_error err;
    assert_int_equal(cfd_featurizer_new(&fz), 0);
    assert_int_equal(cfd_featurize(fz, &f, NULL, NULL, 0, "금리", strlen("금리"), &v, &err), 0);
    assert_int_equal(v.n, 1);
    const uint32_t rate = v.items[0].index;
    static float w[4096 * 2];
    memset(w, 0, sizeof(w));
    w[(size_t)rate * 2] = 2.0f;
    const char *const labels[2] = {"경제", "기타"};
    const float bias[2] = {0, 0};
    cfd_model *m = NULL;
    assert_int_equal(cfd_model_from_dense("t", labels, 2, &f, w, bias, NULL, 1.0f, NULL, &m,
                                          &err), 0);
    const char *text = "기준 금리 인상 발표";
    assert_int_equal(cfd_featurize(fz, &f, NULL, NULL, 0, text, strlen(text), &v, &err), 0);
    assert_int_equal(v.n, 4);
    cfd_contrib pro[4], con[4], scratch[4];
    cfd_explanation ex;
    assert_int_equal(cfd_explain(m, &v, 0, 1, 4, pro, con, scratch, &ex), 0);
    assert_int_equal(ex.n_for, 1);
    assert_int_equal(pro[0].bucket, rate);
    assert_true(fabsf(pro[0].term - 2.0f * 0.5f) < 1e-5f); /* four words, L2: 1/2 each */
    assert_int_equal(ex.n_against, 0);
    cfd_model_free(m);
    cfd_featurizer_free(fz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_margin_splits_into_bias_and_terms),
        cmocka_unit_test(test_n_limits_each_side),
        cmocka_unit_test(test_reverse_rival_swaps_sides),
        cmocka_unit_test(test_no_rival_uses_one_column),
        cmocka_unit_test(test_bad_labels_and_empty_vector),
        cmocka_unit_test(test_runner_up),
        cmocka_unit_test(test_featurized_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
