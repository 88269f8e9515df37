/*
 * NFC with a cheap pre-check, and case folding; see normalize.h for why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include <classifyd/error.h>

#include "normalize.h"
#include "utf8.h"

/* 1 if the NFC of a text containing cp might differ from the text. */
static int cfd__nfc_unstable(uint32_t cp)
{
    if (cp >= 0x1100 && cp <= 0x11FF)
        return 1; /* conjoining jamo: compose algorithmically (not in tables) */
    const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
    if (p->combining_class != 0)
        return 1;
    /* utf8proc marks code points that can be the second of a composition
     * pair with comb_index >= 0x8000 (UINT16_MAX = none). */
    if (p->comb_index != UINT16_MAX && p->comb_index >= 0x8000)
        return 1;
    if (p->decomp_seqindex == UINT16_MAX || p->decomp_type != 0)
        return 0; /* no canonical decomposition: NFC keeps it */
    if (p->comp_exclusion)
        return 1;
    /* Has a canonical decomposition: stable iff it is a primary composite,
     * i.e. decomposing and composing again gives it back (singletons and
     * non-starter decompositions do not come back). */
    utf8proc_int32_t buf[8];
    utf8proc_ssize_t n = utf8proc_decompose_char((utf8proc_int32_t)cp, buf, 8,
                                                 UTF8PROC_DECOMPOSE, NULL);
    if (n <= 1 || n > 8)
        return 1;
    n = utf8proc_normalize_utf32(buf, n, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    return !(n == 1 && (uint32_t)buf[0] == cp);
}

int cfd_nfc_quick_check(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0xCC) { /* ASCII, U+0080..U+02FF, or a stray byte */
            i += c < 0x80 ? 1 : 2;
            continue;
        }
        uint32_t cp;
        size_t n = cfd_utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            return 1; /* not valid UTF-8: let cfd_nfc report it */
        i += n;
        if ((cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
            (cp >= 0x2002 && cp <= 0x20CF) || (cp >= 0x3000 && cp <= 0x3029))
            continue; /* Hangul syllables, CJK ideographs, common punctuation */
        if (cfd__nfc_unstable(cp))
            return 1;
    }
    return 0;
}

static int cfd__nfc_reserve(cfd_nfc_scratch *scr, size_t want)
{
    if (want <= scr->cap)
        return 0;
    if (want > SIZE_MAX / sizeof(int32_t))
        return CFD_ENOMEM;
    int32_t *p = realloc(scr->cps, want * sizeof(int32_t));
    if (p == NULL)
        return CFD_ENOMEM;
    scr->cps = p;
    scr->cap = want;
    return 0;
}

int cfd_nfc(cfd_nfc_scratch *scr, const char *s, size_t len, const char **out,
            size_t *out_len)
{
    const utf8proc_option_t opt = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    if (len >= (size_t)PTRDIFF_MAX / 8)
        return CFD_ENOMEM;
    /* One code point per byte at most, plus room for reencode's terminator.
     * Decomposition can need more (a Hangul syllable, 3 bytes, becomes up to
     * 3 jamo, but "e + U+0301" style input can grow further): then utf8proc
     * returns the size it needs and we retry once. */
    if (cfd__nfc_reserve(scr, len + 16) != 0)
        return CFD_ENOMEM;
    utf8proc_ssize_t n = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len,
                                            scr->cps, (utf8proc_ssize_t)scr->cap - 1, opt);
    if (n > (utf8proc_ssize_t)scr->cap - 1) {
        if (cfd__nfc_reserve(scr, (size_t)n + 16) != 0)
            return CFD_ENOMEM;
        n = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, scr->cps,
                               (utf8proc_ssize_t)scr->cap - 1, opt);
        if (n > (utf8proc_ssize_t)scr->cap - 1)
            return CFD_ENOMEM;
    }
    if (n < 0)
        return CFD_EUTF8;
    utf8proc_ssize_t bytes = utf8proc_reencode(scr->cps, n, opt);
    if (bytes < 0)
        return CFD_EUTF8;
    *out = (const char *)scr->cps;
    *out_len = (size_t)bytes;
    return 0;
}

void cfd_nfc_scratch_free(cfd_nfc_scratch *scr)
{
    free(scr->cps);
    scr->cps = NULL;
    scr->cap = 0;
}

uint32_t cfd_fold_cp(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    if (cp >= 0xFF01 && cp <= 0xFF5E) { /* fullwidth ASCII */
        cp -= 0xFEE0;
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    }
    if ((cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x3400 && cp <= 0x9FFF))
        return cp; /* uncased scripts, the common case: no lookup */
    return (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
}

size_t cfd_fold(const char *str, size_t len, char *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, o = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = cfd_utf8_decode(s + i, len - i, &cp);
        if (n == 0) { /* not valid UTF-8: copy the byte (precondition broken) */
            out[o++] = (char)c;
            i++;
            continue;
        }
        o += cfd_utf8_encode(cfd_fold_cp(cp), out + o);
        i += n;
    }
    return o;
}
