/*
 * UTF-8 validation, decoding and encoding (RFC 3629); see utf8.h.
 *
 * Every byte of every request and training example passes through
 * cfd_utf8_validate. Where SSE2 exists (every x86-64) it checks 16 bytes at
 * a time (end of this file); the byte-at-a-time validator below gives exact
 * offsets and serves everywhere else: it skips ASCII eight bytes at a time
 * and decodes multi-byte sequences with the table of RFC 3629 section 4
 * (second-byte ranges that exclude overlongs, surrogates and code points
 * past U+10FFFF) instead of decoding and checking afterwards.
 */
#include <string.h>

#if defined(__SSE2__)
#include "sse2_bytes.h"
#endif

#include <classifyd/error.h>

#include "utf8.h"

/*
 * Length of a sequence for a lead byte, and the allowed range of the second
 * byte (RFC 3629 section 4). Lead bytes C0, C1 and F5..FF never appear; 80..BF
 * are continuation bytes and cannot start a sequence.
 */
static inline size_t cfd__seq_len(unsigned char c, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;              /* continuation byte or overlong C0/C1 */
    if (c < 0xE0)
        return 2;
    if (c < 0xF0) {
        if (c == 0xE0)
            *lo = 0xA0;        /* overlong below U+0800 */
        else if (c == 0xED)
            *hi = 0x9F;        /* surrogates U+D800..DFFF */
        return 3;
    }
    if (c < 0xF5) {
        if (c == 0xF0)
            *lo = 0x90;        /* overlong below U+10000 */
        else if (c == 0xF4)
            *hi = 0x8F;        /* above U+10FFFF */
        return 4;
    }
    return 0;                  /* F5..FF: above U+10FFFF */
}

size_t cfd_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    if (len == 0)
        return 0;
    unsigned char c = s[0], lo, hi;
    size_t n = cfd__seq_len(c, &lo, &hi);
    if (n == 0 || n > len)
        return 0;
    if (n == 1) {
        *cp = c;
        return 1;
    }
    if (s[1] < lo || s[1] > hi)
        return 0;
    uint32_t v = (uint32_t)c & (0x7Fu >> n);
    v = (v << 6) | (s[1] & 0x3Fu);
    for (size_t i = 2; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    *cp = v;
    return n;
}

/* The byte-at-a-time validator: exact offsets, and the tail after the
 * 16-byte blocks below. */
static int cfd__validate_scalar(const char *str, size_t len, size_t *bad_offset)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        /* ASCII run: eight bytes at a time. */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        if (i >= len)
            break;
        /* Korean text: 3-byte syllables and single ASCII bytes (spaces,
         * punctuation) alternate every few bytes, which the 8-byte ASCII
         * test above never catches. Lead bytes E1..EC and EE..EF take any
         * two continuation bytes; check those and ASCII bytes one at a
         * time before the general path (news8 train.tsv, 3.2 MB: 3.15 -> 1.62
         * ns/byte, measured 2026-11-28). */
        for (;;) {
            unsigned char c = s[i];
            if (c < 0x80) {
                if (++i == len)
                    return 0;
            } else if (i + 3 <= len && (unsigned char)(c - 0xE1) <= 0x0E && c != 0xED &&
                       ((s[i + 1] & 0xC0) | ((s[i + 2] & 0xC0) >> 2)) == 0xA0) {
                if ((i += 3) == len)
                    return 0;
            } else {
                break;
            }
            if (s[i] < 0x80 && i + 8 <= len && s[i + 1] < 0x80)
                break; /* an ASCII run: back to eight bytes at a time */
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        unsigned char lo, hi;
        size_t n = cfd__seq_len(c, &lo, &hi);
        if (n == 0 || n > len - i || s[i + 1] < lo || s[i + 1] > hi)
            goto bad;
        for (size_t k = 2; k < n; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                goto bad;
        i += n;
    }
    return 0;
bad:
    if (bad_offset)
        *bad_offset = i;
    return CFD_EUTF8;
}

int cfd_utf8_cut(const char *str, size_t len, size_t bad)
{
    const unsigned char *s = (const unsigned char *)str;
    if (bad >= len)
        return 0;
    unsigned char lo, hi;
    size_t n = cfd__seq_len(s[bad], &lo, &hi);
    if (n < 2 || len - bad >= n)
        return 0; /* not a lead byte, or the sequence is whole and bad */
    if (len - bad >= 2 && (s[bad + 1] < lo || s[bad + 1] > hi))
        return 0;
    for (size_t k = bad + 2; k < len; k++)
        if ((s[k] & 0xC0) != 0x80)
            return 0;
    return 1;
}

size_t cfd_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | ((cp >> 18) & 0x07));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

