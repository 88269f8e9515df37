/*
 * Naming hashed feature buckets by the n-grams of a text (see ngrams.h).
 *
 * The pipeline mirrors core/featurize.c: markup removal when '<' or '&'
 * occur, NFC when the quick check asks for it, news cleaning when the config
 * says so, then the tokeniser, and the feature hashes of hash.h (word
 * unigrams, bigrams of adjacent words from the unigram hashes, word
 * prefixes (the first two syllables of a Hangul word of three or more) when
 * the config has word_prefix, character
 * n-grams over a token's first CFD_TOK_NGRAM_CPS code points, none for digit
 * tokens). Title and body are tokenised separately. If featurize.c changes
 * its pipeline, names may go missing (shown as "not seen"), never wrong
 * buckets: every name is hashed with hash.h, the feature definition itself.
 */
#include "ngrams.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clean.h"
#include "hash.h"
#include "markup.h"
#include "normalize.h"
#include "tokenize.h"

#define CFD__CANDS 6

enum { CFD__KIND_WORD, CFD__KIND_BIGRAM, CFD__KIND_CHARS, CFD__KIND_PREFIX };

typedef struct cfd__cand {
    char *s;
    uint64_t count;
    int kind;
} cfd__cand;

typedef struct cfd__slot {
    uint32_t bucket;
    cfd__cand c[CFD__CANDS];
    uint64_t others;  /* occurrences of n-grams not kept in c[] */
    uint32_t n_distinct;
} cfd__slot;

/* A filter over wanted buckets: most n-grams of a text land in buckets
 * nobody asked about, and one bit test turns them away before the binary
 * search (which was a tenth of the daemon's time with "explain"). */
#define CFD__FILTER_BITS 4096

struct cfd_ngram_names {
    cfd_feat_config feat;
    uint64_t filter[CFD__FILTER_BITS / 64]; /* bit (bucket % CFD__FILTER_BITS) */
    cfd__slot *slots; /* sorted by bucket once adding starts */
    size_t n, cap;
    int sorted;
    uint64_t seed_uni, seed_bi, seed_prefix, seed_char[CFD_CHAR_NGRAM_MAX + 1];
    cfd_nfc_scratch nfc;
    char *buf1, *buf2, *tokbuf, *prevtok;
    size_t buf_cap;
};

