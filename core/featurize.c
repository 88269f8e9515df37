/*
 * The featurizer (see featurize.h for the contract and the pipeline).
 *
 * Where the time goes, for a 2.6 KB Korean article (~900 syllables, ~300
 * words, ~2,000 hashed features): decoding and tokenising, hashing (inline
 * XXH3, hash.h), and above all turning ~2,000 bucket numbers into a sorted
 * list of distinct buckets with counts. That last step is a radix sort
 * (cfd__sort), then one branch-free merging pass; it needs no hash table
 * to clear and gives sorted output directly. TF uses a table of
 * 1 + ln(k) for small integer counts instead of logf per feature.
 *
 * Scratch memory lives in struct cfd_featurizer and only grows. The config
 * (defaults and their rationale, checks, identity) is in feat_config.c.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <classifyd/error.h>
#include <classifyd/features.h>

#include "clean.h"
#include "featurize.h"
#include "hash.h"
#include "markup.h"
#include "normalize.h"
#include "sort_keys.h"
#include "tokenize.h"
#include "utf8.h"

#define CFD__TITLE_BIT UINT32_C(0x80000000)
#define CFD__TF_TABLE 256

struct cfd_featurizer {
    char *text[2];            /* text after markup removal / cleaning */
    size_t text_cap[2];
    char *tok;                /* token text (tokenize.h) */
    size_t tok_cap;
    cfd_nfc_scratch nfc;
    uint32_t *ent, *tmp;      /* hashed entries: bucket | CFD__TITLE_BIT */
    size_t ent_cap, n_ent;
    cfd_feature *counts, *weighted;
    size_t counts_cap, weighted_cap;
    uint64_t *acc;            /* per-bucket counts while merging */
    size_t acc_cap;
    uint32_t *starts;         /* where cleaning patterns may start */
    size_t starts_cap;
    uint32_t hist[4][1u << CFD_SORT_RADIX_MAX_BITS]; /* radix sort digit counts */
    float tf[CFD__TF_TABLE];  /* tf[k] = 1 + ln k */
    int trusted_utf8;         /* cfd_featurizer_trust_utf8 */
    uint64_t letters[CFD_TOK_CLASSES]; /* code points of the tokens, by class */
};

int cfd_featurizer_new(cfd_featurizer **out)
{
    cfd_featurizer *fz = calloc(1, sizeof *fz);
    if (fz == NULL)
        return CFD_ENOMEM;
    fz->tf[0] = 0.0f;
    for (int k = 1; k < CFD__TF_TABLE; k++)
        fz->tf[k] = (float)(1.0 + log((double)k));
    *out = fz;
    return 0;
}

void cfd_featurizer_trust_utf8(cfd_featurizer *fz, int trusted)
{
    fz->trusted_utf8 = trusted != 0;
}

void cfd_featurizer_letters(const cfd_featurizer *fz, uint64_t out[CFD_TOK_CLASSES])
{
    memcpy(out, fz->letters, sizeof fz->letters);
}

void cfd_featurizer_free(cfd_featurizer *fz)
{
    if (fz == NULL)
        return;
    free(fz->text[0]);
    free(fz->text[1]);
    free(fz->tok);
    cfd_nfc_scratch_free(&fz->nfc);
    free(fz->ent);
    free(fz->tmp);
    free(fz->counts);
    free(fz->weighted);
    free(fz->acc);
    free(fz->starts);
    free(fz);
}

