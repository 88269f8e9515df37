/*
 * Tests for core/explain.c: a hand-built model and feature vector whose
 * contributions are known, so the split of the margin into bias and
 * features, the choice and order of the features on each side, the limit of
 * n, the features left out (no row, zero term), the one-sided case without a
 * rival and the runner-up rule are checked against values computed by hand.
 * Then a featurized text: the word a model weighs is what is explained.
 * Then the scorer's other two layouts, random models and vectors: the packed
 * q8 table, and the packed table with IDF fused (the daemon's linear plugin,
 * TF-only vectors): bias + features is the scorer's own margin for every
 * pair of labels, and each listed term is the one the float rows give for
 * the same feature (the weighted value times the weight difference), so the
 * daemon and `classifyd-train predict --explain` agree.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "explain.h"
#include "featurize_fixture.h"
#include "model_fixture.h"

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
    cfd_contrib pro[8], con[8];
    cfd_explanation ex;
    assert_int_equal(cfd_explain(m, &x, 0, 1, 8, pro, con, &ex), 0);
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
    cfd_contrib pro[1], con[1];
    cfd_explanation ex;
    assert_int_equal(cfd_explain(m, &x, 0, 1, 1, pro, con, &ex), 0);
    assert_int_equal(ex.n_for, 1);
    assert_int_equal(pro[0].bucket, 1);
    assert_int_equal(ex.n_against, 1);
    assert_int_equal(con[0].bucket, 2);
    /* the sum still covers every feature, not only the listed ones */
    assert_true(fabs(ex.features - 0.35) < 1e-6);
    /* n = 0: only the sums, no list touched (NULL is fine) */
    assert_int_equal(cfd_explain(m, &x, 0, 1, 0, NULL, NULL, &ex), 0);
    assert_int_equal(ex.n_for, 0);
    assert_int_equal(ex.n_against, 0);
    assert_true(fabs(ex.features - 0.35) < 1e-6);
    assert_true(fabs(ex.bias - 0.75) < 1e-6);
    cfd_model_free(m);
}

static void test_reverse_rival_swaps_sides(void **state)
{
    (void)state;
    cfd_model *m = small_model();
    cfd_contrib pro[8], con[8];
    cfd_explanation ex;
    assert_int_equal(cfd_explain(m, &x, 1, 0, 8, pro, con, &ex), 0);
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
    cfd_contrib pro[8], con[8];
    cfd_explanation ex;
    assert_int_equal(cfd_explain(m, &x, 2, CFD_EXPLAIN_NO_RIVAL, 8, pro, con, &ex), 0);
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
    cfd_contrib pro[2], con[2];
    cfd_explanation ex;
    assert_int_equal(cfd_explain(m, &x, NL, 0, 2, pro, con, &ex), CFD_EINVAL);
    assert_int_equal(cfd_explain(m, &x, 0, NL, 2, pro, con, &ex), CFD_EINVAL);
    const cfd_featvec empty = {NULL, 0};
    assert_int_equal(cfd_explain(m, &empty, 0, 1, 2, pro, con, &ex), 0);
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
    const uint32_t rate = only_bucket(&f, "금리");
    cfd_featurizer *fz;
    cfd_featvec v;
    cfd_error err;
    assert_int_equal(cfd_featurizer_new(&fz), 0);
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
    cfd_contrib pro[4], con[4];
    cfd_explanation ex;
    assert_int_equal(cfd_explain(m, &v, 0, 1, 4, pro, con, &ex), 0);
    assert_int_equal(ex.n_for, 1);
    assert_int_equal(pro[0].bucket, rate);
    assert_true(fabsf(pro[0].term - 2.0f * 0.5f) < 1e-5f); /* four words, L2: 1/2 each */
    assert_int_equal(ex.n_against, 0);
    cfd_model_free(m);
    cfd_featurizer_free(fz);
}

/* Largest first on the for side, most negative first against; sum of the
 * listed terms no larger in size than the total on that side. */
