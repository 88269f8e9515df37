/*
 * Korean bylines for news cleaning (clean.h): a reporter's name before 기자
 * or 특파원, told from the words that stand there in prose. Called by
 * clean.c's dispatch at each 기자 / 특파원; the rules are in clean.h.
 */
#include <stdint.h>
#include <string.h>

#include "clean_internal.h"

#define U_IMNIDA "\xec\x9e\x85\xeb\x8b\x88\xeb\x8b\xa4" /* 입니다 */

/* Common Korean surnames (first syllable of a byline name), sorted:
 * 가 강 견 경 계 고 공 곽 구 국 권 금 기 길 김 나 남 노 도 독 라 려 로 류 리 마 맹 명 모 문 민 박 반 방 배 백 변 봉 빈 서 석 선 설 성 소 손 송 승 시 신 심 안 양 어 엄 여 연 염 예 오 옥 왕 용 우 원 위 유 육 윤 은 이 인 임 장 전 정 제 조 주 지 진 차 채 천 최 추 탁 태 편 표 피 하 한 함 허 현 호 홍 황 */
static const uint16_t cfd__surnames[] = {
    0xAC00, 0xAC15, 0xACAC, 0xACBD, 0xACC4, 0xACE0, 0xACF5, 0xACFD, 0xAD6C, 0xAD6D,
    0xAD8C, 0xAE08, 0xAE30, 0xAE38, 0xAE40, 0xB098, 0xB0A8, 0xB178, 0xB3C4, 0xB3C5,
    0xB77C, 0xB824, 0xB85C, 0xB958, 0xB9AC, 0xB9C8, 0xB9F9, 0xBA85, 0xBAA8, 0xBB38,
    0xBBFC, 0xBC15, 0xBC18, 0xBC29, 0xBC30, 0xBC31, 0xBCC0, 0xBD09, 0xBE48, 0xC11C,
    0xC11D, 0xC120, 0xC124, 0xC131, 0xC18C, 0xC190, 0xC1A1, 0xC2B9, 0xC2DC, 0xC2E0,
    0xC2EC, 0xC548, 0xC591, 0xC5B4, 0xC5C4, 0xC5EC, 0xC5F0, 0xC5FC, 0xC608, 0xC624,
    0xC625, 0xC655, 0xC6A9, 0xC6B0, 0xC6D0, 0xC704, 0xC720, 0xC721, 0xC724, 0xC740,
    0xC774, 0xC778, 0xC784, 0xC7A5, 0xC804, 0xC815, 0xC81C, 0xC870, 0xC8FC, 0xC9C0,
    0xC9C4, 0xCC28, 0xCC44, 0xCC9C, 0xCD5C, 0xCD94, 0xD0C1, 0xD0DC, 0xD3B8, 0xD45C,
    0xD53C, 0xD558, 0xD55C, 0xD568, 0xD5C8, 0xD604, 0xD638, 0xD64D, 0xD669,
};

