/*
 * Byte-wise SSE2 comparisons shared by the 16-bytes-at-a-time scans
 * (cfd_utf8_validate in utf8.c, cfd__scan_sse2 in normalize.c). SSE2 has
 * only signed byte compares; these give the unsigned tests the UTF-8 rules
 * are written in. Each returns 0xFF in the bytes where the test holds.
 *
 * Only included where __SSE2__ is defined (every x86-64). Threads: pure.
 */
#ifndef CFD_SSE2_BYTES_H
#define CFD_SSE2_BYTES_H

#include <emmintrin.h>

static inline __m128i cfd_sse_byte(unsigned char c) { return _mm_set1_epi8((char)c); }

/* x == c */
static inline __m128i cfd_sse_eq(__m128i x, unsigned char c)
{
    return _mm_cmpeq_epi8(x, cfd_sse_byte(c));
}

/* x >= c (unsigned) */
static inline __m128i cfd_sse_ge(__m128i x, unsigned char c)
{
    return _mm_cmpeq_epi8(_mm_max_epu8(x, cfd_sse_byte(c)), x);
}

/* lo <= x <= hi (unsigned) */
static inline __m128i cfd_sse_in(__m128i x, unsigned char lo, unsigned char hi)
{
    return _mm_cmpeq_epi8(_mm_min_epu8(_mm_max_epu8(x, cfd_sse_byte(lo)), cfd_sse_byte(hi)), x);
}

#endif
