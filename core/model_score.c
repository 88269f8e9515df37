/*
 * Scoring: decision values (cfd_model_scores), calibrated probabilities and
 * argmax. Two layouts (core/model.h): the sparse float rows every model has,
 * and the packed q8 table of a model read from a q8 file (model_pack.c),
 * which scoring prefers.
 *
 * Both accumulate in double, as liblinear's predict_values does, so our
 * decision values match liblinear's on the same weights to float precision
 * (tests/core/test_model_export.c checks 1e-5).
 *
 * This file is compiled with -O3 in Release builds (core/CMakeLists.txt) and
 * the packed loop has an x86-64-v3 (AVX2, FMA) clone picked at load time:
 * with both, scoring the three default models takes ~21 us per news8
 * article against ~29 us at -O2 without the clone and ~50 us for the sparse
 * float rows (prototype measurement, 2026-11-28; bench/bench_engine.c gives
 * the figures on the serving path).
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "featurize.h"
#include "model_format.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CFD__CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CFD__CLONES
#endif

/*
 * Scoring is bound by memory, not arithmetic: an article's ~1,500 features
 * hit ~1,500 random entries of row_of (4 MB at 2^20 buckets) and then as
 * many rows, two dependent cache misses each, and the models are far bigger
 * than the caches of a shared machine. The loop therefore runs a software
 * pipeline: row_of of feature i + 2D is prefetched, the row of feature i + D
 * is looked up (its row_of entry arrived meanwhile) and prefetched, and
 * feature i is accumulated, so ~2D misses are in flight instead of one or
 * two. Row numbers looked up ahead wait in a small ring. Measure with
 * bench/bench_engine.c (figures in the commit messages of this loop).
 */
#define CFD__PF_DIST 32 /* power of two */

static inline uint32_t cfd__row(const cfd_model *m, uint32_t f)
{
    /* The contract says f < n_buckets; a vector made with another config
     * must not read out of bounds, so check (one predictable branch). */
    return f < m->n_buckets ? m->row_of[f] : CFD_NO_ROW;
}

/*
 * The pipelined loop, accumulating into acc[0..nl). Always inlined with a
 * constant nl for the common label counts (2..8: topic 7, section 8,
 * sentiment 3), so the per-label loop unrolls with acc in registers (about
 * 20% fewer instructions per article than the generic loop, callgrind);
 * other counts take the generic copy.
 */
