/*
 * The definition of the cleaning starts the featurizer's first look at a
 * text lists (normalize.h, cfd_utf8_validate_nfc / cfd_utf8_scan_nfc): the
 * offsets of the code points of a valid UTF-8 text where
 * cfd_clean_may_start holds, reading bytes past the end as 0. Written one
 * code point at a time on purpose, as the oracle for the 16-byte scan, for
 * tests/core/test_normalize.c and fuzz/fuzz_featurize.c.
 *
 * Ownership: out is the caller's. Threads: pure.
 */
#ifndef CFD_TEST_CLEAN_STARTS_ORACLE_H
#define CFD_TEST_CLEAN_STARTS_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include "clean.h"

/* Writes the first cap offsets to out; returns how many there are. */
static inline size_t cfd_test_clean_starts(const char *s, size_t len, uint32_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t w24 = CFD_CLEAN_LE3(c, i + 1 < len ? (unsigned char)s[i + 1] : 0,
                                     i + 2 < len ? (unsigned char)s[i + 2] : 0);
        if (cfd_clean_may_start(w24)) {
            if (n < cap)
                out[n] = (uint32_t)i;
            n++;
        }
        i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    }
    return n;
}

#endif
