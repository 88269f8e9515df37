/*
 * The packed q8 scoring table (core/model.h, cfd_model.packed): built while
 * a q8 weight section is read (model_sections.c), straight from the file's
 * int8 weights and row scales, so packed scores use exactly the file's
 * numbers.
 *
 * Why: with the sparse layout every feature costs two dependent cache misses
 * (row_of[bucket], then the row of floats), and the three default models'
 * row_of + rows are ~27 MB, near this machine's whole L3. The packed table is
 * one 16-byte row per bucket for up to 12 labels (8 bytes up to 4): 20 MB
 * for the three default models, one miss per feature. Scoring them fell
 * from ~50 to ~21 us per article (model_score.c).
 *
 * When: the table is dense (every bucket has a row), so it is built only
 * when it is at most twice the size of the sparse rows it stands for; a
 * model with few non-zero buckets or many labels keeps the sparse path.
 *
 * Serving a model with IDF, cfd_model_fuse_idf adds the bucket's IDF to its
 * row ([scale][q x n_labels][u8 code] with the values in a 256-entry table
 * when the IDF has at most 256 distinct values, as classifyd-train's has;
 * else [scale][q x n_labels][pad][float32 idf]; within one cache line
 * either way), so the IDF costs no cache miss of its own (model_score.c,
 * cfd_model_scores_tf). The code keeps a 3-label row at 8 bytes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_format.h"

/* Bytes per packed row holding `need` bytes, rounded up to a power of two
 * so a row never straddles a cache line; 0 if rows would exceed one. */
static uint32_t cfd__stride(uint32_t need)
{
    uint32_t s = 8;
    while (s < need)
        s *= 2;
    return s <= 64 ? s : 0;
}

/* Where cfd_model_fuse_idf puts the IDF: after scale and labels, aligned. */
static uint32_t cfd__idf_off(uint32_t n_labels) { return (4 + n_labels + 3) & ~UINT32_C(3); }

int cfd_model_pack_begin(cfd_model *m, uint32_t n_rows)
{
    uint32_t stride = cfd__stride(4 + m->n_labels);
    if (stride == 0)
        return 0;
    size_t packed = (size_t)m->n_buckets * stride;
    size_t sparse = (size_t)m->n_buckets * sizeof(uint32_t) +
                    (size_t)n_rows * m->n_labels * sizeof(float);
    if (packed > 2 * sparse)
        return 0;
    m->packed = calloc(m->n_buckets, stride);
    if (m->packed == NULL)
        return CFD_ENOMEM;
    m->packed_stride = stride;
    return 0;
}

void cfd_model_pack_row(cfd_model *m, uint32_t bucket, float scale, const int8_t *q)
{
    unsigned char *row = m->packed + (size_t)bucket * m->packed_stride;
    memcpy(row, &scale, sizeof scale);
    memcpy(row + sizeof scale, q, m->n_labels);
}

void cfd_model_shed_rows(cfd_model *m)
{
    free(m->idf_code); /* only cfd_model_fuse_idf reads it (a shortcut) */
    m->idf_code = NULL;
    if (m->packed == NULL)
        return;
    free(m->row_of);
    free(m->rows);
    m->row_of = NULL;
    m->rows = NULL;
    if (m->packed_idf_off != 0) {
        free(m->idf);
        m->idf = NULL;
    }
}

int cfd_model_fuse_idf(cfd_model *m)
{
    if (m->packed == NULL || m->idf == NULL || m->packed_idf_off != 0)
        return 0;
    /* At most 256 distinct values (classifyd-train's IDF): a one-byte code
     * right after the weights, so a 3-label row stays 8 bytes; otherwise a
     * float32 copy, aligned. */
    uint32_t nt = 0; /* table size, when it has to be built here */
    const int coded = m->idf_code != NULL ||
                      cfd_model_idf_table(m->idf, m->n_buckets, m->packed_idf_table, &nt);
    const uint32_t off = coded ? 4 + m->n_labels : cfd__idf_off(m->n_labels);
    const uint32_t stride = cfd__stride(off + (coded ? 1 : 4));
    if (stride == 0)
        return 0; /* would not fit a cache line: keep the separate table */
    unsigned char *t = m->packed;
    if (stride != m->packed_stride) {
        /* Section-like models (8 labels: 4 + 8 + 4 bytes) keep their 16-byte
         * rows; others widen, row by row. */
        if ((t = calloc(m->n_buckets, stride)) == NULL)
            return CFD_ENOMEM;
        for (uint32_t b = 0; b < m->n_buckets; b++)
            memcpy(t + (size_t)b * stride, m->packed + (size_t)b * m->packed_stride,
                   4 + m->n_labels);
        free(m->packed);
    }
    for (uint32_t b = 0; b < m->n_buckets; b++) {
        unsigned char *at = t + (size_t)b * stride + off;
        if (m->idf_code != NULL) /* as read from the file */
            *at = m->idf_code[b];
        else if (coded)
            *at = (unsigned char)cfd_model_idf_code(m->packed_idf_table, nt, m->idf[b]);
        else
            memcpy(at, &m->idf[b], sizeof(float));
    }
    m->packed = t;
    m->packed_stride = stride;
    m->packed_idf_off = off;
    m->packed_idf_coded = (uint32_t)coded;
    return 0;
}

/* Lower bound without a data-dependent branch (the comparison, which no
 * predictor can guess, becomes a conditional move). Runs once or twice per
 * bucket when saving a model with IDF, and when fusing a file that did not
 * bring its codes (an older f32 IDF); fusing a TABLE8 file copies the
 * file's codes instead, which is what brought the section model's daemon
 * load_ms from 67-74 to 35-42 ms. */
uint32_t cfd_model_idf_code(const float *table, uint32_t n_table, float v)
{
    if (n_table == 0)
        return 0;
    const float *b = table;
    uint32_t len = n_table;
    while (len > 1) {
        const uint32_t half = len / 2;
        b = b[half - 1] < v ? b + half : b;
        len -= half;
    }
    return (uint32_t)(b - table) + (*b < v);
}

int cfd_model_idf_table(const float *idf, uint32_t n, float *table, uint32_t *n_table)
{
    uint32_t nt = 0;
    for (uint32_t b = 0; b < n; b++) {
        const float v = idf[b];
        if (v == 0.0f && signbit(v))
            return 0; /* -0 would come back as +0: not lossless */
        const uint32_t lo = cfd_model_idf_code(table, nt, v); /* first entry >= v */
        if (lo < nt && table[lo] == v)
            continue;
        if (nt == CFD_MF_IDF_TABLE_MAX)
            return 0;
        memmove(table + lo + 1, table + lo, (nt - lo) * sizeof(*table));
        table[lo] = v;
        nt++;
    }
    *n_table = nt;
    return 1;
}
