/*
 * The training pipeline: dataset -> featurized corpus -> IDF -> weighted
 * liblinear problem -> dense weights -> cfd_model.
 *
 * Featurizing is done once per dataset (cfd_featurize_counts, the expensive
 * part) into a cfd_corpus of raw counts. Everything that depends on which
 * examples are "training" -- document frequencies, IDF, the weighted vectors
 * (sublinear TF, IDF, L2 through cfd_feat_weight, the very function serving
 * uses) -- is derived per training subset, so cross-validation folds never see
 * their held-out examples' document frequencies.
 *
 * IDF (when feat.use_idf): idf[b] = ln((1 + N) / (1 + df[b])) + 1 over the N
 * training rows (scikit-learn's smooth_idf), so unseen buckets get the
 * largest weight ln(1 + N) + 1 and no value is zero.
 *
 * Ownership: corpus and result structs own their arrays (free functions
 * below). Threads: call from one thread at a time. cfd_corpus_build
 * featurizes on up to `threads` threads of its own (each with its own
 * featurizer; only the first updates the progress bar), joined before it
 * returns; training may fork worker processes (solver.h, workers.h); the
 * other functions run on the calling thread. A built corpus is read-only.
 */
#ifndef CFD_TRAIN_TRAINER_H
#define CFD_TRAIN_TRAINER_H

#include <stddef.h>
#include <stdint.h>

#include <classifyd/error.h>
#include <classifyd/features.h>

#include "dataset.h"
#include "featurize.h"
#include "solver.h"
#include "model.h"
#include "progress.h"

/* Raw feature counts of every example of a dataset (CSR). */
typedef struct cfd_corpus {
    cfd_feat_config feat;
    uint32_t n_buckets;      /* 2^feat.hash_bits */
    size_t n;                /* rows */
    size_t *row;             /* n + 1 offsets into items */
    cfd_feature *items;
    uint32_t *y;             /* label of each row */
    uint32_t n_labels;
} cfd_corpus;

#define CFD_MAX_THREADS 64

/*
 * Featurizes every example of ds with cfd_featurize_counts, on up to
 * `threads` threads (each with its own featurizer; the result does not
 * depend on the count). Errors name the file and line of the first failing
 * example (e.g. text over the featurizer's size limit).
 */
int cfd_corpus_build(const cfd_dataset *ds, const cfd_feat_config *feat, unsigned threads,
                     cfd_progress *pr, cfd_corpus **out, cfd_error *err);
void cfd_corpus_free(cfd_corpus *c);

/* Row i as a vector of raw counts. */
cfd_featvec cfd_corpus_row(const cfd_corpus *c, size_t i);

/* IDF over rows[0..n_rows) (all rows when rows == NULL) into idf[n_buckets]:
 * ln((1 + N) / (1 + df)) + 1 rounded to one of 255 levels, and 0 for a
 * bucket none of the rows has (its feature then counts nowhere, not even in
 * the L2 norm); at most 256 distinct values, see trainer.c. */
int cfd_idf_compute(const cfd_corpus *c, const size_t *rows, size_t n_rows, float *idf);

/* A trained linear classifier in dense form. */
typedef struct cfd_dense {
    uint32_t n_buckets, n_labels;
    float *w;     /* n_buckets * n_labels, feature-major */
    float *bias;  /* n_labels */
    float *idf;   /* n_buckets, or NULL when !use_idf */
} cfd_dense;

void cfd_dense_free(cfd_dense *d);

/*
 * Trains on the corpus rows rows[0..n_rows) (all when rows == NULL):
 * IDF, weighting, liblinear. err names the problem.
 */
int cfd_train_dense(const cfd_corpus *c, const size_t *rows, size_t n_rows,
                    const cfd_linear_params *p, cfd_progress *pr, cfd_dense *out,
                    cfd_error *err);

/*
 * Decision values of corpus row i under d (weights the row with d's IDF
 * using fz as scratch): scores[0..n_labels). Same arithmetic as
 * cfd_model_scores on the model built from d.
 */
int cfd_dense_scores(const cfd_dense *d, const cfd_corpus *c, cfd_featurizer *fz, size_t i,
                     float *scores);

/* Zeroes weights with |w| < eps (pruning before saving). Returns how many. */
size_t cfd_dense_prune(cfd_dense *d, float eps);

/*
 * Builds the cfd_model (name, labels, feature config, weights, bias, IDF,
 * prob_scale, metadata) from d. meta is copied.
 */
int cfd_dense_to_model(const cfd_dense *d, const char *name, const char *const *labels,
                       const cfd_feat_config *feat, float prob_scale, const cfd_model_meta *meta,
                       cfd_model **out, cfd_error *err);

#endif
