/*
 * Shared by the model file tests (test_model_file.c, test_model_read.c,
 * test_model_sections.c): a random model with every field set, helpers to
 * serialise it, find and rewrite sections, fix up the checksum after an
 * edit so a specific check behind it is reached, and to assert that a load
 * fails with a given code and message.
 *
 * The section walker here is an independent reading of models/FORMAT.md,
 * so the tests also check that the writer follows the document.
 * Include after <cmocka.h>. Everything is static inline (each test program
 * uses a subset).
 */
#ifndef CFD_TEST_MODEL_FIXTURE_H
#define CFD_TEST_MODEL_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "model.h"
#include "test_rng.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull; /* one per test program */

static inline uint32_t rnd(void)
{
    return cfd_test_rnd(&rng_state);
}

static inline float rndf(void)
{
    return (float)((int32_t)(rnd() % 2000001) - 1000000) / 250000.0f;
}

static inline void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static inline void test_config(cfd_feat_config *f, int use_idf)
{
    memset(f, 0, sizeof(*f));
    f->hash_bits = 10;
    f->word_unigrams = 1;
    f->word_bigrams = 1;
    f->char_min = 2;
    f->char_max = 4;
    f->sublinear_tf = 1;
    f->use_idf = use_idf != 0;
    f->l2_normalize = 1;
    f->clean_news = 1;
    f->word_prefix = 1; /* non-zero, so a round trip that lost it shows */
    f->title_weight = 2.0f;
    f->seed = 0x5eed1234u;
}

/* A model with n_labels labels, about density% non-zero rows, random
 * weights, every metadata field set (Korean text included). */
static inline cfd_model *make_model(uint32_t n_labels, int density, int use_idf)
{
    cfd_feat_config f;
    test_config(&f, use_idf);
    assert_in_range(n_labels, 1, 64);
    uint32_t nb = 1u << f.hash_bits;
    float *w = calloc((size_t)nb * n_labels, sizeof(float));
    float *bias = malloc(n_labels * sizeof(float));
    float *idf = use_idf ? malloc(nb * sizeof(float)) : NULL;
    assert_non_null(w);
    for (uint32_t b = 0; b < nb; b++) {
        if ((int)(rnd() % 100) >= density)
            continue;
        for (uint32_t c = 0; c < n_labels; c++)
            w[(size_t)b * n_labels + c] = rndf();
    }
    for (uint32_t c = 0; c < n_labels; c++)
        bias[c] = rndf();
    /* use_idf 1: a value for every bucket, ~600 distinct (stored as f32);
     * 2: as classifyd-train writes it, 0 for a bucket no training row had
     * (all its weights 0) and at most 255 levels otherwise (stored as a
     * table and one-byte codes, CFD_MF_IDF_TABLE8) */
    for (uint32_t b = 0; use_idf && b < nb; b++) {
        int used = 0;
        for (uint32_t c = 0; c < n_labels; c++)
            used |= w[(size_t)b * n_labels + c] != 0.0f;
        if (use_idf == 2)
            idf[b] = used ? 1.0f + (float)(rnd() % 200) / 20.0f : 0.0f;
        else
            idf[b] = 1.0f + (float)(rnd() % 1000) / 100.0f;
    }
    char names[64][24]; /* up to 64 labels */
    const char *labels[64];
    static const char *const ko[] = {"정치", "경제", "사회", "생활문화", "세계", "IT과학",
                                     "스포츠", "연예"};
    for (uint32_t c = 0; c < n_labels; c++) {
        if (c < 8)
            snprintf(names[c], sizeof(names[c]), "%s", ko[c]);
        else
            snprintf(names[c], sizeof(names[c]), "label-%u", c);
        labels[c] = names[c];
    }
    cfd_model_meta meta = {0};
    snprintf(meta.version, sizeof(meta.version), "20261128T0830Z");
    memset(meta.data_sha256, 'a', 64);
    meta.data_sha256[7] = '0';
    meta.n_examples = 40000;
    snprintf(meta.solver, sizeof(meta.solver), "L2R_LR");
    meta.c = 0.5;
    meta.created_unix = 1795854600;
    meta.metrics_json = "{\"macro_f1\": 0.861, \"accuracy\": 0.87}";
    meta.notes = "학습 데이터: KLUE YNAT (CC BY-SA 4.0)";
    cfd_model *m = NULL;
    cfd_error err;
    int rc = cfd_model_from_dense("topic", labels, n_labels, &f, w, bias, idf, 1.25f, &meta, &m,
                                  &err);
    if (rc != 0)
        fail_msg("from_dense: %s", err.msg);
    free(w);
    free(bias);
    free(idf);
    return m;
}

