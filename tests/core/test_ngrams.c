/*
 * Tests for core/ngrams.c: the buckets the featurizer itself produces
 * for a word, a bigram and a character n-gram are named by exactly those
 * n-grams (so the naming follows featurize.c's pipeline: markup removal,
 * NFC, case folding, cleaning, tokenising), unwanted buckets stay unnamed,
 * and collisions are counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "featurize_fixture.h"
#include "ngrams.h"

static void test_names_match_featurizer(void **state)
{
    (void)state;
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    cfg.hash_bits = 20;
    cfd_feat_config uni = cfg, bi = cfg, tri = cfg;
    uni.word_bigrams = 0;
    uni.char_min = uni.char_max = 0;
    /* a two-word text has one bigram; subtract its unigrams */
    bi.char_min = bi.char_max = 0;
    tri.word_unigrams = tri.word_bigrams = 0;
    tri.char_min = tri.char_max = 3;

    uint32_t b_word = only_bucket(&uni, "KOSPI");  /* folded to "kospi" */
    uint32_t b_char = only_bucket(&tri, "금리를"); /* the one 3-gram of the word */
    uint32_t b_a = only_bucket(&uni, "기준"), b_b = only_bucket(&uni, "금리");
    cfd_featurizer *fz;
    cfd_featvec v;
    cfd_error err;
    assert_int_equal(cfd_featurizer_new(&fz), 0);
    assert_int_equal(cfd_featurize_counts(fz, &bi, NULL, 0, "기준 금리", strlen("기준 금리"), &v,
                                          &err), 0);
    assert_int_equal(v.n, 3);
    uint32_t b_bigram = UINT32_MAX;
    for (uint32_t i = 0; i < v.n; i++)
        if (v.items[i].index != b_a && v.items[i].index != b_b)
            b_bigram = v.items[i].index;
    assert_true(b_bigram != UINT32_MAX);
    cfd_featurizer_free(fz);

    cfd_ngram_names *nn;
    assert_int_equal(cfd_ngram_names_new(&cfg, &nn, &err), 0);
    assert_int_equal(cfd_ngram_names_want(nn, b_word), 0);
    assert_int_equal(cfd_ngram_names_want(nn, b_char), 0);
    assert_int_equal(cfd_ngram_names_want(nn, b_bigram), 0);
    assert_int_equal(cfd_ngram_names_want(nn, b_word), 0); /* twice is once */
    const char *title = "<b>KOSPI</b> 상승";
    const char *body = "한국은행이 기준 금리를 올렸다. 기준 금리 인상";
    assert_int_equal(cfd_ngram_names_add(nn, title, strlen(title), body, strlen(body), &err), 0);
    char name[256];
    assert_int_equal(cfd_ngram_names_get(nn, b_word, name, sizeof name), 1);
    assert_string_equal(name, "word   kospi");
    assert_int_equal(cfd_ngram_names_get(nn, b_bigram, name, sizeof name), 1);
    assert_string_equal(name, "bigram 기준 금리");
    assert_int_equal(cfd_ngram_names_get(nn, b_char, name, sizeof name), 1);
    assert_string_equal(name, "chars  금리를");
    /* a bucket nobody asked for has no name */
    uint32_t other = (b_word + 1) & ((1u << cfg.hash_bits) - 1);
    assert_int_equal(cfd_ngram_names_get(nn, other, name, sizeof name), 0);
    /* the parts the daemon's "why" prints */
    const char *kind, *ngram;
    uint32_t others;
    int more;
    assert_int_equal(cfd_ngram_names_parts(nn, b_bigram, &kind, &ngram, &others, &more), 1);
    assert_string_equal(kind, "bigram");
    assert_string_equal(ngram, "기준 금리");
    assert_int_equal(others, 0);
    assert_int_equal(more, 0);
    assert_int_equal(cfd_ngram_names_parts(nn, other, &kind, &ngram, &others, &more), 0);
    cfd_ngram_names_free(nn);

    /* Nothing wanted (an explanation with no features): adding text is
     * fine, and nothing has a name (the empty list is not sorted: qsort's
     * base may not be NULL, UBSan says so). */
    assert_int_equal(cfd_ngram_names_new(&cfg, &nn, &err), 0);
    assert_int_equal(cfd_ngram_names_add(nn, title, strlen(title), body, strlen(body), &err), 0);
    assert_int_equal(cfd_ngram_names_get(nn, b_word, name, sizeof name), 0);
    cfd_ngram_names_free(nn);
}

static void test_collisions_counted(void **state)
{
    (void)state;
    /* 2^10 buckets and many distinct words: some wanted bucket collects
     * more than one n-gram and says so. */
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    cfg.hash_bits = 10;
    cfg.word_bigrams = 0;
    cfg.char_min = cfg.char_max = 0;
    cfd_ngram_names *nn;
    cfd_error err;
    assert_int_equal(cfd_ngram_names_new(&cfg, &nn, &err), 0);
    for (uint32_t b = 0; b < 1024; b++)
        assert_int_equal(cfd_ngram_names_want(nn, b), 0);
    char text[64];
    for (int i = 0; i < 3000; i++) {
        snprintf(text, sizeof text, "word%c%c%c", 'a' + i % 26, 'a' + i / 26 % 26,
                 'a' + i / 676 % 26);
        assert_int_equal(cfd_ngram_names_add(nn, NULL, 0, text, strlen(text), &err), 0);
    }
    int named = 0, shared = 0;
    char name[256];
    for (uint32_t b = 0; b < 1024; b++) {
        if (cfd_ngram_names_get(nn, b, name, sizeof name)) {
            named++;
            shared += strstr(name, "other n-gram") != NULL;
        }
    }
    assert_true(named > 900); /* 3000 words over 1024 buckets */
    assert_true(shared > 500);
    cfd_ngram_names_free(nn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_match_featurizer),
        cmocka_unit_test(test_collisions_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
