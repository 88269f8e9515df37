/*
 * Tests for training/solver.c: our one-vs-rest over separate binary problems
 * gives liblinear's own multi-class train() weights (L2R_LR, whose Newton
 * solver draws no random numbers, so the two must agree to rounding); the
 * two-label mapping keeps liblinear's single vector in column 0; forked
 * workers give bit-identical weights; parameter errors; solver names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "solver.h"

enum { N = 400, F = 60, NNZ = 8 };

static uint64_t g_rng;

static double uniform(void)
{
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(g_rng >> 11) / 9007199254740992.0;
}

typedef struct problem_data {
    struct feature_node nodes[N][NNZ + 2];
    struct feature_node *x[N];
    uint32_t y[N];
    double yd[N];
} problem_data;

/* N rows of NNZ distinct random features (ascending) plus the bias node;
 * labels from the argmax of k random linear functions (with some noise). */
static problem_data *make_problem(uint32_t k, uint64_t seed)
{
    problem_data *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    g_rng = seed;
    double truth[8][F];
    for (uint32_t c = 0; c < k; c++)
        for (int f = 0; f < F; f++)
            truth[c][f] = uniform() * 2 - 1;
    for (int i = 0; i < N; i++) {
        int used[F] = {0}, n = 0;
        while (n < NNZ) {
            int f = (int)(uniform() * F);
            if (!used[f]) {
                used[f] = 1;
                n++;
            }
        }
        n = 0;
        double score[8] = {0};
        for (int f = 0; f < F; f++) {
            if (!used[f])
                continue;
            double v = uniform() + 0.1;
            p->nodes[i][n].index = f + 1;
            p->nodes[i][n].value = v;
            n++;
            for (uint32_t c = 0; c < k; c++)
                score[c] += truth[c][f] * v;
        }
        p->nodes[i][n].index = F + 1; /* bias */
        p->nodes[i][n].value = 1.0;
        p->nodes[i][n + 1].index = -1;
        uint32_t best = 0;
        for (uint32_t c = 1; c < k; c++)
            if (score[c] + 0.3 * uniform() > score[best])
                best = c;
        p->y[i] = best;
        p->yd[i] = best;
        p->x[i] = p->nodes[i];
    }
    return p;
}

static struct model *liblinear_train(problem_data *p, int solver)
{
    struct problem prob = {.l = N, .n = F + 1, .y = p->yd, .x = p->x, .bias = 1.0};
    struct parameter param = {.solver_type = solver, .eps = 0.0001, .C = 1.0};
    return train(&prob, &param);
}

static void test_ovr_matches_liblinear(void **state)
{
    (void)state;
    const uint32_t k = 3;
    problem_data *p = make_problem(k, 1);
    cfd_linear_params lp = {.solver = L2R_LR, .c = 1.0, .eps = 0.0001, .jobs = 1, .seed = 1};
    float w[F * 3], bias[3];
    cfd_error err;
    assert_int_equal(cfd_linear_train(p->x, p->y, N, k, F, &lp, NULL, w, bias, &err), 0);
    struct model *m = liblinear_train(p, L2R_LR);
    assert_non_null(m);
    assert_int_equal(m->nr_class, 3);
    double max_w = 0, max_diff = 0;
    for (int j = 0; j < 3; j++) {
        uint32_t c = (uint32_t)m->label[j];
        for (int f = 0; f <= F; f++) {
            double theirs = m->w[f * 3 + j];
            double ours = f < F ? w[f * 3 + c] : bias[c];
            max_w = fmax(max_w, fabs(theirs));
            max_diff = fmax(max_diff, fabs(theirs - ours));
        }
    }
    print_message("largest weight %g, largest difference %g\n", max_w, max_diff);
    if (max_diff > 1e-5 * max_w) /* float storage of the same solution */
        fail_msg("ours and liblinear's OvR differ by %g (largest weight %g)", max_diff, max_w);
    free_and_destroy_model(&m);
    free(p);
}