static int cfd__is_surname(uint32_t cp)
{
    size_t lo = 0, hi = sizeof cfd__surnames / sizeof cfd__surnames[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cfd__surnames[mid] == cp)
            return 1;
        if (cfd__surnames[mid] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Two-syllable surnames: the only 4-syllable names taken (남궁민수 기자). */
static const uint32_t cfd__compound_surnames[][2] = {
    {0xB0A8, 0xAD81}, /* 남궁 */ {0xB3C5, 0xACE0}, /* 독고 */ {0xB3D9, 0xBC29}, /* 동방 */
    {0xC0AC, 0xACF5}, /* 사공 */ {0xC11C, 0xBB38}, /* 서문 */ {0xC120, 0xC6B0}, /* 선우 */
    {0xC81C, 0xAC08}, /* 제갈 */ {0xD669, 0xBCF4}, /* 황보 */
};

static int cfd__is_compound_surname(uint32_t a, uint32_t b)
{
    for (size_t i = 0; i < sizeof cfd__compound_surnames / sizeof cfd__compound_surnames[0]; i++)
        if (cfd__compound_surnames[i][0] == a && cfd__compound_surnames[i][1] == b)
            return 1;
    return 0;
}

/*
 * Three-syllable words that start with a surname syllable and stand before
 * 기자 in prose, not names (YNAT: "사형 구형 이집트 기자 올해 세계언론자유상",
 * "의혹 제기한 기자 고소", "이의제기자 30% 올려달라"; news8: "방송사 기자
 * 8명", "한겨레 기자 시절"), and desks and outlets of the same shape. Sorted.
 */
static const uint16_t cfd__not_names[][3] = {
    {0xACBD, 0xC81C, 0xBD80}, /* 경제부 */
    {0xAD6D, 0xC81C, 0xBD80}, /* 국제부 */
    {0xBB38, 0xD654, 0xBD80}, /* 문화부 */
    {0xBC29, 0xC1A1, 0xAD6D}, /* 방송국 */
    {0xBC29, 0xC1A1, 0xC0AC}, /* 방송사 */
    {0xC2E0, 0xBB38, 0xC0AC}, /* 신문사 */
    {0xC5B4, 0xB9B0, 0xC774}, /* 어린이 */
    {0xC5F0, 0xC608, 0xBD80}, /* 연예부 */
    {0xC774, 0xC758, 0xC81C}, /* 이의제(기자) */
    {0xC774, 0xC9D1, 0xD2B8}, /* 이집트 */
    {0xC815, 0xCE58, 0xBD80}, /* 정치부 */
    {0xC81C, 0xAE30, 0xD55C}, /* 제기한 */
    {0xD3B8, 0xC9D1, 0xBD80}, /* 편집부 */
    {0xD55C, 0xACA8, 0xB808}, /* 한겨레 */
    {0xD55C, 0xAD6D, 0xC778}, /* 한국인 */
};

/*
 * 1 when the syllables a, b, c look like a word rather than a name: one
 * above, or one ending in a particle or verb ending that given names rarely
 * end with (구속된 기자, 취재하던, 지키는, 현장의 사진기자); such a "name"
 * is taken only where a byline stands ("(서울=뉴스1) 정명의 기자 =").
 */
static int cfd__not_name(uint32_t a, uint32_t b, uint32_t c)
{
    if (c == 0xB41C || c == 0xB358 || c == 0xB294 || c == 0xB97C || c == 0xC758 ||
        c == 0xC5D0) /* 된 던 는 를 의 에 */
        return 1;
    for (size_t i = 0; i < sizeof cfd__not_names / sizeof cfd__not_names[0]; i++)
        if (cfd__not_names[i][0] == a && cfd__not_names[i][1] == b && cfd__not_names[i][2] == c)
            return 1;
    return 0;
}

/* What stands next to a byline and hardly anywhere else: after it '='
 * ')' ']' '/' '】' '▶' or an e-mail's first letter; before it '=' '(' '['
 * '/' '【'. (A text's edge is no evidence: a headline starts with "한국
 * 기자 억류" as easily as with a name.) */
static int cfd__byline_edge(const unsigned char *s, size_t len, size_t i, int after)
{
    if (after) {
        if (i < len)
            i += cfd__space_at(s, len, i);
        if (i >= len)
            return 0;
        unsigned char c = s[i];
        return c == '=' || c == ')' || c == ']' || c == '/' ||
               (unsigned char)((c | 32) - 'a') < 26 || cfd__has(s, len, i, "\xe3\x80\x91", 3) ||
               cfd__has(s, len, i, "\xe2\x96\xb6", 3);
    }
    if (i > 0)
        i -= cfd__space_before(s, i, 0);
    if (i == 0)
        return 0;
    unsigned char c = s[i - 1];
    return c == '=' || c == '(' || c == '[' || c == '/' ||
           (i >= 3 && memcmp(s + i - 3, "\xe3\x80\x90", 3) == 0);
}

/* Title modifiers allowed right before 기자. */
static const char *const cfd__title_mods[] = {
    "\xec\x84\xa0\xec\x9e\x84", /* 선임 */
    "\xec\x9d\xb8\xed\x84\xb4", /* 인턴 */
    "\xec\x88\x98\xec\x8a\xb5", /* 수습 */
    "\xea\xb0\x9d\xec\x9b\x90", /* 객원 */
    "\xec\xa0\x84\xeb\xac\xb8", /* 전문 */
    "\xec\x82\xac\xec\xa7\x84", /* 사진 */
    "\xec\x98\x81\xec\x83\x81", /* 영상 */
};

int cfd__clean_byline(const unsigned char *s, size_t len, size_t i, size_t tlen, size_t floor,
                      cfd__span *sp)
{
    size_t end = i + tlen;
    if (end < len && cfd__syl_at(s, len, end)) {
        if (!cfd__has(s, len, end, U_IMNIDA, 9) || (end + 9 < len && cfd__syl_at(s, len, end + 9)))
            return 0; /* 기자단, 기자회견, ... */
        end += 9;
    }
    size_t k = i;
    if (tlen == 6 && k >= floor + 6) { /* optional modifier before 기자 */
        for (size_t m = 0; m < sizeof cfd__title_mods / sizeof cfd__title_mods[0]; m++)
            if (memcmp(s + k - 6, cfd__title_mods[m], 6) == 0) {
                k -= 6;
                break;
            }
    }
    if (k > floor)
        k -= cfd__space_before(s, k, floor);
    /* The name: 2-4 syllables, preceded by a non-syllable. */
    size_t nsyl = 0;
    while (nsyl < 5 && k >= floor + 3 && cfd__syl_before(s, k)) {
        k -= 3;
        nsyl++;
    }
    if (nsyl < 2 || nsyl > 4)
        return 0;
    if (k > 0 && cfd__syl_before(s, k))
        return 0; /* the run continues below floor: not a word start we own */
    if (!cfd__is_surname(cfd__syl_before(s, k + 3)))
        return 0;
    /* Three syllables is the Korean name. Four only after a two-syllable
     * surname; two (김진) only where a byline stands, since 한국 기자,
     * 전직 기자 and 방송기자 start with a surname syllable too; so do three
     * that look like a word, not a name (이집트 기자, 구속된 기자). */
    if (nsyl == 4 && !cfd__is_compound_surname(cfd__syl_before(s, k + 3),
                                                cfd__syl_before(s, k + 6)))
        return 0;
    int doubtful = nsyl == 2 || (nsyl == 3 && cfd__not_name(cfd__syl_before(s, k + 3),
                                                            cfd__syl_before(s, k + 6),
                                                            cfd__syl_before(s, k + 9)));
    if (doubtful && !cfd__byline_edge(s, len, end, 1) && !cfd__byline_edge(s, len, k, 0))
        return 0;
    sp->start = k;
    sp->end = end;
    return 1;
}
