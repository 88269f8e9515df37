/*
 * Tests for the packed q8 scoring table (core/model_pack.c) and its scoring
 * loop (core/model_score.c): which models get one, that packed scores equal
 * the sparse float rows' scores, that a model stripped to its table for
 * serving scores the same and refuses to be saved, that out-of-range
 * feature indexes are skipped on both paths, and that a model whose IDF is
 * fused into the table (cfd_model_fuse_idf) scores TF-only vectors
 * bit-identically to the featurizer's fully weighted ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "featurize.h"
#include "model_fixture.h"

/* A random feature vector over the model's buckets, values like the
 * featurizer's (L2-normalised, positive). */
static cfd_featvec random_vec(cfd_feature *items, uint32_t n, uint32_t n_buckets)
{
    double ss = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        items[i].index = rnd() % n_buckets;
        items[i].value = 0.05f + (float)(rnd() % 1000) / 1000.0f;
        ss += (double)items[i].value * items[i].value;
    }
    for (uint32_t i = 0; i < n; i++)
        items[i].value = (float)(items[i].value / sqrt(ss));
    cfd_featvec v = {items, n};
    return v;
}

/* Scores through the sparse rows, by hiding the packed table. */
static void rows_scores(cfd_model *m, const cfd_featvec *x, float *s)
{
    unsigned char *p = m->packed;
    m->packed = NULL;
    cfd_model_scores(m, x, s);
    m->packed = p;
}

static void assert_scores_close(const float *a, const float *b, uint32_t n)
{
    for (uint32_t c = 0; c < n; c++) {
        double tol = 1e-6 * (1.0 + fabs((double)a[c]));
        if (fabs((double)a[c] - (double)b[c]) > tol)
            fail_msg("label %u: packed %.9g, rows %.9g", c, (double)a[c], (double)b[c]);
    }
}

/* Every label count up to the fixture's 16 (strides 8, 16 and 32), dense
 * and half-dense models: packed scores equal the rows' scores. */
static void test_packed_equals_rows(void **state)
{
    (void)state;
    static cfd_feature items[3000];
    for (uint32_t nl = 2; nl <= 16; nl++) {
        for (int density = 50; density <= 100; density += 50) {
            cfd_model *m = make_model(nl, density, nl % 2);
            cfd_model *l = load_q8(m);
            assert_non_null(l->packed);
            assert_int_equal(l->packed_stride, nl <= 4 ? 8 : nl <= 12 ? 16 : 32);
            for (int rep = 0; rep < 20; rep++) {
                cfd_featvec x = random_vec(items, 1 + rnd() % 3000, l->n_buckets);
                float a[16], b[16];
                cfd_model_scores(l, &x, a);
                rows_scores(l, &x, b);
                assert_scores_close(a, b, nl);
            }
            cfd_model_free(l);
            cfd_model_free(m);
        }
    }
}

/* No table where it does not pay or cannot be used: f32 files, models
 * built in memory, a model whose few non-zero rows make a dense table more
 * than twice their size, and rows wider than a cache line (61+ labels). */
static void test_which_models_are_packed(void **state)
{
    (void)state;
    cfd_model *m = make_model(8, 100, 0);
    assert_null(m->packed); /* built in memory */
    size_t len;
    uint8_t *b = serialize(m, CFD_WEIGHTS_F32, &len);
    cfd_model *l = expect_ok(b, len);
    assert_null(l->packed); /* f32 file */
    free(b);
    cfd_model_free(l);
    cfd_model_free(m);

    /* 16 bytes per bucket packed vs 4 + 8 x 4 x 1% sparse: 16 > 2 x 4.3 */
    m = make_model(8, 1, 0);
    l = load_q8(m);
    assert_true(l->n_rows > 0);
    assert_null(l->packed);
    cfd_featvec x = {NULL, 0};
    float s[8];
    cfd_model_scores(l, &x, s); /* the rows path, bias only */
    for (uint32_t c = 0; c < 8; c++)
        assert_true(s[c] == l->bias[c]);
    cfd_model_free(l);
    cfd_model_free(m);
}

static void test_shed_rows_scores_same_and_refuses_save(void **state)
{
    (void)state;
    static cfd_feature items[2000];
    cfd_model *m = make_model(7, 80, 1);
    cfd_model *l = load_q8(m);
    cfd_featvec x = random_vec(items, 2000, l->n_buckets);
    float before[7], after[7];
    cfd_model_scores(l, &x, before);
    cfd_model_shed_rows(l);
    assert_null(l->row_of);
    assert_null(l->rows);
    cfd_model_scores(l, &x, after);
    assert_memory_equal(before, after, sizeof before);
    void *buf = NULL;
    size_t len = 0;
    cfd_error err;
    assert_int_equal(cfd_model_serialize(l, CFD_WEIGHTS_Q8, &buf, &len, &err), CFD_EINVAL);
    assert_null(buf);
    assert_non_null(strstr(err.msg, "load the file again"));
    cfd_model_free(l); /* frees what is left */

    /* Without a table, shedding does nothing. */
    l = make_model(3, 50, 0);
    cfd_model_shed_rows(l);
    assert_non_null(l->row_of);
    cfd_model_free(l);
    cfd_model_free(m);
}