int cfd_ngram_names_new(const cfd_feat_config *feat, cfd_ngram_names **out, cfd_error *err)
{
    cfd_ngram_names *nn = calloc(1, sizeof(*nn));
    if (nn == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    nn->feat = *feat;
    nn->seed_uni = cfd_hash_kind_seed(feat->seed, CFD_HK_UNIGRAM);
    nn->seed_bi = cfd_hash_kind_seed(feat->seed, CFD_HK_BIGRAM);
    nn->seed_prefix = cfd_hash_kind_seed(feat->seed, CFD_HK_PREFIX);
    for (unsigned k = 1; k <= CFD_CHAR_NGRAM_MAX; k++)
        nn->seed_char[k] = cfd_hash_kind_seed(feat->seed, CFD_HK_CHAR + k);
    *out = nn;
    return 0;
}

void cfd_ngram_names_free(cfd_ngram_names *nn)
{
    if (nn == NULL)
        return;
    for (size_t i = 0; i < nn->n; i++)
        for (int j = 0; j < CFD__CANDS; j++)
            free(nn->slots[i].c[j].s);
    free(nn->slots);
    cfd_nfc_scratch_free(&nn->nfc);
    free(nn->buf1);
    free(nn->buf2);
    free(nn->tokbuf);
    free(nn->prevtok);
    free(nn);
}

int cfd_ngram_names_want(cfd_ngram_names *nn, uint32_t bucket)
{
    for (size_t i = 0; i < nn->n; i++)
        if (nn->slots[i].bucket == bucket)
            return 0;
    if (nn->n == nn->cap) {
        size_t cap = nn->cap ? nn->cap * 2 : 64;
        cfd__slot *p = realloc(nn->slots, cap * sizeof(*p));
        if (p == NULL)
            return CFD_ENOMEM;
        nn->slots = p;
        nn->cap = cap;
    }
    memset(&nn->slots[nn->n], 0, sizeof(cfd__slot));
    nn->slots[nn->n++].bucket = bucket;
    nn->filter[bucket % CFD__FILTER_BITS / 64] |= UINT64_C(1) << (bucket % 64);
    nn->sorted = 0;
    return 0;
}

static int cfd__slot_cmp(const void *a, const void *b)
{
    uint32_t x = ((const cfd__slot *)a)->bucket, y = ((const cfd__slot *)b)->bucket;
    return x < y ? -1 : x > y;
}

static cfd__slot *cfd__find(const cfd_ngram_names *nn, uint32_t bucket)
{
    size_t lo = 0, hi = nn->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (nn->slots[mid].bucket < bucket)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nn->n && nn->slots[lo].bucket == bucket ? &nn->slots[lo] : NULL;
}

static int cfd__record(cfd_ngram_names *nn, uint64_t h, int kind, const char *s, size_t len)
{
    const uint32_t bucket = cfd_hash_bucket(h, nn->feat.hash_bits);
    if (!(nn->filter[bucket % CFD__FILTER_BITS / 64] >> (bucket % 64) & 1))
        return 0;
    cfd__slot *slot = cfd__find(nn, bucket);
    if (slot == NULL)
        return 0;
    for (int j = 0; j < CFD__CANDS; j++) {
        cfd__cand *c = &slot->c[j];
        if (c->s == NULL) {
            /* s is not NUL-terminated: copy exactly len bytes (strndup
             * may look for a NUL past the end). */
            if ((c->s = malloc(len + 1)) == NULL)
                return CFD_ENOMEM;
            memcpy(c->s, s, len);
            c->s[len] = '\0';
            c->count = 1;
            c->kind = kind;
            slot->n_distinct++;
            return 0;
        }
        if (c->kind == kind && strlen(c->s) == len && memcmp(c->s, s, len) == 0) {
            c->count++;
            return 0;
        }
    }
    slot->others++;
    return 0;
}

static int cfd__grow(cfd_ngram_names *nn, size_t len)
{
    size_t need = CFD_TOK_OUT_MIN(len) + 16;
    if (need <= nn->buf_cap)
        return 0;
    char *a = realloc(nn->buf1, need), *b;
    if (a == NULL)
        return CFD_ENOMEM;
    nn->buf1 = a;
    if ((b = realloc(nn->buf2, need)) == NULL)
        return CFD_ENOMEM;
    nn->buf2 = b;
    if ((b = realloc(nn->tokbuf, need)) == NULL)
        return CFD_ENOMEM;
    nn->tokbuf = b;
    if ((b = realloc(nn->prevtok, need)) == NULL)
        return CFD_ENOMEM;
    nn->prevtok = b;
    nn->buf_cap = need;
    return 0;
}

static int cfd__add_field(cfd_ngram_names *nn, const char *s, size_t len)
{
    if (len == 0)
        return 0;
    int rc;
    if ((rc = cfd__grow(nn, len)) != 0)
        return rc;
    if (cfd_markup_present(s, len)) {
        len = cfd_strip_markup(s, len, nn->buf1);
        s = nn->buf1;
    }
    if (cfd_nfc_quick_check(s, len) && (rc = cfd_nfc(&nn->nfc, s, len, &s, &len)) != 0)
        return rc;
    if ((rc = cfd__grow(nn, len)) != 0)
        return rc;
    if (nn->feat.clean_news) {
        len = cfd_clean_news(s, len, nn->buf2);
        s = nn->buf2;
    }
    cfd_tokenizer t;
    cfd_token tok;
    cfd_tok_init(&t, s, len, nn->tokbuf);
    uint64_t prev_h = 0;
    size_t prev_len = 0;
    int have_prev = 0;
    while (cfd_tok_next(&t, &tok)) {
        uint64_t h = cfd_hash_bytes(tok.s, tok.len, nn->seed_uni);
        if (nn->feat.word_unigrams && (rc = cfd__record(nn, h, CFD__KIND_WORD, tok.s,
                                                        tok.len)) != 0)
            return rc;
        if (nn->feat.word_bigrams && have_prev) {
            uint64_t hb = cfd_hash_bigram(prev_h, h, nn->seed_bi);
            size_t n = prev_len;
            nn->prevtok[n++] = ' ';
            memcpy(nn->prevtok + n, tok.s, tok.len);
            if ((rc = cfd__record(nn, hb, CFD__KIND_BIGRAM, nn->prevtok, n + tok.len)) != 0)
                return rc;
        }
        size_t plen = nn->feat.word_prefix ? cfd_tok_prefix_len(&tok) : 0;
        if (plen && (rc = cfd__record(nn, cfd_hash_bytes(tok.s, plen, nn->seed_prefix),
                                      CFD__KIND_PREFIX, tok.s, plen)) != 0)
            return rc;
        if (nn->feat.char_min > 0 && tok.cls != CFD_TOK_DIGIT) {
            size_t ncp = tok.ncp < CFD_TOK_NGRAM_CPS ? tok.ncp : CFD_TOK_NGRAM_CPS;
            for (unsigned k = nn->feat.char_min; k <= nn->feat.char_max; k++) {
                for (size_t i = 0; i + k <= ncp; i++) {
                    const char *g = tok.s + tok.off[i];
                    size_t glen = (size_t)(tok.off[i + k] - tok.off[i]);
                    uint64_t hc = cfd_hash_bytes(g, glen, nn->seed_char[k]);
                    if ((rc = cfd__record(nn, hc, CFD__KIND_CHARS, g, glen)) != 0)
                        return rc;
                }
            }
        }
        /* The tokeniser's buffer is reused: keep a copy for the bigram. */
        memcpy(nn->prevtok, tok.s, tok.len);
        prev_len = tok.len;
        prev_h = h;
        have_prev = 1;
    }
    return 0;
}

int cfd_ngram_names_add(cfd_ngram_names *nn, const char *title, size_t title_len,
                        const char *body, size_t body_len, cfd_error *err)
{
    if (!nn->sorted) {
        if (nn->n > 1) /* qsort's base may not be NULL, even for 0 elements */
            qsort(nn->slots, nn->n, sizeof(cfd__slot), cfd__slot_cmp);
        nn->sorted = 1;
    }
    if (nn->n == 0)
        return 0; /* nothing to name: no need to read the text */
    int rc = cfd__add_field(nn, title, title_len);
    if (rc == 0)
        rc = cfd__add_field(nn, body, body_len);
    if (rc != 0)
        return cfd_error_set(err, rc, (size_t)-1, "naming features: %s", cfd_strerror(rc));
    return 0;
}

int cfd_ngram_names_parts(const cfd_ngram_names *nn, uint32_t bucket, const char **kind,
                          const char **text, uint32_t *others, int *more)
{
    if (!nn->sorted)
        return 0;
    const cfd__slot *slot = cfd__find(nn, bucket);
    if (slot == NULL || slot->c[0].s == NULL)
        return 0;
    int best = 0;
    for (int j = 1; j < CFD__CANDS && slot->c[j].s != NULL; j++)
        if (slot->c[j].count > slot->c[best].count)
            best = j;
    static const char *const kinds[] = {"word", "bigram", "chars", "prefix"};
    *kind = kinds[slot->c[best].kind];
    *text = slot->c[best].s;
    *others = slot->n_distinct - 1 + (slot->others ? 1 : 0);
    *more = slot->others != 0;
    return 1;
}

int cfd_ngram_names_get(const cfd_ngram_names *nn, uint32_t bucket, char *out, size_t len)
{
    const char *kind, *text;
    uint32_t others;
    int more;
    if (!cfd_ngram_names_parts(nn, bucket, &kind, &text, &others, &more))
        return 0;
    int n = snprintf(out, len, "%-6s %s", kind, text);
    if (others > 0 && n > 0 && (size_t)n < len)
        snprintf(out + n, len - (size_t)n, "  (+%u%s other n-gram%s)", others,
                 more ? " or more" : "", others > 1 || more ? "s" : "");
    return 1;
}