static void assert_ordered(const cfd_contrib *pro, const cfd_contrib *con,
                           const cfd_explanation *ex)
{
    for (size_t i = 0; i < ex->n_for; i++) {
        assert_true(pro[i].term > 0);
        if (i)
            assert_true(pro[i - 1].term > pro[i].term ||
                        (pro[i - 1].term == pro[i].term && pro[i - 1].bucket < pro[i].bucket));
    }
    for (size_t i = 0; i < ex->n_against; i++) {
        assert_true(con[i].term < 0);
        if (i)
            assert_true(con[i - 1].term < con[i].term ||
                        (con[i - 1].term == con[i].term && con[i - 1].bucket < con[i].bucket));
    }
}

static void assert_margin(const float *s, uint32_t a, uint32_t b, const cfd_explanation *ex)
{
    double margin = (double)s[a] - (double)s[b];
    double tol = 1e-5 * (1.0 + fabs((double)s[a]) + fabs((double)s[b]));
    if (fabs(margin - (ex->bias + ex->features)) > tol)
        fail_msg("labels %u over %u: scores give %.9g, explanation %.9g + %.9g", a, b, margin,
                 ex->bias, ex->features);
}

/* The value of bucket f in x, 0 if absent. */
static float value_of(const cfd_featvec *v, uint32_t f)
{
    for (uint32_t i = 0; i < v->n; i++)
        if (v->items[i].index == f)
            return v->items[i].value;
    return 0.0f;
}

/* The term the float rows give bucket f: x_f * (w[a] - w[b]). */
static double rows_term(const cfd_model *m, const cfd_featvec *v, uint32_t f, uint32_t a,
                        uint32_t b)
{
    if (m->row_of[f] == CFD_NO_ROW)
        return 0.0;
    const float *row = m->rows + (size_t)m->row_of[f] * m->n_labels;
    return (double)value_of(v, f) * ((double)row[a] - (double)row[b]);
}

/* Distinct random buckets with raw counts, as the counting pass gives them. */
static cfd_featvec random_counts(cfd_feature *items, uint32_t n, uint32_t n_buckets)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t f = rnd() % n_buckets;
        if (value_of(&(cfd_featvec){items, k}, f) != 0.0f)
            continue;
        items[k].index = f;
        items[k++].value = (float)(1 + rnd() % 3);
    }
    return (cfd_featvec){items, k};
}