static void test_binary_matches_liblinear(void **state)
{
    (void)state;
    problem_data *p = make_problem(2, 2);
    cfd_linear_params lp = {.solver = L2R_LR, .c = 1.0, .eps = 0.0001, .jobs = 2, .seed = 1};
    float w[F * 2], bias[2];
    cfd_error err;
    assert_int_equal(cfd_linear_train(p->x, p->y, N, 2, F, &lp, NULL, w, bias, &err), 0);
    struct model *m = liblinear_train(p, L2R_LR);
    assert_non_null(m);
    /* liblinear's one vector scores m->label[0]; ours is column 0 = label 0 */
    double sign = m->label[0] == 0 ? 1.0 : -1.0;
    for (int f = 0; f <= F; f++) {
        double theirs = sign * m->w[f];
        double ours = f < F ? w[f * 2] : bias[0];
        assert_true(fabs(theirs - ours) <= 1e-5 * (1 + fabs(theirs)));
        if (f < F)
            assert_true(w[f * 2 + 1] == 0.0f);
    }
    assert_true(bias[1] == 0.0f);
    /* decision values: same prediction as liblinear on every row */
    for (int i = 0; i < N; i++) {
        double dec;
        double pred = predict_values(m, p->x[i], &dec);
        double s0 = bias[0];
        for (const struct feature_node *n = p->x[i]; n->index != -1 && n->index <= F; n++)
            s0 += w[(n->index - 1) * 2] * n->value;
        assert_true(fabs(s0 - sign * dec) < 1e-5 * (1 + fabs(dec)));
        assert_int_equal(s0 > 0 ? 0 : 1, (int)pred);
    }
    free_and_destroy_model(&m);
    free(p);
}

static void test_jobs_bit_identical(void **state)
{
    (void)state;
    const uint32_t k = 5;
    problem_data *p = make_problem(k, 3);
    const int solvers[] = {L2R_L2LOSS_SVC_DUAL, L2R_LR_DUAL, L1R_LR, L2R_L1LOSS_SVC_DUAL};
    for (size_t s = 0; s < sizeof solvers / sizeof solvers[0]; s++) {
        float w1[F * 5], b1[5], w4[F * 5], b4[5];
        cfd_error err;
        cfd_linear_params lp = {.solver = solvers[s], .c = 0.5,
                                .eps = cfd_solver_default_eps(solvers[s]), .jobs = 1, .seed = 9};
        assert_int_equal(cfd_linear_train(p->x, p->y, N, k, F, &lp, NULL, w1, b1, &err), 0);
        lp.jobs = 4;
        assert_int_equal(cfd_linear_train(p->x, p->y, N, k, F, &lp, NULL, w4, b4, &err), 0);
        assert_memory_equal(w1, w4, sizeof w1);
        assert_memory_equal(b1, b4, sizeof b1);
    }
    free(p);
}

static void test_parameter_errors(void **state)
{
    (void)state;
    problem_data *p = make_problem(3, 4);
    float w[F * 3], bias[3];
    cfd_error err;
    cfd_linear_params lp = {.solver = L2R_LR, .c = -1, .eps = 0.1, .jobs = 1, .seed = 1};
    assert_int_equal(cfd_linear_train(p->x, p->y, N, 3, F, &lp, NULL, w, bias, &err),
                     CFD_EINVAL);
    lp.c = 1;
    assert_int_equal(cfd_linear_train(p->x, p->y, N, 1, F, &lp, NULL, w, bias, &err),
                     CFD_EINVAL);
    assert_non_null(strstr(err.msg, "at least 2 labels"));
    assert_int_equal(cfd_linear_train(p->x, p->y, 0, 3, F, &lp, NULL, w, bias, &err),
                     CFD_EINVAL);
    lp.solver = L2R_L1LOSS_SVR_DUAL;
    assert_int_equal(cfd_linear_train(p->x, p->y, N, 3, F, &lp, NULL, w, bias, &err),
                     CFD_EINVAL);
    assert_non_null(strstr(err.msg, "regression"));
    free(p);
}

static void test_solver_names(void **state)
{
    (void)state;
    int t;
    assert_int_equal(cfd_solver_parse("svm", &t), 0);
    assert_int_equal(t, L2R_L2LOSS_SVC_DUAL);
    assert_int_equal(cfd_solver_parse("lr", &t), 0);
    assert_int_equal(t, L2R_LR);
    assert_int_equal(cfd_solver_parse("l2r_lr_dual", &t), 0);
    assert_int_equal(t, L2R_LR_DUAL);
    assert_int_equal(cfd_solver_parse("4", &t), 0);
    assert_int_equal(t, MCSVM_CS);
    assert_int_equal(cfd_solver_parse("11", &t), CFD_EINVAL); /* regression */
    assert_int_equal(cfd_solver_parse("nope", &t), CFD_EINVAL);
    assert_int_equal(cfd_solver_parse("", &t), CFD_EINVAL);
    assert_string_equal(cfd_solver_name(L1R_LR), "L1R_LR");
    assert_string_equal(cfd_solver_name(CFD_DEFAULT_SOLVER), "L2R_L2LOSS_SVC_DUAL");
    assert_true(cfd_solver_default_eps(L2R_LR) == 0.01);
    assert_true(cfd_solver_default_eps(L2R_L2LOSS_SVC_DUAL) == 0.1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ovr_matches_liblinear),
        cmocka_unit_test(test_binary_matches_liblinear),
        cmocka_unit_test(test_jobs_bit_identical),
        cmocka_unit_test(test_parameter_errors),
        cmocka_unit_test(test_solver_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
