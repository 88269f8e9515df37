/*
 * The model file reader, part two: one parser per known section (NAME, LABL,
 * FEAT, WGHT, BIAS, IDF, META; models/FORMAT.md gives their bytes). The
 * container around them -- header, checksum, section walk, truncation --
 * is model_read.c.
 *
 * Each parser reads only through the section's bounds-checked cursor and
 * checks that the bytes a size field implies are present before allocating
 * for them, so no allocation exceeds the file. A read past the end is
 * CFD_ETRUNC when the file was cut short, else a format/size error naming
 * the section, the field and its offset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "bytes.h"
#include "featurize.h"
#include "model_format.h"

/* Reports that `field` (needing `need` bytes at the cursor) does not fit:
 * CFD_ETRUNC if the file was cut, else `code` (EFORMAT for a fixed field,
 * ETOOBIG for a size someone wrote into the file). */
static int cfd__short(cfd_mf_sec *s, int code, const char *field, uint64_t need)
{
    size_t at = cfd_rd_off(&s->r);
    if (s->cut)
        return cfd_error_set(s->err, CFD_ETRUNC, s->have,
                             "truncated: the file ends at offset %zu, inside field '%s' of section "
                             "%s (field at offset %zu, %llu bytes; the file should have %llu "
                             "bytes); copy the complete file again",
                             s->have, field, s->tag, at, (unsigned long long)need,
                             (unsigned long long)s->file_len);
    return cfd_error_set(s->err, code, at,
                         "section %s (at offset %zu): field '%s' at offset %zu needs %llu bytes "
                         "but only %zu remain in the section",
                         s->tag, s->off, field, at, (unsigned long long)need, cfd_rd_left(&s->r));
}

#define CFD__RD(s, fn, ptr, field)                                                     \
    do {                                                                               \
        if (fn(&(s)->r, (ptr)) != 0)                                                   \
            return cfd__short((s), CFD_EFORMAT, (field), sizeof(*(ptr)));              \
    } while (0)

static int cfd__no_trailing(cfd_mf_sec *s)
{
    if (cfd_rd_left(&s->r) == 0)
        return 0;
    return cfd_error_set(s->err, CFD_EFORMAT, cfd_rd_off(&s->r),
                         "section %s (at offset %zu) has %zu unexpected bytes after its last "
                         "field, at offset %zu",
                         s->tag, s->off, cfd_rd_left(&s->r), cfd_rd_off(&s->r));
}

/* Reads a u32 length + bytes; checks length <= max before touching the
 * bytes. *absent is set for CFD_MF_ABSENT when absent != NULL. */
static int cfd__rd_str(cfd_mf_sec *s, const char *field, uint32_t max, const char **p,
                       uint32_t *len, int *absent)
{
    size_t at = cfd_rd_off(&s->r);
    CFD__RD(s, cfd_rd_u32, len, field);
    if (absent != NULL) {
        *absent = *len == CFD_MF_ABSENT;
        if (*absent) {
            *p = NULL;
            *len = 0;
            return 0;
        }
    }
    if (*len > max)
        return cfd_error_set(s->err, CFD_ETOOBIG, at,
                             "section %s: %s at offset %zu is %u bytes long; the limit is %u",
                             s->tag, field, at, *len, max);
    const uint8_t *q = cfd_rd_take(&s->r, *len);
    if (q == NULL)
        return cfd__short(s, CFD_ETOOBIG, field, *len);
    *p = (const char *)q;
    return 0;
}

static int cfd__oom(cfd_mf_sec *s, const char *what)
{
    return cfd_error_set(s->err, CFD_ENOMEM, s->off, "out of memory reading %s of section %s",
                         what, s->tag);
}

