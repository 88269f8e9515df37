/*
 * The model file writer: cfd_model_serialize, from a cfd_model to the bytes
 * models/FORMAT.md describes. The model is checked first with the same rules
 * the reader applies (model_check.c), so whatever is written loads.
 *
 * The size is computed up front and the file built in one allocation; the
 * write cursor still checks bounds, so a mistake in the size arithmetic is
 * an error, never an overflow.
 *
 * Q8 encoding: per row, scale = max|w| / 127 and q = round(w / scale) in
 * -127..127, so each weight is off by at most scale / 2 after loading.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "bytes.h"
#include "model_format.h"

typedef struct cfd__wr {
    uint8_t *p;
    uint8_t *end;
    int overflow;
} cfd__wr;

static uint8_t *cfd__wr_take(cfd__wr *w, size_t n)
{
    if (w->overflow || n > (size_t)(w->end - w->p)) {
        w->overflow = 1;
        return NULL;
    }
    uint8_t *q = w->p;
    w->p += n;
    return q;
}

static void cfd__put_u8(cfd__wr *w, uint8_t v)
{
    uint8_t *q = cfd__wr_take(w, 1);
    if (q != NULL)
        q[0] = v;
}

static void cfd__put_u16(cfd__wr *w, uint16_t v)
{
    uint8_t *q = cfd__wr_take(w, 2);
    if (q != NULL)
        cfd_le16_put(q, v);
}

static void cfd__put_u32(cfd__wr *w, uint32_t v)
{
    uint8_t *q = cfd__wr_take(w, 4);
    if (q != NULL)
        cfd_le32_put(q, v);
}

static void cfd__put_u64(cfd__wr *w, uint64_t v)
{
    uint8_t *q = cfd__wr_take(w, 8);
    if (q != NULL)
        cfd_le64_put(q, v);
}

static void cfd__put_f32(cfd__wr *w, float v) { cfd__put_u32(w, cfd_f32_bits(v)); }

static void cfd__put_bytes(cfd__wr *w, const void *p, size_t n)
{
    uint8_t *q = cfd__wr_take(w, n);
    if (q != NULL && n > 0)
        memcpy(q, p, n);
}

/* u32 length + bytes; NULL is written as the absent marker. */
static void cfd__put_str(cfd__wr *w, const char *s)
{
    if (s == NULL) {
        cfd__put_u32(w, CFD_MF_ABSENT);
        return;
    }
    size_t n = strlen(s);
    cfd__put_u32(w, (uint32_t)n);
    cfd__put_bytes(w, s, n);
}

static size_t cfd__str_size(const char *s) { return 4 + (s ? strlen(s) : 0); }

/* Starts a section; returns where its length goes (patched by _end). */
static uint8_t *cfd__sec_begin(cfd__wr *w, const char *tag, uint32_t flags)
{
    cfd__put_bytes(w, tag, 4);
    cfd__put_u32(w, flags);
    uint8_t *len_at = w->p;
    cfd__put_u64(w, 0);
    return w->overflow ? NULL : len_at;
}

static void cfd__sec_end(cfd__wr *w, uint8_t *len_at)
{
    if (len_at != NULL && !w->overflow)
        cfd_le64_put(len_at, (uint64_t)(w->p - (len_at + 8)));
}

static uint64_t cfd__weights_size(const cfd_model *m, enum cfd_weight_encoding enc)
{
    uint64_t nr = m->n_rows, nw = nr * m->n_labels;
    return CFD_MF_WGHT_HDR + 4 * nr + (enc == CFD_WEIGHTS_F32 ? 4 * nw : 4 * nr + nw);
}

/* How the IDF section is written, decided once per serialisation (the size
 * and the bytes both depend on it): TABLE8 when the IDF has at most 256
 * distinct values (classifyd-train writes 255 levels and 0), losslessly. */
typedef struct cfd__idf_plan {
    int table8;
    uint32_t n_table;
    float table[CFD_MF_IDF_TABLE_MAX];
} cfd__idf_plan;

static uint64_t cfd__file_size(const cfd_model *m, enum cfd_weight_encoding enc,
                               const cfd__idf_plan *ip)
{
    const uint64_t H = CFD_MF_SECTION_HDR;
    uint64_t n = CFD_MF_HEADER_LEN;
    n += H + strlen(m->name);
    n += H + 4;
    for (uint32_t i = 0; i < m->n_labels; i++)
        n += cfd__str_size(m->labels[i]);
    n += H + CFD_MF_FEAT_LEN;
    if (m->feat.word_prefix)
        n += H + CFD_MF_FOPT_LEN;
    n += H + cfd__weights_size(m, enc);
    n += H + 4 + 4ull * m->n_labels + 4;
    if (m->idf != NULL)
        n += H + CFD_MF_IDF_HDR + (ip->table8 ? 4 + 4ull * ip->n_table + m->n_buckets
                                              : 4ull * m->n_buckets);
    const cfd_model_meta *mt = &m->meta;
    n += H + cfd__str_size(mt->version) + cfd__str_size(mt->data_sha256) + 8 +
         cfd__str_size(mt->solver) + 8 + 8 + cfd__str_size(mt->metrics_json) +
         cfd__str_size(mt->notes);
    return n + CFD_MF_TRAILER_LEN;
}

