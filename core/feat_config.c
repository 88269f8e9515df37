/*
 * The featurizer configuration: defaults with their rationale, the range
 * check every config passes (in the featurizer, in training and in the
 * model loader), and identity (equal/hash) computed from the fields, never
 * from raw struct bytes, so padding and future fields cannot make two
 * identical configs differ. See include/classifyd/features.h and
 * featurize.h.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <classifyd/error.h>
#include <classifyd/features.h>

#include "featurize.h"
#include "hash.h"

/*
 * Defaults for Korean news (the quality engineer tunes them against
 * training/RESULTS.md; a model stores the config it was trained with, so
 * changing these never changes an existing model):
 *  - hash_bits 20: ~1M buckets. news8 + ynat have a few hundred thousand
 *    distinct unigrams, bigrams and syllable n-grams; at 2^20 collisions
 *    cost well under a point of accuracy, and pruning/quantisation, not
 *    fewer buckets, keeps model files small.
 *  - word unigrams + bigrams: bigrams catch fixed phrases (정상 회담,
 *    "26 일" from 26일) that carry topic.
 *  - char n-grams 1..3 inside words: Korean words are stem + particle
 *    (정부는, 정부가, 정부의); syllable 1- to 3-grams share the stem across
 *    those forms, and single syllables (北, 軍, 檢 in headlines; 골, 팀) are
 *    strong topic cues in short ynat headlines. Measured with
 *    classifyd-train (SVM, C 1): ynat dev macro-F1 0.855 with 1..3, 0.852
 *    with 2..3, 0.851 with 2..4; news8 5-fold CV 0.847 with 1..3, 0.851
 *    with 2..3, 0.837 with 1..2 (differences within one fold's sd there).
 *    1-grams are 37% of an article's features: 2..3 featurizes ~15%
 *    faster, a fair choice for long-article models such as section.
 *  - sublinear TF + L2: long articles must not dominate by length; the
 *    usual choice for linear text classifiers.
 *  - IDF off by default: it needs a table stored in the model (training
 *    computes it when use_idf is set); sublinear TF + L2 with a regularised
 *    linear model already down-weights ubiquitous features.
 *  - title_weight 2: the title is the densest summary of the article.
 *  - clean_news 1: bylines, datelines, e-mail and broadcaster markers name
 *    the source, not the topic, and hurt on articles from other sites/years.
 *  - word_prefix 0: off, so a config built from defaults means what it
 *    meant before the option existed; the default models turn it on
 *    (training/model-options.sh; +0.009 sentiment and +0.005 section
 *    macro-F1 in CV, training/RESULTS.md).
 */
void cfd_feat_config_default(cfd_feat_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->hash_bits = 20;
    cfg->word_unigrams = 1;
    cfg->word_bigrams = 1;
    cfg->char_min = 1;
    cfg->char_max = 3;
    cfg->sublinear_tf = 1;
    cfg->use_idf = 0;
    cfg->l2_normalize = 1;
    cfg->clean_news = 1;
    cfg->title_weight = 2.0f;
    cfg->seed = UINT32_C(0x63666431); /* "cfd1" */
}

int cfd_feat_config_check(const cfd_feat_config *cfg, cfd_error *err)
{
    if (cfg == NULL)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1, "featurizer config: NULL");
    if (cfg->hash_bits < CFD_HASH_BITS_MIN || cfg->hash_bits > CFD_HASH_BITS_MAX)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "featurizer config: hash_bits is %u, expected %d..%d",
                             cfg->hash_bits, CFD_HASH_BITS_MIN, CFD_HASH_BITS_MAX);
    const struct {
        const char *name;
        uint8_t v;
    } flags[] = {
        {"word_unigrams", cfg->word_unigrams}, {"word_bigrams", cfg->word_bigrams},
        {"sublinear_tf", cfg->sublinear_tf},   {"use_idf", cfg->use_idf},
        {"l2_normalize", cfg->l2_normalize},   {"clean_news", cfg->clean_news},
        {"word_prefix", cfg->word_prefix},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (flags[i].v > 1)
            return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                                 "featurizer config: %s is %u, expected 0 or 1", flags[i].name,
                                 flags[i].v);
    if (cfg->char_min == 0 && cfg->char_max != 0)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "featurizer config: char_max is %u but char_min is 0; set both to 0 "
                             "to disable character n-grams, or char_min to 1..%u",
                             cfg->char_max, cfg->char_max);
    if (cfg->char_min != 0 && (cfg->char_max < cfg->char_min || cfg->char_max > CFD_CHAR_NGRAM_MAX))
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "featurizer config: character n-gram range %u..%u, expected "
                             "1 <= char_min <= char_max <= %d",
                             cfg->char_min, cfg->char_max, CFD_CHAR_NGRAM_MAX);
    if (!cfg->word_unigrams && !cfg->word_bigrams && cfg->char_min == 0)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "featurizer config: no features enabled; enable word_unigrams, "
                             "word_bigrams or character n-grams%s",
                             cfg->word_prefix ? " (word prefixes alone would leave every "
                                                "short word and non-Hangul text without one)"
                                              : "");
    for (size_t i = 0; i < sizeof cfg->reserved; i++)
        if (cfg->reserved[i] != 0)
            return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                                 "featurizer config: reserved[%zu] is %u, expected 0 (a config "
                                 "from a newer classifyd?)",
                                 i, cfg->reserved[i]);
    if (!isfinite(cfg->title_weight) || cfg->title_weight < 0.0f || cfg->title_weight > 100.0f)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "featurizer config: title_weight is %g, expected 0..100 "
                             "(1 = title counts like body)",
                             (double)cfg->title_weight);
    return 0;
}