static int cfd__parse_name(cfd_mf_sec *s, cfd_model *m)
{
    size_t n = cfd_rd_left(&s->r);
    if (s->declared > CFD_MAX_NAME_LEN)
        return cfd_error_set(s->err, CFD_ETOOBIG, s->off,
                             "section NAME: model name is %llu bytes long; the limit is %d",
                             (unsigned long long)s->declared, CFD_MAX_NAME_LEN);
    if (s->cut)
        return cfd__short(s, CFD_EFORMAT, "name", s->declared);
    const char *p = (const char *)cfd_rd_take(&s->r, n);
    int rc = cfd_model_check_text("model name", p, n, CFD_MAX_NAME_LEN, 0, 1, cfd_rd_off(&s->r) - n,
                                  s->err);
    if (rc != 0)
        return rc;
    return (m->name = cfd_memdup(p, n)) == NULL ? cfd__oom(s, "the name") : 0;
}

static int cfd__parse_labl(cfd_mf_sec *s, cfd_model *m)
{
    uint32_t n;
    size_t at = cfd_rd_off(&s->r);
    CFD__RD(s, cfd_rd_u32, &n, "n_labels");
    if (n > CFD_MAX_LABELS || n < 2)
        return cfd_error_set(s->err, n < 2 ? CFD_EFORMAT : CFD_ETOOBIG, at,
                             "section LABL: label count is %u; a model needs 2..%d labels", n,
                             CFD_MAX_LABELS);
    /* Each label takes at least its 4-byte length: bound the count by the
     * bytes present before allocating. */
    if ((uint64_t)n * 4 > cfd_rd_left(&s->r))
        return cfd__short(s, CFD_ETOOBIG, "labels", (uint64_t)n * 4);
    size_t *offs = malloc(n * sizeof(*offs));
    if (offs == NULL || (m->labels = calloc(n, sizeof(*m->labels))) == NULL) {
        free(offs);
        return cfd__oom(s, "labels");
    }
    m->n_labels = n;
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        char field[32];
        snprintf(field, sizeof(field), "label %u", i);
        const char *p;
        uint32_t len;
        if ((rc = cfd__rd_str(s, field, CFD_MAX_LABEL_LEN, &p, &len, NULL)) != 0)
            break;
        offs[i] = cfd_rd_off(&s->r) - len;
        rc = cfd_model_check_text(field, p, len, CFD_MAX_LABEL_LEN, 0, 1, offs[i], s->err);
        if (rc != 0)
            break;
        if ((m->labels[i] = cfd_memdup(p, len)) == NULL)
            rc = cfd__oom(s, "labels");
    }
    if (rc == 0 && (rc = cfd__no_trailing(s)) == 0)
        rc = cfd_model_check_labels((const char *const *)m->labels, n, offs, s->err);
    free(offs);
    return rc;
}

