/*
 * Probability calibration by temperature scaling.
 *
 * A model's probabilities are softmax(s * prob_scale) over its decision
 * values s (core/model.h). liblinear's scores are margins, not log-odds (SVM)
 * or over-confident log-odds (LR fitted on its own training data), so
 * prob_scale = 1/T is fitted on decision values the model did NOT train on:
 *   - the dev set, when `train --dev` is given (scores of the final model);
 *   - otherwise out-of-fold scores from internal stratified K-fold
 *     cross-validation on the training data (each example scored by the model
 *     trained without its fold), which is what `train` does by default.
 * It minimises the mean negative log-likelihood
 *   NLL(a) = mean_i [ logsumexp_c(a s_ic) - a s_i,y_i ]
 * over a > 0. NLL is convex in a (a log-sum-exp of linear functions minus a
 * linear one), so a safeguarded Newton iteration on a (with bisection
 * fallback on the bracket [1e-3, 1e3]) finds the global minimum. One scalar
 * cannot change which label wins: calibration never changes accuracy.
 *
 * Threads: pure function of its inputs.
 */
#ifndef CFD_TRAIN_CALIBRATE_H
#define CFD_TRAIN_CALIBRATE_H

#include <stddef.h>
#include <stdint.h>

#define CFD_CALIB_SCALE_MIN 1e-3
#define CFD_CALIB_SCALE_MAX 1e3

typedef struct cfd_calibration {
    float scale;       /* fitted prob_scale */
    double nll_before; /* mean NLL at scale 1 */
    double nll_after;  /* mean NLL at the fitted scale */
    double ece;        /* expected calibration error (10 bins, top label) after */
} cfd_calibration;

/* Mean NLL of softmax(a * scores) for labels y; scores is n * n_labels. */
double cfd_calib_nll(const float *scores, const uint32_t *y, size_t n, uint32_t n_labels,
                     double a);

/*
 * Fits the scale. n must be > 0, n_labels >= 2. Returns 0, or CFD_EINVAL for
 * empty input or non-finite scores.
 */
int cfd_calibrate(const float *scores, const uint32_t *y, size_t n, uint32_t n_labels,
                  cfd_calibration *out);

#endif