/* Grows *p to at least n elements of size sz (contents kept). */
static int cfd__reserve(void **p, size_t *cap, size_t n, size_t sz)
{
    if (n <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < n)
        c = c > SIZE_MAX / 4 ? n : c * 2;
    if (c > SIZE_MAX / sz)
        return CFD_ENOMEM;
    void *q = realloc(*p, c * sz);
    if (q == NULL)
        return CFD_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

static int cfd__reserve_entries(cfd_featurizer *fz, size_t n)
{
    if (n <= fz->ent_cap)
        return 0;
    size_t cap = fz->ent_cap;
    if (cfd__reserve((void **)&fz->ent, &cap, n, sizeof(uint32_t)) != 0)
        return CFD_ENOMEM;
    size_t cap2 = fz->ent_cap;
    if (cfd__reserve((void **)&fz->tmp, &cap2, cap, sizeof(uint32_t)) != 0)
        return CFD_ENOMEM;
    fz->ent_cap = cap < cap2 ? cap : cap2;
    return 0;
}

/*
 * Validates, strips markup, normalises and (optionally) cleans one text.
 * *out points into the featurizer (or at s itself when nothing changed) and
 * is valid until the next call.
 */
static int cfd__prepare(cfd_featurizer *fz, const cfd_feat_config *cfg, const char *s, size_t len,
                        const char *what, const char **out, size_t *out_len, cfd_error *err)
{
    size_t bad, nstarts = SIZE_MAX;
    int maybe_nfc;
    /* While validating, note where cleaning patterns may start: Korean
     * news has one every ~140 bytes, English (every c, h and w may begin
     * "copyright", "http" or "www") one every ~13; a text with more than
     * len / 8 falls back to cfd_clean_news's own walk. */
    uint32_t *starts = NULL;
    size_t starts_cap = len / 8 + 64;
    if (cfg->clean_news) {
        if (cfd__reserve((void **)&fz->starts, &fz->starts_cap, starts_cap, sizeof(uint32_t)) != 0)
            goto nomem;
        starts = fz->starts;
    }
    if (fz->trusted_utf8)
        cfd_utf8_scan_nfc(s, len, &maybe_nfc, starts, starts_cap, &nstarts);
    else if (cfd_utf8_validate_nfc(s, len, &bad, &maybe_nfc, starts, starts_cap, &nstarts) != 0)
        return cfd_error_set(err, CFD_EUTF8, bad,
                             "%s: invalid UTF-8 at byte %zu (byte 0x%02x); send UTF-8 text", what,
                             bad, (unsigned)(unsigned char)s[bad]);
    const char *cur = s;
    int in_buf = -1; /* which text[] buffer cur is in, if any */
    if (cfd_markup_present(cur, len)) {
        if (cfd__reserve((void **)&fz->text[0], &fz->text_cap[0], len + 1, 1) != 0)
            goto nomem;
        int entities = memchr(cur, '&', len) != NULL;
        len = cfd_strip_markup(cur, len, fz->text[0]);
        cur = fz->text[0];
        in_buf = 0;
        nstarts = SIZE_MAX; /* offsets into the original text */
        /* a numeric entity can decode to a combining mark */
        if (entities && !maybe_nfc)
            maybe_nfc = cfd_nfc_quick_check(cur, len);
    }
    if (maybe_nfc) {
        int rc = cfd_nfc(&fz->nfc, cur, len, &cur, &len);
        if (rc != 0)
            return cfd_error_set(err, rc, (size_t)-1, "%s: Unicode normalisation failed: %s",
                                 what, cfd_strerror(rc));
        in_buf = -1;
        nstarts = SIZE_MAX;
    }
    if (cfg->clean_news && len > 0) {
        int b = in_buf == 0 ? 1 : 0;
        if (cfd__reserve((void **)&fz->text[b], &fz->text_cap[b], len + 1, 1) != 0)
            goto nomem;
        len = nstarts != SIZE_MAX ? cfd_clean_news_at(cur, len, starts, nstarts, fz->text[b])
                                  : cfd_clean_news(cur, len, fz->text[b]);
        cur = fz->text[b];
    }
    *out = cur;
    *out_len = len;
    return 0;
nomem:
    return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "%s: out of memory", what);
}

