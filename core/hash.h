/*
 * Feature hashing, inline (the featurizer hashes ~2,000 strings per article;
 * an out-of-line hash call costs more than the hash itself at these sizes).
 *
 * xxHash's XXH3 (libxxhash-dev, compiled in with XXH_INLINE_ALL) with a
 * 64-bit seed derived from the config seed and the *kind* of feature, so the
 * same bytes hashed as a word unigram, a word bigram or a character n-gram
 * of length n land in independent buckets: "서울" the word and "서울" the
 * 2-gram inside "서울시" are different features.
 *
 * Bucket = low hash_bits bits of the 64-bit hash.
 *
 * These helpers ARE the feature definition stored in every model: changing
 * a kind number, the seed derivation or the bigram combination changes every
 * model's features. Tests use them to compute expected features
 * independently of the tokenising and counting code.
 *
 * Threads: pure functions.
 */
#ifndef CFD_HASH_H
#define CFD_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* Feature kinds. Char n-grams of length n use CFD_HK_CHAR + n (n = 1..6). */
enum cfd_hash_kind {
    CFD_HK_UNIGRAM = 1,
    CFD_HK_BIGRAM = 2,
    CFD_HK_PREFIX = 3, /* word_prefix: a word's first two syllables */
    CFD_HK_CHAR = 8,
    CFD_HK_COUNT = 16 /* kinds are < CFD_HK_COUNT */
};

/* Seed for one kind of feature under a config seed. */
static inline uint64_t cfd_hash_kind_seed(uint32_t seed, unsigned kind)
{
    /* splitmix64 finaliser over (seed, kind): distinct kinds give unrelated
     * seeds, and seed 0 does not collapse onto XXH3's unseeded path. */
    uint64_t z = ((uint64_t)seed << 32 | kind) + UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* At -O2 gcc keeps XXH3_64bits_withSeed out of line, which costs more than
 * hashing a 3-byte syllable: hot callers mark themselves CFD_HASH_HOT
 * (flatten) so XXH3's short-input paths are inlined into them; XXH3's
 * long-input path stays out of line. */
#if defined(__GNUC__)
#define CFD_HASH_INLINE static inline __attribute__((always_inline))
#define CFD_HASH_HOT __attribute__((flatten))
#else
#define CFD_HASH_INLINE static inline
#define CFD_HASH_HOT
#endif

/* 64-bit hash of bytes under a kind seed (from cfd_hash_kind_seed). */
CFD_HASH_INLINE uint64_t cfd_hash_bytes(const void *p, size_t len, uint64_t kind_seed)
{
    return XXH3_64bits_withSeed(p, len, kind_seed);
}

/*
 * Hash of the word bigram (a, b) from the two words' unigram hashes (so the
 * bytes of a word are hashed once, not three times). Order matters.
 */
CFD_HASH_INLINE uint64_t cfd_hash_bigram(uint64_t ha, uint64_t hb, uint64_t bigram_seed)
{
    /* The 16 bytes are the two hashes little-endian on every host, so
     * models are portable. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    ha = __builtin_bswap64(ha);
    hb = __builtin_bswap64(hb);
#endif
    unsigned char pair[16];
    memcpy(pair, &ha, 8);
    memcpy(pair + 8, &hb, 8);
    return XXH3_64bits_withSeed(pair, sizeof pair, bigram_seed);
}

static inline uint32_t cfd_hash_bucket(uint64_t h, unsigned hash_bits)
{
    return (uint32_t)(h & ((UINT64_C(1) << hash_bits) - 1));
}

#endif