static void cfd__put_feat(cfd__wr *w, const cfd_feat_config *f)
{
    uint8_t *len_at = cfd__sec_begin(w, CFD_MF_TAG_FEAT, CFD_MF_FLAG_REQUIRED);
    cfd__put_u8(w, f->hash_bits);
    cfd__put_u8(w, f->word_unigrams);
    cfd__put_u8(w, f->word_bigrams);
    cfd__put_u8(w, f->char_min);
    cfd__put_u8(w, f->char_max);
    cfd__put_u8(w, f->sublinear_tf);
    cfd__put_u8(w, f->use_idf);
    cfd__put_u8(w, f->l2_normalize);
    cfd__put_u8(w, f->clean_news);
    for (int i = 0; i < 3; i++) /* reserved in 1.x; later options go to FOPT */
        cfd__put_u8(w, 0);
    cfd__put_f32(w, f->title_weight);
    cfd__put_u32(w, f->seed);
    cfd__sec_end(w, len_at);
}

static void cfd__put_weights(cfd__wr *w, const cfd_model *m, enum cfd_weight_encoding enc)
{
    const uint32_t nl = m->n_labels, nr = m->n_rows;
    uint8_t *len_at = cfd__sec_begin(w, CFD_MF_TAG_WGHT, CFD_MF_FLAG_REQUIRED);
    cfd__put_u32(w, nl);
    cfd__put_u32(w, m->n_buckets);
    cfd__put_u32(w, nr);
    cfd__put_u8(w, (uint8_t)enc);
    for (int i = 0; i < 3; i++)
        cfd__put_u8(w, 0);
    /* Rows go out in bucket order, whatever their order in memory. */
    uint8_t *idx = cfd__wr_take(w, 4 * (size_t)nr);
    uint8_t *rows = cfd__wr_take(w, enc == CFD_WEIGHTS_F32 ? 4 * (size_t)nr * nl
                                                          : (4 + (size_t)nl) * nr);
    if (idx == NULL || rows == NULL)
        return;
    uint8_t *scales = rows, *q = rows + 4 * (size_t)nr;
    uint32_t k = 0;
    for (uint32_t b = 0; b < m->n_buckets && k < nr; b++) {
        uint32_t r = m->row_of[b];
        if (r == CFD_NO_ROW)
            continue;
        const float *wr = m->rows + (size_t)r * nl;
        cfd_le32_put(idx + 4 * (size_t)k, b);
        if (enc == CFD_WEIGHTS_F32) {
            cfd_le32_copy_out(rows + 4 * (size_t)k * nl, wr, nl);
        } else {
            float mx = 0.0f;
            for (uint32_t c = 0; c < nl; c++)
                mx = fmaxf(mx, fabsf(wr[c]));
            float scale = mx / 127.0f;
            int8_t *qr = (int8_t *)q + (size_t)k * nl;
            for (uint32_t c = 0; c < nl; c++) {
                long v = scale > 0.0f ? lrintf(wr[c] / scale) : 0;
                qr[c] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
            }
            cfd_le32_put(scales + 4 * (size_t)k, cfd_f32_bits(scale));
        }
        k++;
    }
    if (k != nr)
        w->overflow = 1; /* row_of and n_rows disagree: cfd_model_check prevents it */
    cfd__sec_end(w, len_at);
}

static void cfd__put_meta(cfd__wr *w, const cfd_model_meta *mt)
{
    uint8_t *len_at = cfd__sec_begin(w, CFD_MF_TAG_META, 0);
    cfd__put_str(w, mt->version);
    cfd__put_str(w, mt->data_sha256);
    cfd__put_u64(w, mt->n_examples);
    cfd__put_str(w, mt->solver);
    cfd__put_u64(w, cfd_f64_bits(mt->c));
    cfd__put_u64(w, (uint64_t)mt->created_unix);
    cfd__put_str(w, mt->metrics_json);
    cfd__put_str(w, mt->notes);
    cfd__sec_end(w, len_at);
}