/* Tokenises one prepared text and appends its hashed features. */
CFD_HASH_HOT static int cfd__emit(cfd_featurizer *fz, const cfd_feat_config *cfg, const char *s, size_t len,
                     uint32_t flag, const uint64_t *seeds)
{
    if (len == 0)
        return 0;
    if (cfd__reserve((void **)&fz->tok, &fz->tok_cap, CFD_TOK_OUT_MIN(len), 1) != 0)
        return CFD_ENOMEM;
    const unsigned bits = cfg->hash_bits;
    const unsigned cmin = cfg->char_min, cmax = cfg->char_max;
    const size_t per_cp = cmin ? cmax - cmin + 1 : 0;
    cfd_tokenizer t;
    cfd_token tok;
    uint64_t prev = 0;
    int have_prev = 0;
    size_t n = fz->n_ent;
    cfd_tok_init(&t, s, len, fz->tok);
    while (cfd_tok_next(&t, &tok)) {
        fz->letters[tok.cls] += tok.ncp;
        size_t m = tok.ncp < CFD_TOK_NGRAM_CPS ? tok.ncp : CFD_TOK_NGRAM_CPS;
        size_t need = n + 3 + per_cp * m;
        if (need > fz->ent_cap) {
            fz->n_ent = n;
            if (cfd__reserve_entries(fz, need + need / 2) != 0)
                return CFD_ENOMEM;
        }
        uint32_t *ent = fz->ent;
        uint64_t h = cfd_hash_bytes(tok.s, tok.len, seeds[CFD_HK_UNIGRAM]);
        if (cfg->word_unigrams)
            ent[n++] = cfd_hash_bucket(h, bits) | flag;
        if (cfg->word_bigrams && have_prev)
            ent[n++] = cfd_hash_bucket(cfd_hash_bigram(prev, h, seeds[CFD_HK_BIGRAM]), bits) | flag;
        prev = h;
        have_prev = 1;
        size_t plen = cfg->word_prefix ? cfd_tok_prefix_len(&tok) : 0;
        if (plen)
            ent[n++] = cfd_hash_bucket(cfd_hash_bytes(tok.s, plen, seeds[CFD_HK_PREFIX]), bits) | flag;
        if (per_cp == 0 || tok.cls == CFD_TOK_DIGIT)
            continue;
        int all3 = tok.len == 3 * tok.ncp;
        if (all3 && tok.cls != CFD_TOK_HANGUL) {
            /* A Hangul token's code points are all 3 bytes when the sum
             * says so (it holds nothing longer); in other classes a 4-byte
             * and a 2-byte code point (Ext. B Han with a mark, д𐐀) can make
             * the same sum, so look. */
            for (size_t i = 0; i < m && all3; i++)
                all3 = tok.off[i + 1] - tok.off[i] == 3;
        }
        if (all3) {
            /* Every code point is 3 bytes (Hangul, most Han): n-gram i of
             * length g is bytes [3i, 3i + 3g), and a constant length lets
             * the compiler drop XXH3's length dispatch. */
            const unsigned char *ts = (const unsigned char *)tok.s;
#define CFD__NG(G, I)                                                                        \
    if (cmin <= (G) && (G) <= cmax)                                                          \
        ent[n++] = cfd_hash_bucket(cfd_hash_bytes(ts + 3 * (I), 3 * (G), seeds[CFD_HK_CHAR + (G)]), \
                                   bits) | flag;
            /* Most Korean words are 1-4 syllables: straight-line code per
             * length costs one (often predicted) jump per word instead of a
             * mispredicted loop exit per n. */
            switch (m) {
            case 1:
                CFD__NG(1, 0)
                break;
            case 2:
                CFD__NG(1, 0) CFD__NG(1, 1)
                CFD__NG(2, 0)
                break;
            case 3:
                CFD__NG(1, 0) CFD__NG(1, 1) CFD__NG(1, 2)
                CFD__NG(2, 0) CFD__NG(2, 1)
                CFD__NG(3, 0)
                break;
            case 4:
                CFD__NG(1, 0) CFD__NG(1, 1) CFD__NG(1, 2) CFD__NG(1, 3)
                CFD__NG(2, 0) CFD__NG(2, 1) CFD__NG(2, 2)
                CFD__NG(3, 0) CFD__NG(3, 1)
                CFD__NG(4, 0)
                break;
            default:
                /* One block per n, in sequence (a switch on n inside the
                 * loop would be an indirect jump mispredicted at each n). */
#define CFD__NGRAMS3(G)                                                                      \
    if (cmin <= (G) && (G) <= cmax && (G) <= m) {                                            \
        const uint64_t seed = seeds[CFD_HK_CHAR + (G)];                                      \
        for (size_t i = 0; i + (G) <= m; i++)                                                \
            ent[n++] = cfd_hash_bucket(cfd_hash_bytes(ts + 3 * i, 3 * (G), seed), bits) | flag; \
    }
                CFD__NGRAMS3(1)
                CFD__NGRAMS3(2)
                CFD__NGRAMS3(3)
                CFD__NGRAMS3(4)
                CFD__NGRAMS3(5)
                CFD__NGRAMS3(6)
#undef CFD__NGRAMS3
            }
#undef CFD__NG
            continue;
        }
        for (unsigned g = cmin; g <= cmax && g <= m; g++) {
            const uint64_t seed = seeds[CFD_HK_CHAR + g];
            for (size_t i = 0; i + g <= m; i++)
                ent[n++] = cfd_hash_bucket(cfd_hash_bytes(tok.s + tok.off[i],
                                                          (size_t)(tok.off[i + g] - tok.off[i]),
                                                          seed),
                                           bits) |
                           flag;
        }
    }
    fz->n_ent = n;
    return 0;
}

