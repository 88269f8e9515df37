/*
 * Temperature scaling: fit prob_scale on held-out decision values (the method
 * and why it is sound are in calibrate.h).
 */
#include "calibrate.h"

#include <math.h>

#include <classifyd/error.h>

/* NLL, first and second derivative in a, all as means over the examples. */
static void cfd__nll_derivs(const float *scores, const uint32_t *y, size_t n, uint32_t k,
                            double a, double *nll, double *g, double *h)
{
    double sum_nll = 0, sum_g = 0, sum_h = 0;
    for (size_t i = 0; i < n; i++) {
        const float *s = scores + i * k;
        double m = -INFINITY;
        for (uint32_t c = 0; c < k; c++)
            if (a * s[c] > m)
                m = a * s[c];
        double z = 0, e1 = 0, e2 = 0;
        for (uint32_t c = 0; c < k; c++) {
            double e = exp(a * s[c] - m);
            z += e;
            e1 += e * s[c];
            e2 += e * s[c] * s[c];
        }
        double mean = e1 / z;
        sum_nll += m + log(z) - a * s[y[i]];
        sum_g += mean - s[y[i]];
        sum_h += e2 / z - mean * mean;
    }
    *nll = sum_nll / (double)n;
    *g = sum_g / (double)n;
    *h = sum_h / (double)n;
}

double cfd_calib_nll(const float *scores, const uint32_t *y, size_t n, uint32_t n_labels,
                     double a)
{
    double nll, g, h;
    cfd__nll_derivs(scores, y, n, n_labels, a, &nll, &g, &h);
    return nll;
}

static double cfd__ece(const float *scores, const uint32_t *y, size_t n, uint32_t k, double a)
{
    double conf[10] = {0}, acc[10] = {0};
    size_t cnt[10] = {0};
    for (size_t i = 0; i < n; i++) {
        const float *s = scores + i * k;
        uint32_t best = 0;
        for (uint32_t c = 1; c < k; c++)
            if (s[c] > s[best])
                best = c;
        double z = 0;
        for (uint32_t c = 0; c < k; c++)
            z += exp(a * (s[c] - s[best]));
        double p = 1.0 / z;
        int bin = (int)(p * 10);
        if (bin > 9)
            bin = 9;
        if (bin < 0)
            bin = 0;
        conf[bin] += p;
        acc[bin] += best == y[i];
        cnt[bin]++;
    }
    double ece = 0;
    for (int b = 0; b < 10; b++)
        if (cnt[b])
            ece += fabs(acc[b] - conf[b]) / (double)n;
    return ece;
}

int cfd_calibrate(const float *scores, const uint32_t *y, size_t n, uint32_t n_labels,
                  cfd_calibration *out)
{
    if (n == 0 || n_labels < 2)
        return CFD_EINVAL;
    for (size_t i = 0; i < n * n_labels; i++)
        if (!isfinite(scores[i]))
            return CFD_EINVAL;
    double nll, g, h;
    double lo = CFD_CALIB_SCALE_MIN, hi = CFD_CALIB_SCALE_MAX, a;
    cfd__nll_derivs(scores, y, n, n_labels, lo, &nll, &g, &h);
    if (g >= 0) {
        a = lo; /* the data prefer (almost) uniform probabilities */
    } else {
        cfd__nll_derivs(scores, y, n, n_labels, hi, &nll, &g, &h);
        if (g <= 0) {
            a = hi; /* perfectly separated held-out data: as sharp as allowed */
        } else {
            /* g(lo) < 0 < g(hi); g is increasing (NLL convex). */
            a = 1.0;
            for (int it = 0; it < 100; it++) {
                cfd__nll_derivs(scores, y, n, n_labels, a, &nll, &g, &h);
                if (fabs(g) < 1e-9)
                    break;
                if (g < 0)
                    lo = a;
                else
                    hi = a;
                double next = h > 0 ? a - g / h : -1;
                if (!(next > lo && next < hi))
                    next = sqrt(lo * hi); /* bisection in log space */
                if (fabs(next - a) < 1e-7 * a) {
                    a = next;
                    break;
                }
                a = next;
            }
        }
    }
    out->scale = (float)a;
    out->nll_before = cfd_calib_nll(scores, y, n, n_labels, 1.0);
    out->nll_after = cfd_calib_nll(scores, y, n, n_labels, a);
    out->ece = cfd__ece(scores, y, n, n_labels, a);
    return 0;
}
