/*
 * The featurizer: text -> sparse hashed feature vector.
 *
 * This is the one place text becomes numbers, used by training
 * (classifyd-train), by the daemon and by plugins, with the cfd_feat_config
 * stored in the model. Pipeline for title and body:
 *
 *   validate UTF-8 (reject, see utf8.h)
 *   -> strip HTML tags and entities (always; markup.h)
 *   -> NFC, only when a cheap scan finds code points NFC may change
 *      (utf8proc; most articles skip it; normalize.h)
 *   -> optional news cleaning (clean_news; clean.h)
 *   -> tokenise by Unicode class with case folding (Hangul syllables, Han,
 *      Latin, digits, other letters; everything else separates; tokenize.h)
 *   -> word unigrams / bigrams (adjacent tokens of one text) / optional
 *      word prefixes (word_prefix: the first two syllables of a Hangul
 *      token of three or more) / char n-grams inside tokens (first CFD_TOK_NGRAM_CPS code points of a token; none
 *      for digit tokens), hashed (inline XXH3 seeded per kind, hash.h) into
 *      2^hash_bits buckets, title counts * title_weight
 *   -> per-document counts (dedup) -> sublinear TF -> optional IDF -> L2.
 *
 * cfd_featurize() = cfd_featurize_counts() followed by cfd_feat_weight().
 * The split lets training compute document frequencies from raw counts, and
 * lets the daemon count once per distinct config and weight per model.
 *
 * Memory: a cfd_featurizer is a reusable scratch area. It grows to the
 * largest document seen and is never shrunk; no allocation happens per
 * document once it is warm. Output vectors point into it and stay valid
 * until the next call on the same featurizer.
 *
 * Threads: a cfd_featurizer must be used by one thread at a time (give each
 * worker thread its own). Configs and IDF tables are only read and may be
 * shared by any number of threads.
 */
#ifndef CFD_FEATURIZE_H
#define CFD_FEATURIZE_H

#include <stddef.h>
#include <stdint.h>

#include <classifyd/error.h>
#include <classifyd/features.h>

#include "tokenize.h"

/* The most text (title + body, bytes) one call featurizes: CFD_ETOOBIG above. */
#define CFD_FEATURIZE_MAX_INPUT ((size_t)64 << 20)

typedef struct cfd_featurizer cfd_featurizer;

/* Sensible defaults (documented in featurize.c). */
void cfd_feat_config_default(cfd_feat_config *cfg);

/* 0 if every field is in range, else CFD_EINVAL with a message naming it. */
int cfd_feat_config_check(const cfd_feat_config *cfg, cfd_error *err);

/* Non-zero if the two configs produce identical features. */
int cfd_feat_config_equal(const cfd_feat_config *a, const cfd_feat_config *b);

/* 64-bit digest of a config (for grouping plugins that share featurization). */
uint64_t cfd_feat_config_hash(const cfd_feat_config *cfg);

/* Non-zero if the two configs produce identical raw counts, i.e. are equal
 * but for the weighting switches (sublinear_tf, use_idf, l2_normalize). */
int cfd_feat_config_counts_equal(const cfd_feat_config *a, const cfd_feat_config *b);

/* 64-bit digest of the count-deciding fields (grouping for shared counting). */
uint64_t cfd_feat_config_counts_hash(const cfd_feat_config *cfg);

/* One line describing the config, as classifyd-train's train, cv and inspect
 * print it ("buckets=2^19 words=uni+bi+prefix char-ngrams=1..3 tf=sublinear
 * idf=yes l2=yes title-weight=2 clean=yes seed=..."); with counts_only, the
 * same without the weighting fields tf=, idf=, l2= (what decides the counts,
 * as the daemon names a second featurization pass). */
void cfd_feat_config_describe(const cfd_feat_config *cfg, int counts_only, char *out,
                              size_t len);

int cfd_featurizer_new(cfd_featurizer **out);
void cfd_featurizer_free(cfd_featurizer *fz);

/*
 * Promises that every text given to fz from now on is valid UTF-8 because
 * the caller validated it already (the daemon validates each request as it
 * arrives; engine.h): fz then skips its own validation pass (~25% of its
 * first look at the text) and never returns CFD_EUTF8. Give such a
 * featurizer only validated text: on invalid UTF-8 its features are
 * unspecified. Off by default (training tools, tests, fuzzers validate).
 */
void cfd_featurizer_trust_utf8(cfd_featurizer *fz, int trusted);

/*
 * The code points of the tokens the last cfd_featurize_counts (or
 * cfd_featurize) on fz counted, by token class (out[CFD_TOK_HANGUL],
 * [CFD_TOK_HAN], [CFD_TOK_LATIN], [CFD_TOK_DIGIT], [CFD_TOK_OTHER]; the
 * other slots 0): the letters the models read of the article, after markup
 * removal and news cleaning, so an <img src="..."> or a URL adds none. A
 * token's marks count with it. A title left out (title_weight 0) is not
 * counted. Only meaningful after a call that returned 0. The daemon's
 * unfamiliar_script check reads it (daemon/aggregate.h).
 */
void cfd_featurizer_letters(const cfd_featurizer *fz, uint64_t out[CFD_TOK_CLASSES]);

/*
 * Raw per-document counts (title counts multiplied by title_weight), sorted
 * by index, unique. No TF transform, no IDF, no normalisation.
 * title/body may be NULL when their length is 0. Either may be empty, but
 * if both contain no token the result is an empty vector (n == 0), not an
 * error. Returns 0, CFD_EUTF8 (err->offset is the offset in title if
 * err->msg says "title", else in body), CFD_ETOOBIG (over 64 MiB),
 * CFD_ENOMEM, or CFD_EINVAL for a config cfd_feat_config_check refuses or
 * a NULL text with a non-zero length.
 */
int cfd_featurize_counts(cfd_featurizer *fz, const cfd_feat_config *cfg,
                         const char *title, size_t title_len,
                         const char *body, size_t body_len,
                         cfd_featvec *out, cfd_error *err);

/*
 * Applies sublinear TF, IDF (idf may be NULL only when !cfg->use_idf; it has
 * 2^hash_bits entries) and L2 normalisation to `in`, writing into the
 * featurizer's second buffer; `in` may be a vector returned by
 * cfd_featurize_counts on the same featurizer. Result valid until the next
 * cfd_feat_weight or cfd_featurize call on fz.
 */
int cfd_feat_weight(cfd_featurizer *fz, const cfd_feat_config *cfg, const float *idf,
                    const cfd_featvec *in, cfd_featvec *out);

/*
 * L2-normalises v in place with the very operations of cfd_feat_weight's
 * last step, so weighting with l2_normalize = 0 and then this gives the
 * bits of weighting with l2_normalize = 1 (without IDF; with IDF the sum of
 * squares is formed differently). v must be the vector the last
 * cfd_feat_weight call on fz returned (CFD_EINVAL otherwise); CFD_ERANGE if
 * its sum of squares is not finite (v unchanged). Lets the daemon derive
 * the L2 weighting of an article from its TF-only one (featurize_cache.c).
 */
int cfd_feat_l2_in_place(cfd_featurizer *fz, cfd_featvec *v);

/* counts + weight in one call. */
int cfd_featurize(cfd_featurizer *fz, const cfd_feat_config *cfg, const float *idf,
                  const char *title, size_t title_len,
                  const char *body, size_t body_len,
                  cfd_featvec *out, cfd_error *err);

#endif
