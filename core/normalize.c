/*
 * NFC with a cheap pre-check, and case folding; see normalize.h for why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include "sse2_bytes.h"
#endif

#include <utf8proc.h>

#include <classifyd/error.h>

#include "clean.h"
#include "normalize.h"
#include "utf8.h"

/* 1 if the NFC of a text containing cp might differ from the text. */
static int cfd__nfc_unstable(uint32_t cp)
{
    if (cp >= 0x1100 && cp <= 0x11FF)
        return 1; /* conjoining jamo: compose algorithmically (not in tables) */
    const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
    if (p->combining_class != 0)
        return 1;
    /* utf8proc marks code points that can be the second of a composition
     * pair with comb_index >= 0x8000 (UINT16_MAX = none). */
    if (p->comb_index != UINT16_MAX && p->comb_index >= 0x8000)
        return 1;
    if (p->decomp_seqindex == UINT16_MAX || p->decomp_type != 0)
        return 0; /* no canonical decomposition: NFC keeps it */
    if (p->comp_exclusion)
        return 1;
    /* Has a canonical decomposition: stable iff it is a primary composite,
     * i.e. decomposing and composing again gives it back (singletons and
     * non-starter decompositions do not come back). */
    utf8proc_int32_t buf[8];
    utf8proc_ssize_t n = utf8proc_decompose_char((utf8proc_int32_t)cp, buf, 8,
                                                 UTF8PROC_DECOMPOSE, NULL);
    if (n <= 1 || n > 8)
        return 1;
    n = utf8proc_normalize_utf32(buf, n, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    return !(n == 1 && (uint32_t)buf[0] == cp);
}

/* Code points decided without a property lookup: NFC never changes them
 * and they never combine with a neighbour. */
static inline int cfd__nfc_inert(uint32_t cp)
{
    return cp < 0x300 || (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
           (cp >= 0x2002 && cp <= 0x20CF) || (cp >= 0x3000 && cp <= 0x3029);
}

int cfd_nfc_quick_check(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0xCC) { /* ASCII, U+0080..U+02FF, or a stray byte */
            i += c < 0x80 ? 1 : 2;
            continue;
        }
        uint32_t cp;
        size_t n = cfd_utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            return 1; /* not valid UTF-8: let cfd_nfc report it */
        i += n;
        if (!cfd__nfc_inert(cp) && cfd__nfc_unstable(cp))
            return 1;
    }
    return 0;
}

/*
 * NFC suspicion decided per byte, as a superset of what cfd_nfc_quick_check
 * flags (which then decides exactly). Lead bytes: U+0300..07FF (CC..DF),
 * U+0800..1FFF (E0 E1: Indic, conjoining jamo, Greek extended), U+10000..
 * (F0..F4). For the leads E2 E3 EA EF the second byte decides
 * (cfd__nfc_after_lead & cfd__nfc_second): U+20C0..2FFF, U+3080..30FF
 * (kana voicing marks), U+A000..ABFF, U+F900..FB4F (compatibility
 * ideographs, Hebrew presentation forms), U+FE20..FE2F; and two 3-byte
 * ranges are tested directly: U+2000..2001, U+302A..302F. The Hangul
 * syllable (EA B0..ED) and CJK (E4..E9) blocks never are.
 */
static inline uint32_t cfd__le32(uint32_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap32(w);
#else
    return w;
#endif
}

