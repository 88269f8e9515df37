/*
 * What core/clean.c, core/clean_byline.c and core/clean_notice.c share: the span a matcher
 * returns and the byte-level tests both use. Private to the core.
 *
 * Threads: pure functions on the caller's text.
 */
#ifndef CFD_CLEAN_INTERNAL_H
#define CFD_CLEAN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"

typedef struct cfd__span {
    size_t start, end;
} cfd__span;

/* White space between words: a space, or the ASCII controls that JSON
 * bodies carry (a paragraph's "\n", a "\t") where a TSV line, which cannot
 * hold them, has a space. The daemon must clean an article as training
 * cleaned the same text from TSV. */
static inline int cfd__is_space(unsigned char c)
{
    return c == ' ' || (unsigned char)(c - '\t') <= '\r' - '\t';
}

static inline int cfd__has(const unsigned char *s, size_t len, size_t i, const char *lit,
                           size_t n)
{
    return len - i >= n && memcmp(s + i, lit, n) == 0;
}

/* Bytes of the white space at s[i] (i < len): 1 for cfd__is_space, 2 for
 * U+00A0 (a no-break space: what HTML-to-text converters make of
 * "&nbsp;", which markup removal itself turns into ' '), 3 for U+3000
 * (ideographic space), else 0. Used where a byline is matched, so
 * "김철수\u00A0기자" goes as "김철수 기자" does. */
static inline size_t cfd__space_at(const unsigned char *s, size_t len, size_t i)
{
    if (cfd__is_space(s[i]))
        return 1;
    if (s[i] == 0xC2 && len - i >= 2 && s[i + 1] == 0xA0)
        return 2;
    if (s[i] == 0xE3 && len - i >= 3 && s[i + 1] == 0x80 && s[i + 2] == 0x80)
        return 3;
    return 0;
}

/* The same for the white space ending at s[k) (k > floor), or 0. */
static inline size_t cfd__space_before(const unsigned char *s, size_t k, size_t floor)
{
    if (cfd__is_space(s[k - 1]))
        return 1;
    if (k - floor >= 2 && s[k - 2] == 0xC2 && s[k - 1] == 0xA0)
        return 2;
    if (k - floor >= 3 && s[k - 3] == 0xE3 && s[k - 2] == 0x80 && s[k - 1] == 0x80)
        return 3;
    return 0;
}

/* Hangul syllable ending at s[k) (k >= 3)? Returns its code point or 0. */
static inline uint32_t cfd__syl_before(const unsigned char *s, size_t k)
{
    if (k < 3)
        return 0;
    uint32_t cp;
    if (cfd_utf8_decode(s + k - 3, 3, &cp) != 3 || cp < 0xAC00 || cp > 0xD7A3)
        return 0;
    return cp;
}

static inline int cfd__syl_at(const unsigned char *s, size_t len, size_t i)
{
    uint32_t cp;
    return len - i >= 3 && cfd_utf8_decode(s + i, 3, &cp) == 3 && cp >= 0xAC00 && cp <= 0xD7A3;
}

/*
 * Byline whose title (기자 / 특파원, tlen bytes) starts at s[i]; the name may
 * start no earlier than floor. Returns 1 and the span if it is one
 * (clean_byline.c).
 */
int cfd__clean_byline(const unsigned char *s, size_t len, size_t i, size_t tlen, size_t floor,
                      cfd__span *sp);

/*
 * The tip line around 카카오톡 at s[i] (clean_notice.c): "제보는 카카오톡
 * okjebo", "▷ 카카오톡 : 'KBS제보' 검색" ...; may start no earlier than floor.
 */
int cfd__clean_tipline(const unsigned char *s, size_t len, size_t i, size_t floor,
                       cfd__span *sp);

/* The note about the article starting with "이 기사는" at s[i]
 * (clean_notice.c): "※ 이 기사는 AI 기술을 활용해 작성됐습니다." */
int cfd__clean_note(const unsigned char *s, size_t len, size_t i, size_t floor, cfd__span *sp);

#endif
