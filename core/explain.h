/*
 * Why a linear model preferred one label to another for one text.
 *
 * A model's scores are s[c] = bias[c] + sum_f x_f * w[f][c] (model.h), so
 * the margin of label a over label b splits exactly into
 *     s[a] - s[b] = (bias[a] - bias[b]) + sum_f x_f * (w[f][a] - w[f][b])
 * and each feature's term is its contribution: positive terms argued for a,
 * negative ones for b. cfd_explain picks the features with the largest terms
 * on each side, computed the way the scorer computes them (float rows,
 * packed q8 table, or packed table with IDF fused, model_score.c), so that
 * bias + features is the scorer's own margin. ngrams.h names the buckets
 * with the n-grams of the text. Used by `classifyd-train predict --explain N`
 * and, through the linear plugin's explain(), by the daemon's "explain"
 * request field, so an editor can see which words moved a decision (a
 * byline, a place name) and fix the data or the rules.
 *
 * Ownership: the caller owns every buffer; nothing is kept or allocated.
 * Threads: any; the model is only read (many threads may explain with one
 * shared model at once, as they score with it).
 */
#ifndef CFD_EXPLAIN_H
#define CFD_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include <classifyd/features.h>

#include "model.h"

/* b when there is no rival label: contributions are then x_f * w[f][a]. */
#define CFD_EXPLAIN_NO_RIVAL UINT32_MAX

/* A feature's bucket and its term (inspect stores a weight here: the term
 * of a feature of value 1). */
typedef struct cfd_contrib {
    uint32_t bucket;
    float term; /* x_f * (w[f][a] - w[f][b]) */
} cfd_contrib;

/* qsort order: largest term first, then the smaller bucket (a stable,
 * reproducible listing). */
int cfd_contrib_by_term_desc(const void *a, const void *b);

typedef struct cfd_explanation {
    double bias;     /* bias[a] - bias[b] */
    double features; /* sum of every feature's term; bias + features = the margin */
    size_t n_for;    /* entries in for_a: largest positive terms, descending */
    size_t n_against; /* entries in against: most negative terms first */
} cfd_explanation;

/*
 * Explains label a against label b (b may be CFD_EXPLAIN_NO_RIVAL) for the
 * feature vector x, which is what the model's scorer takes:
 *  - for a model whose IDF is fused into its packed table
 *    (m->packed_idf_off != 0, the linear plugin's), x holds the counts
 *    through the TF step (cfd_model_tf_config) as for cfd_model_scores_tf,
 *    and each term carries the IDF and L2 norm that scoring applies;
 *  - otherwise x is the weighted vector (cfd_featurize with m->feat), read
 *    against the packed table when there is one, else the float rows, as
 *    cfd_model_scores does.
 * for_a and against each have room for n entries (n may be 0: only the
 * sums). Features without weights and terms that are exactly 0 are left
 * out; ties go to the smaller bucket. Returns 0; CFD_EINVAL when a or b is
 * not a label of m or m has neither rows nor a packed table; CFD_ERANGE
 * when the IDF-weighted norm overflows (cfd_model_scores_tf fails then too).
 */
int cfd_explain(const cfd_model *m, const cfd_featvec *x, uint32_t a, uint32_t b, size_t n,
                cfd_contrib *for_a, cfd_contrib *against, cfd_explanation *out);

/* The label with the highest probability after `best` (the rival a reader
 * wants explained), or CFD_EXPLAIN_NO_RIVAL for a one-label model. */
uint32_t cfd_explain_runner_up(const float *probs, uint32_t n_labels, uint32_t best);

#endif
