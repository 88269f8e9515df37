/*
 * Tests for core/feat_config.c: every config check error names its field
 * (and the featurizer refuses such a config too), the edges that are fine,
 * and config identity (equal/hash compare fields, not padding). Moved out
 * of test_featurize.c, which tests the featurizer itself.
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

#define S(x) (x), strlen(x)

static void expect_config_error(cfd_feat_config c, const char *field)
{
    cfd_error err;
    cfd_error_clear(&err);
    assert_int_equal(cfd_feat_config_check(&c, &err), CFD_EINVAL);
    assert_int_equal(err.code, CFD_EINVAL);
    if (strstr(err.msg, field) == NULL)
        fail_msg("message \"%s\" does not name %s", err.msg, field);
    /* and the featurizer refuses it too */
    cfd_featurizer *fz;
    assert_int_equal(cfd_featurizer_new(&fz), 0);
    cfd_featvec v;
    assert_int_equal(cfd_featurize_counts(fz, &c, NULL, 0, S("x"), &v, &err), CFD_EINVAL);
    cfd_featurizer_free(fz);
}

static void test_config_check(void **state)
{
    (void)state;
    cfd_feat_config d, c;
    cfd_feat_config_default(&d);
    assert_int_equal(cfd_feat_config_check(&d, NULL), 0);
    c = d; c.hash_bits = CFD_HASH_BITS_MIN - 1; expect_config_error(c, "hash_bits");
    c = d; c.hash_bits = CFD_HASH_BITS_MAX + 1; expect_config_error(c, "hash_bits");
    c = d; c.word_unigrams = 2; expect_config_error(c, "word_unigrams");
    c = d; c.word_bigrams = 7; expect_config_error(c, "word_bigrams");
    c = d; c.sublinear_tf = 2; expect_config_error(c, "sublinear_tf");
    c = d; c.use_idf = 2; expect_config_error(c, "use_idf");
    c = d; c.l2_normalize = 2; expect_config_error(c, "l2_normalize");
    c = d; c.clean_news = 2; expect_config_error(c, "clean_news");
    c = d; c.word_prefix = 2; expect_config_error(c, "word_prefix");
    c = d; c.char_min = 0; c.char_max = 3; expect_config_error(c, "char_max");
    c = d; c.char_min = 3; c.char_max = 2; expect_config_error(c, "n-gram");
    c = d; c.char_min = 1; c.char_max = CFD_CHAR_NGRAM_MAX + 1; expect_config_error(c, "n-gram");
    c = d; c.word_unigrams = 0; c.word_bigrams = 0; c.char_min = c.char_max = 0;
    expect_config_error(c, "no features");
    c = d; c.reserved[1] = 1; expect_config_error(c, "reserved[1]");
    c = d; c.title_weight = -1.0f; expect_config_error(c, "title_weight");
    c = d; c.title_weight = NAN; expect_config_error(c, "title_weight");
    c = d; c.title_weight = INFINITY; expect_config_error(c, "title_weight");
    c = d; c.title_weight = 1000.0f; expect_config_error(c, "title_weight");
    assert_int_equal(cfd_feat_config_check(NULL, NULL), CFD_EINVAL);
    /* edges that are fine */
    c = d; c.char_min = c.char_max = 0; assert_int_equal(cfd_feat_config_check(&c, NULL), 0);
    c = d; c.char_min = c.char_max = CFD_CHAR_NGRAM_MAX; assert_int_equal(cfd_feat_config_check(&c, NULL), 0);
    c = d; c.title_weight = 0.0f; assert_int_equal(cfd_feat_config_check(&c, NULL), 0);
    c = d; c.title_weight = 100.0f; assert_int_equal(cfd_feat_config_check(&c, NULL), 0);
    c = d; c.title_weight = 100.5f; expect_config_error(c, "title_weight");
    c = d; c.hash_bits = CFD_HASH_BITS_MAX; assert_int_equal(cfd_feat_config_check(&c, NULL), 0);
}

static void test_config_equal_hash(void **state)
{
    (void)state;
    cfd_feat_config a, b;
    cfd_feat_config_default(&a);
    cfd_feat_config_default(&b);
    assert_true(cfd_feat_config_equal(&a, &b));
    assert_true(cfd_feat_config_hash(&a) == cfd_feat_config_hash(&b));
    b.seed++;
    assert_false(cfd_feat_config_equal(&a, &b));
    assert_true(cfd_feat_config_hash(&a) != cfd_feat_config_hash(&b));
    b = a;
    b.title_weight = 2.5f;
    assert_false(cfd_feat_config_equal(&a, &b));
    b = a;
    b.char_max = 4;
    assert_true(cfd_feat_config_hash(&a) != cfd_feat_config_hash(&b));
    /* word_prefix changes the counts: another counting pass in the daemon */
    b = a;
    b.word_prefix = 1;
    assert_false(cfd_feat_config_equal(&a, &b));
    assert_false(cfd_feat_config_counts_equal(&a, &b));
    assert_true(cfd_feat_config_counts_hash(&a) != cfd_feat_config_counts_hash(&b));
    b = a;
    b.use_idf = 1; /* weighting only: the counts are shared */
    assert_true(cfd_feat_config_counts_equal(&a, &b));
    /* padding bytes do not matter (fields are compared, not raw memory) */
    memset(&b, 0xAB, sizeof b);
    cfd_feat_config_default(&b);
    assert_true(cfd_feat_config_equal(&a, &b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_check),
        cmocka_unit_test(test_config_equal_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
