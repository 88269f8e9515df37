/*
 * Sorting hashed feature keys: the featurizer sorts every article's hashed
 * entries (bucket in the low bits, a flag above) so that equal buckets become
 * adjacent and can be counted in one merge pass. Kept apart from
 * featurize.c because it is one self-contained idea with its own cost model.
 *
 * Memory: the caller owns every buffer, including the digit histograms
 * (4 x 2^CFD_SORT_RADIX_MAX_BITS counters, ~64 KB: keep them in a reusable
 * scratch, never on a small stack). No allocation.
 * Threads: re-entrant; buffers belong to the calling thread.
 */
#ifndef CFD_SORT_KEYS_H
#define CFD_SORT_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define CFD_SORT_RADIX_MAX_BITS 12

/*
 * Sorts a[0..n) by their low `bits` bits (1 <= bits <= 31), stably; the
 * featurizer passes hash_bits (<= 24). tmp has room for n keys. Returns the array holding the result
 * (a or tmp); the other one is left scrambled.
 */
uint32_t *cfd_sort_keys(uint32_t hist[4][1u << CFD_SORT_RADIX_MAX_BITS], uint32_t *restrict a,
                        uint32_t *restrict tmp, size_t n, unsigned bits);

#endif
