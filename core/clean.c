/*
 * News cleaning: bylines, datelines, e-mail, URLs, broadcast markers and
 * copyright notices out of article text; the rules are in clean.h.
 *
 * One left-to-right pass. At each byte that can start a pattern ('[', '(',
 * '@', 'h', 'w', the lead bytes of 【 ◀ ⓒ © and of the Hangul syllables 기,
 * 특, 저, 무) a matcher looks at a bounded window and returns the span to
 * remove. Patterns that begin before their trigger (the local part of an
 * e-mail before '@', the name before 기자) reach back only into text not yet
 * copied out, so nothing is ever copied twice. The byline matcher (the
 * name before 기자 / 특파원) is in clean_byline.c, the tip lines and notes
 * about the article (anchored at 카카오톡 and "이 기사는", cfd__anchor) in
 * clean_notice.c.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "clean.h"
#include "clean_internal.h"

#define U_GIJA "\xea\xb8\xb0\xec\x9e\x90"                  /* 기자 */
#define U_TEUKPAWON "\xed\x8a\xb9\xed\x8c\x8c\xec\x9b\x90" /* 특파원 */
#define U_GEUMJI "\xea\xb8\x88\xec\xa7\x80"                /* 금지 */
#define U_MUDAN "\xeb\xac\xb4\xeb\x8b\xa8"                 /* 무단 */
#define U_JEOJAKGWONJA "\xec\xa0\x80\xec\x9e\x91\xea\xb6\x8c\xec\x9e\x90" /* 저작권자 */
#define U_COPY_CIRCLED "\xe2\x93\x92"                      /* ⓒ */
#define U_COPY "\xc2\xa9"                                  /* © */
#define U_KAKAOTALK "\xec\xb9\xb4\xec\xb9\xb4\xec\x98\xa4\xed\x86\xa1" /* 카카오톡 */
#define U_NOTE "\xec\x9d\xb4\x20\xea\xb8\xb0\xec\x82\xac\xeb\x8a\x94"  /* 이 기사는 */

/*
 * Next occurrence of a literal at or after the scan position, remembered
 * between triggers: a text of 16 MB of "Copyright " or "(=" would otherwise
 * search the same window again at every trigger. Valid while pos >= the
 * position asked about; pos == len means "none until the end".
 */
typedef struct cfd__next {
    size_t from, pos; /* first occurrence at or after from is at pos */
    int valid;
} cfd__next;

typedef struct cfd__clean_state {
    cfd__next close_sq, close_par, close_angle, geumji, reserved[3], kakao, note;
} cfd__clean_state;

static size_t cfd__next_lit(const unsigned char *s, size_t len, size_t from, const char *lit,
                            size_t n, cfd__next *c)
{
    if (!c->valid || from < c->from || c->pos < from) {
        const unsigned char *p = from < len ? memmem(s + from, len - from, lit, n) : NULL;
        c->from = from;
        c->pos = p ? (size_t)(p - s) : len;
        c->valid = 1;
    }
    return c->pos;
}


static inline int cfd__email_local(unsigned char c)
{
    return (unsigned char)((c | 32) - 'a') < 26 || (unsigned char)(c - '0') < 10 || c == '.' ||
           c == '_' || c == '%' || c == '+' || c == '-';
}

static inline int cfd__domain_char(unsigned char c)
{
    return (unsigned char)((c | 32) - 'a') < 26 || (unsigned char)(c - '0') < 10 || c == '.' ||
           c == '-';
}

static int cfd__email(const unsigned char *s, size_t len, size_t at, size_t floor, cfd__span *sp)
{
    size_t a = at;
    while (a > floor && cfd__email_local(s[a - 1]))
        a--;
    if (a == at)
        return 0;
    size_t e = at + 1;
    while (e < len && cfd__domain_char(s[e]))
        e++;
    while (e > at + 1 && (s[e - 1] == '.' || s[e - 1] == '-'))
        e--; /* "kjb@yna.co.kr." ends a sentence */
    size_t dot = e;
    while (dot > at + 1 && s[dot - 1] != '.')
        dot--;
    /* dot is just past the last '.': a non-empty label before it and a
     * top-level domain of at least two letters after it */
    if (dot <= at + 2 || e - dot < 2)
        return 0;
    for (size_t k = dot; k < e; k++)
        if ((unsigned char)((s[k] | 32) - 'a') >= 26)
            return 0;
    sp->start = a;
    sp->end = e;
    return 1;
}

