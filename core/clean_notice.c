/*
 * Two kinds of boilerplate that newer articles (2023 on) carry and the
 * training data (2018-2021) does not, so a model reads them as content
 * (clean.h has the rules; clean.c finds their anchors):
 *
 *  - a broadcaster's or agency's tip line: "제보는 카카오톡 okjebo" (연합뉴스),
 *    "▷ 카카오톡 : 'KBS제보' 검색", "▷ 카카오톡 @mbc제보", "▶ 제보하기 :
 *    카카오톡 'SBS 제보' 채널 추가". Measured before this rule
 *    (training/RESULTS.md, "Boilerplate of newer articles"): appending one
 *    such line to 2021 articles took the out-of-source section accuracy
 *    from 0.675 to 0.42-0.60, the words 카카오톡 and 제보 pulling toward
 *    IT과학 and 사회.
 *  - a note about how the article was made: "※ 이 기사는 AI 기술을 활용해
 *    작성됐습니다", "이 기사는 ... 먼저 게재됐습니다" (0.675 -> 0.53-0.54).
 *
 * Threads: pure functions on the caller's text.
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "clean_internal.h"

#define U_KAKAOTALK "\xec\xb9\xb4\xec\xb9\xb4\xec\x98\xa4\xed\x86\xa1" /* 카카오톡 */
#define U_JEBO "\xec\xa0\x9c\xeb\xb3\xb4"                             /* 제보 */
#define U_TRI_R "\xe2\x96\xb7"                                        /* ▷ */
#define U_TRI_B "\xe2\x96\xb6"                                        /* ▶ */
#define U_DA "\xeb\x8b\xa4"                                           /* 다 */
#define U_PHONE "\xe2\x98\x8e"                                       /* ☎ */

/* How far a tip line's parts may lie from 카카오톡. */
#define CFD__TIP_BACK 24
#define CFD__TIP_FWD 48
/* How far before a tip line its contact items may start. */
#define CFD__CONTACT_BACK 120
/* How long a plea to subscribe after a tip line may be. */
#define CFD__PROMO_MAX 120
/* How long a note about the article may be. */
#define CFD__NOTE_MAX 200

static size_t cfd__skip_spaces(const unsigned char *s, size_t len, size_t k)
{
    while (k < len && cfd__is_space(s[k]))
        k++;
    return k;
}

/* Spaces and commas between the items of a tip block. */
static size_t cfd__skip_seps(const unsigned char *s, size_t len, size_t k)
{
    while (k < len && (cfd__is_space(s[k]) || s[k] == ','))
        k++;
    return k;
}

/* A block's bullet at s[p]: ▷ or ▶ (3 bytes), and with phone also ☎; 0 if
 * none. */
static size_t cfd__bullet_at(const unsigned char *s, size_t len, size_t p, int phone)
{
    return cfd__has(s, len, p, U_TRI_R, 3) || cfd__has(s, len, p, U_TRI_B, 3) ||
                   (phone && cfd__has(s, len, p, U_PHONE, 3))
               ? 3
               : 0;
}

/* The length of the first of the n literals that s[p] starts with, or 0. */
static size_t cfd__lit_at(const unsigned char *s, size_t len, size_t p,
                          const char *const *lits, size_t n)
{
    for (size_t l = 0; l < n; l++) {
        size_t m = strlen(lits[l]);
        if (cfd__has(s, len, p, lits[l], m))
            return m;
    }
    return 0;
}

static int cfd__ascii_word(unsigned char c)
{
    return (unsigned char)((c | 32) - 'a') < 26 || (unsigned char)(c - '0') < 10 || c == '_' ||
           c == '.' || c == '-';
}

/* The handle after 카카오톡 (from k): a quoted name ('KBS제보' ‘...’ "..."),
 * an @handle or an ASCII id (okjebo). Returns its end, or k if none; *jebo
 * is set when it holds 제보 or is okjebo. */
