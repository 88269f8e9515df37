/*
 * Tests for the weighting step of core/featurize.c (cfd_feat_weight,
 * cfd_feat_l2_in_place, and cfd_featurize as counting + weighting):
 * sublinear TF, IDF, L2 against values computed by hand, the one-call path
 * equal to counts + weight, in-place L2 equal to weighting with L2, the
 * default config's unit norm. Counting is tested in test_featurize.c.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <classifyd/error.h>

#include "featurize.h"
#include "featurize_fixture.h"
#include "hash.h"

static void test_sublinear_l2_idf(void **state)
{
    cfd_featurizer *fz = *state;
    cfd_feat_config cfg = raw_config();
    cfg.word_bigrams = 0;
    cfg.char_min = cfg.char_max = 0;
    cfd_featvec counts, w;
    cfd_error err;
    /* counts: 가 x3 (title 1 * 2 + body 1), 나 x1 */
    assert_int_equal(cfd_featurize_counts(fz, &cfg, S("가"), S("가 나"), &counts, &err), 0);
    assert_int_equal(counts.n, 2);
    uint32_t i_ga = cfd_hash_bucket(cfd_hash_bytes("가", 3, seed_of(&cfg, CFD_HK_UNIGRAM)), 20);
    uint32_t i_na = cfd_hash_bucket(cfd_hash_bytes("나", 3, seed_of(&cfg, CFD_HK_UNIGRAM)), 20);
    size_t ga = counts.items[0].index == i_ga ? 0 : 1, na = 1 - ga;
    assert_int_equal(counts.items[na].index, i_na);
    assert_float_equal(counts.items[ga].value, 3.0, 1e-6);
    assert_float_equal(counts.items[na].value, 1.0, 1e-6);

    cfg.sublinear_tf = 1;
    assert_int_equal(cfd_feat_weight(fz, &cfg, NULL, &counts, &w), 0);
    assert_float_equal(w.items[ga].value, 1.0 + log(3.0), 1e-6);
    assert_float_equal(w.items[na].value, 1.0, 1e-6);

    float *idf = calloc((size_t)1 << 20, sizeof *idf);
    idf[i_ga] = 0.5f;
    idf[i_na] = 4.0f;
    cfg.use_idf = 1;
    cfg.l2_normalize = 1;
    assert_int_equal(cfd_feat_weight(fz, &cfg, idf, &counts, &w), 0);
    double a = (1.0 + log(3.0)) * 0.5, b = 4.0, norm = sqrt(a * a + b * b);
    assert_float_equal(w.items[ga].value, a / norm, 1e-6);
    assert_float_equal(w.items[na].value, b / norm, 1e-6);
    assert_float_equal(l2(&w), 1.0, 1e-6);
    /* weighting leaves the counts vector alone */
    assert_float_equal(counts.items[ga].value, 3.0, 1e-6);

    /* IDF required when configured */
    assert_int_equal(cfd_feat_weight(fz, &cfg, NULL, &counts, &w), CFD_EINVAL);
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, S("가"), S("나"), &w, &err), CFD_EINVAL);
    assert_non_null(strstr(err.msg, "IDF"));
    /* a non-finite IDF entry is refused, not propagated */
    idf[i_na] = INFINITY;
    assert_int_equal(cfd_featurize(fz, &cfg, idf, S("가"), S("나"), &w, &err), CFD_ERANGE);
    free(idf);

    /* sublinear TF for a count below 1 (title_weight 0.25) stays positive */
    cfg.use_idf = 0;
    cfg.l2_normalize = 0;
    cfg.title_weight = 0.25f;
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, S("가"), NULL, 0, &w, &err), 0);
    assert_int_equal(w.n, 1);
    assert_float_equal(w.items[0].value, 0.25, 1e-6);
    /* large counts use logf, not the table */
    cfg.title_weight = 1.0f;
    char *many = malloc(2 * 1000);
    for (int i = 0; i < 1000; i++)
        memcpy(many + 2 * i, "x ", 2);
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, NULL, 0, many, 2000, &w, &err), 0);
    assert_int_equal(w.n, 1);
    assert_float_equal(w.items[0].value, 1.0 + log(1000.0), 1e-5);
    free(many);
}

static void test_featurize_is_counts_then_weight(void **state)
{
    cfd_featurizer *fz = *state, *fz2;
    assert_int_equal(cfd_featurizer_new(&fz2), 0);
    const char *title = "정상 회담 정상 KBS", *body =
        "정상 회담 정상 정상 북미 정상회담 무산 가능성 kbs KBS 정상 정상 정상 정상 정상 정상";
    /* a word repeated 300 times: a count past the TF table */
    char *many = malloc(300 * 3 + 1);
    for (int i = 0; i < 300; i++)
        memcpy(many + 3 * i, "가 ", 3);
    float *idf = malloc(sizeof(float) << 20);
    for (size_t i = 0; i < (size_t)1 << 20; i++)
        idf[i] = 0.5f + (float)(i % 7);
    for (int variant = 0; variant < 6; variant++) {
        cfd_feat_config cfg;
        cfd_feat_config_default(&cfg);
        cfg.title_weight = variant == 1 ? 1.5f : variant == 2 ? 0.0f : variant == 5 ? 3.0f : 2.0f;
        cfg.sublinear_tf = variant != 3;
        cfg.use_idf = variant == 4;
        cfg.l2_normalize = variant != 5;
        for (int doc = 0; doc < 2; doc++) {
            const char *b = doc ? many : body;
            size_t bl = doc ? 300 * 3 : strlen(body);
            cfd_featvec counts, w, direct;
            cfd_error err;
            assert_int_equal(cfd_featurize_counts(fz, &cfg, S(title), b, bl, &counts, &err), 0);
            assert_int_equal(cfd_feat_weight(fz, &cfg, idf, &counts, &w), 0);
            assert_int_equal(cfd_featurize(fz2, &cfg, idf, S(title), b, bl, &direct, &err), 0);
            assert_int_equal(w.n, direct.n);
            if (memcmp(w.items, direct.items, w.n * sizeof *w.items) != 0)
                fail_msg("variant %d doc %d: cfd_featurize differs from counts + weight", variant,
                         doc);
        }
    }
    free(idf);
    free(many);
    cfd_featurizer_free(fz2);
}