static inline int cfd__url_char(unsigned char c)
{
    return c > 0x20 && c < 0x7F && c != '"' && c != '<' && c != '>' && c != '\'' && c != '`' &&
           c != '{' && c != '}' && c != '|' && c != '\\' && c != '^';
}

static int cfd__url(const unsigned char *s, size_t len, size_t i, cfd__span *sp)
{
    if (i > 0 && (unsigned char)((s[i - 1] | 32) - 'a') < 26)
        return 0; /* inside a word */
    size_t n;
    if (len - i >= 7 && strncasecmp((const char *)s + i, "http://", 7) == 0)
        n = 7;
    else if (len - i >= 8 && strncasecmp((const char *)s + i, "https://", 8) == 0)
        n = 8;
    else if (len - i >= 5 && strncasecmp((const char *)s + i, "www.", 4) == 0 &&
             cfd__domain_char(s[i + 4]))
        n = 4;
    else
        return 0;
    size_t e = i + n;
    while (e < len && cfd__url_char(s[e]))
        e++;
    sp->start = i;
    sp->end = e;
    return 1;
}

/*
 * A bracketed segment from s[i] (open, olen bytes) to close (clen bytes)
 * with at most CFD_CLEAN_BRACKET_MAX code points inside, no nested open.
 * need_eq: the content must contain '=' (datelines). next_close, if given,
 * caches where the next close is, so hopeless openings are refused
 * without scanning.
 */
/* Words that make a short bracket a broadcast or production marker
 * ([앵커] [리포트] [녹취] [뉴스데스크] ◀ 앵커 ▶ [단독] [속보]...), which
 * says how a story was made, not what it is about. */
static const char *const cfd__markers[] = {
    "\xec\x95\xb5\xec\xbb\xa4",             /* 앵커 */
    "\xea\xb8\xb0\xec\x9e\x90",             /* 기자 */
    "\xed\x8a\xb9\xed\x8c\x8c\xec\x9b\x90", /* 특파원 */
    "\xeb\xa6\xac\xed\x8f\xac\xed\x8a\xb8", /* 리포트 */
    "\xeb\x85\xb9\xec\xb7\xa8",             /* 녹취 */
    "\xec\x9d\xb8\xed\x84\xb0\xeb\xb7\xb0", /* 인터뷰 */
    "\xec\x98\x81\xec\x83\x81",             /* 영상 */
    "\xec\x9e\x90\xeb\xa7\x89",             /* 자막 */
    "\xed\x98\x84\xec\x9e\xa5\xec\x9d\x8c", /* 현장음 */
    "\xeb\x89\xb4\xec\x8a\xa4",             /* 뉴스 */
    "\xec\x86\x8d\xeb\xb3\xb4",             /* 속보 */
    "\xeb\x8b\xa8\xeb\x8f\x85",             /* 단독 */
    "\xec\xa2\x85\xed\x95\xa9",             /* 종합 */
    "\xec\x82\xac\xec\xa7\x84",             /* 사진 */
    "\xed\x8f\xac\xed\x86\xa0",             /* 포토 */
    "\xed\x99\x94\xeb\xa9\xb4",             /* 화면 */
    "\xea\xb7\xb8\xeb\x9e\x98\xed\x94\xbd", /* 그래픽 */
    "\xeb\xb8\x8c\xeb\xa6\xac\xed\x95\x91", /* 브리핑 */
    "\xec\xa7\x84\xed\x96\x89\xec\x9e\x90", /* 진행자 */
};

static int cfd__has_marker(const unsigned char *s, size_t n)
{
    for (size_t m = 0; m < sizeof cfd__markers / sizeof cfd__markers[0]; m++)
        if (memmem(s, n, cfd__markers[m], strlen(cfd__markers[m])) != NULL)
            return 1;
    return 0;
}

/* Does the text at s[k] start with an ASCII digit, after spaces? */
static int cfd__digit_after(const unsigned char *s, size_t len, size_t k)
{
    while (k < len && s[k] == ' ')
        k++;
    return k < len && (unsigned char)(s[k] - '0') < 10;
}