#if defined(__SSE2__)
/*
 * 16 bytes at a time with SSE2 (every x86-64 CPU has it; no dispatch).
 * Byte j of a block is checked against what the three bytes before it ask
 * for (taken across the block boundary):
 *   - structure: j must be a continuation byte (80..BF) exactly when the
 *     byte before is a lead (C0..FF), or the one two before is E0..FF, or the
 *     one three before is F0..FF;
 *   - never-valid bytes: C0, C1, F5..FF;
 *   - second-byte ranges (RFC 3629 section 4): after E0 at least A0
 *     (overlong), after ED at most 9F (surrogates), after F0 at least 90
 *     (overlong), after F4 at most 8F (above U+10FFFF).
 * That is all of RFC 3629: leads C2..DF, E1..EC, EE..EF, F1..F3 take any
 * continuation bytes. A block with an error, and the last < 16 bytes, go to
 * cfd__validate_scalar from a sequence start at most 3 bytes before the
 * block: errors before the block would have been found in earlier blocks,
 * so the offset reported is the scalar validator's.
 *
 * Why: the daemon validates every request body before parsing it (4% of
 * its CPU time under load, perf, 2026-11-28). Best of 20 passes over whole
 * files, same machine and minute: news8 train.tsv (3.2 MB, Korean) 1.94 ->
 * 0.45 ns/byte, ynat train.tsv 2.25 -> 0.46; bbc-en (English, nearly all
 * ASCII) 0.10 -> 0.14, where both are negligible. tests/core/test_utf8.c
 * (test_against_reference) checks results and offsets against a direct
 * reading of RFC 3629 on 200,000 texts.
 */
static inline __m128i cfd__shift_in(__m128i cur, __m128i prev, int k)
{
    /* byte j of the result: cur[j - k] for j >= k, else prev[16 + j - k] */
    switch (k) {
    case 1: return _mm_or_si128(_mm_slli_si128(cur, 1), _mm_srli_si128(prev, 15));
    case 2: return _mm_or_si128(_mm_slli_si128(cur, 2), _mm_srli_si128(prev, 14));
    default: return _mm_or_si128(_mm_slli_si128(cur, 3), _mm_srli_si128(prev, 13));
    }
}

int cfd_utf8_validate(const char *str, size_t len, size_t *bad_offset)
{
    if (len == 0)
        return 0; /* str may be NULL */
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    __m128i prev = _mm_setzero_si128();
    for (; i + 16 <= len; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
        if (_mm_movemask_epi8(_mm_or_si128(x, prev)) == 0) {
            prev = x; /* ASCII here and no sequence open from before */
            continue;
        }
        __m128i p1 = cfd__shift_in(x, prev, 1), p2 = cfd__shift_in(x, prev, 2),
                p3 = cfd__shift_in(x, prev, 3);
        __m128i cont = _mm_andnot_si128(cfd_sse_ge(x, 0xC0), cfd_sse_ge(x, 0x80));
        __m128i need = _mm_or_si128(_mm_or_si128(cfd_sse_ge(p1, 0xC0), cfd_sse_ge(p2, 0xE0)),
                                    cfd_sse_ge(p3, 0xF0));
        __m128i err = _mm_xor_si128(cont, need);
        err = _mm_or_si128(err, _mm_or_si128(cfd_sse_ge(x, 0xF5),
                                             cfd_sse_eq(_mm_and_si128(x, cfd_sse_byte(0xFE)),
                                                     0xC0)));
        __m128i geA0 = cfd_sse_ge(x, 0xA0), ge90 = cfd_sse_ge(x, 0x90);
        err = _mm_or_si128(err, _mm_andnot_si128(geA0, cfd_sse_eq(p1, 0xE0)));
        err = _mm_or_si128(err, _mm_and_si128(geA0, cfd_sse_eq(p1, 0xED)));
        err = _mm_or_si128(err, _mm_andnot_si128(ge90, cfd_sse_eq(p1, 0xF0)));
        err = _mm_or_si128(err, _mm_and_si128(ge90, cfd_sse_eq(p1, 0xF4)));
        if (_mm_movemask_epi8(err) != 0)
            break;
        prev = x;
    }
    /* A block with an error, or the tail: the scalar validator from the
     * start of the sequence that may reach into it. */
    size_t q = i >= 3 ? i - 3 : 0;
    while (q < i && (s[q] & 0xC0) == 0x80)
        q++;
    size_t off;
    if (cfd__validate_scalar(str + q, len - q, &off) != 0) {
        if (bad_offset)
            *bad_offset = q + off;
        return CFD_EUTF8;
    }
    return 0;
}
#else
int cfd_utf8_validate(const char *str, size_t len, size_t *bad_offset)
{
    return cfd__validate_scalar(str, len, bad_offset);
}
#endif
