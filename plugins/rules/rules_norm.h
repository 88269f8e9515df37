/*
 * Streaming text normalisation for the rules plugin: valid UTF-8 in, a
 * stream of NFC + case-folded code points out, without allocating -- so
 * classify() can match an article as it reads it, and rule terms are
 * normalised by the very same code at load (they cannot drift apart).
 *
 * Fast path: ASCII (folded with a table) and precomposed Hangul syllables
 * (already NFC, unaffected by case folding) followed by ASCII or another
 * syllable pass straight through; this is nearly all of a Korean article.
 * Everything else is handled a "cluster" at a time: a code point plus the
 * combining marks and conjoining Hangul jamo after it (at most
 * CFD_NORM_CLUSTER_BYTES bytes) go through utf8proc (decompose + case fold
 * + canonical order, then compose), which is what NFC(casefold(x)) does;
 * then fullwidth ASCII becomes ASCII, as the featurizer folds it
 * (normalize.h). So "ＡＩ" reads as "ai" (but "ｱ" stays halfwidth: NFC, not
 * NFKC), "É" and "E\u0301" both become "é", and decomposed jamo sequences
 * become the syllables they spell. What the featurizer's tokeniser drops
 * inside a word (soft hyphen, zero width space and joiners, U+2060, U+FEFF,
 * variation selectors; tokenize.h) is dropped here too.
 *
 * Threads: an iterator belongs to one thread; the functions are pure.
 */
#ifndef CFD_RULES_NORM_H
#define CFD_RULES_NORM_H

#include <stddef.h>
#include <stdint.h>

#define CFD_NORM_CLUSTER_BYTES 64
#define CFD_NORM_OUT_MAX 128

typedef struct cfd_norm_iter {
    const unsigned char *p, *end;
    int32_t out[CFD_NORM_OUT_MAX];   /* pending normalised code points */
    int n_out, i_out;
} cfd_norm_iter;

/* s[0..len) must be valid UTF-8 (the daemon validates every article). */
void cfd_norm_init(cfd_norm_iter *it, const char *s, size_t len);

/* Next normalised code point in *cp; 0 at the end of the text. */
int cfd_norm_next(cfd_norm_iter *it, uint32_t *cp);

/*
 * Inline fast path for scanners: when the code point at *p is ASCII or a
 * precomposed Hangul syllable and what follows cannot compose with it,
 * stores its normalised form, advances *p and returns 1; otherwise returns
 * 0 and the caller uses cfd_norm_next (which handles every case). Only call
 * it when the iterator has no pending output (it->i_out == it->n_out).
 */
static inline int cfd_norm_fast(const unsigned char **pp, const unsigned char *end,
                                uint32_t *cp)
{
    const unsigned char *p = *pp, *q;
    uint32_t c;
    if (p >= end)
        return 0;
    if (p[0] < 0x80) {
        c = p[0];
        q = p + 1;
        if (c >= 'A' && c <= 'Z')
            c += 32;
    } else if (p[0] >= 0xEA && p[0] <= 0xED && end - p >= 3) {
        c = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        if (c < 0xAC00 || c > 0xD7A3)
            return 0;
        q = p + 3;
    } else {
        return 0;
    }
    /* next: end of text, ASCII, U+0080..U+02FF, or a Hangul syllable */
    if (q < end && q[0] >= 0xCC) {
        if (!(q[0] >= 0xEA && q[0] <= 0xED && end - q >= 3))
            return 0;
        uint32_t n = ((uint32_t)(q[0] & 0x0F) << 12) | ((uint32_t)(q[1] & 0x3F) << 6) |
                     (q[2] & 0x3F);
        if (n < 0xAC00 || n > 0xD7A3)
            return 0;
    }
    *cp = c;
    *pp = q;
    return 1;
}

/*
 * 1 when cp counts as part of a word for whole-word terms: letters, digits
 * and marks of scripts written with spaces between words (Latin, Greek,
 * Cyrillic, ...). Hangul, kana and Han are not: Korean particles attach to
 * Latin words ("AI가"), so "<AI>" must still match there.
 */
int cfd_norm_is_word(uint32_t cp);

/* 1 for white space (ASCII, NBSP, the U+2000 spaces, ideographic space...):
 * the matcher treats any run of it as one ' ', in terms and in text. */
static inline int cfd_norm_is_space(uint32_t cp)
{
    if (cp > 0x3000) /* most of a Korean text: one compare */
        return 0;
    return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

#endif