static size_t cfd__handle(const unsigned char *s, size_t len, size_t k, int *jebo)
{
    if (k >= len)
        return k; /* 카카오톡 ends the text */
    static const char *const quotes[][2] = {
        {"'", "'"}, {"\"", "\""}, {"\xe2\x80\x98", "\xe2\x80\x99"}, {"\xe2\x80\x9c", "\xe2\x80\x9d"}};
    for (size_t q = 0; q < sizeof quotes / sizeof quotes[0]; q++) {
        size_t ol = strlen(quotes[q][0]), cl = strlen(quotes[q][1]);
        if (!cfd__has(s, len, k, quotes[q][0], ol))
            continue;
        size_t lim = k + ol + CFD__TIP_FWD < len ? k + ol + CFD__TIP_FWD : len;
        const unsigned char *c = memmem(s + k + ol, lim - k - ol, quotes[q][1], cl);
        if (c == NULL)
            return k;
        size_t e = (size_t)(c - s);
        *jebo = memmem(s + k, e - k, U_JEBO, 6) != NULL;
        return e + cl;
    }
    const int at = s[k] == '@';
    size_t e = k + at;
    /* an @handle may end in Hangul (@mbc제보): ASCII, then syllables */
    while (e < len && cfd__ascii_word(s[e]) && e - k < CFD__TIP_FWD)
        e++;
    size_t a = e;
    while (at && cfd__syl_at(s, len, e) && e - k < CFD__TIP_FWD)
        e += 3;
    if (e == k + (size_t)at)
        return k;
    *jebo = (a - k == 6 && memcmp(s + k, "okjebo", 6) == 0) ||
            memmem(s + a, e - a, U_JEBO, 6) != NULL;
    return e;
}

/*
 * One contact item of a tip block at k, after spaces and a comma: a marker
 * (▷ ▶ ☎, optional), a label (전화 이메일 메일 문자 팩스 홈페이지), an
 * optional ':', and the value: a phone number (digits, '-', and ", " or
 * spaces between digit groups) or an address (a run of printable ASCII).
 * "☎ 전화 : 02-781-1234, 4444", "▷ 이메일 mbcjebo@mbc.co.kr". Returns its
 * end, or k when there is none.
 */
static size_t cfd__contact_item(const unsigned char *s, size_t len, size_t k)
{
    static const char *const labels[] = {
        "\xec\xa0\x84\xed\x99\x94",                         /* 전화 */
        "\xec\x9d\xb4\xeb\xa9\x94\xec\x9d\xbc",             /* 이메일 */
        "\xeb\xa9\x94\xec\x9d\xbc",                         /* 메일 */
        "\xeb\xac\xb8\xec\x9e\x90",                         /* 문자 */
        "\xed\x8c\xa9\xec\x8a\xa4",                         /* 팩스 */
        "\xed\x99\x88\xed\x8e\x98\xec\x9d\xb4\xec\xa7\x80", /* 홈페이지 */
    };
    size_t p = cfd__skip_seps(s, len, k), b = cfd__bullet_at(s, len, p, 1);
    if (b)
        p = cfd__skip_spaces(s, len, p + b);
    size_t n = cfd__lit_at(s, len, p, labels, sizeof labels / sizeof labels[0]);
    if (n == 0)
        return k;
    p = cfd__skip_spaces(s, len, p + n);
    if (p < len && s[p] == ':')
        p = cfd__skip_spaces(s, len, p + 1);
    size_t v = p;
    if (p < len && (unsigned char)(s[p] - '0') < 10) {
        for (;;) { /* digit groups: 02-781-1234, 4444 */
            while (v < len && ((unsigned char)(s[v] - '0') < 10 || s[v] == '-'))
                v++;
            size_t q = v;
            while (q < len && (s[q] == ',' || s[q] == ' '))
                q++;
            if (q == v || q >= len || (unsigned char)(s[q] - '0') >= 10)
                break;
            v = q;
        }
    } else {
        while (v < len && s[v] > 0x20 && s[v] < 0x7F && s[v] != ',')
            v++;
    }
    return v > p ? v : k;
}