static int cfd__parse_feat(cfd_mf_sec *s, cfd_model *m)
{
    if (s->declared != CFD_MF_FEAT_LEN)
        return cfd_error_set(s->err, CFD_EFORMAT, s->off,
                             "section FEAT is %llu bytes; format %d.x stores the featurizer "
                             "config in exactly %d bytes",
                             (unsigned long long)s->declared, CFD_MF_MAJOR, CFD_MF_FEAT_LEN);
    cfd_feat_config *f = &m->feat;
    size_t at = cfd_rd_off(&s->r);
    CFD__RD(s, cfd_rd_u8, &f->hash_bits, "hash_bits");
    CFD__RD(s, cfd_rd_u8, &f->word_unigrams, "word_unigrams");
    CFD__RD(s, cfd_rd_u8, &f->word_bigrams, "word_bigrams");
    CFD__RD(s, cfd_rd_u8, &f->char_min, "char_min");
    CFD__RD(s, cfd_rd_u8, &f->char_max, "char_max");
    CFD__RD(s, cfd_rd_u8, &f->sublinear_tf, "sublinear_tf");
    CFD__RD(s, cfd_rd_u8, &f->use_idf, "use_idf");
    CFD__RD(s, cfd_rd_u8, &f->l2_normalize, "l2_normalize");
    CFD__RD(s, cfd_rd_u8, &f->clean_news, "clean_news");
    uint8_t rsv[3]; /* options added later live in FOPT, not here */
    for (int i = 0; i < 3; i++)
        CFD__RD(s, cfd_rd_u8, &rsv[i], "reserved");
    CFD__RD(s, cfd_rd_f32, &f->title_weight, "title_weight");
    CFD__RD(s, cfd_rd_u32, &f->seed, "seed");
    if (f->hash_bits < CFD_HASH_BITS_MIN || f->hash_bits > CFD_HASH_BITS_MAX)
        return cfd_error_set(s->err, CFD_ERANGE, at,
                             "section FEAT: hash_bits is %u; expected %d..%d", f->hash_bits,
                             CFD_HASH_BITS_MIN, CFD_HASH_BITS_MAX);
    if (rsv[0] | rsv[1] | rsv[2])
        return cfd_error_set(s->err, CFD_EFORMAT, at + 9,
                             "section FEAT: reserved config bytes at offset %zu are not zero",
                             at + 9);
    f->word_prefix = 0; /* unless a FOPT section follows */
    int rc = cfd_feat_config_check(f, s->err);
    if (rc != 0) {
        s->err->offset = at;
        cfd_error_prefix(s->err, "section FEAT (at offset %zu)", s->off);
        return rc;
    }
    m->n_buckets = (uint32_t)1 << f->hash_bits;
    return 0;
}

/* Non-zero if the float with bits u is NaN or infinite, or (when
 * neg_limit is 0x80000000) negative; -0.0 counts as non-negative. Integer
 * operations only, so a loop over it has no control flow and vectorises. */
static inline uint32_t cfd__bad_bits(uint32_t u, uint32_t neg_limit)
{
    return (uint32_t)((u & 0x7f800000u) == 0x7f800000u) | (uint32_t)(u > neg_limit);
}

/* Index of the first value in v[0..n) that is not finite (or, with nonneg,
 * is negative), or n. Full blocks have a constant trip count and no branch,
 * so the compiler vectorises them (this check was a third of a 20 MB
 * model's parse time); only a block with a bad value is rescanned. */
static size_t cfd__first_bad(const float *v, size_t n, int nonneg)
{
    enum { B = 256 };
    const uint32_t neg_limit = nonneg ? 0x80000000u : UINT32_MAX;
    size_t i = 0;
    for (; i + B <= n; i += B) {
        uint32_t bad = 0;
        for (size_t j = 0; j < B; j++) {
            uint32_t u;
            memcpy(&u, v + i + j, 4);
            bad |= cfd__bad_bits(u, neg_limit);
        }
        if (bad)
            break;
    }
    for (; i < n; i++) {
        uint32_t u;
        memcpy(&u, v + i, 4);
        if (cfd__bad_bits(u, neg_limit))
            return i;
    }
    return n;
}

/* cfd_le32_copy_in fused with cfd__first_bad: copies n floats from the file
 * and checks each block while it is still in L1, instead of reading 16 MB
 * of weights a second time. Returns the first bad index or n. */
static size_t cfd__copy_checked(float *dst, const uint8_t *src, size_t n, int nonneg)
{
    enum { C = 2048 };
    for (size_t i = 0; i < n; i += C) {
        size_t k = n - i < C ? n - i : C;
        cfd_le32_copy_in(dst + i, src + 4 * i, k);
        size_t bad = cfd__first_bad(dst + i, k, nonneg);
        if (bad < k)
            return i + bad;
    }
    return n;
}

/* Copies n floats from the file at src (file offset file_off) into v,
 * rejecting a non-finite one with its index and offset. */