static const unsigned char cfd__nfc_lead[256] = {
    [0xCC] = 1, [0xCD] = 1, [0xCE] = 1, [0xCF] = 1, [0xD0] = 1, [0xD1] = 1, [0xD2] = 1,
    [0xD3] = 1, [0xD4] = 1, [0xD5] = 1, [0xD6] = 1, [0xD7] = 1, [0xD8] = 1, [0xD9] = 1,
    [0xDA] = 1, [0xDB] = 1, [0xDC] = 1, [0xDD] = 1, [0xDE] = 1, [0xDF] = 1, [0xE0] = 1,
    [0xE1] = 1, [0xF0] = 1, [0xF1] = 1, [0xF2] = 1, [0xF3] = 1, [0xF4] = 1,
};
static const unsigned char cfd__nfc_after_lead[256] = {
    [0xE2] = 1, [0xE3] = 2, [0xEA] = 4, [0xEF] = 8,
};
static const unsigned char cfd__nfc_second[256] = {
    [0x80] = 4, [0x81] = 4, [0x82] = 6, [0x83] = 7, [0x84] = 5, [0x85] = 4, [0x86] = 4,
    [0x87] = 4, [0x88] = 4, [0x89] = 4, [0x8A] = 4, [0x8B] = 4, [0x8C] = 5, [0x8D] = 4,
    [0x8E] = 4, [0x8F] = 4, [0x90] = 4, [0x91] = 4, [0x92] = 4, [0x93] = 4, [0x94] = 4,
    [0x95] = 4, [0x96] = 4, [0x97] = 4, [0x98] = 4, [0x99] = 4, [0x9A] = 4, [0x9B] = 4,
    [0x9C] = 4, [0x9D] = 4, [0x9E] = 4, [0x9F] = 4, [0xA0] = 4, [0xA1] = 4, [0xA2] = 4,
    [0xA3] = 4, [0xA4] = 12, [0xA5] = 12, [0xA6] = 12, [0xA7] = 12, [0xA8] = 12, [0xA9] = 12,
    [0xAA] = 12, [0xAB] = 13, [0xAC] = 12, [0xAD] = 12, [0xAE] = 4, [0xAF] = 4, [0xB3] = 1,
    [0xB5] = 1, [0xB7] = 1, [0xB8] = 8,
};

