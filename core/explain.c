/* The margin of one label over another, feature by feature (explain.h). */
#include "explain.h"

#include <string.h>

#include <classifyd/error.h>

int cfd_contrib_by_term_desc(const void *pa, const void *pb)
{
    const cfd_contrib *a = pa, *b = pb;
    if (a->term != b->term)
        return a->term > b->term ? -1 : 1;
    return a->bucket < b->bucket ? -1 : a->bucket > b->bucket; /* stable output */
}

/* Orders of the two lists: for_a largest term first (the qsort order
 * above), against most negative first; ties to the smaller bucket in both. */
static int cfd__before_pos(const cfd_contrib *x, const cfd_contrib *y)
{
    return cfd_contrib_by_term_desc(x, y) < 0;
}

static int cfd__before_neg(const cfd_contrib *x, const cfd_contrib *y)
{
    return x->term < y->term || (x->term == y->term && x->bucket < y->bucket);
}

/* Keeps list[0..*k) the first `cap` entries in the order `before` of all
 * offered so far: an insertion into a short sorted list (n is what a reader
 * looks at, a handful to a few dozen), so no scratch and no sort. Inlined
 * with its order, so the common case, a term that loses to the last of a
 * full list, costs one comparison. */
static inline __attribute__((always_inline)) void
cfd__keep(cfd_contrib *list, size_t *k, size_t cap, cfd_contrib e,
          int (*before)(const cfd_contrib *, const cfd_contrib *))
{
    if (cap == 0)
        return;
    size_t pos = *k;
    if (pos == cap) {
        if (!before(&e, &list[cap - 1]))
            return;
        pos = cap - 1; /* the last one drops out */
    } else {
        (*k)++;
    }
    while (pos > 0 && before(&e, &list[pos - 1])) {
        list[pos] = list[pos - 1];
        pos--;
    }
    list[pos] = e;
}

/* The weight difference w[a] - w[b] of bucket f and the value the scorer
 * multiplies it by, as model_score.c forms them; 0 when f has no weights. */
static double cfd__term(const cfd_model *m, uint32_t f, float value, uint32_t a, uint32_t b,
                        int fused, float inv)
{
    if (f >= m->n_buckets)
        return 0.0;
    if (m->packed != NULL) {
        const unsigned char *row = m->packed + (size_t)f * m->packed_stride;
        float scale, v = value;
        memcpy(&scale, row, sizeof scale);
        const int8_t *q = (const int8_t *)(row + sizeof scale);
        if (fused) {
            float idf;
            if (m->packed_idf_coded)
                idf = m->packed_idf_table[row[m->packed_idf_off]];
            else
                memcpy(&idf, row + m->packed_idf_off, sizeof idf);
            v = v * idf;
            v = v * inv;
        }
        const double vs = (double)v * scale;
        return b == CFD_EXPLAIN_NO_RIVAL ? vs * q[a] : vs * q[a] - vs * q[b];
    }
    if (m->row_of[f] == CFD_NO_ROW)
        return 0.0;
    const float *row = m->rows + (size_t)m->row_of[f] * m->n_labels;
    const double v = value;
    return b == CFD_EXPLAIN_NO_RIVAL ? v * row[a] : v * row[a] - v * row[b];
}

int cfd_explain(const cfd_model *m, const cfd_featvec *x, uint32_t a, uint32_t b, size_t n,
                cfd_contrib *for_a, cfd_contrib *against, cfd_explanation *out)
{
    if ((m->rows == NULL && m->packed == NULL) || a >= m->n_labels ||
        (b != CFD_EXPLAIN_NO_RIVAL && b >= m->n_labels))
        return CFD_EINVAL;
    const int fused = m->packed != NULL && m->packed_idf_off != 0;
    float inv = 1.0f;
    if (fused) {
        int rc = cfd_model_tf_norm(m, x, &inv);
        if (rc != 0)
            return rc;
    }
    out->bias = (double)m->bias[a] - (b == CFD_EXPLAIN_NO_RIVAL ? 0.0 : (double)m->bias[b]);
    out->features = 0;
    out->n_for = out->n_against = 0;
    for (uint32_t i = 0; i < x->n; i++) {
        double t = cfd__term(m, x->items[i].index, x->items[i].value, a, b, fused, inv);
        if (t == 0.0)
            continue;
        out->features += t;
        cfd_contrib e = {x->items[i].index, (float)t};
        if (t > 0)
            cfd__keep(for_a, &out->n_for, n, e, cfd__before_pos);
        else
            cfd__keep(against, &out->n_against, n, e, cfd__before_neg);
    }
    return 0;
}

uint32_t cfd_explain_runner_up(const float *probs, uint32_t n_labels, uint32_t best)
{
    uint32_t r = CFD_EXPLAIN_NO_RIVAL;
    for (uint32_t c = 0; c < n_labels; c++)
        if (c != best && (r == CFD_EXPLAIN_NO_RIVAL || probs[c] > probs[r]))
            r = c;
    return r;
}