/* Weighting without L2 and then cfd_feat_l2_in_place gives the bits of
 * weighting with L2 (the daemon's featurize cache relies on it), with and
 * without sublinear TF and title weights; it refuses a vector that is not
 * the featurizer's last weighted one, and fails on a non-finite sum of
 * squares, leaving the vector as it was. */
static void test_l2_in_place_is_weight_with_l2(void **state)
{
    cfd_featurizer *fz = *state;
    const char *title = "정상 회담 정상 KBS", *body =
        "정상 회담 정상 정상 북미 정상회담 무산 가능성 kbs KBS 정상 정상 정상 AI 반도체 수출";
    for (int variant = 0; variant < 4; variant++) {
        cfd_feat_config cfg;
        cfd_feat_config_default(&cfg);
        cfg.sublinear_tf = variant != 1;
        cfg.title_weight = variant == 2 ? 1.5f : variant == 3 ? 0.0f : 2.0f;
        cfd_featvec counts, w, tf;
        cfd_error err;
        assert_int_equal(cfd_featurize_counts(fz, &cfg, S(title), S(body), &counts, &err), 0);
        cfg.l2_normalize = 1;
        assert_int_equal(cfd_feat_weight(fz, &cfg, NULL, &counts, &w), 0);
        cfd_feature *want = malloc(w.n * sizeof *want);
        memcpy(want, w.items, w.n * sizeof *want);
        uint32_t n = w.n;
        cfg.l2_normalize = 0;
        assert_int_equal(cfd_feat_weight(fz, &cfg, NULL, &counts, &tf), 0);
        assert_int_equal(cfd_feat_l2_in_place(fz, &tf), 0);
        assert_int_equal(tf.n, n);
        if (memcmp(tf.items, want, n * sizeof *want) != 0)
            fail_msg("variant %d: in-place L2 differs from weighting with L2", variant);
        free(want);
    }
    /* long vectors of varied counts, where the order of the sum of squares
     * shows in the last bits */
    static cfd_feature many[4000];
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (int rep = 0; rep < 50; rep++) {
        for (uint32_t i = 0; i < 4000; i++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            many[i].index = i * 131;
            many[i].value = (float)(1 + r % 40) + (r >> 40) % 3 * 1.5f;
        }
        cfd_feat_config cfg;
        cfd_feat_config_default(&cfg);
        cfd_featvec counts = {many, 4000}, w, tf;
        cfd_feature *want = malloc(4000 * sizeof *want);
        assert_int_equal(cfd_feat_weight(fz, &cfg, NULL, &counts, &w), 0);
        memcpy(want, w.items, 4000 * sizeof *want);
        cfg.l2_normalize = 0;
        assert_int_equal(cfd_feat_weight(fz, &cfg, NULL, &counts, &tf), 0);
        assert_int_equal(cfd_feat_l2_in_place(fz, &tf), 0);
        if (memcmp(tf.items, want, 4000 * sizeof *want) != 0)
            fail_msg("rep %d: in-place L2 differs from weighting with L2", rep);
        free(want);
    }
    /* not the featurizer's weighted vector */
    cfd_feature own[2] = {{1, 1.0f}, {2, 1.0f}};
    cfd_featvec foreign = {own, 2};
    assert_int_equal(cfd_feat_l2_in_place(fz, &foreign), CFD_EINVAL);
    assert_true(own[0].value == 1.0f);
    cfd_featvec empty = {NULL, 0};
    assert_int_equal(cfd_feat_l2_in_place(fz, &empty), 0);
    /* a non-finite value (raw values pass through a weighting without TF
     * transform and L2): the sum of squares is not finite */
    cfd_feat_config raw;
    cfd_feat_config_default(&raw);
    raw.sublinear_tf = 0;
    raw.l2_normalize = 0;
    cfd_feature big[2] = {{1, 3e38f}, {2, INFINITY}};
    cfd_featvec in = {big, 2}, out;
    assert_int_equal(cfd_feat_weight(fz, &raw, NULL, &in, &out), 0);
    assert_int_equal(cfd_feat_l2_in_place(fz, &out), CFD_ERANGE);
    assert_true(out.items[0].value == 3e38f && isinf(out.items[1].value));
}

static void test_default_is_unit_norm(void **state)
{
    cfd_featurizer *fz = *state;
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    assert_int_equal(cfd_feat_config_check(&cfg, NULL), 0);
    cfd_featvec v;
    cfd_error err;
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, S("동남아 담당 北 최희철 부상 베이징 도착"),
                                   S("북한이 북미 정상회담 무산 가능성까지 거론하며 강경한 태도를 "
                                     "보이는 가운데 최희철 북한 외무성 부상이 19일 도착했다."),
                                   &v, &err),
                     0);
    assert_true(v.n > 100);
    check_well_formed(&v, cfg.hash_bits);
    assert_float_equal(l2(&v), 1.0, 1e-5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sublinear_l2_idf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_featurize_is_counts_then_weight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_l2_in_place_is_weight_with_l2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_is_unit_norm, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