/* The config as explicit little-endian bytes (never raw struct bytes). */
static void cfd__config_bytes(const cfd_feat_config *cfg, unsigned char b[20])
{
    b[0] = cfg->hash_bits;
    b[1] = cfg->word_unigrams;
    b[2] = cfg->word_bigrams;
    b[3] = cfg->char_min;
    b[4] = cfg->char_max;
    b[5] = cfg->sublinear_tf;
    b[6] = cfg->use_idf;
    b[7] = cfg->l2_normalize;
    b[8] = cfg->clean_news;
    b[9] = cfg->word_prefix;
    memcpy(b + 10, cfg->reserved, 2);
    uint32_t tw;
    memcpy(&tw, &cfg->title_weight, 4);
    for (int i = 0; i < 4; i++) {
        b[12 + i] = (unsigned char)(tw >> (8 * i));
        b[16 + i] = (unsigned char)(cfg->seed >> (8 * i));
    }
}

int cfd_feat_config_equal(const cfd_feat_config *a, const cfd_feat_config *b)
{
    unsigned char x[20], y[20];
    cfd__config_bytes(a, x);
    cfd__config_bytes(b, y);
    return memcmp(x, y, sizeof x) == 0;
}

uint64_t cfd_feat_config_hash(const cfd_feat_config *cfg)
{
    unsigned char b[20];
    cfd__config_bytes(cfg, b);
    return XXH3_64bits(b, sizeof b);
}

/*
 * The fields that decide raw counts (cfd_featurize_counts): everything but
 * the weighting switches (sublinear_tf, use_idf, l2_normalize), which only
 * cfd_feat_weight reads. Models that differ only in weighting share one
 * counting pass in the daemon.
 */
static void cfd__count_bytes(const cfd_feat_config *cfg, unsigned char b[20])
{
    cfd__config_bytes(cfg, b);
    b[5] = b[6] = b[7] = 0;
}

int cfd_feat_config_counts_equal(const cfd_feat_config *a, const cfd_feat_config *b)
{
    unsigned char x[20], y[20];
    cfd__count_bytes(a, x);
    cfd__count_bytes(b, y);
    return memcmp(x, y, sizeof x) == 0;
}

uint64_t cfd_feat_config_counts_hash(const cfd_feat_config *cfg)
{
    unsigned char b[20];
    cfd__count_bytes(cfg, b);
    return XXH3_64bits(b, sizeof b);
}

void cfd_feat_config_describe(const cfd_feat_config *c, int counts_only, char *out, size_t len)
{
    char w[48] = "";
    if (!counts_only)
        snprintf(w, sizeof w, " tf=%s idf=%s l2=%s", c->sublinear_tf ? "sublinear" : "raw",
                 c->use_idf ? "yes" : "no", c->l2_normalize ? "yes" : "no");
    snprintf(out, len,
             "buckets=2^%u words=%s%s char-ngrams=%u..%u%s title-weight=%g clean=%s seed=%u",
             c->hash_bits,
             c->word_bigrams ? (c->word_unigrams ? "uni+bi" : "bi")
                             : (c->word_unigrams ? "uni" : "none"),
             c->word_prefix ? "+prefix" : "", c->char_min, c->char_max, w,
             (double)c->title_weight, c->clean_news ? "yes" : "no", c->seed);
}