static int cfd__copy_finite(cfd_mf_sec *s, float *v, const uint8_t *src, size_t n,
                            size_t file_off, size_t stride_bytes, const char *what)
{
    size_t i = cfd__copy_checked(v, src, n, 0);
    if (i == n)
        return 0;
    return cfd_error_set(s->err, CFD_ERANGE, file_off + i * stride_bytes,
                         "section %s: %s %zu at offset %zu is not finite (NaN or infinity)",
                         s->tag, what, i, file_off + i * stride_bytes);
}

static int cfd__parse_wght(cfd_mf_sec *s, cfd_model *m)
{
    uint32_t nl, nb, nr;
    uint8_t enc, rsv[3];
    size_t at = cfd_rd_off(&s->r);
    CFD__RD(s, cfd_rd_u32, &nl, "n_labels");
    CFD__RD(s, cfd_rd_u32, &nb, "n_buckets");
    CFD__RD(s, cfd_rd_u32, &nr, "n_rows");
    CFD__RD(s, cfd_rd_u8, &enc, "encoding");
    for (int i = 0; i < 3; i++)
        CFD__RD(s, cfd_rd_u8, &rsv[i], "reserved");
    if (nl != m->n_labels)
        return cfd_error_set(s->err, CFD_EFORMAT, at,
                             "section WGHT: the weights have %u columns but the model has %u "
                             "labels (section LABL)", nl, m->n_labels);
    if (nb != m->n_buckets)
        return cfd_error_set(s->err, CFD_EFORMAT, at + 4,
                             "section WGHT: n_buckets is %u but hash_bits %u (section FEAT) "
                             "means %u", nb, m->feat.hash_bits, m->n_buckets);
    if (nr > nb)
        return cfd_error_set(s->err, CFD_ETOOBIG, at + 8,
                             "section WGHT: n_rows is %u, more than the %u buckets", nr, nb);
    if (enc != CFD_WEIGHTS_F32 && enc != CFD_WEIGHTS_Q8)
        return cfd_error_set(s->err, CFD_EVERSION, at + 12,
                             "section WGHT: weight encoding %u is unknown (this build reads 0 = "
                             "f32, 1 = q8); upgrade classifyd", enc);
    if (rsv[0] | rsv[1] | rsv[2])
        return cfd_error_set(s->err, CFD_EFORMAT, at + 13,
                             "section WGHT: reserved bytes at offset %zu are not zero", at + 13);
    uint64_t nw = (uint64_t)nr * nl;
    uint64_t expect = CFD_MF_WGHT_HDR + 4ull * nr +
                      (enc == CFD_WEIGHTS_F32 ? 4 * nw : 4ull * nr + nw);
    if (s->declared != expect)
        return cfd_error_set(s->err, s->declared < expect ? CFD_ETOOBIG : CFD_EFORMAT, s->off,
                             "section WGHT is %llu bytes but n_rows %u x n_labels %u in "
                             "encoding %u take %llu",
                             (unsigned long long)s->declared, nr, nl, enc,
                             (unsigned long long)expect);

    size_t idx_off = cfd_rd_off(&s->r);
    const uint8_t *idx = cfd_rd_take(&s->r, 4ull * nr);
    if (idx == NULL)
        return cfd__short(s, CFD_ETOOBIG, "bucket indexes", 4ull * nr);
    if ((m->row_of = malloc((size_t)nb * sizeof(*m->row_of))) == NULL)
        return cfd__oom(s, "row_of");
    memset(m->row_of, 0xff, (size_t)nb * sizeof(*m->row_of)); /* CFD_NO_ROW */
    uint32_t prev = 0;
    for (uint32_t r = 0; r < nr; r++) {
        uint32_t b = cfd_le32_get(idx + 4 * (size_t)r);
        if (b >= nb)
            return cfd_error_set(s->err, CFD_ERANGE, idx_off + 4 * (size_t)r,
                                 "section WGHT: bucket index %u of row %u (offset %zu) is out of "
                                 "range; n_buckets is %u", b, r, idx_off + 4 * (size_t)r, nb);
        if (r > 0 && b <= prev)
            return cfd_error_set(s->err, CFD_EFORMAT, idx_off + 4 * (size_t)r,
                                 "section WGHT: bucket index %u of row %u (offset %zu) is %s the "
                                 "previous one (%u); indexes must be strictly increasing", b, r,
                                 idx_off + 4 * (size_t)r, b == prev ? "equal to" : "below", prev);
        m->row_of[b] = r;
        prev = b;
    }

    size_t w_off = cfd_rd_off(&s->r);
    if (enc == CFD_WEIGHTS_F32) {
        const uint8_t *w = cfd_rd_take(&s->r, 4 * nw);
        if (w == NULL)
            return cfd__short(s, CFD_ETOOBIG, "weights", 4 * nw);
        if (nw > 0 && (m->rows = malloc((size_t)nw * sizeof(float))) == NULL)
            return cfd__oom(s, "weights");
        m->n_rows = nr;
        return cfd__copy_finite(s, m->rows, w, (size_t)nw, w_off, 4, "weight");
    }
    const uint8_t *sc = cfd_rd_take(&s->r, 4ull * nr);
    if (sc == NULL)
        return cfd__short(s, CFD_ETOOBIG, "row scales", 4ull * nr);
    const uint8_t *q = cfd_rd_take(&s->r, nw);
    if (q == NULL)
        return cfd__short(s, CFD_ETOOBIG, "q8 weights", nw);
    if (nw > 0 && (m->rows = malloc((size_t)nw * sizeof(float))) == NULL)
        return cfd__oom(s, "weights");
    m->n_rows = nr;
    if (cfd_model_pack_begin(m, nr) != 0)
        return cfd__oom(s, "packed weights");
    for (uint32_t r = 0; r < nr; r++) {
        float scale = cfd_bits_f32(cfd_le32_get(sc + 4 * (size_t)r));
        if (!cfd_f32_is_finite(scale) || scale < 0.0f)
            return cfd_error_set(s->err, CFD_ERANGE, w_off + 4 * (size_t)r,
                                 "section WGHT: scale of row %u at offset %zu is %g; expected a "
                                 "finite value >= 0", r, w_off + 4 * (size_t)r, (double)scale);
        const int8_t *qr = (const int8_t *)q + (size_t)r * nl;
        float *wr = m->rows + (size_t)r * nl;
        for (uint32_t c = 0; c < nl; c++) {
            wr[c] = (float)qr[c] * scale;
            /* A finite scale near FLT_MAX still overflows: q x scale must
             * be finite like every F32 weight (the writer refuses others). */
            if (!cfd_f32_is_finite(wr[c]))
                return cfd_error_set(s->err, CFD_ERANGE, w_off + 4 * (size_t)r,
                                     "section WGHT: row %u, label %u: q %d x scale %g is not a "
                                     "finite float32 weight; expected scale <= max|w| / 127",
                                     r, c, (int)qr[c], (double)scale);
        }
        if (m->packed != NULL)
            cfd_model_pack_row(m, cfd_le32_get(idx + 4 * (size_t)r), scale, qr);
    }
    return 0;
}

