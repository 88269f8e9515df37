/*
 * Tests for training/metrics.c against values computed by hand (the same
 * definitions as scikit-learn's classification_report, zero_division=0).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "metrics.h"

#define EPS 1e-9

/* cmocka 1.1.5's assert_float_equal compares floats; we need doubles. */
#define assert_near(a, b, eps)                                                          \
    do {                                                                                \
        double a_ = (a), b_ = (b);                                                      \
        if (!(fabs(a_ - b_) <= (eps)))                                                  \
            fail_msg("%s = %.12g, expected %.12g", #a, a_, b_);                         \
    } while (0)

/*
 * truth 0 0 0 1 1 2 2 2 2, pred 0 1 0 1 2 2 2 0 2:
 *   confusion  [2 1 0]   TP 2,1,3   predicted 3,2,4   support 3,2,4
 *              [0 1 1]
 *              [1 0 3]
 *   P = 2/3, 1/2, 3/4   R = 2/3, 1/2, 3/4   F1 = 2/3, 1/2, 3/4
 *   accuracy = 6/9, macro-F1 = (2/3 + 1/2 + 3/4) / 3 = 23/36
 */
static const uint32_t T[] = {0, 0, 0, 1, 1, 2, 2, 2, 2};
static const uint32_t P[] = {0, 1, 0, 1, 2, 2, 2, 0, 2};

static void fill(cfd_metrics *m, uint32_t k)
{
    assert_int_equal(cfd_metrics_init(m, k), 0);
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        cfd_metrics_add(m, T[i], P[i]);
    cfd_metrics_finish(m);
}

static void test_hand_computed(void **state)
{
    (void)state;
    cfd_metrics m;
    fill(&m, 3);
    const uint64_t conf[9] = {2, 1, 0, 0, 1, 1, 1, 0, 3};
    for (int i = 0; i < 9; i++)
        assert_int_equal(m.confusion[i], conf[i]);
    assert_int_equal(m.n, 9);
    assert_near(m.accuracy, 6.0 / 9.0, EPS);
    assert_near(m.precision[0], 2.0 / 3.0, EPS);
    assert_near(m.recall[0], 2.0 / 3.0, EPS);
    assert_near(m.f1[0], 2.0 / 3.0, EPS);
    assert_near(m.precision[1], 0.5, EPS);
    assert_near(m.recall[1], 0.5, EPS);
    assert_near(m.f1[2], 0.75, EPS);
    assert_int_equal(m.support[2], 4);
    assert_near(m.macro_f1, 23.0 / 36.0, EPS);
    cfd_metrics_free(&m);
}

static void test_asymmetric_precision_recall(void **state)
{
    (void)state;
    /* truth 0 0 0 0 1, pred 0 0 1 1 1: P0 = 1, R0 = 1/2, F1_0 = 2/3;
     * P1 = 1/3, R1 = 1, F1_1 = 1/2; macro = 7/12; accuracy 3/5 */
    cfd_metrics m;
    assert_int_equal(cfd_metrics_init(&m, 2), 0);
    const uint32_t t[] = {0, 0, 0, 0, 1}, p[] = {0, 0, 1, 1, 1};
    for (int i = 0; i < 5; i++)
        cfd_metrics_add(&m, t[i], p[i]);
    cfd_metrics_finish(&m);
    assert_near(m.precision[0], 1.0, EPS);
    assert_near(m.recall[0], 0.5, EPS);
    assert_near(m.f1[0], 2.0 / 3.0, EPS);
    assert_near(m.precision[1], 1.0 / 3.0, EPS);
    assert_near(m.recall[1], 1.0, EPS);
    assert_near(m.f1[1], 0.5, EPS);
    assert_near(m.macro_f1, 7.0 / 12.0, EPS);
    assert_near(m.accuracy, 0.6, EPS);
    cfd_metrics_free(&m);
}

static void test_absent_and_unpredicted_classes(void **state)
{
    (void)state;
    /* A 4th label that is neither true nor predicted does not change
     * macro-F1; one that is predicted but never true counts with F1 0. */
    cfd_metrics m;
    fill(&m, 4);
    assert_near(m.macro_f1, 23.0 / 36.0, EPS);
    assert_near(m.f1[3], 0.0, EPS);
    assert_near(m.precision[3], 0.0, EPS);
    cfd_metrics_add(&m, 0, 3); /* truth 0 predicted as 3 */
    cfd_metrics_finish(&m);
    /* P0 = 2/3, R0 = 2/4, F1_0 = 4/7; F1 = 4/7, 1/2, 3/4, 0 */
    assert_near(m.f1[0], 4.0 / 7.0, EPS);
    assert_near(m.macro_f1, (4.0 / 7.0 + 0.5 + 0.75 + 0.0) / 4.0, EPS);
    /* over the three labels that occur in the truth: label 3 is left out */
    assert_near(m.macro_f1_true, (4.0 / 7.0 + 0.5 + 0.75) / 3.0, EPS);
    assert_near(m.accuracy, 6.0 / 10.0, EPS);
    cfd_metrics_free(&m);
}

static void test_merge(void **state)
{
    (void)state;
    cfd_metrics a, b;
    fill(&a, 3);
    fill(&b, 3);
    cfd_metrics_merge(&a, &b);
    cfd_metrics_finish(&a);
    assert_int_equal(a.n, 18);
    assert_int_equal(a.confusion[0], 4);
    assert_near(a.macro_f1, 23.0 / 36.0, EPS); /* ratios unchanged */
    cfd_metrics_free(&a);
    cfd_metrics_free(&b);
}

static void test_empty(void **state)
{
    (void)state;
    cfd_metrics m;
    assert_int_equal(cfd_metrics_init(&m, 2), 0);
    cfd_metrics_finish(&m);
    assert_near(m.accuracy, 0.0, EPS);
    assert_near(m.macro_f1, 0.0, EPS);
    cfd_metrics_free(&m);
}

static void test_json(void **state)
{
    (void)state;
    cfd_metrics m;
    fill(&m, 3);
    const char *labels[] = {"정치", "a\"b", "c"};
    cfd_buf b = CFD_BUF_INIT;
    assert_int_equal(cfd_metrics_json(&m, labels, &b), 0);
    cJSON *j = cJSON_Parse(b.data);
    assert_non_null(j);
    assert_int_equal((int)cJSON_GetObjectItem(j, "n")->valuedouble, 9);
    assert_near(cJSON_GetObjectItem(j, "accuracy")->valuedouble, 6.0 / 9.0, 1e-5);
    assert_near(cJSON_GetObjectItem(j, "macro_f1")->valuedouble, 23.0 / 36.0, 1e-5);
    cJSON *pc = cJSON_GetObjectItem(j, "per_class");
    cJSON *q = cJSON_GetObjectItem(pc, "a\"b");
    assert_non_null(q);
    assert_near(cJSON_GetObjectItem(q, "recall")->valuedouble, 0.5, 1e-5);
    assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetObjectItem(pc, "정치"), "support")
                         ->valuedouble, 3);
    cJSON *conf = cJSON_GetObjectItem(j, "confusion");
    assert_int_equal(cJSON_GetArraySize(conf), 3);
    assert_int_equal((int)cJSON_GetArrayItem(cJSON_GetArrayItem(conf, 2), 0)->valuedouble, 1);
    assert_int_equal((int)cJSON_GetArrayItem(cJSON_GetArrayItem(conf, 2), 2)->valuedouble, 3);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "labels"), 0)->valuestring,
                        "정치");
    cJSON_Delete(j);
    cfd_buf_free(&b);
    cfd_metrics_free(&m);
}

