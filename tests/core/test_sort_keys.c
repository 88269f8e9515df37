/*
 * Tests for core/sort_keys.c: every path (insertion sort below 32 keys,
 * counting pass + insertion sort for an article, the LSD passes for big
 * inputs, and the LSD fallback when keys crafted into one bin exhaust the
 * insertion sort's budget) gives the keys sorted by their low `bits` bits,
 * as a permutation of the input, with equal keys in input order (the bits
 * above `bits` ride along; here they carry each key's input position).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sort_keys.h"
#include "test_rng.h"

static uint32_t hist[4][1u << CFD_SORT_RADIX_MAX_BITS];

enum { DIST_UNIFORM, DIST_FEW_KEYS, DIST_ONE_BIN, DIST_SORTED_DESC, DIST_COUNT };

/* Keys of `bits` bits drawn by dist, the input position above them. */
static void make_keys(uint32_t *a, size_t n, unsigned bits, int dist, uint64_t *rng)
{
    const uint32_t mask = (UINT32_C(1) << bits) - 1;
    for (size_t i = 0; i < n; i++) {
        uint32_t k;
        switch (dist) {
        case DIST_UNIFORM:
            k = cfd_test_rnd(rng) & mask;
            break;
        case DIST_FEW_KEYS: /* heavy repeats, as frequent syllables give */
            k = (cfd_test_rnd(rng) % 7) * (mask / 7);
            break;
        case DIST_ONE_BIN: /* same top bits, random low bits: worst case */
            k = (mask & ~UINT32_C(0xFF)) | (cfd_test_rnd(rng) & 0xFF);
            break;
        default:
            k = (uint32_t)(n - i) & mask;
        }
        a[i] = k | (uint32_t)i << bits;
    }
}

static void check_sorted_stable(const uint32_t *in, const uint32_t *out, size_t n, unsigned bits)
{
    const uint32_t mask = (UINT32_C(1) << bits) - 1;
    unsigned char *seen = calloc(n ? n : 1, 1);
    assert_non_null(seen);
    for (size_t i = 0; i < n; i++) {
        size_t pos = out[i] >> bits;
        assert_true(pos < n);
        assert_int_equal(seen[pos], 0); /* a permutation */
        seen[pos] = 1;
        assert_int_equal(out[i], in[pos]);
        if (i > 0) {
            uint32_t a = out[i - 1] & mask, b = out[i] & mask;
            assert_true(a <= b);
            if (a == b) /* stable */
                assert_true((out[i - 1] >> bits) < pos);
        }
    }
    free(seen);
}

static void run_case(size_t n, unsigned bits, int dist, uint64_t *rng)
{
    uint32_t *in = malloc((n + 1) * sizeof *in), *a = malloc((n + 1) * sizeof *a),
             *tmp = malloc((n + 1) * sizeof *tmp);
    assert_true(in && a && tmp);
    make_keys(in, n, bits, dist, rng);
    memcpy(a, in, n * sizeof *a);
    const uint32_t *out = cfd_sort_keys(hist, a, tmp, n, bits);
    assert_true(out == a || out == tmp);
    check_sorted_stable(in, out, n, bits);
    free(in);
    free(a);
    free(tmp);
}

static void test_every_path(void **state)
{
    (void)state;
    uint64_t rng = 0x5DEECE66Dull;
    /* n: empty, insertion only, counting + insertion (32..8192), LSD above;
     * bits small enough that the position fits above them. */
    static const size_t sizes[] = {0, 1, 2, 31, 32, 33, 100, 1200, 2200, 4000, 8192, 8193, 20000};
    static const unsigned bit_choices[] = {9, 12, 16};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t b = 0; b < sizeof bit_choices / sizeof bit_choices[0]; b++)
            for (int d = 0; d < DIST_COUNT; d++)
                run_case(sizes[s], bit_choices[b], d, &rng);
}

/* The featurizer's shape: 19-bit buckets, flag bit 31, n of an article. */
static void test_feature_keys(void **state)
{
    (void)state;
    uint64_t rng = 42;
    for (int round = 0; round < 50; round++) {
        size_t n = 32 + cfd_test_rnd(&rng) % 6000;
        uint32_t *a = malloc(n * sizeof *a), *tmp = malloc(n * sizeof *tmp),
                 *ref = malloc(n * sizeof *ref);
        assert_true(a && tmp && ref);
        for (size_t i = 0; i < n; i++)
            a[i] = (cfd_test_rnd(&rng) & 0x7FFFFu) | (cfd_test_rnd(&rng) & 1u) << 31;
        memcpy(ref, a, n * sizeof *a);
        const uint32_t *out = cfd_sort_keys(hist, a, tmp, n, 19);
        /* reference: stable insertion sort on the 19-bit key */
        for (size_t i = 1; i < n; i++) {
            uint32_t x = ref[i];
            size_t j = i;
            while (j > 0 && (ref[j - 1] & 0x7FFFFu) > (x & 0x7FFFFu)) {
                ref[j] = ref[j - 1];
                j--;
            }
            ref[j] = x;
        }
        assert_memory_equal(out, ref, n * sizeof *ref);
        free(a);
        free(tmp);
        free(ref);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_path),
        cmocka_unit_test(test_feature_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
