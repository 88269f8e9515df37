/* Sorting hashed feature keys; see sort_keys.h. */
#include <stdint.h>
#include <string.h>

#include "sort_keys.h"

/*
 * Stable insertion sort of a[0..n) by (a[i] & mask) that stops once it has
 * moved more than `budget` keys (SIZE_MAX: never): returns 0 when a is
 * sorted, 1 when it gave up (a is then still a permutation of its input,
 * equal keys in their input order, so any stable sort can finish it).
 */
static inline int cfd__insertion_sort(uint32_t *restrict a, size_t n, uint32_t mask,
                                             size_t budget)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t x = a[i], kx = x & mask;
        size_t j = i;
        while (j > 0 && (a[j - 1] & mask) > kx) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
        if (i - j > budget)
            return 1;
        budget -= i - j;
    }
    return 0;
}

/* LSD radix sort: the digit width minimises passes * (n + 2^width) (for
 * 2^19 buckets and a few thousand keys, two passes of 10 and 9 bits). */
static uint32_t *cfd__lsd(uint32_t hist[4][1u << CFD_SORT_RADIX_MAX_BITS], uint32_t *restrict a,
                          uint32_t *restrict tmp, size_t n, unsigned bits)
{
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
    if (passes == 2) { /* both digit histograms in one read */
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

/*
 * Sorts a[0..n) by the low `bits` bits (the bucket; the title flag rides
 * along). Returns the array holding the result (a or tmp).
 *
 * An article (32 <= n <= 8,192 keys): one counting pass on the top ~log2(n)
 * bits of the bucket, so a bin holds about one key, then an insertion sort
 * that only moves keys within their bin. Bigger inputs: LSD passes.
 *
 * Chosen by wall time, not by callgrind. Sorting 2,200 and 1,200 keys of 19
 * bits (the sizes of a news8 article and of a short one), rdtsc, 3,000
 * rounds alternating: 34-36 k vs 44-45 k ticks and 27 k vs 36 k ticks for
 * counting + insertion against two LSD passes (at 4,000 keys: even). From
 * commit 3a221ad until 2026-11-28 (second session) this used the two LSD
 * passes, because callgrind's branch model counted 1.59 M mispredicts for
 * the insertion sort against 0.03 M; this CPU predicts those branches far
 * better than that model.
 *
 * Hostile input: keys crafted to share a bin would make the insertion sort
 * quadratic. It gives up after 8n moves (a real article makes well under
 * n) and two LSD passes finish the job from where it stopped, so the worst
 * case costs about three normal sorts.
 */
uint32_t *cfd_sort_keys(uint32_t hist[4][1u << CFD_SORT_RADIX_MAX_BITS], uint32_t *restrict a,
                        uint32_t *restrict tmp, size_t n, unsigned bits)
{
    const uint32_t mask = (UINT32_C(1) << bits) - 1;
    if (n < 32) {
        cfd__insertion_sort(a, n, mask, SIZE_MAX);
        return a;
    }
    if (n <= ((size_t)1 << CFD_SORT_RADIX_MAX_BITS) * 2 && bits > 8) {
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
        if (cfd__insertion_sort(tmp, n, mask, 8 * n) == 0)
            return tmp;
        return cfd__lsd(hist, tmp, a, n, bits);
    }
    return cfd__lsd(hist, a, tmp, n, bits);
}
