/*
 * Tests for training/calibrate.c: temperature scaling recovers a known
 * temperature from sampled labels, the fitted scale is the NLL minimum, and
 * degenerate inputs hit the documented bounds or are rejected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <classifyd/error.h>

#include "calibrate.h"

static uint64_t g_rng = 42;

static double uniform(void)
{
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(g_rng >> 11) / 9007199254740992.0;
}

/* n examples with k random scores each, labels drawn from softmax(a * s). */
static void sample(size_t n, uint32_t k, double a, float *s, uint32_t *y)
{
    for (size_t i = 0; i < n; i++) {
        double p[16], z = 0;
        for (uint32_t c = 0; c < k; c++) {
            s[i * k + c] = (float)(uniform() * 4.0 - 2.0);
            p[c] = exp(a * s[i * k + c]);
            z += p[c];
        }
        double u = uniform() * z, acc = 0;
        y[i] = k - 1;
        for (uint32_t c = 0; c < k; c++) {
            acc += p[c];
            if (u < acc) {
                y[i] = c;
                break;
            }
        }
    }
}

static void test_recovers_temperature(void **state)
{
    (void)state;
    const size_t n = 20000;
    const uint32_t k = 4;
    float *s = malloc(n * k * sizeof(float));
    uint32_t *y = malloc(n * sizeof(uint32_t));
    const double truth[] = {0.5, 2.0, 5.0};
    for (int t = 0; t < 3; t++) {
        sample(n, k, truth[t], s, y);
        cfd_calibration cal;
        assert_int_equal(cfd_calibrate(s, y, n, k, &cal), 0);
        double rel = fabs(cal.scale - truth[t]) / truth[t];
        if (rel > 0.08)
            fail_msg("true scale %g, fitted %g", truth[t], (double)cal.scale);
        assert_true(cal.nll_after <= cal.nll_before + 1e-12);
        assert_true(cal.ece < 0.03);
    }
    free(s);
    free(y);
}

static void test_is_minimum(void **state)
{
    (void)state;
    const size_t n = 3000;
    const uint32_t k = 3;
    float *s = malloc(n * k * sizeof(float));
    uint32_t *y = malloc(n * sizeof(uint32_t));
    sample(n, k, 1.7, s, y);
    cfd_calibration cal;
    assert_int_equal(cfd_calibrate(s, y, n, k, &cal), 0);
    double at = cfd_calib_nll(s, y, n, k, cal.scale);
    assert_true(fabs(at - cal.nll_after) < 1e-9);
    assert_true(cfd_calib_nll(s, y, n, k, cal.scale * 1.01) >= at);
    assert_true(cfd_calib_nll(s, y, n, k, cal.scale * 0.99) >= at);
    assert_true(fabs(cal.nll_before - cfd_calib_nll(s, y, n, k, 1.0)) < 1e-12);
    free(s);
    free(y);
}

static void test_nll_by_hand(void **state)
{
    (void)state;
    /* scores (1, 0), label 0: NLL(a) = log(1 + e^-a) */
    const float s[] = {1.0f, 0.0f};
    const uint32_t y[] = {0};
    assert_true(fabs(cfd_calib_nll(s, y, 1, 2, 1.0) - log(1 + exp(-1.0))) < 1e-12);
    assert_true(fabs(cfd_calib_nll(s, y, 1, 2, 3.0) - log(1 + exp(-3.0))) < 1e-12);
}

static void test_bounds(void **state)
{
    (void)state;
    cfd_calibration cal;
    /* held-out scores always right: sharpest allowed */
    const float right[] = {1, -1, -1, 1, 2, 0};
    const uint32_t yr[] = {0, 1, 0};
    assert_int_equal(cfd_calibrate(right, yr, 3, 2, &cal), 0);
    assert_true(fabs(cal.scale - CFD_CALIB_SCALE_MAX) < 1e-3);
    /* always wrong: flattest allowed */
    const uint32_t yw[] = {1, 0, 1};
    assert_int_equal(cfd_calibrate(right, yw, 3, 2, &cal), 0);
    assert_true(fabs(cal.scale - CFD_CALIB_SCALE_MIN) < 1e-6);
}

static void test_rejects(void **state)
{
    (void)state;
    cfd_calibration cal;
    const float s[] = {1, NAN};
    const uint32_t y[] = {0};
    assert_int_equal(cfd_calibrate(s, y, 0, 2, &cal), CFD_EINVAL);
    assert_int_equal(cfd_calibrate(s, y, 1, 1, &cal), CFD_EINVAL);
    assert_int_equal(cfd_calibrate(s, y, 1, 2, &cal), CFD_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recovers_temperature),
        cmocka_unit_test(test_is_minimum),
        cmocka_unit_test(test_nll_by_hand),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