static int cfd__parse_bias(cfd_mf_sec *s, cfd_model *m)
{
    uint32_t nl;
    size_t at = cfd_rd_off(&s->r);
    CFD__RD(s, cfd_rd_u32, &nl, "n_labels");
    if (nl != m->n_labels)
        return cfd_error_set(s->err, CFD_EFORMAT, at,
                             "section BIAS: %u biases but the model has %u labels (section LABL)",
                             nl, m->n_labels);
    if (s->declared != 8ull + 4ull * nl)
        return cfd_error_set(s->err, CFD_EFORMAT, s->off,
                             "section BIAS is %llu bytes; %u labels take %llu",
                             (unsigned long long)s->declared, nl, 8ull + 4ull * nl);
    size_t b_off = cfd_rd_off(&s->r);
    const uint8_t *b = cfd_rd_take(&s->r, 4ull * nl);
    if (b == NULL)
        return cfd__short(s, CFD_EFORMAT, "biases", 4ull * nl);
    if ((m->bias = malloc(nl * sizeof(*m->bias))) == NULL)
        return cfd__oom(s, "biases");
    int rc = cfd__copy_finite(s, m->bias, b, nl, b_off, 4, "bias");
    if (rc != 0)
        return rc;
    at = cfd_rd_off(&s->r);
    CFD__RD(s, cfd_rd_f32, &m->prob_scale, "prob_scale");
    if (!(cfd_f32_is_finite(m->prob_scale) && m->prob_scale > 0.0f))
        return cfd_error_set(s->err, CFD_ERANGE, at,
                             "section BIAS: prob_scale at offset %zu is %g; expected a finite "
                             "value > 0", at, (double)m->prob_scale);
    return 0;
}