static void test_print(void **state)
{
    (void)state;
    cfd_metrics m;
    fill(&m, 3);
    const char *labels[] = {"정치", "b", "c"};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    cfd_metrics_print(&m, labels, f);
    fclose(f);
    assert_non_null(strstr(text, "accuracy  0.6667"));
    assert_non_null(strstr(text, "macro-F1  0.6389"));
    /* "정치" is 4 columns wide: padded like the 5-column header "label" */
    assert_non_null(strstr(text, "\n정치      0.6667  0.6667  0.6667        3\n"));
    assert_non_null(strstr(text, "\nc         1     0     3\n"));
    /* every label occurs in the truth: one macro-F1 line */
    assert_null(strstr(text, "over the labels that occur"));
    free(text);
    cfd_metrics_free(&m);

    /* a label predicted but never true: the second macro-F1 line, over
     * the labels that occur (0.6071, not 0.4554) */
    const char *labels4[] = {"정치", "b", "c", "d"};
    fill(&m, 4);
    cfd_metrics_add(&m, 0, 3);
    cfd_metrics_finish(&m);
    f = open_memstream(&text, &len);
    assert_non_null(f);
    cfd_metrics_print(&m, labels4, f);
    fclose(f);
    assert_non_null(strstr(text, "macro-F1  0.4554\n"));
    assert_non_null(strstr(text, "macro-F1  0.6071 over the labels that occur in the data"));
    free(text);
    cfd_metrics_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_asymmetric_precision_recall),
        cmocka_unit_test(test_absent_and_unpredicted_classes),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_print),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