static const unsigned char cfd__u8_len[256] = { /* sequence length by lead byte, 0 = invalid lead */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
static const unsigned char cfd__u8_lo[256] = { /* lowest allowed second byte */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0xA0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x90, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const unsigned char cfd__u8_hi[256] = { /* highest allowed second byte */
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF,
    0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF,
    0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF, 0x9F, 0xBF, 0xBF,
    0xBF, 0xBF, 0xBF, 0xBF, 0x8F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* Continuation-byte checks for bytes 2..4 of a sequence read as a
 * little-endian 32-bit word, by length. */
static const uint32_t cfd__u8_cmask[5] = {0, 0, 0, 0xC00000u, 0xC0C00000u};
static const uint32_t cfd__u8_cval[5] = {0, 0, 0, 0x800000u, 0x80800000u};

/*
 * One step per code point with table lookups instead of branches on the
 * lead byte: Korean text switches between ASCII spaces and 3-byte syllables
 * every few bytes, which a branchy decoder mispredicts at every switch.
 * Always inlined with a constant `check`: cfd_utf8_validate_nfc validates
 * as it goes, cfd_utf8_scan_nfc (text the caller has validated) skips the
 * validity tests and the exact validator on the tail.
 */
/* Records offset i as a place a cleaning pattern may start; past starts_cap
 * it only counts (the caller then walks the text itself). */
static inline void cfd__note_start(uint32_t *starts, size_t starts_cap, size_t *ns, size_t i)
{
    if (*ns < starts_cap)
        starts[*ns] = (uint32_t)i;
    ++*ns;
}

#if defined(__SSE2__)
/*
 * The same per-code-point decisions, 16 bytes at a time with SSE2, for
 * text known to be valid UTF-8; each byte is looked at with the two after
 * it (three loads per block, so it stops 18 bytes before the end and
 * returns where it stopped, maybe inside a sequence: the caller skips the
 * continuation bytes and goes on byte by byte).
 *  - NFC suspicion, a superset of the scalar step's: lead bytes CC..E1 and
 *    F0..F4; E2 then 83 84 8C AB B3 B5 B7, or E2 80 80..81; E3 then 82..83,
 *    or E3 80 AA..AF; EA then 80..AF; EF then A4..AD or B8 (the table
 *    cfd__nfc_second above, spelled out per lead).
 *  - cleaning starts, exactly cfd_clean_may_start: the ASCII bytes
 *    [ ( < @ h H w W c C, © (C2 A9), the seven 3-byte literals of clean.h
 *    and the fullwidth ［ （ (EF BC BB, EF BC 88).
 *    These are ASCII or lead bytes, so every match is a code point start,
 *    and a bit mask of them is turned into offsets in ascending order.
 * Why: the byte-by-byte loop took ~3 ns per byte of a news8 article in the
 * daemon (perf: 5.7% of its time under load). callgrind, bench_featurize
 * on 40 articles: validate + scan 332 M -> 201 M instructions (this loop
 * plus cfd_utf8_validate's blocks, against the fused byte-by-byte pass);
 * bench_featurize medians over 8 alternating runs: 36.0 -> 33.5 us.
 */
static size_t cfd__scan_sse2(const unsigned char *s, size_t len, unsigned *sus, uint32_t *starts,
                             size_t starts_cap, size_t *ns)
{
    __m128i acc = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 18 <= len; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i x1 = _mm_loadu_si128((const __m128i *)(s + i + 1));
        __m128i x2 = _mm_loadu_si128((const __m128i *)(s + i + 2));
        __m128i e2 = _mm_or_si128(
            _mm_or_si128(_mm_or_si128(cfd_sse_eq(x1, 0x83), cfd_sse_eq(x1, 0x84)),
                         _mm_or_si128(cfd_sse_eq(x1, 0x8C), cfd_sse_eq(x1, 0xAB))),
            _mm_or_si128(_mm_or_si128(cfd_sse_eq(x1, 0xB3), cfd_sse_eq(x1, 0xB5)),
                         _mm_or_si128(cfd_sse_eq(x1, 0xB7),
                                      _mm_and_si128(cfd_sse_eq(x1, 0x80),
                                                    cfd_sse_in(x2, 0x80, 0x81)))));
        __m128i e3 = _mm_or_si128(cfd_sse_in(x1, 0x82, 0x83),
                                  _mm_and_si128(cfd_sse_eq(x1, 0x80), cfd_sse_in(x2, 0xAA, 0xAF)));
        __m128i ef = _mm_or_si128(cfd_sse_in(x1, 0xA4, 0xAD), cfd_sse_eq(x1, 0xB8));
        __m128i m = _mm_or_si128(cfd_sse_in(x, 0xCC, 0xE1), cfd_sse_in(x, 0xF0, 0xF4));
        m = _mm_or_si128(m, _mm_and_si128(cfd_sse_eq(x, 0xE2), e2));
        m = _mm_or_si128(m, _mm_and_si128(cfd_sse_eq(x, 0xE3), e3));
        m = _mm_or_si128(m, _mm_and_si128(cfd_sse_eq(x, 0xEA), cfd_sse_in(x1, 0x80, 0xAF)));
        m = _mm_or_si128(m, _mm_and_si128(cfd_sse_eq(x, 0xEF), ef));
        acc = _mm_or_si128(acc, m);
        if (starts == NULL)
            continue;
        __m128i lc = _mm_or_si128(x, cfd_sse_byte(0x20));
        __m128i st = _mm_or_si128(
            _mm_or_si128(_mm_or_si128(cfd_sse_eq(x, '['), cfd_sse_eq(x, '(')),
                         _mm_or_si128(cfd_sse_eq(x, '@'), cfd_sse_eq(lc, 'h'))),
            _mm_or_si128(_mm_or_si128(cfd_sse_eq(lc, 'w'), cfd_sse_eq(lc, 'c')),
                         cfd_sse_eq(x, '<')));
        st = _mm_or_si128(st, _mm_and_si128(cfd_sse_eq(x, 0xC2), cfd_sse_eq(x1, 0xA9)));
#define CFD__LIT3(A, B, C)                                                                   \
    _mm_and_si128(_mm_and_si128(cfd_sse_eq(x, A), cfd_sse_eq(x1, B)), cfd_sse_eq(x2, C))
        st = _mm_or_si128(st, _mm_or_si128(CFD__LIT3(0xE3, 0x80, 0x90),   /* 【 */
                                           CFD__LIT3(0xE2, 0x93, 0x92))); /* ⓒ */
        st = _mm_or_si128(st, _mm_or_si128(CFD__LIT3(0xEA, 0xB8, 0xB0),   /* 기 */
                                           CFD__LIT3(0xEC, 0xA0, 0x80))); /* 저 */
        st = _mm_or_si128(st, _mm_or_si128(CFD__LIT3(0xEB, 0xAC, 0xB4),   /* 무 */
                                           CFD__LIT3(0xE2, 0x97, 0x80))); /* ◀ */
        st = _mm_or_si128(st, CFD__LIT3(0xED, 0x8A, 0xB9));               /* 특 */
        st = _mm_or_si128(st, _mm_and_si128(_mm_and_si128(cfd_sse_eq(x, 0xEF),
                                                          cfd_sse_eq(x1, 0xBC)),
                                            _mm_or_si128(cfd_sse_eq(x2, 0xBB),   /* ［ */
                                                         cfd_sse_eq(x2, 0x88)))); /* （ */
#undef CFD__LIT3
        unsigned bits = (unsigned)_mm_movemask_epi8(st);
        while (bits != 0) {
            cfd__note_start(starts, starts_cap, ns, i + (size_t)__builtin_ctz(bits));
            bits &= bits - 1;
        }
    }
    *sus |= _mm_movemask_epi8(acc) != 0;
    return i;
}
#endif

static inline __attribute__((always_inline)) int
cfd__scan_nfc(const char *str, size_t len, size_t *bad_offset, int *maybe_nfc, uint32_t *starts,
              size_t starts_cap, size_t *nstarts, const int check)
{
    if (len == 0) { /* str may be NULL */
        *maybe_nfc = 0;
        if (nstarts)
            *nstarts = 0;
        return 0;
    }
    const unsigned char *s = (const unsigned char *)str;
    unsigned sus = 0;
    size_t i = 0, ns = 0;
#if defined(__SSE2__)
    if (!check) {
        i = cfd__scan_sse2(s, len, &sus, starts, starts_cap, &ns);
        while (i < len && (s[i] & 0xC0) == 0x80)
            i++; /* the rest of a sequence the blocks already decided */
    }
#endif
    while (i + 4 <= len) {
        uint32_t w;
        memcpy(&w, s + i, 4);
        w = cfd__le32(w);
        unsigned c = w & 0xFF, b1 = (w >> 8) & 0xFF, n = cfd__u8_len[c];
        /* Fast path, nearly every code point of Korean text: ASCII, or a
         * Hangul syllable (lead EA..ED, two continuation bytes, U+AC00..
         * U+D7A3). Both are valid and NFC-inert, so only the cleaning
         * starts remain to note. The test is one predictable branch; which
         * of the two it was is not branched on (they alternate every few
         * code points). */
        uint32_t cp3 = ((c & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | ((w >> 16) & 0x3Fu);
        uint32_t syl = (uint32_t)(c - 0xEAu <= 3u) & (uint32_t)((w & 0xC0C000u) == 0x808000u) &
                       (uint32_t)(cp3 - 0xAC00u <= 0xD7A3u - 0xAC00u);
        uint32_t fast = (uint32_t)(c < 0x80) | syl;
        __asm__("" : "+r"(fast)); /* keep it one value: GCC would branch on c < 0x80 first */
        if (__builtin_expect(fast, 1)) {
            uint32_t w24 = w & 0xFFFFFFu;
            if (starts && cfd_clean_may_start(w24))
                cfd__note_start(starts, starts_cap, &ns, i);
            i += 1 + 2 * syl;
            continue;
        }
        if (check) {
            unsigned ok = (n != 0) & (b1 >= cfd__u8_lo[c]) & (b1 <= cfd__u8_hi[c]) &
                          ((w & cfd__u8_cmask[n]) == cfd__u8_cval[n]);
            if (!ok)
                goto slow; /* invalid: find the exact offset below */
        } else if (n == 0) {
            n = 1; /* precondition broken: step over the byte, stay in bounds */
        }
        uint32_t w24 = w & 0xFFFFFFu;
        sus |= cfd__nfc_lead[c] | (cfd__nfc_after_lead[c] & cfd__nfc_second[b1]) |
               ((w24 & 0xFEFFFFu) == 0x8080E2u) |                      /* U+2000, U+2001 */
               (((w24 & 0xFFFFu) == 0x80E3u) & ((w24 >> 16) - 0xAAu <= 5u)); /* U+302A.. */
        if (starts && cfd_clean_may_start(w24))
            cfd__note_start(starts, starts_cap, &ns, i);
        i += n;
    }
slow:
    /* The last bytes, or an invalid sequence: the exact validator. */
    {
        size_t off;
        if (check && cfd_utf8_validate(str + i, len - i, &off) != 0) {
            if (bad_offset)
                *bad_offset = i + off;
            return CFD_EUTF8;
        }
        sus |= cfd_nfc_quick_check(str + i, len - i);
    }
    for (; starts && i < len;) { /* the last < 4 bytes */
        uint32_t w24 = CFD_CLEAN_LE3(s[i], len - i > 1 ? s[i + 1] : 0, len - i > 2 ? s[i + 2] : 0);
        if (cfd_clean_may_start(w24))
            cfd__note_start(starts, starts_cap, &ns, i);
        i += cfd__u8_len[s[i]] ? cfd__u8_len[s[i]] : 1;
    }
    if (nstarts)
        *nstarts = ns <= starts_cap ? ns : SIZE_MAX;
    *maybe_nfc = sus ? cfd_nfc_quick_check(str, len) : 0;
    return 0;
}

int cfd_utf8_validate_nfc(const char *str, size_t len, size_t *bad_offset, int *maybe_nfc,
                          uint32_t *starts, size_t starts_cap, size_t *nstarts)
{
#if defined(__SSE2__)
    /* Two 16-byte passes (validate, then scan) beat one fused byte-by-byte
     * pass; same results and offsets. */
    if (cfd_utf8_validate(str, len, bad_offset) != 0)
        return CFD_EUTF8;
    return cfd__scan_nfc(str, len, NULL, maybe_nfc, starts, starts_cap, nstarts, 0);
#else
    return cfd__scan_nfc(str, len, bad_offset, maybe_nfc, starts, starts_cap, nstarts, 1);
#endif
}

void cfd_utf8_scan_nfc(const char *str, size_t len, int *maybe_nfc, uint32_t *starts,
                       size_t starts_cap, size_t *nstarts)
{
    (void)cfd__scan_nfc(str, len, NULL, maybe_nfc, starts, starts_cap, nstarts, 0);
}

static int cfd__nfc_reserve(cfd_nfc_scratch *scr, size_t want)
{
    if (want <= scr->cap)
        return 0;
    if (want > SIZE_MAX / sizeof(int32_t))
        return CFD_ENOMEM;
    int32_t *p = realloc(scr->cps, want * sizeof(int32_t));
    if (p == NULL)
        return CFD_ENOMEM;
    scr->cps = p;
    scr->cap = want;
    return 0;
}

/*
 * Canonical ordering (Unicode 3.11): a stable sort by combining class of
 * every maximal run of code points whose class is not 0. utf8proc_decompose
 * does it with a gnome sort, quadratic in the length of a run: "a" and then
 * 20,000 pairs U+0301 U+0316 (80 KB) took 4 s in the daemon, a 1 MB body
 * ~10 minutes of a worker loop. Here short runs (all real text) are sorted
 * by insertion, long ones by counting sort, so the work is linear.
 */
#define CFD__SHORT_RUN 32

/* Combining class, without the lookup for what NFC input is mostly made of
 * (ASCII and Latin-1, conjoining jamo, Hangul syllables, CJK): all 0. */
static inline unsigned cfd__ccc(int32_t cp)
{
    if (cp < 0x300 || (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
        (cp >= 0x4E00 && cp <= 0x9FFF))
        return 0;
    return utf8proc_get_property(cp)->combining_class;
}

/* Orders scr->cps[0..n); a long run is sorted through the scratch's room
 * past n (grown when needed: no allocation per call once warm). */
static int cfd__canonical_order(cfd_nfc_scratch *scr, size_t n)
{
    int32_t *c = scr->cps;
    size_t i = 0;
    while (i < n) {
        if (cfd__ccc(c[i]) == 0) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < n && cfd__ccc(c[j]) != 0)
            j++;
        size_t run = j - i;
        if (run <= CFD__SHORT_RUN) {
            unsigned char cc[CFD__SHORT_RUN];
            for (size_t k = 0; k < run; k++)
                cc[k] = (unsigned char)utf8proc_get_property(c[i + k])->combining_class;
            for (size_t k = 1; k < run; k++) {
                int32_t v = c[i + k];
                unsigned char vc = cc[k];
                size_t m = k;
                for (; m > 0 && cc[m - 1] > vc; m--) {
                    c[i + m] = c[i + m - 1];
                    cc[m] = cc[m - 1];
                }
                c[i + m] = v;
                cc[m] = vc;
            }
        } else {
            size_t count[257] = {0};
            if (n > SIZE_MAX - run - 16 || cfd__nfc_reserve(scr, n + run + 16) != 0)
                return CFD_ENOMEM;
            c = scr->cps; /* may have moved */
            int32_t *tmp = c + n;
            for (size_t k = i; k < j; k++)
                count[utf8proc_get_property(c[k])->combining_class + 1]++;
            for (size_t b = 1; b < 257; b++)
                count[b] += count[b - 1];
            for (size_t k = i; k < j; k++)
                tmp[count[utf8proc_get_property(c[k])->combining_class]++] = c[k];
            memcpy(c + i, tmp, run * sizeof *tmp);
        }
        i = j;
    }
    return 0;
}

int cfd_nfc(cfd_nfc_scratch *scr, const char *s, size_t len, const char **out,
            size_t *out_len)
{
    const utf8proc_option_t opt = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    if (len >= (size_t)PTRDIFF_MAX / 8)
        return CFD_ENOMEM;
    /* One code point per byte at most, plus room for reencode's terminator;
     * decomposition can need more (a Hangul syllable, 3 bytes, becomes 3
     * jamo, U+1F82 (3 bytes) 4 code points): the scratch then grows. */
    if (cfd__nfc_reserve(scr, len + 16) != 0)
        return CFD_ENOMEM;
    /* Decompose code point by code point (what utf8proc_decompose does
     * before its quadratic reordering), then order and compose. */
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n = 0;
    while (i < len) {
        uint32_t cp;
        size_t k = cfd_utf8_decode(p + i, len - i, &cp);
        if (k == 0)
            return CFD_EUTF8;
        i += k;
        if (scr->cap - n < 9 && cfd__nfc_reserve(scr, scr->cap + scr->cap / 2 + 16) != 0)
            return CFD_ENOMEM;
        int boundclass = UTF8PROC_BOUNDCLASS_START;
        utf8proc_ssize_t m =
            utf8proc_decompose_char((utf8proc_int32_t)cp, scr->cps + n, 8, opt, &boundclass);
        if (m < 0 || m > 8)
            return CFD_EUTF8; /* no canonical decomposition is that long */
        n += (size_t)m;
    }
    if (cfd__canonical_order(scr, n) != 0)
        return CFD_ENOMEM;
    /* composes (linear), then writes UTF-8 over the buffer (4 n + 1 bytes
     * at most: cap >= n + 1 code points) */
    utf8proc_ssize_t bytes = utf8proc_reencode(scr->cps, (utf8proc_ssize_t)n, opt);
    if (bytes < 0)
        return CFD_EUTF8;
    *out = (const char *)scr->cps;
    *out_len = (size_t)bytes;
    return 0;
}

void cfd_nfc_scratch_free(cfd_nfc_scratch *scr)
{
    free(scr->cps);
    scr->cps = NULL;
    scr->cap = 0;
}

uint32_t cfd_fold_cp(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    if (cp >= 0xFF01 && cp <= 0xFF5E) { /* fullwidth ASCII */
        cp = cfd_fold_fullwidth(cp);
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    }
    if ((cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x3400 && cp <= 0x9FFF))
        return cp; /* uncased scripts, the common case: no lookup */
    if (cp == 0x03C2)
        return 0x03C3; /* final sigma: ΟΔΟΣ and οδος are one word */
    return (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
}

size_t cfd_fold(const char *str, size_t len, char *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, o = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = cfd_utf8_decode(s + i, len - i, &cp);
        if (n == 0) { /* not valid UTF-8: copy the byte (precondition broken) */
            out[o++] = (char)c;
            i++;
            continue;
        }
        o += cfd_utf8_encode(cfd_fold_cp(cp), out + o);
        i += n;
    }
    return o;
}
