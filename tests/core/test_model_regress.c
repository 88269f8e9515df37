/*
 * Regression tests for core/model.c. Found while writing the model-loader
 * fuzzer's checks (fuzz/fuzz_model_load.c requires a model that loads to
 * give probabilities summing to 1) and confirmed by hand; the fuzzer had
 * not reached it in its runs.
 *
 *  1. Weights and biases are validated as finite, but finite weights near
 *     FLT_MAX still sum past it: the float score became +inf for two labels
 *     and softmax gave NaN (inf - inf) for every label, so a model that
 *     loaded "fine" failed every article. Scores now saturate at +-FLT_MAX.
 *     The model is embedded as the serialised bytes of such a model, made
 *     here with cfd_model_from_dense and re-read with
 *     cfd_model_load_buffer, as a hostile file would be.
 *  2. Found by fuzz_model_load (a loaded model must serialise again): the
 *     reader accepted a Q8 row whose scale was finite but so large that
 *     q x scale overflowed to an infinite weight; scoring then gave NaN and
 *     the writer refused the model. The input was the q8 seed model with
 *     one bit of a row scale flipped (and the checksum fixed up); the test
 *     builds the same damage: a q8 model whose first row scale is 3e38.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "bytes.h"
#include "featurize.h"
#include "model.h"

/* 2^10 buckets, word unigrams, L2: the smallest config a model can have. */
static cfd_feat_config tiny_config(void)
{
    cfd_feat_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.hash_bits = 10;
    cfg.word_unigrams = 1;
    cfg.l2_normalize = 1;
    cfg.title_weight = 1.0f;
    return cfg;
}

static void test_huge_finite_weights_give_a_distribution(void **state)
{
    (void)state;
    cfd_feat_config cfg = tiny_config();
    const char *const labels[] = {"a", "b", "c"};
    float *w = calloc(1024 * 3, sizeof(float));
    assert_non_null(w);
    for (int f = 0; f < 1024; f++) {
        w[f * 3] = 3e38f;
        w[f * 3 + 1] = 3e38f;
        w[f * 3 + 2] = -3e38f;
    }
    const float bias[3] = {3e38f, 3e38f, 0.0f};
    cfd_model *m = NULL;
    cfd_error err;
    assert_int_equal(cfd_model_from_dense("x", labels, 3, &cfg, w, bias, NULL, 1.0f, NULL, &m,
                                          &err),
                     0);
    void *buf = NULL;
    size_t len = 0;
    assert_int_equal(cfd_model_serialize(m, CFD_WEIGHTS_F32, &buf, &len, &err), 0);
    cfd_model *loaded = NULL;
    assert_int_equal(cfd_model_load_buffer(buf, len, &loaded, &err), 0);

    const cfd_feature items[] = {{1, 0.7f}, {2, 0.7f}};
    cfd_featvec x = {items, 2};
    float scores[3], probs[3];
    cfd_model_scores(loaded, &x, scores);
    for (int c = 0; c < 3; c++)
        assert_true(isfinite(scores[c]));
    cfd_model_probs(loaded, scores, probs);
    double sum = 0;
    for (int c = 0; c < 3; c++) {
        assert_true(probs[c] >= 0.0f && probs[c] <= 1.0f);
        sum += probs[c];
    }
    assert_true(fabs(sum - 1.0) < 1e-5);
    /* The two saturated labels tie; the negative one gets nothing. */
    assert_true(fabsf(probs[0] - 0.5f) < 1e-5f && fabsf(probs[1] - 0.5f) < 1e-5f);
    assert_true(probs[2] < 1e-6f);

    cfd_model_free(loaded);
    cfd_model_free(m);
    free(buf);
    free(w);
}

static void test_q8_scale_overflow_is_refused(void **state)
{
    (void)state;
    cfd_feat_config cfg = tiny_config();
    const char *const labels[] = {"a", "b"};
    float *w = calloc(1024 * 2, sizeof(float));
    assert_non_null(w);
    w[5 * 2] = 1.0f; /* one row: bucket 5 */
    w[5 * 2 + 1] = -0.5f;
    const float bias[2] = {0.0f, 0.0f};
    cfd_model *m = NULL;
    cfd_error err;
    assert_int_equal(cfd_model_from_dense("x", labels, 2, &cfg, w, bias, NULL, 1.0f, NULL, &m,
                                          &err),
                     0);
    void *buf = NULL;
    size_t len = 0;
    assert_int_equal(cfd_model_serialize(m, CFD_WEIGHTS_Q8, &buf, &len, &err), 0);
    uint8_t *b = buf;
    /* Find WGHT (header 24 bytes; sections: tag, flags, u64 length). */
    size_t off = 24, scale_at = 0;
    while (off + 16 <= len - 8) {
        uint64_t sl = cfd_le64_get(b + off + 8);
        if (memcmp(b + off, "WGHT", 4) == 0) {
            uint32_t n_rows = cfd_le32_get(b + off + 16 + 8);
            assert_int_equal(n_rows, 1);
            assert_int_equal(b[off + 16 + 12], CFD_WEIGHTS_Q8);
            scale_at = off + 16 + 16 + 4 * n_rows; /* after the row index */
            break;
        }
        off += 16 + (size_t)sl;
    }
    assert_true(scale_at != 0);
    cfd_le32_put(b + scale_at, cfd_f32_bits(3e38f)); /* finite; 127 x 3e38 is not */
    cfd_le64_put(b + len - 8, XXH3_64bits(b, len - 8));

    cfd_model *loaded = NULL;
    cfd_error_clear(&err);
    assert_int_equal(cfd_model_load_buffer(buf, len, &loaded, &err), CFD_ERANGE);
    assert_null(loaded);
    assert_non_null(strstr(err.msg, "WGHT"));
    assert_non_null(strstr(err.msg, "finite"));
    cfd_model_free(m);
    free(buf);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_huge_finite_weights_give_a_distribution),
        cmocka_unit_test(test_q8_scale_overflow_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