static int cfd__bracket(const unsigned char *s, size_t len, size_t i, const char *open,
                        size_t olen, const char *close, size_t clen, int need_eq,
                        cfd__next *next_close, cfd__span *sp)
{
    size_t k = i + olen, ncp = 0;
    if (next_close) {
        size_t c = cfd__next_lit(s, len, k, close, clen, next_close);
        if (c >= len || c - k > 4 * (size_t)CFD_CLEAN_BRACKET_MAX)
            return 0;
    }
    /* '=' between a number and what it equals is content, not a dateline:
     * (1bp=0.01%포인트) (1달러=1,130원) (2010년=100) (pH=6.5); so is the
     * bracket when its text or the text after an '=' starts with a digit. */
    int eq = 0, at = 0, num = cfd__digit_after(s, len, k);
    while (k < len && ncp <= CFD_CLEAN_BRACKET_MAX) {
        if (cfd__has(s, len, k, close, clen)) {
            eq &= !num;
            if (ncp == 0 || (need_eq && !eq))
                return 0;
            /* a dateline or byline ('='), an address ('@') or a marker; any
             * other short bracket is content: [특징주] [윤석열 사퇴] */
            if (!need_eq && !eq && !at && !cfd__has_marker(s + i + olen, k - i - olen))
                return 0;
            sp->start = i;
            sp->end = k + clen;
            return 1;
        }
        if (cfd__has(s, len, k, open, olen))
            return 0;
        size_t eqlen = s[k] == '=' ? 1
                       : s[k] == 0xEF && cfd__has(s, len, k, "\xef\xbc\x9d", 3) ? 3 /* ＝ */
                                                                                   : 0;
        if (eqlen) {
            eq = 1;
            num |= cfd__digit_after(s, len, k + eqlen);
        }
        at |= s[k] == '@';
        ncp += (s[k] & 0xC0) != 0x80;
        k++;
    }
    return 0;
}

/* A sentence end (". ", ".\n" ...) in s[from, to)? to - from is at most
 * CFD_CLEAN_TAIL_MAX. */
static int cfd__sentence_end(const unsigned char *s, size_t from, size_t to)
{
    for (size_t k = from; k + 1 < to; k++)
        if (s[k] == '.' && cfd__is_space(s[k + 1]))
            return 1;
    return 0;
}

static int cfd__copyright(const unsigned char *s, size_t len, size_t i, size_t tlen, int symbol,
                          cfd__clean_state *st, cfd__span *sp)
{
    size_t from = i + tlen, e = SIZE_MAX;
    size_t g = cfd__next_lit(s, len, from, U_GEUMJI, 6, &st->geumji);
    /* 금지 ends the notice only as the end of a word (금지>, 금지.,
     * 금지합니다, 금지함), not in "금지하는 법안"; and a Korean notice is
     * one phrase, so a sentence end (". ", ".\n") before it means prose
     * ("... 무단 배포하면 처벌. 정부는 유포를 금지했다"). */
    int korean = s[i] >= 0x80 && !symbol;
    if (g < len && g + 6 - from <= CFD_CLEAN_TAIL_MAX) {
        size_t w = g + 6;
        if (cfd__has(s, len, w, "\xed\x95\xa9\xeb\x8b\x88\xeb\x8b\xa4", 9)) /* 합니다 */
            w += 9;
        else if (cfd__has(s, len, w, "\xed\x95\xa8", 3)) /* 함 */
            w += 3;
        if (!cfd__syl_at(s, len, w) &&
            !(korean && cfd__sentence_end(s, from, g)))
            e = w;
    }
    /* ", AI 학습 및 활용 금지": the clause outlets added to their notice in
     * 2023 ("ⓒ 한경닷컴, 무단전재 및 재배포 금지, AI 학습 및 활용 금지"); left
     * behind, its "AI" reads as IT news. */
    if (e != SIZE_MAX) {
        size_t k = e;
        while (k < len && (cfd__is_space(s[k]) || s[k] == ',' || s[k] == '.' || s[k] == '/'))
            k++;
        if (len - k >= 2 && (s[k] | 32) == 'a' && (s[k + 1] | 32) == 'i') {
            size_t lim = len - k > 64 ? k + 64 : len;
            const unsigned char *g2 = memmem(s + k, lim - k, U_GEUMJI, 6);
            if (g2 != NULL && !cfd__sentence_end(s, k, (size_t)(g2 - s)))
                e = (size_t)(g2 - s) + 6;
        }
    }
    if (e == SIZE_MAX) {
        static const char *const rs[3] = {"reserved", "Reserved", "RESERVED"};
        for (int k = 0; k < 3; k++) {
            size_t r = cfd__next_lit(s, len, from, rs[k], 8, &st->reserved[k]);
            if (r < len && r + 8 - from <= CFD_CLEAN_TAIL_MAX && (e == SIZE_MAX || r + 8 < e))
                e = r + 8;
        }
    }
    if (e == SIZE_MAX) {
        if (!symbol)
            return 0;
        /* "ⓒ 연합뉴스": the symbol and the next word */
        e = from;
        while (e < len && cfd__is_space(s[e]))
            e++;
        while (e < len && !cfd__is_space(s[e]) && s[e] != ',' && s[e] != '.')
            e++;
    }
    while (e < len && (s[e] == '.' || s[e] == '>' || s[e] == ']' || s[e] == ')'))
        e++;
    sp->start = i;
    sp->end = e;
    return 1;
}

