/*
 * Streaming NFC + case folding; see rules_norm.h.
 */
#include <string.h>

#include <utf8proc.h>

#include "normalize.h"
#include "rules_norm.h"
#include "tokenize.h"
#include "utf8.h"

void cfd_norm_init(cfd_norm_iter *it, const char *s, size_t len)
{
    it->p = (const unsigned char *)s;
    it->end = it->p + len;
    it->n_out = it->i_out = 0;
}

static inline int cfd__is_syllable(uint32_t cp) { return cp >= 0xAC00 && cp <= 0xD7A3; }

/* Code points that attach to the one before them in NFC: combining marks
 * and conjoining jamo vowels/finals. */
static int cfd__attaches(uint32_t cp)
{
    if (cp < 0x300 || (cp >= 0xAC00 && cp <= 0xD7A3))
        return 0;
    if (cp >= 0x1160 && cp <= 0x11FF)
        return 1;
    if (cp >= 0xD7B0 && cp <= 0xD7FF) /* Hangul Jamo Extended-B */
        return 1;
    return utf8proc_get_property((utf8proc_int32_t)cp)->combining_class != 0;
}

static uint32_t cfd__decode(const unsigned char *p, const unsigned char *end, size_t *n)
{
    uint32_t cp = 0;
    *n = cfd_utf8_decode(p, (size_t)(end - p), &cp);
    if (*n == 0) { /* not valid UTF-8: skip one byte (never for validated text) */
        *n = 1;
        return 0xFFFD;
    }
    return cp;
}

/* Decodes the 3-byte sequence at p (valid UTF-8 with a lead in E0..EF). */
static inline uint32_t cfd__dec3(const unsigned char *p)
{
    return ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
}

/* 1 when the code point starting at q (or the end of text) certainly does
 * not attach to the one before it; 0 when a real check is needed. Covers
 * ASCII, U+0080..U+02FF and Hangul syllables without a table lookup. */
static inline int cfd__surely_free(const unsigned char *q, const unsigned char *end)
{
    if (q >= end || q[0] < 0xCC)
        return 1;
    if (q[0] >= 0xEA && q[0] <= 0xED && end - q >= 3) {
        uint32_t c = cfd__dec3(q);
        return c >= 0xAC00 && c <= 0xD7A3;
    }
    return 0;
}

int cfd_norm_next(cfd_norm_iter *it, uint32_t *cp_out)
{
    if (it->i_out < it->n_out) {
        *cp_out = (uint32_t)it->out[it->i_out++];
        return 1;
    }
    const unsigned char *p = it->p, *end = it->end;
    uint32_t cp;
    size_t n;
    for (;;) {
        if (p >= end) {
            it->p = p;
            return 0;
        }
        if (p[0] < 0x80) {
            cp = p[0];
            n = 1;
        } else if (p[0] >= 0xEA && p[0] <= 0xED && end - p >= 3) {
            cp = cfd__dec3(p);
            n = 3;
        } else {
            cp = cfd__decode(p, end, &n);
        }
        /* what the tokeniser drops inside a word: "중기\u00AD부" is the
         * word 중기부 to the models, so to the rules too */
        if (!cfd_tok_ignorable(cp))
            break;
        p += n;
    }
    /* Fast path: ASCII or a Hangul syllable, not followed by anything that
     * could compose with it. */
    const unsigned char *q = p + n;
    if (cp < 0x80 || cfd__is_syllable(cp)) {
        int free_ = cfd__surely_free(q, end);
        if (!free_) {
            size_t n2;
            free_ = !cfd__attaches(cfd__decode(q, end, &n2));
        }
        if (free_) {
            it->p = q;
            *cp_out = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
            return 1;
        }
    }
    /* Slow path: gather the cluster and let utf8proc normalise it. */
    while (q < it->end && (size_t)(q - p) < CFD_NORM_CLUSTER_BYTES) {
        size_t n2;
        uint32_t next = cfd__decode(q, it->end, &n2);
        if (!cfd__attaches(next) || (size_t)(q + n2 - p) > CFD_NORM_CLUSTER_BYTES)
            break;
        q += n2;
    }
    utf8proc_ssize_t m = utf8proc_decompose(
        p, (utf8proc_ssize_t)(q - p), it->out, CFD_NORM_OUT_MAX,
        (utf8proc_option_t)(UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STABLE));
    if (m > 0 && m <= CFD_NORM_OUT_MAX)
        m = utf8proc_normalize_utf32(it->out, m,
                                     (utf8proc_option_t)(UTF8PROC_COMPOSE | UTF8PROC_STABLE));
    if (m <= 0 || m > CFD_NORM_OUT_MAX) {
        /* Cannot happen for a bounded cluster; pass the code point through. */
        it->p = p + n;
        *cp_out = cp;
        return 1;
    }
    /* Fullwidth ASCII (ＡＩ, ＫＢＳ; case already folded) as ASCII, as the
     * featurizer folds it (normalize.h). */
    for (utf8proc_ssize_t k = 0; k < m; k++)
        it->out[k] = (int32_t)cfd_fold_fullwidth((uint32_t)it->out[k]);
    it->p = q;
    it->n_out = (int)m;
    it->i_out = 1;
    *cp_out = (uint32_t)it->out[0];
    return 1;
}

int cfd_norm_is_word(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    if ((cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x2E80 && cp <= 0x9FFF) ||
        (cp >= 0xA960 && cp <= 0xA97F) || (cp >= 0xAC00 && cp <= 0xD7FF) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF65 && cp <= 0xFFDC) ||
        (cp >= 0x20000 && cp <= 0x3FFFF))
        return 0; /* Hangul, CJK, kana, halfwidth forms: no spaces between words */
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
        return 1;
    default:
        return 0;
    }
}
