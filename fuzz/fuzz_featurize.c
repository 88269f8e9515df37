/*
 * Fuzz target: the featurizer (core/featurize.c and the text pipeline under
 * it: UTF-8 validation, NFC, markup stripping, news cleaning, tokeniser,
 * hashing, TF/IDF/L2), which sees every article's raw text.
 *
 * Input: 4 bytes of featurizer config, then the title up to the first '\n'
 * and the body after it (no '\n': all body). The config bytes are mapped
 * into the ranges a model may carry (hash_bits 10..20 here to keep the IDF
 * tables small; every flag; n-gram ranges 0..6; title_weight 0..4).
 *
 * Checked on every input: the result is CFD_EUTF8 exactly when title or
 * body is not valid UTF-8 (with the offset cfd_utf8_validate gives); otherwise a
 * vector with strictly increasing indexes below 2^hash_bits and finite
 * values, unit length when l2_normalize is on; featurizing again with the
 * same (warm) featurizer gives the same vector bit for bit; and on valid
 * text, cfd_utf8_scan_nfc's NFC verdict and cleaning starts equal their
 * definitions (cfd__check_scan), and every feature is named by an n-gram
 * of the text (cfd__check_names).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clean_starts_oracle.h"
#include "clean.h"
#include "featurize.h"
#include "ngrams.h"
#include "normalize.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CFD__CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_featurize: check failed: %s (line %d)\n", #cond,       \
                    __LINE__);                                                             \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

#define CFD__MIN_BITS 10
#define CFD__MAX_BITS 20

static cfd_featurizer *cfd__fz;
static float *cfd__idf[CFD__MAX_BITS + 1];

static const float *cfd__idf_table(unsigned bits)
{
    if (cfd__idf[bits] == NULL) {
        size_t n = (size_t)1 << bits;
        cfd__idf[bits] = malloc(n * sizeof(float));
        CFD__CHECK(cfd__idf[bits] != NULL);
        for (size_t i = 0; i < n; i++)
            cfd__idf[bits][i] = 1.0f + (float)(i % 7) * 0.5f;
    }
    return cfd__idf[bits];
}

/*
 * The featurizer's first look at a valid text (16-byte blocks, then byte by
 * byte) against its definition: maybe_nfc is cfd_nfc_quick_check, and the
 * cleaning starts are the code point offsets where cfd_clean_may_start
 * holds (bytes past the end read as 0).
 */
static void cfd__check_scan(const char *s, size_t len)
{
    static uint32_t got[4096], want[4096];
    const size_t cap = sizeof got / sizeof got[0];
    size_t nw = cfd_test_clean_starts(s, len, want, cap);
    int maybe = -1;
    size_t ng = 0;
    cfd_utf8_scan_nfc(s, len, &maybe, got, cap, &ng);
    CFD__CHECK(maybe == cfd_nfc_quick_check(s, len));
    if (nw > cap) {
        CFD__CHECK(ng == SIZE_MAX);
        return;
    }
    CFD__CHECK(ng == nw);
    CFD__CHECK(nw == 0 || memcmp(got, want, nw * sizeof got[0]) == 0);
    /* cleaning from those starts (the featurizer's way, which also finds
     * clean_notice.c's anchors itself) = cleaning on its own */
    char *a = malloc(len + 1), *b = malloc(len + 1);
    CFD__CHECK(a != NULL && b != NULL);
    size_t na = cfd_clean_news(s, len, a), nb = cfd_clean_news_at(s, len, got, ng, b);
    CFD__CHECK(na == nb && na <= len && memcmp(a, b, na) == 0);
    CFD__CHECK(cfd_utf8_validate(a, na, NULL) == 0);
    free(a);
    free(b);
}

/*
 * Every feature of the vector is named by an n-gram of the text: core/
 * ngrams.c re-runs the featurizer's pipeline to name features for the
 * daemon's "why" and classifyd-train's --explain and inspect, so a drift
 * between the two shows here as a feature nothing names. Up to 64
 * features, spread over the vector (naming wants them one by one).
 */