static void test_packed_and_fused_layouts_match_the_scorer(void **state)
{
    (void)state;
    static cfd_feature count_items[400];
    cfd_featurizer *fz;
    assert_int_equal(cfd_featurizer_new(&fz), 0);
    for (int use_idf = 0; use_idf <= 2; use_idf++) { /* none, f32 IDF, table IDF */
        cfd_model *m = make_model(5, 60, use_idf);
        m->feat.l2_normalize = 1;
        cfd_model *packed = load_q8(m), *fused = load_q8(m);
        assert_non_null(packed->packed);
        assert_int_equal(cfd_model_fuse_idf(fused), 0);
        assert_true((fused->packed_idf_off != 0) == (use_idf != 0));
        const cfd_feat_config tf_cfg = cfd_model_tf_config(fused);
        for (int rep = 0; rep < 20; rep++) {
            cfd_featvec counts = random_counts(count_items, 1 + rnd() % 400, m->n_buckets);
            /* the weighted vector (training's input) and the TF vector (the
             * plugin's, when fused) for the same counts; keep a copy of
             * the first: the featurizer reuses its buffer */
            static cfd_feature w_items[400];
            cfd_featvec w, tf;
            assert_int_equal(cfd_feat_weight(fz, &packed->feat, packed->idf, &counts, &w), 0);
            memcpy(w_items, w.items, w.n * sizeof(*w.items));
            w.items = w_items;
            assert_int_equal(cfd_feat_weight(fz, use_idf ? &tf_cfg : &fused->feat,
                                             use_idf ? NULL : fused->idf, &counts, &tf), 0);
            float sp[5], sf[5];
            cfd_model_scores(packed, &w, sp);
            if (use_idf)
                assert_int_equal(cfd_model_scores_tf(fused, &tf, sf), 0);
            else
                cfd_model_scores(fused, &tf, sf);
            for (uint32_t a = 0; a < 5; a++) {
                for (uint32_t b = 0; b <= 5; b++) {
                    uint32_t rival = b == 5 ? CFD_EXPLAIN_NO_RIVAL : b;
                    if (rival == a)
                        continue;
                    cfd_contrib pro[6], con[6];
                    cfd_explanation ex;
                    for (int k = 0; k < 2; k++) {
                        const cfd_model *mk = k ? fused : packed;
                        const cfd_featvec *xk = k ? &tf : &w;
                        assert_int_equal(cfd_explain(mk, xk, a, rival, 6, pro, con, &ex), 0);
                        if (rival != CFD_EXPLAIN_NO_RIVAL)
                            assert_margin(k ? sf : sp, a, rival, &ex);
                        else
                            assert_true(fabs((k ? sf : sp)[a] - (ex.bias + ex.features)) <
                                        1e-5 * (1.0 + fabs((k ? sf : sp)[a])));
                        assert_ordered(pro, con, &ex);
                        /* each listed term is the float rows' term for that
                         * feature of the weighted vector, up to q8 rounding */
                        for (int side = 0; side < 2; side++) {
                            const cfd_contrib *l = side ? con : pro;
                            size_t n = side ? ex.n_against : ex.n_for;
                            for (size_t i = 0; i < n; i++) {
                                double want = rival == CFD_EXPLAIN_NO_RIVAL
                                                  ? (double)value_of(&w, l[i].bucket) *
                                                        m->rows[(size_t)m->row_of[l[i].bucket] *
                                                                 5 + a]
                                                  : rows_term(m, &w, l[i].bucket, a, rival);
                                /* q8: each weight within half a step
                                 * (the row's scale) of the float one */
                                float scale;
                                memcpy(&scale, packed->packed + (size_t)l[i].bucket *
                                                                    packed->packed_stride,
                                       sizeof scale);
                                double tol = 1.01 * value_of(&w, l[i].bucket) * scale + 1e-6;
                                if (fabs(want - (double)l[i].term) > tol)
                                    fail_msg("layout %d, bucket %u: term %.6g, rows %.6g", k,
                                             l[i].bucket, (double)l[i].term, want);
                            }
                        }
                    }
                }
            }
        }
        /* the plugin's model: rows shed, only the table left */
        cfd_model_shed_rows(fused);
        assert_null(fused->rows);
        cfd_contrib pro[2], con[2];
        cfd_explanation ex;
        cfd_featvec counts = random_counts(count_items, 50, m->n_buckets), tf;
        assert_int_equal(cfd_feat_weight(fz, use_idf ? &tf_cfg : &fused->feat, NULL, &counts,
                                         &tf), 0);
        assert_int_equal(cfd_explain(fused, &tf, 0, 1, 2, pro, con, &ex), 0);
        cfd_model_free(fused);
        cfd_model_free(packed);
        cfd_model_free(m);
    }
    cfd_featurizer_free(fz);
}

/* Neither rows nor a table (a model stripped by hand): refused, not read. */
static void test_model_without_weights_refused(void **state)
{
    (void)state;
    cfd_model *m = small_model();
    float *rows = m->rows;
    m->rows = NULL;
    cfd_contrib pro[2], con[2];
    cfd_explanation ex;
    assert_int_equal(cfd_explain(m, &x, 0, 1, 2, pro, con, &ex), CFD_EINVAL);
    m->rows = rows;
    cfd_model_free(m);
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
        cmocka_unit_test(test_packed_and_fused_layouts_match_the_scorer),
        cmocka_unit_test(test_model_without_weights_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
