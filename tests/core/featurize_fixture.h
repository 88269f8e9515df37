/*
 * Shared by the featurizer tests (test_featurize.c: counting,
 * test_feat_weight.c: weighting) and the tests that need a word's bucket
 * (test_ngrams.c, test_explain.c): a small raw config, a featurizer per
 * test, vector checks. Include after <cmocka.h>; everything is static inline.
 */
#ifndef CFD_TEST_FEATURIZE_FIXTURE_H
#define CFD_TEST_FEATURIZE_FIXTURE_H

#include <math.h>
#include <string.h>

#include "featurize.h"
#include "hash.h"

/* The single bucket cfd_featurize_counts gives `text` under cfg (a text
 * that makes one feature: one word, and only the kinds that give one). */
static inline uint32_t only_bucket(const cfd_feat_config *cfg, const char *text)
{
    cfd_featurizer *fz;
    cfd_featvec v;
    cfd_error err;
    assert_int_equal(cfd_featurizer_new(&fz), 0);
    assert_int_equal(cfd_featurize_counts(fz, cfg, NULL, 0, text, strlen(text), &v, &err), 0);
    assert_int_equal(v.n, 1);
    uint32_t b = v.items[0].index;
    cfd_featurizer_free(fz);
    return b;
}

static inline uint64_t seed_of(const cfd_feat_config *cfg, unsigned kind)
{
    return cfd_hash_kind_seed(cfg->seed, kind);
}

static inline void check_well_formed(const cfd_featvec *v, unsigned bits)
{
    for (uint32_t i = 0; i < v->n; i++) {
        assert_true(v->items[i].index < (UINT32_C(1) << bits));
        assert_true(isfinite(v->items[i].value));
        assert_true(v->items[i].value != 0.0f);
        if (i > 0)
            assert_true(v->items[i - 1].index < v->items[i].index);
    }
}

static inline double l2(const cfd_featvec *v)
{
    double s = 0;
    for (uint32_t i = 0; i < v->n; i++)
        s += (double)v->items[i].value * v->items[i].value;
    return sqrt(s);
}

static inline cfd_feat_config raw_config(void)
{
    cfd_feat_config c;
    cfd_feat_config_default(&c);
    c.hash_bits = 20;
    c.word_unigrams = 1;
    c.word_bigrams = 1;
    c.char_min = 1;
    c.char_max = 2;
    c.sublinear_tf = 0;
    c.use_idf = 0;
    c.l2_normalize = 0;
    c.clean_news = 0;
    c.title_weight = 2.0f;
    c.seed = 12345;
    return c;
}

static inline int setup(void **state)
{
    cfd_featurizer *fz;
    if (cfd_featurizer_new(&fz) != 0)
        return -1;
    *state = fz;
    return 0;
}

static inline int teardown(void **state)
{
    cfd_featurizer_free(*state);
    return 0;
}

#define S(x) x, strlen(x)

#endif
