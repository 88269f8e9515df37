/*
 * Tests for training/cli.c: option scanning ("--name value", "--name=value",
 * positionals, "--"), strict numbers, and the shared feature/solver options
 * (--buckets as bits or as a power of two, --ngrams, char n-gram range,
 * solver names, --seed feeding both the hash and the solver).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "featurize.h"

enum { O_DATA = 1, O_JSON };
static const cfd_opt own[] = {{"data", 1, O_DATA}, {"json", 0, O_JSON}, {NULL, 0, 0}};

static void test_scan(void **state)
{
    (void)state;
    char *argv[] = {"--data", "a.tsv", "--c=0.5", "model", "--json", "--", "--json", NULL};
    cfd_cli it;
    cfd_cli_init(&it, "t", 7, argv, own, cfd_model_opt_table);
    const char *arg;
    assert_int_equal(cfd_cli_next(&it, &arg), O_DATA);
    assert_string_equal(arg, "a.tsv");
    int id = cfd_cli_next(&it, &arg);
    assert_true(id > O_JSON); /* from the shared table */
    assert_string_equal(arg, "0.5");
    assert_int_equal(cfd_cli_next(&it, &arg), CFD_OPT_POSITIONAL);
    assert_string_equal(arg, "model");
    assert_int_equal(cfd_cli_next(&it, &arg), O_JSON);
    assert_null(arg);
    assert_int_equal(cfd_cli_next(&it, &arg), CFD_OPT_POSITIONAL); /* after "--" */
    assert_string_equal(arg, "--json");
    assert_int_equal(cfd_cli_next(&it, &arg), CFD_OPT_END);
}

static void test_scan_errors(void **state)
{
    (void)state;
    const char *arg;
    cfd_cli it;
    char *a1[] = {"--nope"};
    cfd_cli_init(&it, "t", 1, a1, own, NULL);
    assert_int_equal(cfd_cli_next(&it, &arg), CFD_OPT_ERROR);
    char *a2[] = {"--data"};
    cfd_cli_init(&it, "t", 1, a2, own, NULL);
    assert_int_equal(cfd_cli_next(&it, &arg), CFD_OPT_ERROR); /* needs a value */
    char *a3[] = {"--json=1"};
    cfd_cli_init(&it, "t", 1, a3, own, NULL);
    assert_int_equal(cfd_cli_next(&it, &arg), CFD_OPT_ERROR); /* takes none */
    char *a4[] = {"-x"};
    cfd_cli_init(&it, "t", 1, a4, own, NULL);
    assert_int_equal(cfd_cli_next(&it, &arg), CFD_OPT_ERROR);
    char *a5[] = {"-h", "-"};
    cfd_cli_init(&it, "t", 2, a5, own, NULL);
    assert_int_equal(cfd_cli_next(&it, &arg), CFD_OPT_HELP);
    assert_int_equal(cfd_cli_next(&it, &arg), CFD_OPT_POSITIONAL); /* "-" is stdin */
    assert_string_equal(arg, "-");
}

static void test_numbers(void **state)
{
    (void)state;
    double d;
    unsigned long u;
    assert_int_equal(cfd_cli_double("t", "--c", "1e-2", 1e-6, 1e6, &d), 0);
    assert_true(d == 0.01);
    assert_int_equal(cfd_cli_double("t", "--c", "abc", 1e-6, 1e6, &d), -1);
    assert_int_equal(cfd_cli_double("t", "--c", "1x", 1e-6, 1e6, &d), -1);
    assert_int_equal(cfd_cli_double("t", "--c", "", 1e-6, 1e6, &d), -1);
    assert_int_equal(cfd_cli_double("t", "--c", "nan", 1e-6, 1e6, &d), -1);
    assert_int_equal(cfd_cli_double("t", "--c", "inf", 1e-6, 1e6, &d), -1);
    assert_int_equal(cfd_cli_double("t", "--c", "0", 1e-6, 1e6, &d), -1);
    /* decimal only: strtod's hex and leading blanks are refused */
    assert_int_equal(cfd_cli_double("t", "--c", "0x10", 1e-6, 1e6, &d), -1);
    assert_int_equal(cfd_cli_double("t", "--c", " 1", 1e-6, 1e6, &d), -1);
    assert_int_equal(cfd_cli_double("t", "--c", ".5", 1e-6, 1e6, &d), 0);
    assert_true(d == 0.5);
    assert_int_equal(cfd_cli_uint("t", "--k", "10", 2, 100, &u), 0);
    assert_int_equal(u, 10);
    assert_int_equal(cfd_cli_uint("t", "--k", "-1", 2, 100, &u), -1);
    assert_int_equal(cfd_cli_uint("t", "--k", "+5", 2, 100, &u), -1);
    assert_int_equal(cfd_cli_uint("t", "--k", "101", 2, 100, &u), -1);
    assert_int_equal(cfd_cli_uint("t", "--k", "99999999999999999999999", 2, 100, &u), -1);
}