/*
 * Everything up to the counts: on success fz->counts[j].index and
 * fz->acc[j] (body count in the low 32 bits, title count in the high 32)
 * for j < *nfeat, sorted by index, unique.
 */
static int cfd__count(cfd_featurizer *fz, const cfd_feat_config *cfg, const char *title,
                      size_t title_len, const char *body, size_t body_len, size_t *nfeat,
                      cfd_error *err)
{
    *nfeat = 0;
    int rc = cfd_feat_config_check(cfg, err);
    if (rc != 0)
        return rc;
    if ((title == NULL && title_len) || (body == NULL && body_len))
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "featurize: NULL text with a non-zero length");
    if (title_len > CFD_FEATURIZE_MAX_INPUT || body_len > CFD_FEATURIZE_MAX_INPUT - title_len)
        return cfd_error_set(err, CFD_ETOOBIG, (size_t)-1,
                             "featurize: title + body is %zu bytes, the limit is %zu MiB",
                             title_len + body_len, CFD_FEATURIZE_MAX_INPUT >> 20);

    uint64_t seeds[CFD_HK_COUNT];
    for (unsigned k = 0; k < CFD_HK_COUNT; k++)
        seeds[k] = cfd_hash_kind_seed(cfg->seed, k);

    fz->n_ent = 0;
    memset(fz->letters, 0, sizeof fz->letters);
    const char *text;
    size_t len;
    if (title_len) {
        if ((rc = cfd__prepare(fz, cfg, title, title_len, "title", &text, &len, err)) != 0)
            return rc;
        if (cfg->title_weight > 0.0f && cfd__emit(fz, cfg, text, len, CFD__TITLE_BIT, seeds) != 0)
            goto nomem;
    }
    if (body_len) {
        if ((rc = cfd__prepare(fz, cfg, body, body_len, "body", &text, &len, err)) != 0)
            return rc;
        if (cfd__emit(fz, cfg, text, len, 0, seeds) != 0)
            goto nomem;
    }
    size_t n = fz->n_ent;
    if (n == 0)
        return 0;
    if (cfd__reserve((void **)&fz->counts, &fz->counts_cap, n, sizeof(cfd_feature)) != 0 ||
        cfd__reserve((void **)&fz->acc, &fz->acc_cap, n, sizeof(uint64_t)) != 0)
        goto nomem;

    const uint32_t *e = cfd_sort_keys(fz->hist, fz->ent, fz->tmp, n, cfg->hash_bits);
    const uint32_t mask = (UINT32_C(1) << cfg->hash_bits) - 1;
    cfd_feature *restrict c = fz->counts;
    /* Runs of equal buckets -> (bucket, body count + tw * title count),
     * without branches (run lengths are 1, 2, 3... at random): the count
     * accumulates in a 64-bit word, body in the low half, title in the
     * high half, and is written to the current slot on every step. */
    uint64_t *restrict acc = fz->acc;
    uint32_t last = e[0] & mask;
    size_t k = 0;
    uint64_t a = (e[0] & CFD__TITLE_BIT) ? UINT64_C(1) << 32 : 1;
    c[0].index = last;
    acc[0] = a;
    for (size_t i = 1; i < n; i++) {
        uint32_t x = e[i], idx = x & mask;
        uint64_t same = idx == last;
        a = (a & (0 - same)) + ((uint64_t)1 << (32 & (0 - (x >> 31))));
        k += 1 - same;
        c[k].index = idx;
        acc[k] = a;
        last = idx;
    }
    *nfeat = k + 1;
    return 0;