/* The contract says indexes are < n_buckets; a vector made with another
 * config must still not read out of bounds (ASan checks the reads). */
static void test_out_of_range_index_skipped(void **state)
{
    (void)state;
    cfd_model *m = make_model(8, 100, 0);
    cfd_model *l = load_q8(m);
    cfd_feature items[3] = {{l->n_buckets, 1.0f}, {UINT32_MAX, 1.0f}, {l->n_buckets + 7, 1.0f}};
    cfd_featvec x = {items, 3};
    float a[8], b[8];
    cfd_model_scores(l, &x, a);
    rows_scores(l, &x, b);
    for (uint32_t c = 0; c < 8; c++) {
        assert_true(a[c] == l->bias[c]);
        assert_true(b[c] == l->bias[c]);
    }
    cfd_model_free(l);
    cfd_model_free(m);
}

/* Raw counts as cfd__count gives them: whole body counts, some with title
 * counts at weight 2, a few large (past the TF table). */
static cfd_featvec random_counts(cfd_feature *items, uint32_t n, uint32_t n_buckets)
{
    for (uint32_t i = 0; i < n; i++) {
        items[i].index = rnd() % n_buckets;
        uint32_t body = 1 + (rnd() % 8 == 0 ? rnd() % 300 : rnd() % 3);
        items[i].value = (float)body + 2.0f * (float)(rnd() % 4 == 0);
    }
    cfd_featvec v = {items, n};
    return v;
}

/*
 * The serving path of a model with IDF (plugins/linear): counts weighted
 * with cfd_model_tf_config, then cfd_model_scores_tf on the fused table,
 * must give the very bits of the training path (counts weighted with the
 * model's config and IDF, then cfd_model_scores), with and without L2, for
 * rows that keep their stride and rows that widen; also after the separate
 * IDF table is freed by cfd_model_shed_rows.
 */
static void test_fused_idf_scores_bit_identical(void **state)
{
    (void)state;
    static cfd_feature counts_items[3000];
    /* strides: before fusing, with a float32 IDF, with a one-byte code */
    static const struct { uint32_t nl, before, after_f32, after_code; } cases[] = {
        {2, 8, 16, 8}, {3, 8, 16, 8}, {4, 8, 16, 16}, {7, 16, 16, 16}, {8, 16, 16, 16},
        {12, 16, 32, 32}, {16, 32, 32, 32},
    };
    cfd_featurizer *fz;
    assert_int_equal(cfd_featurizer_new(&fz), 0);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        for (int l2 = 0; l2 <= 1; l2++) {
            for (int style = 1; style <= 2; style++) { /* f32 IDF, table IDF with zeros */
                const uint32_t nl = cases[k].nl;
                cfd_model *m = make_model(nl, 80, style);
                m->feat.l2_normalize = (uint8_t)l2;
                cfd_model *plain = load_q8(m), *fused = load_q8(m), *searched = load_q8(m);
                assert_int_equal(fused->packed_stride, cases[k].before);
                /* a TABLE8 file keeps its codes for fusing; without them
                 * (an older f32 file with few values) fusing finds them */
                assert_true((fused->idf_code != NULL) == (style == 2));
                free(searched->idf_code);
                searched->idf_code = NULL;
                assert_int_equal(cfd_model_fuse_idf(searched), 0);
                assert_int_equal(searched->packed_idf_coded, style == 2);
                assert_int_equal(cfd_model_fuse_idf(fused), 0);
                assert_memory_equal(fused->packed, searched->packed,
                                    (size_t)fused->n_buckets * fused->packed_stride);
                cfd_model_free(searched);
                assert_int_equal(fused->packed_idf_coded, style == 2);
                assert_int_equal(fused->packed_stride,
                                 style == 2 ? cases[k].after_code : cases[k].after_f32);
                assert_true(fused->packed_idf_off >= 4 + nl);
                const cfd_feat_config tf_cfg = cfd_model_tf_config(fused);
                assert_int_equal(tf_cfg.use_idf, 0);
                assert_int_equal(tf_cfg.l2_normalize, 0);
                for (int rep = 0; rep < 30; rep++) {
                    if (rep == 15)
                        cfd_model_shed_rows(fused); /* frees the IDF table too */
                    cfd_featvec counts =
                        random_counts(counts_items, 1 + rnd() % 3000, m->n_buckets);
                    cfd_featvec w;
                    float a[16], b[16];
                    assert_int_equal(cfd_feat_weight(fz, &plain->feat, plain->idf, &counts, &w), 0);
                    cfd_model_scores(plain, &w, a);
                    assert_int_equal(cfd_feat_weight(fz, &tf_cfg, NULL, &counts, &w), 0);
                    assert_int_equal(cfd_model_scores_tf(fused, &w, b), 0);
                    assert_memory_equal(a, b, nl * sizeof(float));
                }
                assert_null(fused->idf);
                assert_null(fused->rows);
                cfd_model_free(fused);
                cfd_model_free(plain);
                cfd_model_free(m);
            }
        }
    }
    cfd_featurizer_free(fz);
}