/* A plea to subscribe closing a tip block, at k after spaces and a comma:
 * ▷ or ▶, then within CFD__PROMO_MAX bytes and no sentence end, 구독 and
 * 해주세요 / 하세요 / 해 주세요 ("▷ 유튜브, 네이버, 카카오에서도 KBS뉴스를
 * 구독해주세요!"). Returns its end, or k. */
static size_t cfd__promo_item(const unsigned char *s, size_t len, size_t k)
{
    static const char *const ends[] = {
        "\xed\x95\xb4\xec\xa3\xbc\xec\x84\xb8\xec\x9a\x94",     /* 해주세요 */
        "\xed\x95\x98\xec\x84\xb8\xec\x9a\x94",                 /* 하세요 */
        "\xed\x95\xb4\x20\xec\xa3\xbc\xec\x84\xb8\xec\x9a\x94", /* 해 주세요 */
    };
    size_t p = cfd__skip_seps(s, len, k);
    if (!cfd__bullet_at(s, len, p, 0))
        return k;
    size_t lim = len - p > CFD__PROMO_MAX ? p + CFD__PROMO_MAX : len;
    for (size_t q = p + 3; q + 6 <= lim; q++) {
        if (s[q] == '.' || s[q] == '!' || s[q] == '?')
            return k;
        if (!cfd__has(s, len, q, "\xea\xb5\xac\xeb\x8f\x85", 6)) /* 구독 */
            continue;
        size_t n = cfd__lit_at(s, len, q + 6, ends, sizeof ends / sizeof ends[0]);
        if (n) {
            size_t end = q + 6 + n;
            if (end < len && (s[end] == '!' || s[end] == '.'))
                end++;
            return end;
        }
    }
    return k;
}

int cfd__clean_tipline(const unsigned char *s, size_t len, size_t i, size_t floor,
                       cfd__span *sp)
{
    /* Backwards: "제보는" "제보하기 :" "제보" and a ▷ / ▶ before them. */
    static const char *const lead[] = {
        U_JEBO "\xeb\x8a\x94",                 /* 제보는 */
        U_JEBO "\xed\x95\x98\xea\xb8\xb0",  /* 제보하기 */
        U_JEBO,
    };
    size_t start = i, k = i;
    int jebo = 0;
    const size_t lim = i - floor > CFD__TIP_BACK ? i - CFD__TIP_BACK : floor;
    while (k > lim && (cfd__is_space(s[k - 1]) || s[k - 1] == ':'))
        k--;
    for (size_t l = 0; l < sizeof lead / sizeof lead[0]; l++) {
        size_t n = strlen(lead[l]);
        if (k >= lim + n && cfd__has(s, len, k - n, lead[l], n)) {
            start = k - n;
            jebo = 1;
            break;
        }
    }
    k = start;
    while (k > lim && cfd__is_space(s[k - 1]))
        k--;
    if (k >= lim + 3 && cfd__bullet_at(s, len, k - 3, 0))
        start = k - 3;
    /* contact items just before it ("▷ 전화 02-784-4000 ▷ 이메일 ... ▷
     * 카카오톡 @mbc제보"): the earliest marker from which items run to start */
    const size_t back = start - floor > CFD__CONTACT_BACK ? start - CFD__CONTACT_BACK : floor;
    for (size_t p = back; p < start; p++) {
        if (!cfd__bullet_at(s, len, p, 1))
            continue;
        size_t q = p, r;
        while ((r = cfd__contact_item(s, len, q)) != q && r <= start)
            q = r;
        if (q != p && cfd__skip_spaces(s, len, q) == start) {
            start = p;
            break;
        }
    }

    /* Forwards: " : ", the handle, then 검색 / 채널 추가 / 채널추가. */
    size_t e = cfd__skip_spaces(s, len, i + 12);
    if (e < len && s[e] == ':')
        e = cfd__skip_spaces(s, len, e + 1);
    int hjebo = 0;
    size_t h = cfd__handle(s, len, e, &hjebo);
    if (h == e || !(jebo || hjebo))
        return 0; /* 카카오톡 as a subject ("카카오톡 먹통"), not a tip line */
    e = h;
    size_t w = cfd__skip_spaces(s, len, e);
    if (cfd__has(s, len, w, "\xea\xb2\x80\xec\x83\x89", 6)) /* 검색 */
        e = w + 6;
    else if (cfd__has(s, len, w, "\xec\xb1\x84\xeb\x84\x90", 6)) { /* 채널 */
        size_t v = cfd__skip_spaces(s, len, w + 6);
        e = cfd__has(s, len, v, "\xec\xb6\x94\xea\xb0\x80", 6) ? v + 6 : w + 6; /* 추가 */
    }
    /* contact items after it (", ☎ 전화 : 02-781-1234, 4444 ▷ 이메일 : ..."),
     * and a plea to subscribe after them */
    for (size_t r; (r = cfd__contact_item(s, len, e)) != e;)
        e = r;
    e = cfd__promo_item(s, len, e);
    sp->start = start;
    sp->end = e;
    return 1;
}