int cfd_model_serialize(cfd_model *m, enum cfd_weight_encoding enc, void **buf, size_t *len,
                        cfd_error *err)
{
    *buf = NULL;
    *len = 0;
    if (enc != CFD_WEIGHTS_F32 && enc != CFD_WEIGHTS_Q8)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "weight encoding %d is unknown; use CFD_WEIGHTS_F32 or "
                             "CFD_WEIGHTS_Q8", (int)enc);
    int rc = cfd_model_check(m, err);
    if (rc != 0) {
        cfd_error_prefix(err, "refusing to save an invalid model");
        return rc;
    }
    cfd__idf_plan ip = {0};
    if (m->idf != NULL)
        ip.table8 = cfd_model_idf_table(m->idf, m->n_buckets, ip.table, &ip.n_table);
    uint64_t size = cfd__file_size(m, enc, &ip);
    if (size > CFD_MF_FILE_MAX)
        return cfd_error_set(err, CFD_ETOOBIG, (size_t)-1,
                             "model '%s' would take %llu bytes; the format's limit is %llu",
                             m->name, (unsigned long long)size,
                             (unsigned long long)CFD_MF_FILE_MAX);
    uint8_t *out = malloc((size_t)size);
    if (out == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1,
                             "out of memory serialising model '%s' (%llu bytes)", m->name,
                             (unsigned long long)size);
    cfd__wr w = {out, out + size, 0};
    /* FOPT only when an option in it is on: a model without them is a 1.0
     * file byte for byte, which every reader loads. */
    const int fopt = m->feat.word_prefix != 0;
    uint32_t n_sections = 6 + (m->idf != NULL) + (uint32_t)fopt;

    cfd__put_bytes(&w, CFD_MF_MAGIC, CFD_MF_MAGIC_LEN);
    cfd__put_u16(&w, CFD_MF_MAJOR);
    cfd__put_u16(&w, fopt ? CFD_MF_MINOR : 0);
    cfd__put_u32(&w, n_sections);
    cfd__put_u64(&w, size);

    uint8_t *len_at = cfd__sec_begin(&w, CFD_MF_TAG_NAME, CFD_MF_FLAG_REQUIRED);
    cfd__put_bytes(&w, m->name, strlen(m->name));
    cfd__sec_end(&w, len_at);

    len_at = cfd__sec_begin(&w, CFD_MF_TAG_LABL, CFD_MF_FLAG_REQUIRED);
    cfd__put_u32(&w, m->n_labels);
    for (uint32_t i = 0; i < m->n_labels; i++)
        cfd__put_str(&w, m->labels[i]);
    cfd__sec_end(&w, len_at);

    cfd__put_feat(&w, &m->feat);
    if (fopt) {
        len_at = cfd__sec_begin(&w, CFD_MF_TAG_FOPT, CFD_MF_FLAG_REQUIRED);
        cfd__put_u8(&w, m->feat.word_prefix);
        for (int i = 0; i < 3; i++)
            cfd__put_u8(&w, 0);
        cfd__sec_end(&w, len_at);
    }
    cfd__put_weights(&w, m, enc);

    len_at = cfd__sec_begin(&w, CFD_MF_TAG_BIAS, CFD_MF_FLAG_REQUIRED);
    cfd__put_u32(&w, m->n_labels);
    for (uint32_t c = 0; c < m->n_labels; c++)
        cfd__put_f32(&w, m->bias[c]);
    cfd__put_f32(&w, m->prob_scale);
    cfd__sec_end(&w, len_at);

    if (m->idf != NULL) {
        len_at = cfd__sec_begin(&w, CFD_MF_TAG_IDF, CFD_MF_FLAG_REQUIRED);
        cfd__put_u32(&w, m->n_buckets);
        cfd__put_u8(&w, ip.table8 ? CFD_MF_IDF_TABLE8 : CFD_MF_IDF_F32);
        for (int i = 0; i < 3; i++)
            cfd__put_u8(&w, 0);
        if (ip.table8) {
            cfd__put_u32(&w, ip.n_table);
            for (uint32_t i = 0; i < ip.n_table; i++)
                cfd__put_f32(&w, ip.table[i]);
            uint8_t *c = cfd__wr_take(&w, m->n_buckets);
            for (uint32_t b = 0; c != NULL && b < m->n_buckets; b++)
                c[b] = (uint8_t)cfd_model_idf_code(ip.table, ip.n_table, m->idf[b]);
        } else {
            uint8_t *v = cfd__wr_take(&w, 4 * (size_t)m->n_buckets);
            if (v != NULL)
                cfd_le32_copy_out(v, m->idf, m->n_buckets);
        }
        cfd__sec_end(&w, len_at);
    }
    cfd__put_meta(&w, &m->meta);

    if (w.overflow || (uint64_t)(w.end - w.p) != CFD_MF_TRAILER_LEN) {
        size_t written = (size_t)(w.p - out);
        free(out);
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "internal error serialising model '%s': size computed %llu, "
                             "written %zu%s", m->name, (unsigned long long)size, written,
                             w.overflow ? " (overflow)" : "");
    }
    uint64_t sum = XXH3_64bits(out, (size_t)size - CFD_MF_TRAILER_LEN);
    cfd__put_u64(&w, sum);
    m->checksum = sum;
    snprintf(m->checksum_hex, sizeof(m->checksum_hex), "%016llx", (unsigned long long)sum);
    *buf = out;
    *len = (size_t)size;
    return 0;
}
