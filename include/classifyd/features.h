/*
 * Feature vectors and the featurizer configuration (public).
 *
 * A cfd_feat_config is stored inside every model file, so a model always says
 * exactly how its text must be turned into features; training and serving both
 * call the one featurizer in the core library with that config
 * (core/featurize.h), which is why they cannot drift apart.
 *
 * Threads: plain data, no functions; safe to share read-only.
 */
#ifndef CLASSIFYD_FEATURES_H
#define CLASSIFYD_FEATURES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds checked by cfd_feat_config_check() and by the model loader. */
#define CFD_HASH_BITS_MIN 10
#define CFD_HASH_BITS_MAX 24
#define CFD_CHAR_NGRAM_MAX 6

/*
 * How text becomes features. Every field is serialised explicitly (never as
 * raw struct bytes) in the model file; see models/FORMAT.md.
 */
typedef struct cfd_feat_config {
    uint8_t hash_bits;     /* 2^hash_bits buckets, CFD_HASH_BITS_MIN..MAX */
    uint8_t word_unigrams; /* 1: each token is a feature */
    uint8_t word_bigrams;  /* 1: each adjacent token pair is a feature */
    uint8_t char_min;      /* char n-grams inside tokens, n in [char_min, char_max];
                              0 disables. A Hangul syllable is one character. */
    uint8_t char_max;
    uint8_t sublinear_tf;  /* 1: value = 1 + log(count) instead of count */
    uint8_t use_idf;       /* 1: multiply by the model's IDF table */
    uint8_t l2_normalize;  /* 1: scale the vector to unit L2 norm */
    uint8_t clean_news;    /* 1: drop e-mail addresses, URLs, bracketed
                              broadcast/byline markers ([앵커], [이슈투데이=...])
                              and "<name> 기자" bylines before tokenising */
    uint8_t word_prefix;   /* 1: the first two characters of every Hangul
                              token (core/tokenize.h: syllables, jamo, and
                              any 3-byte combining mark inside it) of three
                              or more, whose characters are all 3 bytes, are
                              a feature too: a cheap stem (증가했다, 증가한 ->
                              증가; ㅋㅋㅋ -> ㅋㅋ); stored in the
                              model file's FOPT section (format 1.1), 0 in
                              models without one */
    uint8_t reserved[2];   /* zero; room to grow without changing the layout */
    float title_weight;    /* multiplier for title token counts (1 = like body) */
    uint32_t seed;         /* hash seed */
} cfd_feat_config;

/* One non-zero feature: bucket index and value. */
typedef struct cfd_feature {
    uint32_t index;
    float value;
} cfd_feature;

/*
 * A sparse vector. Items are sorted by index, indexes are unique, all values
 * are finite. The memory belongs to whoever produced the vector (normally a
 * cfd_featurizer scratch) and is valid until that producer's next call.
 */
typedef struct cfd_featvec {
    const cfd_feature *items;
    uint32_t n;
} cfd_featvec;

#ifdef __cplusplus
}
#endif
#endif