static void cfd__check_names(const cfd_feat_config *cfg, const cfd_featvec *v, const char *title,
                             size_t title_len, const char *body, size_t body_len)
{
    cfd_ngram_names *nn = NULL;
    cfd_error err;
    CFD__CHECK(cfd_ngram_names_new(cfg, &nn, &err) == 0);
    const uint32_t step = v->n / 64 + 1;
    for (uint32_t i = 0; i < v->n; i += step)
        CFD__CHECK(cfd_ngram_names_want(nn, v->items[i].index) == 0);
    CFD__CHECK(cfd_ngram_names_add(nn, title ? title : "", title_len, body ? body : "", body_len,
                                   &err) == 0);
    for (uint32_t i = 0; i < v->n; i += step) {
        const char *kind, *ngram;
        uint32_t others;
        int more;
        if (!cfd_ngram_names_parts(nn, v->items[i].index, &kind, &ngram, &others, &more)) {
            fprintf(stderr, "fuzz_featurize: feature %u has no n-gram of the text\n",
                    v->items[i].index);
            abort();
        }
        CFD__CHECK(ngram[0] != '\0');
    }
    cfd_ngram_names_free(nn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    if (cfd__fz == NULL)
        CFD__CHECK(cfd_featurizer_new(&cfd__fz) == 0);

    cfd_feat_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.hash_bits = (uint8_t)(CFD__MIN_BITS + data[0] % (CFD__MAX_BITS - CFD__MIN_BITS + 1));
    cfg.word_unigrams = data[1] & 1;
    cfg.word_bigrams = (data[1] >> 1) & 1;
    cfg.sublinear_tf = (data[1] >> 2) & 1;
    cfg.use_idf = (data[1] >> 3) & 1;
    cfg.l2_normalize = (data[1] >> 4) & 1;
    cfg.clean_news = (data[1] >> 5) & 1;
    cfg.word_prefix = (data[1] >> 6) & 1;
    cfg.char_min = data[2] % 4;
    cfg.char_max = cfg.char_min ? (uint8_t)(cfg.char_min + (data[2] >> 2) % (7 - cfg.char_min)) : 0;
    cfg.title_weight = (float)(data[3] % 9) * 0.5f;
    cfg.seed = (uint32_t)data[0] * 2654435761u;

    const char *text = (const char *)data + 4;
    size_t len = size - 4;
    const char *nl = memchr(text, '\n', len);
    const char *title = nl ? text : NULL;
    size_t title_len = nl ? (size_t)(nl - text) : 0;
    const char *body = nl ? nl + 1 : text;
    size_t body_len = nl ? len - title_len - 1 : len;
    if (body_len == 0)
        body = NULL;
    if (title_len == 0)
        title = NULL;

    cfd_error err;
    cfd_error_clear(&err);
    if (cfd_feat_config_check(&cfg, &err) != 0) {
        CFD__CHECK(err.msg[0] != '\0'); /* e.g. every feature kind off */
        cfd_featvec v;
        CFD__CHECK(cfd_featurize(cfd__fz, &cfg, NULL, title, title_len, body, body_len, &v,
                                 &err) == CFD_EINVAL);
        return 0;
    }
    const float *idf = cfg.use_idf ? cfd__idf_table(cfg.hash_bits) : NULL;

    size_t bad_title = 0, bad_body = 0;
    int title_ok = cfd_utf8_validate(title, title_len, &bad_title) == 0;
    int body_ok = cfd_utf8_validate(body, body_len, &bad_body) == 0;

    cfd_featvec v;
    int rc = cfd_featurize(cfd__fz, &cfg, idf, title, title_len, body, body_len, &v, &err);
    if (!title_ok || !body_ok) {
        CFD__CHECK(rc == CFD_EUTF8);
        /* the featurizer's own validating scan and cfd_utf8_validate (16-byte
         * blocks) name the same byte */
        CFD__CHECK(err.offset == (title_ok ? bad_body : bad_title));
        return 0;
    }
    CFD__CHECK(rc == 0);
    cfd__check_scan(title, title_len);
    cfd__check_scan(body, body_len);
    double norm = 0;
    for (uint32_t i = 0; i < v.n; i++) {
        CFD__CHECK(v.items[i].index < ((uint32_t)1 << cfg.hash_bits));
        CFD__CHECK(i == 0 || v.items[i - 1].index < v.items[i].index);
        CFD__CHECK(isfinite(v.items[i].value));
        norm += (double)v.items[i].value * v.items[i].value;
    }
    if (cfg.l2_normalize && norm > 0)
        CFD__CHECK(fabs(sqrt(norm) - 1.0) < 1e-3);

    cfd__check_names(&cfg, &v, title, title_len, body, body_len);

    /* Same input, warm featurizer: the same vector. */
    cfd_feature *copy = malloc(sizeof(*copy) * (v.n ? v.n : 1));
    CFD__CHECK(copy != NULL);
    if (v.n)
        memcpy(copy, v.items, sizeof(*copy) * v.n);
    uint32_t n = v.n;
    cfd_featvec again;
    CFD__CHECK(cfd_featurize(cfd__fz, &cfg, idf, title, title_len, body, body_len, &again,
                             &err) == 0);
    CFD__CHECK(again.n == n);
    CFD__CHECK(n == 0 || memcmp(again.items, copy, sizeof(*copy) * n) == 0);
    free(copy);
    return 0;
}