nomem:
    return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "featurize: out of memory");
}

/* A feature's count as cfd_featurize_counts reports it. */
static inline float cfd__count_value(uint64_t acc, float tw)
{
    return (float)(uint32_t)acc + tw * (float)(uint32_t)(acc >> 32);
}

int cfd_featurize_counts(cfd_featurizer *fz, const cfd_feat_config *cfg, const char *title,
                         size_t title_len, const char *body, size_t body_len, cfd_featvec *out,
                         cfd_error *err)
{
    out->items = NULL;
    out->n = 0;
    size_t k;
    int rc = cfd__count(fz, cfg, title, title_len, body, body_len, &k, err);
    if (rc != 0 || k == 0)
        return rc;
    const float tw = cfg->title_weight;
    for (size_t j = 0; j < k; j++)
        fz->counts[j].value = cfd__count_value(fz->acc[j], tw);
    out->items = fz->counts;
    out->n = (uint32_t)k;
    return 0;
}

/* Sum of squares of the values, one chain in index order, as the committed
 * models were trained (four partial sums would change the last bits of some
 * features, and train-defaults.sh must rebuild the same bytes). */
static double cfd__sumsq(const cfd_feature *d, uint32_t n)
{
    double ss = 0.0;
    for (uint32_t i = 0; i < n; i++)
        ss += (double)d[i].value * d[i].value;
    return ss;
}

/* The L2 step: one float multiply per value (nothing for a zero vector). */
static void cfd__scale_l2(cfd_feature *d, uint32_t n, double ss)
{
    if (ss > 0.0) {
        float inv = (float)(1.0 / sqrt(ss));
        for (uint32_t i = 0; i < n; i++)
            d[i].value *= inv;
    }
}

/* IDF and L2 on weights already through the TF transform, in place. */
static int cfd__finish_weights(const cfd_feat_config *cfg, const float *idf, cfd_feature *dst,
                               uint32_t n, cfd_featvec *out)
{
    double ss = 0.0;
    if (cfg->use_idf) {
        /* idf has 2^hash_bits entries (2 MB at 2^19) read at random: each
         * read is a cache miss, so fetch 32 features ahead; the sum of
         * squares rides along in the same pass. */
        for (uint32_t i = 0; i < n && i < 32; i++)
            __builtin_prefetch(&idf[dst[i].index]);
        for (uint32_t i = 0; i < n; i++) {
            if (i + 32 < n)
                __builtin_prefetch(&idf[dst[i + 32].index]);
            float v = dst[i].value * idf[dst[i].index];
            dst[i].value = v;
            ss += (double)v * v;
        }
    } else if (cfg->l2_normalize) {
        ss = cfd__sumsq(dst, n);
    }
    if (!isfinite(ss))
        return CFD_ERANGE; /* a non-finite IDF entry */
    if (cfg->l2_normalize)
        cfd__scale_l2(dst, n, ss);
    out->items = dst;
    out->n = n;
    return 0;
}

int cfd_feat_l2_in_place(cfd_featurizer *fz, cfd_featvec *v)
{
    if (v->n == 0)
        return 0;
    if (v->items != fz->weighted || v->n > fz->weighted_cap)
        return CFD_EINVAL; /* only the featurizer's own weighted vector */
    double ss = cfd__sumsq(fz->weighted, v->n);
    if (!isfinite(ss))
        return CFD_ERANGE;
    cfd__scale_l2(fz->weighted, v->n, ss);
    return 0;
}