static inline uint8_t *serialize(cfd_model *m, enum cfd_weight_encoding enc, size_t *len)
{
    void *buf;
    cfd_error err;
    int rc = cfd_model_serialize(m, enc, &buf, len, &err);
    if (rc != 0)
        fail_msg("serialize: %s", err.msg);
    return buf;
}

static inline void fix_checksum(uint8_t *b, size_t len)
{
    le64(b + len - 8, XXH3_64bits(b, len - 8));
}

/* Offset of the header of the first section with this tag, or (size_t)-1. */
static inline size_t find_section(const uint8_t *b, size_t len, const char *tag)
{
    uint32_t n = get32(b + 12);
    size_t pos = 24;
    for (uint32_t i = 0; i < n && pos + 16 <= len - 8; i++) {
        if (memcmp(b + pos, tag, 4) == 0)
            return pos;
        pos += 16 + (size_t)get64(b + pos + 8);
    }
    return (size_t)-1;
}

static inline size_t payload_of(const uint8_t *b, size_t len, const char *tag)
{
    size_t s = find_section(b, len, tag);
    assert_true(s != (size_t)-1);
    return s + 16;
}

/* Replaces bytes [at, at + del) with ins[0..ins_len), adds dsec to
 * n_sections, fixes file_length and the checksum. Returns a new buffer. */
static inline uint8_t *splice(const uint8_t *b, size_t len, size_t at, size_t del,
                              const void *ins, size_t ins_len, int dsec, size_t *out_len)
{
    size_t n = len - del + ins_len;
    uint8_t *o = malloc(n);
    assert_non_null(o);
    memcpy(o, b, at);
    memcpy(o + at, ins, ins_len);
    memcpy(o + at + ins_len, b + at + del, len - at - del);
    le32(o + 12, get32(o + 12) + (uint32_t)dsec);
    le64(o + 16, n);
    fix_checksum(o, n);
    *out_len = n;
    return o;
}

/* A section (header + payload) as bytes. */
static inline size_t make_section(uint8_t *out, const char *tag, uint32_t flags,
                                  const void *payload, size_t n)
{
    memcpy(out, tag, 4);
    le32(out + 4, flags);
    le64(out + 8, n);
    memcpy(out + 16, payload, n);
    return 16 + n;
}

/* Replaces the whole section `tag` with a new payload. */
static inline uint8_t *replace_section(const uint8_t *b, size_t len, const char *tag,
                                       const void *payload, size_t n, size_t *out_len)
{
    size_t s = find_section(b, len, tag);
    assert_true(s != (size_t)-1);
    uint8_t *sec = malloc(16 + n);
    uint32_t flags = get32(b + s + 4);
    size_t sn = make_section(sec, tag, flags, payload, n);
    uint8_t *o = splice(b, len, s, 16 + (size_t)get64(b + s + 8), sec, sn, 0, out_len);
    free(sec);
    return o;
}

#define expect_error(buf, len, code, needle) expect_error_at(buf, len, code, needle, __LINE__)