/* IDF encoding 1: u32 n_table (1..256), f32 table[n_table] strictly
 * ascending, finite, >= 0; u8 code[n], each < n_table. Expanded to floats. */
static int cfd__parse_idf_table8(cfd_mf_sec *s, cfd_model *m, uint32_t n)
{
    uint32_t nt;
    size_t at = cfd_rd_off(&s->r);
    CFD__RD(s, cfd_rd_u32, &nt, "n_table");
    if (nt == 0 || nt > CFD_MF_IDF_TABLE_MAX)
        return cfd_error_set(s->err, CFD_EFORMAT, at,
                             "section IDF: table of %u values at offset %zu; expected 1..%d", nt,
                             at, CFD_MF_IDF_TABLE_MAX);
    if (s->declared != CFD_MF_IDF_HDR + 4 + 4ull * nt + n)
        return cfd_error_set(s->err, CFD_EFORMAT, s->off,
                             "section IDF is %llu bytes; a table of %u values and %u codes take "
                             "%llu", (unsigned long long)s->declared, nt, n,
                             CFD_MF_IDF_HDR + 4 + 4ull * nt + n);
    float table[CFD_MF_IDF_TABLE_MAX];
    size_t t_off = cfd_rd_off(&s->r);
    const uint8_t *t = cfd_rd_take(&s->r, 4ull * nt);
    if (t == NULL)
        return cfd__short(s, CFD_EFORMAT, "idf table", 4ull * nt);
    size_t i = cfd__copy_checked(table, t, nt, 1);
    if (i < nt)
        return cfd_error_set(s->err, CFD_ERANGE, t_off + 4 * i,
                             "section IDF: table[%zu] at offset %zu is %g; expected a finite "
                             "value >= 0", i, t_off + 4 * i, (double)table[i]);
    for (i = 1; i < nt; i++)
        if (!(table[i - 1] < table[i]))
            return cfd_error_set(s->err, CFD_EFORMAT, t_off + 4 * i,
                                 "section IDF: table[%zu] at offset %zu is %g, not above "
                                 "table[%zu] = %g; the table must be strictly ascending", i,
                                 t_off + 4 * i, (double)table[i], i - 1, (double)table[i - 1]);
    size_t c_off = cfd_rd_off(&s->r);
    const uint8_t *c = cfd_rd_take(&s->r, n);
    if (c == NULL)
        return cfd__short(s, CFD_EFORMAT, "idf codes", n);
    if ((m->idf = malloc((size_t)n * sizeof(float))) == NULL ||
        (m->idf_code = malloc(n)) == NULL)
        return cfd__oom(s, "idf");
    for (uint32_t b = 0; b < n; b++) {
        if (c[b] >= nt)
            return cfd_error_set(s->err, CFD_EFORMAT, c_off + b,
                                 "section IDF: code[%u] at offset %zu is %u; the table has %u "
                                 "values", b, c_off + b, c[b], nt);
        m->idf[b] = table[c[b]];
    }
    /* kept for cfd_model_fuse_idf (model.h) */
    memcpy(m->idf_code, c, n);
    memcpy(m->packed_idf_table, table, nt * sizeof(float));
    return 0;
}

