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

#include "featurize.h"
#include "model.h"

static void test_huge_finite_weights_give_a_distribution(void **state)
{
    (void)state;
    cfd_feat_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.hash_bits = 10;
    cfg.word_unigrams = 1;
    cfg.l2_normalize = 1;
    cfg.title_weight = 1.0f;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_huge_finite_weights_give_a_distribution),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
