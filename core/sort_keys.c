/* Sorting hashed feature keys; see sort_keys.h. */
#include <stdint.h>
#include <string.h>

#include "sort_keys.h"

/* Stable insertion sort of a[0..n) by (a[i] & mask). */
static inline void cfd__insertion_sort(uint32_t *restrict a, size_t n, uint32_t mask)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t x = a[i], kx = x & mask;
        size_t j = i;
        while (j > 0 && (a[j - 1] & mask) > kx) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
}

/*
 * Sorts a[0..n) by the low `bits` bits (the bucket; the title flag rides
 * along). Returns the array holding the result (a or tmp).
 *
 * Small inputs: insertion sort. Up to 8192 entries (an article): counting
 * sort on the top bits + insertion sort, below. Larger inputs: an LSD radix
 * sort whose digit width minimises passes * (n + 2^width).
 */
uint32_t *cfd_sort_keys(uint32_t hist[4][1u << CFD_SORT_RADIX_MAX_BITS], uint32_t *restrict a,
                        uint32_t *restrict tmp, size_t n, unsigned bits)
{
    const uint32_t mask = (UINT32_C(1) << bits) - 1;
    if (n < 32) {
        cfd__insertion_sort(a, n, mask);
        return a;
    }
    if (n <= ((size_t)1 << CFD_SORT_RADIX_MAX_BITS) * 2 && bits > 8) {
        /* One article: one counting-sort pass on the top log2(n) bits
         * (buckets then hold ~1 entry), then an insertion sort that only
         * moves entries within their bucket. Measured ~3% faster overall
         * than two LSD passes despite the insertion sort's mispredicted
         * branches. Worst case (keys crafted to share a bucket) is bounded
         * by n <= 8192: ~30 ms. */
        unsigned w = 0;
        while (w < CFD_SORT_RADIX_MAX_BITS && ((size_t)2 << w) <= n)
            w++;
        if (w > bits)
            w = bits;
        const unsigned shift = bits - w;
        const size_t nb = (size_t)1 << w;
        uint32_t *restrict h0 = hist[0];
        memset(h0, 0, nb * sizeof *h0);
        for (size_t i = 0; i < n; i++)
            h0[(a[i] & mask) >> shift]++;
        uint32_t sum = 0;
        for (size_t d = 0; d < nb; d++) {
            uint32_t c = h0[d];
            h0[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint32_t x = a[i];
            tmp[h0[(x & mask) >> shift]++] = x;
        }
        cfd__insertion_sort(tmp, n, mask);
        return tmp;
    }
    unsigned passes = 0;
    size_t best = SIZE_MAX;
    for (unsigned p = 1; p <= 4; p++) {
        unsigned w = (bits + p - 1) / p;
        if (w > CFD_SORT_RADIX_MAX_BITS)
            continue;
        size_t cost = p * (n + ((size_t)1 << w));
        if (cost < best) {
            best = cost;
            passes = p;
        }
    }
    const unsigned width = (bits + passes - 1) / passes;
    const size_t nb = (size_t)1 << width;
    const uint32_t dmask = (uint32_t)nb - 1;
    uint32_t(*restrict h)[1u << CFD_SORT_RADIX_MAX_BITS] = hist;
    for (unsigned p = 0; p < passes; p++)
        memset(h[p], 0, nb * sizeof h[p][0]);
    if (passes == 2) { /* the common case: both digit histograms in one read */
        for (size_t i = 0; i < n; i++) {
            uint32_t x = a[i];
            h[0][x & dmask]++;
            h[1][(x >> width) & dmask]++;
        }
    } else {
        for (unsigned p = 0; p < passes; p++)
            for (size_t i = 0; i < n; i++)
                h[p][(a[i] >> (p * width)) & dmask]++;
    }
    for (unsigned p = 0; p < passes; p++) {
        const unsigned shift = p * width;
        uint32_t *restrict hp = h[p], sum = 0;
        for (size_t d = 0; d < nb; d++) {
            uint32_t cnt = hp[d];
            hp[d] = sum;
            sum += cnt;
        }
#pragma GCC unroll 4
        for (size_t i = 0; i < n; i++) {
            uint32_t x = a[i];
            tmp[hp[(x >> shift) & dmask]++] = x;
        }
        uint32_t *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}