static inline __attribute__((always_inline)) void
cfd__accumulate(const cfd_model *m, const cfd_featvec *x, double *restrict acc, const uint32_t nl)
{
    const uint32_t n = x->n;
    const cfd_feature *items = x->items;
    const size_t row_bytes = (size_t)nl * sizeof(float);
    uint32_t ring[CFD__PF_DIST];
    /* prologue: row_of of the first 2D features, rows of the first D */
    for (uint32_t i = 0; i < n && i < 2 * CFD__PF_DIST; i++)
        if (items[i].index < m->n_buckets)
            __builtin_prefetch(&m->row_of[items[i].index]);
    for (uint32_t i = 0; i < n && i < CFD__PF_DIST; i++) {
        uint32_t r = cfd__row(m, items[i].index);
        ring[i] = r;
        if (r != CFD_NO_ROW) {
            const char *w = (const char *)(m->rows + (size_t)r * nl);
            __builtin_prefetch(w);
            __builtin_prefetch(w + row_bytes - 1);
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        if (i + 2 * CFD__PF_DIST < n && items[i + 2 * CFD__PF_DIST].index < m->n_buckets)
            __builtin_prefetch(&m->row_of[items[i + 2 * CFD__PF_DIST].index]);
        uint32_t r = ring[i & (CFD__PF_DIST - 1)];
        if (i + CFD__PF_DIST < n) {
            uint32_t ra = cfd__row(m, items[i + CFD__PF_DIST].index);
            ring[i & (CFD__PF_DIST - 1)] = ra;
            if (ra != CFD_NO_ROW) {
                const char *w = (const char *)(m->rows + (size_t)ra * nl);
                __builtin_prefetch(w);
                __builtin_prefetch(w + row_bytes - 1);
            }
        }
        if (r == CFD_NO_ROW)
            continue;
        const float *w = m->rows + (size_t)r * nl;
        double v = items[i].value;
        for (uint32_t c = 0; c < nl; c++)
            acc[c] += v * w[c];
    }
}

/*
 * The packed q8 table (model_pack.c): the row of bucket f is at
 * packed + f * packed_stride, [float32 scale][int8 q x n_labels], weight =
 * q * scale; buckets without weights are zero rows. One cache line per
 * feature and no row_of lookup before it, so the row of feature i + D is
 * prefetched while feature i is added. acc[c] += (x * scale) * q[c]: the
 * float rows' x * (q * scale) but for one float rounding of q * scale.
 */
#define CFD__PACK_PF_DIST 64

/* The IDF a fused row carries at `at` (m->packed_idf_off into the row): a
 * one-byte index into m->packed_idf_table, or a float32 copy. */
static inline __attribute__((always_inline)) float cfd__row_idf(const cfd_model *m,
                                                                const unsigned char *at,
                                                                const int coded)
{
    float idf;
    if (coded)
        idf = m->packed_idf_table[*at];
    else
        memcpy(&idf, at, sizeof idf);
    return idf;
}

/* Prefetches the packed rows of the first CFD__PACK_PF_DIST features. */
static inline __attribute__((always_inline)) void
cfd__prefetch_first(const cfd_model *m, const cfd_feature *items, uint32_t n)
{
    for (uint32_t i = 0; i < n && i < CFD__PACK_PF_DIST; i++)
        if (items[i].index < m->n_buckets)
            __builtin_prefetch(m->packed + (size_t)items[i].index * m->packed_stride);
}

/* Prefetches the packed row of feature i + CFD__PACK_PF_DIST: branch-free,
 * the last row again near the end, the last bucket's row for an index out
 * of range. With a branch here GCC split the scoring loop and kept its
 * accumulators in memory. */
static inline __attribute__((always_inline)) void
cfd__prefetch_ahead(const cfd_model *m, const cfd_feature *items, uint32_t n, uint32_t i)
{
    const uint32_t nb = m->n_buckets;
    uint32_t pf = items[i + CFD__PACK_PF_DIST < n ? i + CFD__PACK_PF_DIST : n - 1].index;
    __builtin_prefetch(m->packed + (size_t)(pf < nb ? pf : nb - 1) * m->packed_stride);
}

/* Two labels' accumulators per vector. 128-bit vectors on purpose: a
 * 256-bit vector type gets no machine mode in a file compiled for baseline
 * x86-64, so in the AVX2 clone GCC kept such accumulators in memory (a
 * store-to-load chain through every multiply-add). */
typedef double cfd__v2d __attribute__((vector_size(2 * sizeof(double))));
typedef int32_t cfd__v4i __attribute__((vector_size(4 * sizeof(int32_t))));

/* A01 += VS * (weights 0, 1), A23 += VS * (weights 2, 3), for the four
 * int8 weights at ROW + OFF converted exactly:
 * the four bytes as one 32-bit word in every lane, each lane shifting its
 * own byte to the top and back with sign. Up to 8 labels a row has at
 * least 4 bytes after the 4-byte scale (stride 8) or 8 (stride 16), so the
 * four bytes are in the row; bytes past the labels are padding or the
 * fused IDF and only feed lanes that are never read back. */
#define CFD__Q4_FMA(A01, A23, ROW, OFF, VS)                                                  \
    do {                                                                                     \
        int32_t w_;                                                                          \
        memcpy(&w_, (ROW) + (OFF), sizeof w_); /* little-endian: byte k at bits 8k */       \
        const cfd__v4i ww_ = {w_, w_, w_, w_};                                               \
        const cfd__v4i lo_ = (ww_ << (cfd__v4i){24, 16, 24, 16}) >> 24; /* bytes 0, 1 */     \
        const cfd__v4i hi_ = (ww_ << (cfd__v4i){8, 0, 8, 0}) >> 24;     /* bytes 2, 3 */     \
        (A01) += (VS) * __builtin_convertvector(__builtin_shufflevector(lo_, lo_, 0, 1),      \
                                                cfd__v2d);                                   \
        (A23) += (VS) * __builtin_convertvector(__builtin_shufflevector(hi_, hi_, 0, 1),      \
                                                cfd__v2d);                                   \
    } while (0)

/*
 * fused = 1 (cfd_model_scores_tf): x is through the TF step only and the
 * row also carries the bucket's IDF; the weighted value is formed as
 * cfd_feat_weight forms it, (x * idf) * inv in float, before the same
 * accumulation. Always inlined with constant nl and fused.
 *
 * Up to 8 labels the per-label products run two labels per vector
 * operation: the same multiply-add per label as the scalar loop (exact
 * int8 -> double conversion, one product, one sum; contracted to FMA in
 * both forms in the v3 clone), without the scalar loop's eight separate
 * conversions and inserts, which made the loop bound by arithmetic once
 * the rows were in cache.
 */
static inline __attribute__((always_inline)) void
cfd__accumulate_packed(const cfd_model *m, const cfd_featvec *x, double *restrict acc,
                       const uint32_t nl, const int fused, const int coded, const float inv)
{
    const uint32_t n = x->n, nb = m->n_buckets, idf_off = m->packed_idf_off;
    const size_t stride = m->packed_stride;
    const unsigned char *t = m->packed;
    const cfd_feature *items = x->items;
    const int vec = nl <= 8;
#define CFD__LANE(c) (vec && (c) < nl ? acc[c] : 0.0)
    cfd__v2d a01 = {CFD__LANE(0), CFD__LANE(1)}, a23 = {CFD__LANE(2), CFD__LANE(3)};
    cfd__v2d a45 = {CFD__LANE(4), CFD__LANE(5)}, a67 = {CFD__LANE(6), CFD__LANE(7)};
#undef CFD__LANE
    cfd__prefetch_first(m, items, n);
    for (uint32_t i = 0; i < n; i++) {
        cfd__prefetch_ahead(m, items, n, i);
        const uint32_t f = items[i].index;
        if (f >= nb) /* the contract says f < n_buckets; never read outside */
            continue;
        const unsigned char *row = t + (size_t)f * stride;
        float scale, v = items[i].value;
        memcpy(&scale, row, sizeof scale);
        if (fused) {
            v = v * cfd__row_idf(m, row + idf_off, coded);
            v = v * inv;
        }
        const double vs = (double)v * scale;
        if (vec) {
            CFD__Q4_FMA(a01, a23, row, sizeof scale, vs);
            if (nl > 4)
                CFD__Q4_FMA(a45, a67, row, sizeof scale + 4, vs);
        } else {
            const int8_t *q = (const int8_t *)(row + sizeof scale);
            for (uint32_t c = 0; c < nl; c++)
                acc[c] += vs * q[c];
        }
    }
    if (vec) { /* constant lane indexes keep the accumulators in registers */
        const cfd__v2d *out[4] = {&a01, &a23, &a45, &a67};
        for (uint32_t c = 0; c < nl; c++)
            acc[c] = (*out[c / 2])[c % 2];
    }
}

#define CFD__ACC_K(K, FN)                                                                    \
    case K: {                                                                                \
        double a[K];                                                                         \
        for (uint32_t c = 0; c < K; c++)                                                     \
            a[c] = acc[c];                                                                   \
        FN(m, x, a, K);                                                                      \
        for (uint32_t c = 0; c < K; c++)                                                     \
            acc[c] = a[c];                                                                   \
        break;                                                                               \
    }

/* The label counts of the default models (3, 7, 8) and their neighbours
 * get a copy with the per-label loop unrolled and acc in registers; one
 * switch, instantiated for each accumulation loop. */
#define CFD__DISPATCH(FN)                                                                    \
    switch (m->n_labels) {                                                                   \
        CFD__ACC_K(2, FN)                                                                    \
        CFD__ACC_K(3, FN)                                                                    \
        CFD__ACC_K(4, FN)                                                                    \
        CFD__ACC_K(5, FN)                                                                    \
        CFD__ACC_K(6, FN)                                                                    \
        CFD__ACC_K(7, FN)                                                                    \
        CFD__ACC_K(8, FN)                                                                    \
    default:                                                                                 \
        FN(m, x, acc, m->n_labels);                                                          \
    }

#define CFD__PACKED(m, x, a, K) cfd__accumulate_packed(m, x, a, K, 0, 0, 1.0f)
#define CFD__PACKED_TF(m, x, a, K) cfd__accumulate_packed(m, x, a, K, 1, 0, inv)
#define CFD__PACKED_TFC(m, x, a, K) cfd__accumulate_packed(m, x, a, K, 1, 1, inv)

CFD__CLONES static void cfd__scores_packed(const cfd_model *m, const cfd_featvec *x, double *acc)
{
    CFD__DISPATCH(CFD__PACKED)
}

CFD__CLONES static void cfd__scores_packed_tf(const cfd_model *m, const cfd_featvec *x,
                                              float inv, double *acc)
{
    if (m->packed_idf_coded) {
        CFD__DISPATCH(CFD__PACKED_TFC)
    } else {
        CFD__DISPATCH(CFD__PACKED_TF)
    }
}
#undef CFD__PACKED
#undef CFD__PACKED_TF
#undef CFD__PACKED_TFC

static void cfd__scores_rows(const cfd_model *m, const cfd_featvec *x, double *acc)
{
    CFD__DISPATCH(cfd__accumulate)
}
#undef CFD__DISPATCH

/* Finite weights can still sum past FLT_MAX (a model file with weights
 * near 3e38 is valid); an infinite score would make the probabilities NaN
 * (inf - inf), so saturate instead (tests/core/test_model_regress.c). */
static void cfd__saturate(const double *acc, uint32_t nl, float *scores)
{
    for (uint32_t c = 0; c < nl; c++)
        scores[c] = (float)(acc[c] > FLT_MAX ? FLT_MAX : acc[c] < -FLT_MAX ? -FLT_MAX : acc[c]);
}

void cfd_model_scores(const cfd_model *m, const cfd_featvec *x, float *scores)
{
    const uint32_t nl = m->n_labels;
    double acc[CFD_MAX_LABELS];
    for (uint32_t c = 0; c < nl; c++)
        acc[c] = m->bias[c];
    if (m->packed != NULL)
        cfd__scores_packed(m, x, acc);
    else
        cfd__scores_rows(m, x, acc);
    cfd__saturate(acc, nl, scores);
}
#undef CFD__ACC_K

/*
 * The sum of squares of the IDF-weighted vector, exactly as
 * cfd_feat_weight's cfd__finish_weights forms it: v = x * idf rounded to
 * float, ss += (double)v * v in index order, one chain. This pass takes the
 * cache misses (each row brings its IDF and its weights); the scoring pass
 * after it finds the rows in cache. Measured against the alternative (this
 * pass reading a dense array of IDF codes, the scoring pass taking the
 * misses): that was slower, section plugin 29-32 us against 15-22 us per
 * 2.6 KB article (bench_engine --reps 3, three alternated runs, 2026-11-29):
 * this lean loop keeps more misses in flight than the scoring loop does. Not cloned for x86-64-v3 and not
 * contracted into FMA, so its rounding is the featurizer's (baseline
 * x86-64 has no FMA; GCC would contract at -ffp-contract=fast elsewhere).
 */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=off")))
#endif
static inline __attribute__((always_inline)) double
cfd__idf_sumsq_k(const cfd_model *m, const cfd_featvec *x, const int coded)
{
    const uint32_t n = x->n, nb = m->n_buckets, off = m->packed_idf_off;
    const size_t stride = m->packed_stride;
    const unsigned char *t = m->packed;
    const cfd_feature *items = x->items;
    double ss = 0.0;
    cfd__prefetch_first(m, items, n);
    for (uint32_t i = 0; i < n; i++) {
        cfd__prefetch_ahead(m, items, n, i);
        if (items[i].index >= nb)
            continue;
        const unsigned char *at = t + (size_t)items[i].index * stride + off;
        float v = items[i].value * cfd__row_idf(m, at, coded);
        ss += (double)v * v;
    }
    return ss;
}

#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=off")))
#endif
static double cfd__idf_sumsq(const cfd_model *m, const cfd_featvec *x)
{
    return m->packed_idf_coded ? cfd__idf_sumsq_k(m, x, 1) : cfd__idf_sumsq_k(m, x, 0);
}

int cfd_model_tf_norm(const cfd_model *m, const cfd_featvec *tf, float *inv)
{
    if (m->packed == NULL || m->packed_idf_off == 0)
        return CFD_EINVAL;
    double ss = cfd__idf_sumsq(m, tf);
    if (!isfinite(ss))
        return CFD_ERANGE;
    /* cfd__finish_weights: no scaling without L2 or for an all-zero vector
     * (x * 1.0f is x). */
    *inv = 1.0f;
    if (m->feat.l2_normalize && ss > 0.0)
        *inv = (float)(1.0 / sqrt(ss));
    return 0;
}

int cfd_model_scores_tf(const cfd_model *m, const cfd_featvec *tf, float *scores)
{
    float inv;
    int rc = cfd_model_tf_norm(m, tf, &inv);
    if (rc != 0)
        return rc;
    const uint32_t nl = m->n_labels;
    double acc[CFD_MAX_LABELS];
    for (uint32_t c = 0; c < nl; c++)
        acc[c] = m->bias[c];
    cfd__scores_packed_tf(m, tf, inv, acc);
    cfd__saturate(acc, nl, scores);
    return 0;
}

cfd_feat_config cfd_model_tf_config(const cfd_model *m)
{
    cfd_feat_config c = m->feat;
    c.use_idf = 0;
    c.l2_normalize = 0;
    return c;
}

void cfd_model_probs(const cfd_model *m, const float *scores, float *probs)
{
    const uint32_t nl = m->n_labels;
    const double t = m->prob_scale;
    /* Subtracting the maximum keeps every exponent <= 0: no overflow, and
     * the largest term is exactly 1, so the sum is never 0. */
    double mx = -HUGE_VAL;
    for (uint32_t c = 0; c < nl; c++)
        if (scores[c] * t > mx)
            mx = scores[c] * t;
    double sum = 0.0;
    double e[CFD_MAX_LABELS];
    for (uint32_t c = 0; c < nl; c++) {
        e[c] = exp(scores[c] * t - mx);
        sum += e[c];
    }
    for (uint32_t c = 0; c < nl; c++)
        probs[c] = (float)(e[c] / sum);
}

uint32_t cfd_argmax(const float *v, uint32_t n)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}
