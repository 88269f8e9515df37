/*
 * Unicode normalisation (NFC) and case folding for the featurizer.
 *
 * NFC: the same word typed on a Mac (decomposed Hangul jamo, e + U+0301) and
 * on Windows (precomposed) must give the same features. utf8proc decomposes
 * and composes (the canonical reordering between is ours, linear where
 * utf8proc's is quadratic in a run of combining marks: a 1 MB request of
 * them held a worker ~10 minutes). A full pass costs ~130 µs on a 2.6 KB
 * article, four times the whole featurizer, and changes about 1% of real
 * articles. So
 * cfd_nfc_quick_check first scans the text for code points that NFC could
 * change, and only then cfd_nfc runs utf8proc, into a reusable scratch (no
 * allocation once warm, unlike utf8proc_map).
 *
 * The quick check is conservative: it may say "maybe" for text NFC leaves
 * alone (then cfd_nfc costs time but changes nothing), never "no" for text
 * NFC would change. A code point is flagged when it has a non-zero canonical
 * combining class (may reorder), can be the second half of a canonical
 * composition (combining marks, Hangul conjoining jamo, some Indic vowel
 * signs), or is not NFC-stable on its own (singletons such as CJK
 * compatibility ideographs U+F900.., composition exclusions). U+0000..U+02FF,
 * Hangul syllables and CJK unified ideographs are decided without a lookup.
 *
 * Case folding: the simple lower-case mapping of Unicode (utf8proc_tolower),
 * for Latin and every other cased script (Greek, Cyrillic, ...), with final
 * sigma folded to σ as Unicode's case folding does, plus fullwidth ASCII
 * forms (U+FF01..U+FF5E, common in Korean and Japanese text) mapped to
 * ASCII so "ＫＢＳ" and "KBS" are one word. Foldings that change the length
 * (ß -> ss) are not made: "straße" and "STRASSE" stay two words.
 *
 * All input must be valid UTF-8 (validate first, see utf8.h).
 * Threads: functions are re-entrant; a cfd_nfc_scratch belongs to one thread
 * at a time.
 */
#ifndef CFD_NORMALIZE_H
#define CFD_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

/* 1 if NFC may change s[0..len), 0 if s is certainly in NFC. */
int cfd_nfc_quick_check(const char *s, size_t len);

/*
 * cfd_utf8_validate and cfd_nfc_quick_check together (the featurizer's
 * first look at every text; with SSE2 two 16-byte passes, else one fused
 * byte-by-byte pass): returns 0 or CFD_EUTF8 with *bad_offset as
 * cfd_utf8_validate does, and on success sets *maybe_nfc to what
 * cfd_nfc_quick_check would return. If starts is not NULL it also lists,
 * in order, the offsets of the code points where a news-cleaning pattern
 * may start (cfd_clean_may_start, clean.h), so cfd_clean_news_at need not
 * walk the text again: *nstarts is their number, or SIZE_MAX if there were
 * more than starts_cap (then use cfd_clean_news).
 */
int cfd_utf8_validate_nfc(const char *s, size_t len, size_t *bad_offset, int *maybe_nfc,
                          uint32_t *starts, size_t starts_cap, size_t *nstarts);

/*
 * The same without validating, for text the caller has already validated
 * (the daemon validates every request): same *maybe_nfc, starts and
 * *nstarts as cfd_utf8_validate_nfc gives on valid UTF-8. On invalid input
 * it stays in bounds and its results are unspecified.
 */
void cfd_utf8_scan_nfc(const char *s, size_t len, int *maybe_nfc, uint32_t *starts,
                       size_t starts_cap, size_t *nstarts);

/* Growable code point buffer used by cfd_nfc; zero-initialise, free with
 * cfd_nfc_scratch_free. */
typedef struct cfd_nfc_scratch {
    int32_t *cps;
    size_t cap; /* in code points */
} cfd_nfc_scratch;

/*
 * NFC of s[0..len) (valid UTF-8, may contain NUL). On success returns 0 and
 * points *out at *out_len bytes inside the scratch (valid until the next call
 * with it). Returns CFD_ENOMEM, or CFD_EUTF8 if s was not valid UTF-8.
 */
int cfd_nfc(cfd_nfc_scratch *scr, const char *s, size_t len, const char **out,
            size_t *out_len);

void cfd_nfc_scratch_free(cfd_nfc_scratch *scr);

/* Case-folded code point (see above); cp itself when nothing applies. */
uint32_t cfd_fold_cp(uint32_t cp);

/* Fullwidth ASCII (U+FF01..U+FF5E) as ASCII, the part of the folding above
 * the rules plugin's matcher applies on top of its own case folding; cp
 * itself otherwise. */
static inline uint32_t cfd_fold_fullwidth(uint32_t cp)
{
    return cp >= 0xFF01 && cp <= 0xFF5E ? cp - 0xFEE0 : cp;
}

/*
 * Folds the whole string s[0..len) (valid UTF-8) into out, which must have
 * room for CFD_FOLD_MAX(len) bytes (a lower-case form can be longer in UTF-8:
 * U+023A is 2 bytes, its lower case U+2C65 is 3). Returns the bytes written.
 */
#define CFD_FOLD_MAX(len) ((len) + (len) / 2 + 4)
size_t cfd_fold(const char *s, size_t len, char *out);

#endif