int cfd_feat_weight(cfd_featurizer *fz, const cfd_feat_config *cfg, const float *idf,
                    const cfd_featvec *in, cfd_featvec *out)
{
    out->items = NULL;
    out->n = 0;
    if (cfg->use_idf && idf == NULL)
        return CFD_EINVAL;
    if (cfg->hash_bits < CFD_HASH_BITS_MIN || cfg->hash_bits > CFD_HASH_BITS_MAX)
        return CFD_EINVAL;
    const uint32_t n = in->n;
    if (n == 0)
        return 0;
    if (cfd__reserve((void **)&fz->weighted, &fz->weighted_cap, n, sizeof(cfd_feature)) != 0)
        return CFD_ENOMEM;
    const uint32_t limit = UINT32_C(1) << cfg->hash_bits;
    const cfd_feature *restrict src = in->items;
    cfd_feature *restrict dst = fz->weighted;
    const float *restrict tf = fz->tf; /* not reloaded after every store to dst */
    /* Separate simple loops: each is branch-free or nearly so, and the
     * IDF and sum-of-squares loops vectorise. */
    uint32_t bad = 0;
    if (cfg->sublinear_tf) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t idx = src[i].index;
            float v = src[i].value;
            bad |= idx >= limit;
            /* 1 + ln v from the table for whole counts (tf[1] = 1), logf
             * otherwise; counts below 1 (title_weight < 1) stay as they
             * are so the transform is monotone and never negative. The
             * branch is on "whole and small", which nearly every count is,
             * not on v > 1, which flips at random. */
            uint32_t iv = v >= 0.0f && v < (float)CFD__TF_TABLE ? (uint32_t)v : 0;
            if ((float)iv == v)
                v = tf[iv];
            else if (v > 1.0f)
                v = 1.0f + logf(v);
            dst[i].index = idx;
            dst[i].value = v;
        }
    } else {
        for (uint32_t i = 0; i < n; i++) {
            bad |= src[i].index >= limit;
            dst[i] = src[i];
        }
    }
    if (bad)
        return CFD_EINVAL; /* an index outside 2^hash_bits */
    return cfd__finish_weights(cfg, idf, dst, n, out);
}

int cfd_featurize(cfd_featurizer *fz, const cfd_feat_config *cfg, const float *idf,
                  const char *title, size_t title_len, const char *body, size_t body_len,
                  cfd_featvec *out, cfd_error *err)
{
    out->items = NULL;
    out->n = 0;
    size_t k;
    int rc = cfd__count(fz, cfg, title, title_len, body, body_len, &k, err);
    if (rc != 0)
        return rc;
    if (cfg->use_idf && idf == NULL)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "featurize: the config uses IDF but no IDF table was given");
    if (k == 0)
        return 0;
    const float tw = cfg->title_weight;
    const uint32_t twi = (uint32_t)tw; /* tw is in 0..100 (config check) */
    if (!cfg->sublinear_tf || (float)twi != tw) {
        /* the general path: counts as floats, then cfd_feat_weight */
        for (size_t j = 0; j < k; j++)
            fz->counts[j].value = cfd__count_value(fz->acc[j], tw);
        cfd_featvec counts = {fz->counts, (uint32_t)k};
        rc = cfd_feat_weight(fz, cfg, idf, &counts, out);
    } else {
        /* Whole title weight (the default 2) and sublinear TF: the count is
         * a whole number, so 1 + ln count comes from the table without
         * float round trips. Same values as counts + cfd_feat_weight. */
        if (cfd__reserve((void **)&fz->weighted, &fz->weighted_cap, k, sizeof(cfd_feature)) != 0)
            return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "featurize: out of memory");
        cfd_feature *restrict dst = fz->weighted;
        const cfd_feature *restrict c = fz->counts;
        const uint64_t *restrict acc = fz->acc;
        for (size_t j = 0; j < k; j++) {
            uint64_t cnt = (uint32_t)acc[j] + (uint64_t)twi * (acc[j] >> 32);
            dst[j].index = c[j].index;
            dst[j].value = cnt < CFD__TF_TABLE ? fz->tf[cnt]
                                               : 1.0f + logf(cfd__count_value(acc[j], tw));
        }
        rc = cfd__finish_weights(cfg, idf, dst, (uint32_t)k, out);
    }
    if (rc == CFD_ERANGE)
        return cfd_error_set(err, rc, (size_t)-1,
                             "featurize: the IDF table holds a non-finite value; the model is "
                             "damaged, retrain it");
    if (rc != 0)
        return cfd_error_set(err, rc, (size_t)-1, "featurize: weighting failed: %s",
                             cfd_strerror(rc));
    return 0;
}