static int cfd__parse_idf(cfd_mf_sec *s, cfd_model *m)
{
    uint32_t n;
    uint8_t enc, rsv[3];
    size_t at = cfd_rd_off(&s->r);
    CFD__RD(s, cfd_rd_u32, &n, "n");
    CFD__RD(s, cfd_rd_u8, &enc, "encoding");
    for (int i = 0; i < 3; i++)
        CFD__RD(s, cfd_rd_u8, &rsv[i], "reserved");
    if (!m->feat.use_idf)
        return cfd_error_set(s->err, CFD_EFORMAT, s->off,
                             "section IDF at offset %zu is present but the featurizer config has "
                             "use_idf = 0", s->off);
    if (n != m->n_buckets)
        return cfd_error_set(s->err, CFD_EFORMAT, at,
                             "section IDF has %u entries but the model has %u buckets", n,
                             m->n_buckets);
    if (enc != CFD_MF_IDF_F32 && enc != CFD_MF_IDF_TABLE8)
        return cfd_error_set(s->err, CFD_EVERSION, at + 4,
                             "section IDF: encoding %u is unknown (this build reads 0 = f32, "
                             "1 = table8); upgrade classifyd", enc);
    if (rsv[0] | rsv[1] | rsv[2])
        return cfd_error_set(s->err, CFD_EFORMAT, at + 5,
                             "section IDF: reserved bytes at offset %zu are not zero", at + 5);
    if (enc == CFD_MF_IDF_TABLE8)
        return cfd__parse_idf_table8(s, m, n);
    if (s->declared != CFD_MF_IDF_HDR + 4ull * n)
        return cfd_error_set(s->err, CFD_EFORMAT, s->off,
                             "section IDF is %llu bytes; %u entries take %llu",
                             (unsigned long long)s->declared, n, CFD_MF_IDF_HDR + 4ull * n);
    size_t v_off = cfd_rd_off(&s->r);
    const uint8_t *v = cfd_rd_take(&s->r, 4ull * n);
    if (v == NULL)
        return cfd__short(s, CFD_EFORMAT, "idf", 4ull * n);
    if ((m->idf = malloc((size_t)n * sizeof(float))) == NULL)
        return cfd__oom(s, "idf");
    size_t i = cfd__copy_checked(m->idf, v, n, 1);
    if (i < n)
        return cfd_error_set(s->err, CFD_ERANGE, v_off + 4 * i,
                             "section IDF: idf[%zu] at offset %zu is %g; expected a finite "
                             "value >= 0", i, v_off + 4 * i, (double)m->idf[i]);
    return 0;
}

/* A META string: read, then checked in place (length, NUL, UTF-8, and for
 * the short identifiers control characters) so errors carry the offset of
 * the bad byte. Returns 0 with *p NULL for an absent optional string. */
static int cfd__meta_str(cfd_mf_sec *s, const char *field, uint32_t max, int optional,
                         const char **p, uint32_t *len)
{
    int absent = 0;
    int rc = cfd__rd_str(s, field, max, p, len, optional ? &absent : NULL);
    if (rc != 0 || absent)
        return rc;
    char what[32];
    snprintf(what, sizeof(what), "meta.%s", field);
    return cfd_model_check_text(what, *p, *len, max, 1, !optional, cfd_rd_off(&s->r) - *len,
                                s->err);
}