/* Does s[a, b) hold one of the words that make "이 기사는 ..." a note about
 * the article (AI, 작성, 게재, 송고, 출고)? */
static int cfd__note_word(const unsigned char *s, size_t a, size_t b)
{
    static const char *const words[] = {
        "AI", "\xec\x9e\x91\xec\x84\xb1", "\xea\xb2\x8c\xec\x9e\xac", /* 작성 게재 */
        "\xec\x86\xa1\xea\xb3\xa0", "\xec\xb6\x9c\xea\xb3\xa0",       /* 송고 출고 */
    };
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
        if (memmem(s + a, b - a, words[k], strlen(words[k])) != NULL)
            return 1;
    return 0;
}

int cfd__clean_note(const unsigned char *s, size_t len, size_t i, size_t floor, cfd__span *sp)
{
    /* It starts a sentence: nothing but spaces and ※ * ▶ ( [ after the
     * last sentence end (".", "다", a closing bracket) before it. */
    size_t k = i;
    while (k > floor && (cfd__is_space(s[k - 1]) || s[k - 1] == '*' || s[k - 1] == '(' ||
                         s[k - 1] == '['))
        k--;
    int marked = 0; /* a ※ or ▶ before it says it is a note */
    if (k >= floor + 3 && (cfd__has(s, len, k - 3, "\xe2\x80\xbb", 3) || /* ※ */
                           cfd__has(s, len, k - 3, U_TRI_B, 3))) {
        k -= 3;
        marked = 1;
    }
    if (!marked && k > floor && s[k - 1] != '.' && s[k - 1] != ')' && s[k - 1] != ']' &&
        s[k - 1] != '>' && !(k >= floor + 3 && cfd__has(s, len, k - 3, U_DA, 3)))
        return 0; /* mid-sentence: "... 그는 이 기사는 ..." */
    size_t lim = len - i > CFD__NOTE_MAX ? i + CFD__NOTE_MAX : len;
    /* to the sentence's end: 다 followed by '.', a space or the end */
    for (size_t e = i + 13; e + 3 <= lim; e++) {
        if (!cfd__has(s, len, e, U_DA, 3))
            continue;
        size_t end = e + 3;
        if (end < len && s[end] != '.' && !cfd__is_space(s[end]))
            continue; /* 다른, 다만 */
        if (!cfd__note_word(s, i, e))
            return 0;
        if (end < len && s[end] == '.')
            end++;
        sp->start = k; /* with the ※ or ▶ before it */
        sp->end = end;
        return 1;
    }
    return 0;
}
