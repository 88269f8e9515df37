/*
 * UTF-8 validation, decoding and encoding (RFC 3629); see utf8.h.
 *
 * Every byte of every request and training example passes through
 * cfd_utf8_validate, so it skips ASCII eight bytes at a time and decodes
 * multi-byte sequences with the table of RFC 3629 section 4 (second-byte
 * ranges that exclude overlongs, surrogates and code points past U+10FFFF)
 * instead of decoding and checking afterwards.
 */
#include <string.h>

#include <classifyd/error.h>

#include "utf8.h"

/*
 * Length of a sequence for a lead byte, and the allowed range of the second
 * byte (RFC 3629 section 4). Lead bytes C0, C1 and F5..FF never appear; 80..BF
 * are continuation bytes and cannot start a sequence.
 */
static inline size_t cfd__seq_len(unsigned char c, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;              /* continuation byte or overlong C0/C1 */
    if (c < 0xE0)
        return 2;
    if (c < 0xF0) {
        if (c == 0xE0)
            *lo = 0xA0;        /* overlong below U+0800 */
        else if (c == 0xED)
            *hi = 0x9F;        /* surrogates U+D800..DFFF */
        return 3;
    }
    if (c < 0xF5) {
        if (c == 0xF0)
            *lo = 0x90;        /* overlong below U+10000 */
        else if (c == 0xF4)
            *hi = 0x8F;        /* above U+10FFFF */
        return 4;
    }
    return 0;                  /* F5..FF: above U+10FFFF */
}

size_t cfd_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    if (len == 0)
        return 0;
    unsigned char c = s[0], lo, hi;
    size_t n = cfd__seq_len(c, &lo, &hi);
    if (n == 0 || n > len)
        return 0;
    if (n == 1) {
        *cp = c;
        return 1;
    }
    if (s[1] < lo || s[1] > hi)
        return 0;
    uint32_t v = (uint32_t)c & (0x7Fu >> n);
    v = (v << 6) | (s[1] & 0x3Fu);
    for (size_t i = 2; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    *cp = v;
    return n;
}

int cfd_utf8_validate(const char *str, size_t len, size_t *bad_offset)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        /* ASCII run: eight bytes at a time. */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        if (i >= len)
            break;
        /* Korean text: 3-byte syllables and single ASCII bytes (spaces,
         * punctuation) alternate every few bytes, which the 8-byte ASCII
         * test above never catches. Lead bytes E1..EC and EE..EF take any
         * two continuation bytes; check those and ASCII bytes one at a
         * time before the general path (news8 train.tsv, 3.2 MB: 3.15 -> 1.62
         * ns/byte, measured 2026-11-28). */
        for (;;) {
            unsigned char c = s[i];
            if (c < 0x80) {
                if (++i == len)
                    return 0;
            } else if (i + 3 <= len && (unsigned char)(c - 0xE1) <= 0x0E && c != 0xED &&
                       ((s[i + 1] & 0xC0) | ((s[i + 2] & 0xC0) >> 2)) == 0xA0) {
                if ((i += 3) == len)
                    return 0;
            } else {
                break;
            }
            if (s[i] < 0x80 && i + 8 <= len && s[i + 1] < 0x80)
                break; /* an ASCII run: back to eight bytes at a time */
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        unsigned char lo, hi;
        size_t n = cfd__seq_len(c, &lo, &hi);
        if (n == 0 || n > len - i || s[i + 1] < lo || s[i + 1] > hi)
            goto bad;
        for (size_t k = 2; k < n; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                goto bad;
        i += n;
    }
    return 0;
bad:
    if (bad_offset)
        *bad_offset = i;
    return CFD_EUTF8;
}

size_t cfd_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | ((cp >> 18) & 0x07));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}