static inline cfd_error expect_error_at(const void *buf, size_t len, int code,
                                        const char *needle, int line)
{
    cfd_model *m = (cfd_model *)0x1;
    cfd_error err;
    int rc = cfd_model_load_buffer(buf, len, &m, &err);
    if (rc != code || err.code != code || m != NULL)
        fail_msg("line %d: expected %s, got %s (%d): %s", line, cfd_errname(code),
                 cfd_errname(rc), rc, err.msg);
    if (needle != NULL && strstr(err.msg, needle) == NULL)
        fail_msg("line %d: message lacks \"%s\": %s", line, needle, err.msg);
    return err;
}

static inline cfd_model *expect_ok(const void *buf, size_t len)
{
    cfd_model *m = NULL;
    cfd_error err;
    int rc = cfd_model_load_buffer(buf, len, &m, &err);
    if (rc != 0)
        fail_msg("load: %s", err.msg);
    return m;
}

/* m written as a q8 file and read back: a model with its packed table. */
static inline cfd_model *load_q8(cfd_model *m)
{
    size_t len;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_Q8, &len);
    cfd_model *l = expect_ok(buf, len);
    free(buf);
    return l;
}

static inline void assert_models_equal(const cfd_model *a, const cfd_model *b, int exact_weights)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->n_labels, b->n_labels);
    for (uint32_t c = 0; c < a->n_labels; c++)
        assert_string_equal(a->labels[c], b->labels[c]);
    assert_int_equal(a->feat.hash_bits, b->feat.hash_bits);
    assert_int_equal(a->feat.word_unigrams, b->feat.word_unigrams);
    assert_int_equal(a->feat.word_bigrams, b->feat.word_bigrams);
    assert_int_equal(a->feat.char_min, b->feat.char_min);
    assert_int_equal(a->feat.char_max, b->feat.char_max);
    assert_int_equal(a->feat.sublinear_tf, b->feat.sublinear_tf);
    assert_int_equal(a->feat.use_idf, b->feat.use_idf);
    assert_int_equal(a->feat.l2_normalize, b->feat.l2_normalize);
    assert_int_equal(a->feat.clean_news, b->feat.clean_news);
    assert_int_equal(a->feat.word_prefix, b->feat.word_prefix);
    assert_memory_equal(a->feat.reserved, b->feat.reserved, sizeof a->feat.reserved);
    assert_true(a->feat.title_weight == b->feat.title_weight);
    assert_int_equal(a->feat.seed, b->feat.seed);
    assert_int_equal(a->n_buckets, b->n_buckets);
    assert_int_equal(a->n_rows, b->n_rows);
    assert_memory_equal(a->row_of, b->row_of, a->n_buckets * sizeof(uint32_t));
    if (exact_weights && a->n_rows > 0)
        assert_memory_equal(a->rows, b->rows, (size_t)a->n_rows * a->n_labels * sizeof(float));
    assert_memory_equal(a->bias, b->bias, a->n_labels * sizeof(float));
    assert_true(a->prob_scale == b->prob_scale);
    assert_int_equal(a->idf == NULL, b->idf == NULL);
    if (a->idf != NULL)
        assert_memory_equal(a->idf, b->idf, a->n_buckets * sizeof(float));
    assert_string_equal(a->meta.version, b->meta.version);
    assert_string_equal(a->meta.data_sha256, b->meta.data_sha256);
    assert_int_equal(a->meta.n_examples, b->meta.n_examples);
    assert_string_equal(a->meta.solver, b->meta.solver);
    assert_true(a->meta.c == b->meta.c);
    assert_int_equal(a->meta.created_unix, b->meta.created_unix);
    assert_int_equal(a->meta.metrics_json == NULL, b->meta.metrics_json == NULL);
    if (a->meta.metrics_json)
        assert_string_equal(a->meta.metrics_json, b->meta.metrics_json);
    assert_int_equal(a->meta.notes == NULL, b->meta.notes == NULL);
    if (a->meta.notes)
        assert_string_equal(a->meta.notes, b->meta.notes);
}

#endif
