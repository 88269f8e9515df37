/*
 * Tests for client/evaluate.c: accuracy and macro-F1 as classifyctl batch
 * reports them. Expected values are worked out by hand below each case
 * (the same numbers scikit-learn's f1_score(average="macro") gives).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "evaluate.h"

static const cfd_eval_label *find(const cfd_eval *e, const char *name)
{
    for (size_t i = 0; i < e->n_labels; i++)
        if (strcmp(e->labels[i].name, name) == 0)
            return &e->labels[i];
    return NULL;
}

static void test_perfect(void **state)
{
    (void)state;
    cfd_eval e;
    cfd_eval_init(&e);
    assert_int_equal(cfd_eval_add(&e, "경제", "경제"), 0);
    assert_int_equal(cfd_eval_add(&e, "정치", "정치"), 0);
    assert_true(cfd_eval_accuracy(&e) == 1.0);
    assert_true(cfd_eval_macro_f1(&e) == 1.0);
    cfd_eval_free(&e);
}

/*
 * gold: a a a b b c     pred: a a b b c c
 *   a: tp 2 fp 0 fn 1 -> P 1, R 2/3, F1 0.8
 *   b: tp 1 fp 1 fn 1 -> P 1/2, R 1/2, F1 0.5
 *   c: tp 1 fp 1 fn 0 -> P 1/2, R 1, F1 2/3
 *   accuracy 4/6, macro-F1 (0.8 + 0.5 + 2/3) / 3 = 0.655555...
 */
static void test_mixed(void **state)
{
    (void)state;
    const char *gold[] = {"a", "a", "a", "b", "b", "c"};
    const char *pred[] = {"a", "a", "b", "b", "c", "c"};
    cfd_eval e;
    cfd_eval_init(&e);
    for (int i = 0; i < 6; i++)
        assert_int_equal(cfd_eval_add(&e, gold[i], pred[i]), 0);
    assert_int_equal(e.total, 6);
    assert_int_equal(e.correct, 4);
    assert_true(fabs(cfd_eval_accuracy(&e) - 4.0 / 6.0) < 1e-12);
    assert_true(fabs(cfd_eval_macro_f1(&e) - (0.8 + 0.5 + 2.0 / 3.0) / 3.0) < 1e-12);
    double p, r, f;
    cfd_eval_label_prf(find(&e, "a"), &p, &r, &f);
    assert_true(fabs(p - 1.0) < 1e-12 && fabs(r - 2.0 / 3.0) < 1e-12 && fabs(f - 0.8) < 1e-12);
    assert_int_equal(find(&e, "a")->gold, 3);
    assert_int_equal(find(&e, "c")->gold, 1);
    cfd_eval_free(&e);
}

/* A label only ever predicted (never gold) counts with F1 0 and pulls the
 * mean down: gold x x, pred x y -> x: P 1 R 1/2 F1 2/3; y: F1 0. */
static void test_predicted_only_label_counts(void **state)
{
    (void)state;
    cfd_eval e;
    cfd_eval_init(&e);
    cfd_eval_add(&e, "x", "x");
    cfd_eval_add(&e, "x", "y");
    assert_int_equal(e.n_labels, 2);
    assert_true(fabs(cfd_eval_macro_f1(&e) - (2.0 / 3.0) / 2.0) < 1e-12);
    assert_int_equal(find(&e, "y")->gold, 0);
    cfd_eval_free(&e);
}

/* Many labels: the label array grows (and moves) while pointers into it are
 * being used by cfd_eval_add. */
static void test_many_labels(void **state)
{
    (void)state;
    cfd_eval e;
    cfd_eval_init(&e);
    char g[16], p[16];
    for (int i = 0; i < 200; i++) {
        snprintf(g, sizeof g, "g%d", i);
        snprintf(p, sizeof p, "p%d", i);
        assert_int_equal(cfd_eval_add(&e, g, p), 0);
    }
    assert_int_equal(e.n_labels, 400);
    assert_int_equal(e.correct, 0);
    assert_int_equal(find(&e, "g199")->fn, 1);
    assert_int_equal(find(&e, "p0")->fp, 1);
    assert_true(cfd_eval_macro_f1(&e) == 0.0);
    cfd_eval_free(&e);
}

static void test_empty(void **state)
{
    (void)state;
    cfd_eval e;
    cfd_eval_init(&e);
    assert_true(cfd_eval_accuracy(&e) == 0.0);
    assert_true(cfd_eval_macro_f1(&e) == 0.0);
    cfd_eval_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perfect),
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_predicted_only_label_counts),
        cmocka_unit_test(test_many_labels),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