/*
 * Where the patterns that cfd_clean_may_start does not announce can start
 * (their first syllables, 카 and 이, are too common to try at each one): the
 * next 카카오톡 or "이 기사는" at or after from, or len. Each literal is
 * searched once per occurrence (memmem, remembered in st), ~1 us on a
 * 2.6 KB article that has neither.
 */
static size_t cfd__anchor(const unsigned char *s, size_t len, size_t from, cfd__clean_state *st)
{
    size_t a = cfd__next_lit(s, len, from, U_KAKAOTALK, 12, &st->kakao);
    size_t b = cfd__next_lit(s, len, from, U_NOTE, 13, &st->note);
    return a < b ? a : b;
}

/* Dispatches on the byte at s[i]; returns 1 and the span if a pattern
 * matches there. */
static int cfd__match(const unsigned char *s, size_t len, size_t i, size_t floor,
                      cfd__clean_state *st, cfd__span *sp)
{
    switch (s[i]) {
    case '[':
        return cfd__bracket(s, len, i, "[", 1, "]", 1, 0, &st->close_sq, sp);
    case '(':
        return cfd__bracket(s, len, i, "(", 1, ")", 1, 1, &st->close_par, sp);
    case '<': /* broadcast transcripts: <앵커> <기자> <신현상 / 진행자> */
        return cfd__bracket(s, len, i, "<", 1, ">", 1, 0, &st->close_angle, sp);
    case '@':
        return cfd__email(s, len, i, floor, sp);
    case 'h': case 'H': case 'w': case 'W':
        return cfd__url(s, len, i, sp);
    case 'c': case 'C':
        if (len - i >= 9 && strncasecmp((const char *)s + i, "copyright", 9) == 0)
            return cfd__copyright(s, len, i, 9, 0, st, sp);
        return 0;
    case 0xC2:
        if (cfd__has(s, len, i, U_COPY, 2))
            return cfd__copyright(s, len, i, 2, 1, st, sp);
        return 0;
    case 0xE2:
        if (cfd__has(s, len, i, U_COPY_CIRCLED, 3))
            return cfd__copyright(s, len, i, 3, 1, st, sp);
        if (cfd__has(s, len, i, "\xe2\x97\x80", 3)) /* ◀ ... ▶ */
            return cfd__bracket(s, len, i, "\xe2\x97\x80", 3, "\xe2\x96\xb6", 3, 0, NULL, sp);
        return 0;
    case 0xE3:
        if (cfd__has(s, len, i, "\xe3\x80\x90", 3)) /* 【 ... 】 */
            return cfd__bracket(s, len, i, "\xe3\x80\x90", 3, "\xe3\x80\x91", 3, 0, NULL, sp);
        return 0;
    case 0xEF: /* fullwidth brackets, as some outlets write their datelines:
                * ［헤럴드경제=강승연 기자］ （서울＝연합뉴스） */
        if (cfd__has(s, len, i, "\xef\xbc\xbb", 3))
            return cfd__bracket(s, len, i, "\xef\xbc\xbb", 3, "\xef\xbc\xbd", 3, 0, NULL, sp);
        if (cfd__has(s, len, i, "\xef\xbc\x88", 3))
            return cfd__bracket(s, len, i, "\xef\xbc\x88", 3, "\xef\xbc\x89", 3, 1, NULL, sp);
        return 0;
    case 0xEA:
        if (cfd__has(s, len, i, U_GIJA, 6))
            return cfd__clean_byline(s, len, i, 6, floor, sp);
        return 0;
    case 0xED:
        if (cfd__has(s, len, i, U_TEUKPAWON, 9))
            return cfd__clean_byline(s, len, i, 9, floor, sp);
        return 0;
    case 0xEC:
        if (cfd__has(s, len, i, U_JEOJAKGWONJA, 12))
            return cfd__copyright(s, len, i, 12, 0, st, sp);
        if (cfd__has(s, len, i, U_KAKAOTALK, 12))
            return cfd__clean_tipline(s, len, i, floor, sp);
        if (cfd__has(s, len, i, U_NOTE, 13))
            return cfd__clean_note(s, len, i, floor, sp);
        return 0;
    case 0xEB:
        if (cfd__has(s, len, i, U_MUDAN, 6)) {
            /* only "무단 전재/복제/배포", not "무단 횡단" */
            size_t w = i + 6 + (i + 6 < len && cfd__is_space(s[i + 6]));
            if (cfd__has(s, len, w, "\xec\xa0\x84\xec\x9e\xac", 6) ||  /* 전재 */
                cfd__has(s, len, w, "\xeb\xb3\xb5\xec\xa0\x9c", 6) ||  /* 복제 */
                cfd__has(s, len, w, "\xeb\xb0\xb0\xed\x8f\xac", 6))    /* 배포 */
                return cfd__copyright(s, len, i, 6, 0, st, sp);
        }
        return 0;
    default:
        return 0;
    }
}

