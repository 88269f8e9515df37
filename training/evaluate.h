/*
 * Running a model over a dataset the way the daemon does: every example's
 * title and body go through cfd_featurize with the model's own config and
 * IDF, then cfd_model_scores. Used by `eval`, by `train --dev` (so dev
 * metrics are those of the model as saved, quantisation included) and by
 * train's save-and-reload self-check.
 *
 * Threads: one call at a time per featurizer; the model is only read.
 */
#ifndef CFD_TRAIN_EVALUATE_H
#define CFD_TRAIN_EVALUATE_H

#include <classifyd/error.h>

#include "dataset.h"
#include "metrics.h"
#include "model.h"
#include "progress.h"

/*
 * Scores every example of ds (whose labels must be the model's, in order:
 * load it with the model's labels as the fixed set). Fills metrics (already
 * initialised with m->n_labels) when not NULL and, when scores is not NULL,
 * scores[i * n_labels + c] (decision values, before prob_scale).
 */
int cfd_eval_dataset(const cfd_model *m, const cfd_dataset *ds, cfd_progress *pr,
                     cfd_metrics *metrics, float *scores, cfd_error *err);

#endif
