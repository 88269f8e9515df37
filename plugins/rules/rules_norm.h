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
 * + canonical order, then compose), which is what NFC(casefold(x)) does.
 * So "ＡＩ" stays fullwidth (NFC, not NFKC), "É" and "E\u0301" both become
 * "é", and decomposed jamo sequences become the syllables they spell.
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
 * 1 when cp counts as part of a word for whole-word terms: letters, digits
 * and marks of scripts written with spaces between words (Latin, Greek,
 * Cyrillic, ...). Hangul, kana and Han are not: Korean particles attach to
 * Latin words ("AI가"), so "<AI>" must still match there.
 */
int cfd_norm_is_word(uint32_t cp);

#endif