static int cfd__parse_meta(cfd_mf_sec *s, cfd_model *m)
{
    cfd_model_meta *mt = &m->meta;
    const char *p;
    uint32_t len;
    int rc;
    if ((rc = cfd__meta_str(s, "version", sizeof(mt->version) - 1, 0, &p, &len)) != 0)
        return rc;
    memcpy(mt->version, p, len);
    if ((rc = cfd__meta_str(s, "data_sha256", sizeof(mt->data_sha256) - 1, 0, &p, &len)) != 0)
        return rc;
    memcpy(mt->data_sha256, p, len);
    CFD__RD(s, cfd_rd_u64, &mt->n_examples, "n_examples");
    if ((rc = cfd__meta_str(s, "solver", sizeof(mt->solver) - 1, 0, &p, &len)) != 0)
        return rc;
    memcpy(mt->solver, p, len);
    CFD__RD(s, cfd_rd_f64, &mt->c, "c");
    uint64_t created;
    CFD__RD(s, cfd_rd_u64, &created, "created_unix");
    mt->created_unix = (int64_t)created;
    if ((rc = cfd__meta_str(s, "metrics_json", CFD_MF_TEXT_MAX, 1, &p, &len)) != 0)
        return rc;
    if (p != NULL && (mt->metrics_json = cfd_memdup(p, len)) == NULL)
        return cfd__oom(s, "metrics_json");
    if ((rc = cfd__meta_str(s, "notes", CFD_MF_TEXT_MAX, 1, &p, &len)) != 0)
        return rc;
    if (p != NULL && (mt->notes = cfd_memdup(p, len)) == NULL)
        return cfd__oom(s, "notes");
    if ((rc = cfd__no_trailing(s)) != 0)
        return rc;
    /* What remains: the sha256 is hex, c is finite and >= 0. */
    if ((rc = cfd_model_check_meta(mt, s->err)) != 0) {
        s->err->offset = s->off;
        cfd_error_prefix(s->err, "section META (at offset %zu)", s->off);
    }
    return rc;
}

/* FOPT (format 1.1): featurizer options added after 1.0, REQUIRED, so that
 * a 1.0 reader refuses such a model as "written by a newer classifyd"
 * instead of featurizing it differently from training. */
static int cfd__parse_fopt(cfd_mf_sec *s, cfd_model *m)
{
    if (s->declared != CFD_MF_FOPT_LEN)
        return cfd_error_set(s->err, CFD_EFORMAT, s->off,
                             "section FOPT is %llu bytes; format %d.%d stores it in exactly %d",
                             (unsigned long long)s->declared, CFD_MF_MAJOR, CFD_MF_MINOR,
                             CFD_MF_FOPT_LEN);
    size_t at = cfd_rd_off(&s->r);
    uint8_t prefix, rsv[3];
    CFD__RD(s, cfd_rd_u8, &prefix, "word_prefix");
    for (int i = 0; i < 3; i++)
        CFD__RD(s, cfd_rd_u8, &rsv[i], "reserved");
    if (prefix > 1)
        return cfd_error_set(s->err, CFD_EINVAL, at,
                             "section FOPT: word_prefix is %u, expected 0 or 1", prefix);
    if (rsv[0] | rsv[1] | rsv[2])
        return cfd_error_set(s->err, CFD_EFORMAT, at + 1,
                             "section FOPT: reserved bytes at offset %zu are not zero", at + 1);
    m->feat.word_prefix = prefix;
    return 0;
}

int cfd_mf_parse_section(int kind, cfd_mf_sec *s, cfd_model *m)
{
    switch (kind) {
    case CFD_MF_S_NAME: return cfd__parse_name(s, m);
    case CFD_MF_S_LABL: return cfd__parse_labl(s, m);
    case CFD_MF_S_FEAT: return cfd__parse_feat(s, m);
    case CFD_MF_S_FOPT: return cfd__parse_fopt(s, m);
    case CFD_MF_S_WGHT: return cfd__parse_wght(s, m);
    case CFD_MF_S_BIAS: return cfd__parse_bias(s, m);
    case CFD_MF_S_IDF: return cfd__parse_idf(s, m);
    default: return cfd__parse_meta(s, m);
    }
}
