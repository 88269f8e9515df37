/*
 * Tests for the per-article featurization cache (daemon/featurize_cache.c):
 * the letters it reports for the unfamiliar_script check
 * (cfd_fcache_letters) do not depend on the order in which the models'
 * counting configs were visited, survive a later pass that fails, and do
 * not outlive their article.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "featurize_cache.h"

#define S(x) (x), strlen(x)

static const char *const k_title = "삼성전자 주가 상승";   /* 8 Hangul letters */
static const char *const k_body = "Shares rose today";      /* 15 Latin letters */

/* One article read by two models, one weighting the title 2, the other
 * leaving it out (title_weight 0), in both orders: the letters are the
 * same, and include the title the first model read. */
static void check_two_configs(int tw0_last)
{
    cfd_fcache c;
    assert_int_equal(cfd_fcache_init(&c), 0);
    cfd_feat_config with_title, no_title;
    cfd_feat_config_default(&with_title);
    with_title.title_weight = 2.0f;
    no_title = with_title;
    no_title.title_weight = 0.0f;
    const cfd_feat_config *order[2] = {&with_title, &no_title};
    if (!tw0_last) {
        order[0] = &no_title;
        order[1] = &with_title;
    }
    const cfd_featvec *v;
    cfd_error err;
    uint64_t n[CFD_TOK_CLASSES];

    cfd_fcache_begin(&c, S(k_title), S(k_body));
    assert_int_equal(cfd_fcache_letters(&c, n), 0); /* nothing counted yet */
    for (int k = 0; k < 2; k++)
        assert_int_equal(cfd_fcache_get(&c, order[k], NULL, 0, &v, &err), 0);
    assert_int_equal(c.n_counts, 2);
    assert_int_equal(cfd_fcache_letters(&c, n), 1);
    assert_int_equal(n[CFD_TOK_HANGUL], 8);
    assert_int_equal(n[CFD_TOK_LATIN], 15);

    /* A title-only article: the model that reads the title sees letters,
     * whichever model was counted last. */
    cfd_fcache_begin(&c, S(k_title), NULL, 0);
    for (int k = 0; k < 2; k++)
        assert_int_equal(cfd_fcache_get(&c, order[k], NULL, 0, &v, &err), 0);
    assert_int_equal(cfd_fcache_letters(&c, n), 1);
    assert_int_equal(n[CFD_TOK_HANGUL], 8);
    assert_int_equal(n[CFD_TOK_LATIN], 0);
    cfd_fcache_free(&c);
}

static void test_letters_tw0_last(void **state)
{
    (void)state;
    check_two_configs(1);
}

static void test_letters_tw0_first(void **state)
{
    (void)state;
    check_two_configs(0);
}

/* A pass that fails after one that succeeded keeps the letters already
 * read; a new article forgets them until it is counted. */
static void test_letters_failed_pass_and_next_article(void **state)
{
    (void)state;
    cfd_fcache c;
    assert_int_equal(cfd_fcache_init(&c), 0);
    cfd_feat_config good, bad;
    cfd_feat_config_default(&good);
    bad = good;
    bad.hash_bits = 0; /* refused by cfd_feat_config_check */
    const cfd_featvec *v;
    cfd_error err;
    uint64_t n[CFD_TOK_CLASSES];

    cfd_fcache_begin(&c, S(k_title), S(k_body));
    assert_int_equal(cfd_fcache_get(&c, &good, NULL, 0, &v, &err), 0);
    assert_int_not_equal(cfd_fcache_get(&c, &bad, NULL, 0, &v, &err), 0);
    assert_int_equal(cfd_fcache_letters(&c, n), 1);
    assert_int_equal(n[CFD_TOK_HANGUL] + n[CFD_TOK_LATIN], 8 + 15);

    cfd_fcache_begin(&c, NULL, 0, S("Москва"));
    assert_int_equal(cfd_fcache_letters(&c, n), 0); /* not the previous article's */
    assert_int_not_equal(cfd_fcache_get(&c, &bad, NULL, 0, &v, &err), 0);
    assert_int_equal(cfd_fcache_letters(&c, n), 0); /* only a failed pass */
    assert_int_equal(cfd_fcache_get(&c, &good, NULL, 0, &v, &err), 0);
    assert_int_equal(cfd_fcache_letters(&c, n), 1);
    assert_int_equal(n[CFD_TOK_HANGUL], 0);
    assert_int_equal(n[CFD_TOK_OTHER], 6);
    cfd_fcache_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_letters_tw0_last),
        cmocka_unit_test(test_letters_tw0_first),
        cmocka_unit_test(test_letters_failed_pass_and_next_article),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