/* Removes the span sp: copies the kept text before it, then a space. */
static inline void cfd__cut(const unsigned char *s, const cfd__span *sp, size_t *run, char *out,
                            size_t *o)
{
    memcpy(out + *o, s + *run, sp->start - *run);
    *o += sp->start - *run;
    if (*o > 0 && out[*o - 1] != ' ')
        out[(*o)++] = ' ';
    *run = sp->end;
}

size_t cfd_clean_news(const char *str, size_t len, char *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, o = 0, run = 0; /* s[run, i) is not yet copied to out */
    cfd__clean_state st;
    memset(&st, 0, sizeof st);
    if (len == 0)
        return 0;
    size_t anchor = cfd__anchor(s, len, 0, &st);
    while (i < len) {
        /* Skip what cannot start a pattern, one code point per step and
         * without branching on the kind of byte (Korean text alternates
         * between spaces and syllables every few bytes). */
        unsigned c = s[i];
        uint32_t w24 = CFD_CLEAN_LE3(c, len - i > 1 ? s[i + 1] : 0, len - i > 2 ? s[i + 2] : 0);
        if (i > anchor)
            anchor = cfd__anchor(s, len, i, &st);
        if (!cfd_clean_may_start(w24) && i != anchor) {
            i += 1u + (c >= 0xC0) + (c >= 0xE0) + (c >= 0xF0);
            continue;
        }
        cfd__span sp;
        if (!cfd__match(s, len, i, run, &st, &sp)) {
            i++;
            continue;
        }
        cfd__cut(s, &sp, &run, out, &o);
        i = run;
    }
    memcpy(out + o, s + run, len - run);
    return o + len - run;
}

size_t cfd_clean_news_at(const char *str, size_t len, const uint32_t *starts, size_t nstarts,
                         char *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t o = 0, run = 0;
    cfd__clean_state st;
    memset(&st, 0, sizeof st);
    if (len == 0)
        return 0;
    /* starts[] merged with the anchors (cfd__anchor), in ascending order */
    size_t k = 0, anchor = cfd__anchor(s, len, 0, &st);
    while (k < nstarts || anchor < len) {
        size_t i;
        if (k < nstarts && starts[k] <= anchor) {
            i = starts[k++];
        } else {
            i = anchor;
        }
        if (i >= anchor)
            anchor = cfd__anchor(s, len, i + 1, &st);
        cfd__span sp;
        if (i < run || i >= len || !cfd__match(s, len, i, run, &st, &sp))
            continue;
        cfd__cut(s, &sp, &run, out, &o);
    }
    memcpy(out + o, s + run, len - run);
    return o + len - run;
}
