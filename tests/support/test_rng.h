/*
 * A small deterministic PRNG for tests (xorshift64, upper bits): random
 * inputs that are the same on every run and machine, so a failure always
 * reproduces. Each test program keeps its own state and seed.
 */
#ifndef CFD_TEST_RNG_H
#define CFD_TEST_RNG_H

#include <stdint.h>

static inline uint32_t cfd_test_rnd(uint64_t *state)
{
    uint64_t s = *state;
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    *state = s;
    return (uint32_t)(s >> 16);
}

#endif
