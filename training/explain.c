/* The margin of one label over another, feature by feature (explain.h). */
#include "explain.h"

#include <stdlib.h>

#include <classifyd/error.h>

int cfd_contrib_by_term_desc(const void *pa, const void *pb)
{
    const cfd_contrib *a = pa, *b = pb;
    if (a->term != b->term)
        return a->term > b->term ? -1 : 1;
    return a->bucket < b->bucket ? -1 : a->bucket > b->bucket; /* stable output */
}

int cfd_explain(const cfd_model *m, const cfd_featvec *x, uint32_t a, uint32_t b, size_t n,
                cfd_contrib *for_a, cfd_contrib *against, cfd_contrib *scratch,
                cfd_explanation *out)
{
    if (m->rows == NULL || a >= m->n_labels ||
        (b != CFD_EXPLAIN_NO_RIVAL && b >= m->n_labels))
        return CFD_EINVAL;
    out->bias = (double)m->bias[a] - (b == CFD_EXPLAIN_NO_RIVAL ? 0.0 : (double)m->bias[b]);
    out->features = 0;
    size_t k = 0;
    for (uint32_t i = 0; i < x->n; i++) {
        uint32_t bucket = x->items[i].index;
        if (bucket >= m->n_buckets || m->row_of[bucket] == CFD_NO_ROW)
            continue;
        const float *row = m->rows + (size_t)m->row_of[bucket] * m->n_labels;
        float w = b == CFD_EXPLAIN_NO_RIVAL ? row[a] : row[a] - row[b];
        float term = x->items[i].value * w;
        if (term == 0.0f)
            continue;
        out->features += (double)term;
        scratch[k].bucket = bucket;
        scratch[k].term = term;
        k++;
    }
    qsort(scratch, k, sizeof(*scratch), cfd_contrib_by_term_desc);
    size_t pos = 0;
    while (pos < k && scratch[pos].term > 0)
        pos++;
    out->n_for = pos < n ? pos : n;
    for (size_t i = 0; i < out->n_for; i++)
        for_a[i] = scratch[i];
    size_t neg = k - pos;
    out->n_against = neg < n ? neg : n;
    for (size_t i = 0; i < out->n_against; i++)
        against[i] = scratch[k - 1 - i];
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
