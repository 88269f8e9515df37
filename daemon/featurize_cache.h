/*
 * Per-article featurization cache: three plugins must not cost three
 * featurizations.
 *
 * Featurizing is the dominant cost of classifying an article (~30 us for a
 * full article), and the plugins' models often share a featurizer config.
 * The cache remembers, for the current article, the last raw counts
 * (keyed by the count-deciding config fields, cfd_feat_config_counts_equal)
 * and the last weighted vector (keyed additionally by the weighting switches
 * and the IDF digest): cfd_featurize_counts runs once per distinct counting
 * config, cfd_feat_weight once per distinct (weighting, IDF), so models that
 * differ only in IDF/TF/L2 still share one featurization. A weighting that
 * differs from the cached one only by L2 (no IDF on either) is derived from
 * it in place (cfd_feat_l2_in_place, same bits), not weighted again: the
 * default section model takes TF-only features and topic and sentiment the
 * same with L2. The engine visits
 * plugins sorted by (config hash, IDF digest) so equal keys are adjacent and
 * "last one" is enough -- no table, no allocation.
 *
 * UTF-8: the text is valid UTF-8 (engine.h; article.c validated it on
 * arrival), so the cache's featurizer is told to trust it
 * (cfd_featurizer_trust_utf8) instead of validating every article again.
 *
 * Memory: wraps one cfd_featurizer (grown to the largest article, never
 * shrunk). Vectors returned stay valid until the next call with a different
 * key or the next cfd_fcache_begin.
 *
 * Threads: one cache per worker thread.
 */
#ifndef CFD_FEATURIZE_CACHE_H
#define CFD_FEATURIZE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <classifyd/error.h>
#include <classifyd/features.h>

#include "featurize.h"

typedef struct cfd_fcache {
    cfd_featurizer *fz;
    const char *title, *body;
    size_t title_len, body_len;
    int have_counts;
    int counts_rc;               /* result of the last counts call */
    cfd_error counts_err;
    cfd_feat_config counts_cfg;
    cfd_featvec counts;
    int have_weighted;
    uint64_t weighted_idf_key;   /* 0 = no IDF */
    uint32_t weighted_mode;      /* sublinear | idf << 1 | l2 << 2 */
    cfd_featvec weighted;
    /* The article's letters by class (cfd_featurizer_letters) from the
     * successful counting pass that read the most code points: the same
     * whichever order the models' configs were counted in. */
    int have_letters;
    uint64_t letters_total;
    uint64_t letters[CFD_TOK_CLASSES];
    /* Statistics since creation (read by the owner thread only). */
    uint64_t n_counts;
    uint64_t n_weights;
} cfd_fcache;

int cfd_fcache_init(cfd_fcache *c);
void cfd_fcache_free(cfd_fcache *c);

/* Starts a new article; the text must stay valid until the next begin. */
void cfd_fcache_begin(cfd_fcache *c, const char *title, size_t title_len, const char *body,
                      size_t body_len);

/*
 * Features of the current article for (cfg, idf). idf_key identifies the
 * IDF table's contents (0 when cfg->use_idf is 0; equal tables, equal keys).
 * Returns 0 and sets *out, or the featurizer's error (CFD_ETOOBIG,
 * CFD_ENOMEM; never CFD_EUTF8, the text being trusted as valid UTF-8) --
 * remembered, so every plugin with the same config gets the same error
 * without re-running -- or a weighting error (CFD_ERANGE: a non-finite
 * IDF entry or sum of squares; CFD_ENOMEM), which is not remembered.
 */
int cfd_fcache_get(cfd_fcache *c, const cfd_feat_config *cfg, const float *idf,
                   uint64_t idf_key, const cfd_featvec **out, cfd_error *err);

/* The current article's letters by class (cfd_featurizer_letters) as the
 * widest of its successful counting passes read them -- the one with the
 * most code points, so a model that leaves the title out (title_weight 0)
 * does not hide it from the check, whatever order the configs were counted
 * in: returns 1 and fills out, or 0 when no plugin featurized this article
 * (only raw-text plugins ran) or every pass failed. */
int cfd_fcache_letters(const cfd_fcache *c, uint64_t out[CFD_TOK_CLASSES]);

#endif
