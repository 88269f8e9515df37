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
 * Small inputs: insertion sort. Otherwise an LSD radix sort whose digit
 * width minimises passes * (n + 2^width): for an article (~2,000-3,500
 * entries, 2^19 buckets) two passes of 10 and 9 bits. Until 2026-11-28 an
 * article took one counting pass on the top bits and an insertion sort
 * inside each bin; callgrind with branch simulation on news8 (1,257
 * articles, two passes) counted 218 M instructions and 1.59 M mispredicted
 * branches for it against 197 M and 0.03 M for the two LSD passes, whose
 * loops have no data-dependent branch at all.
 */
uint32_t *cfd_sort_keys(uint32_t hist[4][1u << CFD_SORT_RADIX_MAX_BITS], uint32_t *restrict a,
                        uint32_t *restrict tmp, size_t n, unsigned bits)
{
    const uint32_t mask = (UINT32_C(1) << bits) - 1;
    if (n < 32) {
        cfd__insertion_sort(a, n, mask);
        return a;
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
