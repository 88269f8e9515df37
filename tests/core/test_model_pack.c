/*
 * Tests for the packed q8 scoring table (core/model_pack.c) and its scoring
 * loop (core/model_score.c): which models get one, that packed scores equal
 * the sparse float rows' scores, that a model stripped to its table for
 * serving scores the same and refuses to be saved, and that out-of-range
 * feature indexes are skipped on both paths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

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

static cfd_model *load_q8(cfd_model *m)
{
    size_t len;
    uint8_t *b = serialize(m, CFD_WEIGHTS_Q8, &len);
    cfd_model *l = expect_ok(b, len);
    free(b);
    return l;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packed_equals_rows),
        cmocka_unit_test(test_which_models_are_packed),
        cmocka_unit_test(test_shed_rows_scores_same_and_refuses_save),
        cmocka_unit_test(test_out_of_range_index_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