/* Applies "--name value" through the scanner, as the commands do. */
static int apply(cfd_model_opts *o, const char *name, const char *value)
{
    char *argv[2] = {(char *)name, (char *)value};
    cfd_cli it;
    cfd_cli_init(&it, "t", value ? 2 : 1, argv, NULL, cfd_model_opt_table);
    const char *arg;
    int id = cfd_cli_next(&it, &arg);
    if (id <= 0)
        return -1;
    return cfd_model_opts_apply(o, "t", id, arg);
}

static void test_model_opts(void **state)
{
    (void)state;
    cfd_model_opts o;
    cfd_model_opts_default(&o);
    assert_int_equal(o.lin.solver, CFD_DEFAULT_SOLVER);
    assert_true(o.lin.eps == cfd_solver_default_eps(CFD_DEFAULT_SOLVER));
    assert_int_equal(apply(&o, "--buckets", "18"), 0);
    assert_int_equal(o.feat.hash_bits, 18);
    assert_int_equal(apply(&o, "--buckets", "4194304"), 0);
    assert_int_equal(o.feat.hash_bits, 22);
    assert_int_equal(apply(&o, "--buckets", "1000"), -1); /* not a power of two */
    assert_int_equal(apply(&o, "--buckets", "9"), -1);
    assert_int_equal(apply(&o, "--buckets", "100"), -1);   /* neither bits nor 2^k */
    assert_int_equal(apply(&o, "--buckets", "33554432"), -1); /* 2^25: too many */
    assert_int_equal(apply(&o, "--buckets", "1024"), 0);
    assert_int_equal(o.feat.hash_bits, 10);
    assert_int_equal(apply(&o, "--ngrams", "1"), 0);
    assert_true(o.feat.word_unigrams && !o.feat.word_bigrams);
    assert_int_equal(apply(&o, "--solver", "lr"), 0);
    assert_int_equal(o.lin.solver, L2R_LR);
    assert_true(o.lin.eps == 0.01); /* the solver's default eps follows */
    assert_int_equal(apply(&o, "--eps", "0.5"), 0);
    assert_int_equal(apply(&o, "--solver", "svm"), 0);
    assert_true(o.lin.eps == 0.5); /* an explicit eps stays */
    assert_int_equal(apply(&o, "--seed", "77"), 0);
    assert_int_equal(o.feat.seed, 77);
    assert_int_equal(o.lin.seed, 77);
    assert_int_equal(apply(&o, "--threads", "3"), 0);
    assert_int_equal(o.lin.jobs, 3);
    assert_int_equal(apply(&o, "--idf", NULL), 0);
    assert_int_equal(o.feat.use_idf, 1);
    assert_int_equal(apply(&o, "--balanced", NULL), 0);
    assert_int_equal(o.lin.balanced, 1);
    assert_int_equal(apply(&o, "--title-weight", "1.5"), 0);
    assert_true(o.feat.title_weight == 1.5f);
    assert_int_equal(cfd_model_opts_finish(&o, "t"), 0);
    assert_int_equal(apply(&o, "--char-min", "4"), 0);
    assert_int_equal(apply(&o, "--char-max", "2"), 0);
    assert_int_equal(cfd_model_opts_finish(&o, "t"), -1);
    assert_int_equal(apply(&o, "--char-min", "0"), 0);
    assert_int_equal(cfd_model_opts_finish(&o, "t"), -1); /* 0 with max 2 */
    assert_int_equal(apply(&o, "--char-max", "0"), 0);
    assert_int_equal(cfd_model_opts_finish(&o, "t"), 0);
    assert_int_equal(apply(&o, "--ngrams", "0"), 0);
    assert_int_equal(cfd_model_opts_finish(&o, "t"), -1); /* no features at all */
}

static void test_describe(void **state)
{
    (void)state;
    cfd_model_opts o;
    cfd_model_opts_default(&o);
    o.feat.hash_bits = 16;
    o.feat.use_idf = 1;
    char s[256];
    cfd_feat_config_describe(&o.feat, 0, s, sizeof s);
    assert_non_null(strstr(s, "buckets=2^16"));
    assert_non_null(strstr(s, "idf=yes"));
    cfd_buf b = CFD_BUF_INIT;
    cfd_feat_config_json(&o.feat, &b);
    assert_non_null(strstr(b.data, "\"hash_bits\":16"));
    assert_non_null(strstr(b.data, "\"use_idf\":true"));
    cfd_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_scan_errors),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_model_opts),
        cmocka_unit_test(test_describe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