/* Nothing to fuse: no IDF, no packed table (f32 file), rows that would not
 * fit a cache line (60 labels: 4 + 60 + 4 bytes). cfd_model_scores_tf
 * refuses those models; fusing twice changes nothing. */
static void test_fuse_idf_only_where_it_applies(void **state)
{
    (void)state;
    cfd_featvec empty = {NULL, 0};
    float s[64];
    cfd_model *m = make_model(7, 80, 0);
    cfd_model *l = load_q8(m);
    assert_int_equal(cfd_model_fuse_idf(l), 0);
    assert_int_equal(l->packed_idf_off, 0);
    assert_int_equal(cfd_model_scores_tf(l, &empty, s), CFD_EINVAL);
    cfd_model_free(l);
    cfd_model_free(m);

    m = make_model(7, 80, 1);
    size_t len;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    l = expect_ok(buf, len);
    free(buf);
    assert_null(l->packed);
    assert_int_equal(cfd_model_fuse_idf(l), 0);
    assert_non_null(l->idf);
    assert_int_equal(cfd_model_scores_tf(l, &empty, s), CFD_EINVAL);
    cfd_model_free(l);
    cfd_model_free(m);

    m = make_model(60, 100, 1);
    l = load_q8(m);
    assert_non_null(l->packed);
    assert_int_equal(l->packed_stride, 64);
    assert_int_equal(cfd_model_fuse_idf(l), 0);
    assert_int_equal(l->packed_idf_off, 0);
    assert_int_equal(l->packed_stride, 64);
    cfd_model_free(l);
    cfd_model_free(m);

    m = make_model(8, 80, 1);
    l = load_q8(m);
    assert_int_equal(cfd_model_fuse_idf(l), 0);
    unsigned char *table = l->packed;
    uint32_t off = l->packed_idf_off;
    assert_int_equal(cfd_model_fuse_idf(l), 0);
    assert_ptr_equal(l->packed, table);
    assert_int_equal(l->packed_idf_off, off);
    cfd_model_free(l);
    cfd_model_free(m);
}

/* Fused scoring skips indexes outside the table (bias only, ASan watches
 * the reads) and fails like the featurizer when the IDF-weighted sum of
 * squares overflows. */
static void test_fused_idf_bad_vectors(void **state)
{
    (void)state;
    cfd_model *m = make_model(8, 100, 1);
    cfd_model *l = load_q8(m);
    assert_int_equal(cfd_model_fuse_idf(l), 0);
    cfd_feature items[3] = {{l->n_buckets, 1.0f}, {UINT32_MAX, 1.0f}, {l->n_buckets + 7, 1.0f}};
    cfd_featvec x = {items, 3};
    float s[8];
    assert_int_equal(cfd_model_scores_tf(l, &x, s), 0);
    for (uint32_t c = 0; c < 8; c++)
        assert_true(s[c] == l->bias[c]);

    cfd_feature big[2] = {{1, 3e38f}, {2, 3e38f}}; /* x idf (>= 1 here) overflows */
    cfd_featvec y = {big, 2};
    assert_int_equal(cfd_model_scores_tf(l, &y, s), CFD_ERANGE);
    cfd_featurizer *fz;
    cfd_featvec w;
    assert_int_equal(cfd_featurizer_new(&fz), 0);
    cfd_feat_config raw = m->feat; /* the same values into the IDF step */
    raw.sublinear_tf = 0;
    assert_int_equal(cfd_feat_weight(fz, &raw, m->idf, &y, &w), CFD_ERANGE);
    cfd_featurizer_free(fz);
    cfd_model_free(l);
    cfd_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packed_equals_rows),
        cmocka_unit_test(test_which_models_are_packed),
        cmocka_unit_test(test_shed_rows_scores_same_and_refuses_save),
        cmocka_unit_test(test_out_of_range_index_skipped),
        cmocka_unit_test(test_fused_idf_scores_bit_identical),
        cmocka_unit_test(test_fuse_idf_only_where_it_applies),
        cmocka_unit_test(test_fused_idf_bad_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
