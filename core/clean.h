/*
 * News-specific cleaning (cfd_feat_config.clean_news): removes the parts of
 * a Korean news article that say who published it and how, not what it is
 * about. A section model that learns "연합뉴스" or a reporter's name learns
 * the source, and breaks on articles from another site or year.
 *
 * Removed (each removed span becomes one space):
 *  - e-mail addresses (local@domain.tld)
 *  - URLs starting with http://, https:// or www. (up to the first byte that
 *    cannot be in a URL: space, non-ASCII, quotes, <>)
 *  - short bracketed segments: [...] ［...］ 【...】 ◀...▶ and <...> (what markup
 *    removal left of '<': broadcast transcripts write <앵커>) with at most
 *    CFD_CLEAN_BRACKET_MAX code points inside and no nested bracket, that
 *    hold '=' (or '＝') or '@' (a dateline, byline or address:
 *    [이슈투데이=김정훈 기자] 【서울=뉴시스】 [룩@차이나]) or a production
 *    marker (앵커 기자 특파원 리포트 녹취 인터뷰 영상 자막 현장음 뉴스 속보
 *    단독 종합 사진 포토 화면 그래픽 브리핑 진행자: [앵커] [단독]
 *    [뉴스데스크] ◀ 앵커 ▶ <기자>); other short brackets are content
 *    ([특징주] [윤석열 사퇴] [날씨] <SKY 캐슬> <해피투게더3>)
 *  - dateline parentheses containing '=' with at most CFD_CLEAN_BRACKET_MAX
 *    code points ((서울=연합뉴스), fullwidth （서울＝연합뉴스） too); other
 *    parentheses are content ((首都)),
 *    and so is an '=' between numbers: a bracket whose text, or the text
 *    after an '=', starts with a digit ((1bp=0.01%포인트) (1달러=1,130원))
 *  - bylines: a Hangul name starting with a common Korean surname, an
 *    optional space, optionally one of 선임 인턴 수습 객원 전문 사진 영상,
 *    then 기자 or 특파원, not followed by another Hangul syllable except
 *    "입니다" (김진방 특파원, 김대령기자, 유인근 선임기자, 송무빈
 *    기자입니다; but not 기자단, 기자회견, or "외신 기자" whose first
 *    syllable is no surname). The name has 3 syllables; 4 only after a
 *    two-syllable surname (남궁 독고 동방 사공 서문 선우 제갈 황보); 2 only
 *    where a byline stands: followed by '=' ')' ']' '/' 】 ▶ or an e-mail,
 *    or preceded by '=' '(' '[' '/' 【 ("김진 기자 =" goes, but "한국 기자
 *    억류", "전직 기자", "방송기자 대상" stay); so are 3 that look like a
 *    word (a short list: 이집트 방송사 한겨레 정치부 ...; or ending in 된
 *    던 는 를 의 에: "구속된 기자", "현장의 사진기자" stay)
 *  - white space is ' ' or any of \t \n \v \f \r (a JSON body's line
 *    breaks clean as the spaces of the same text in a TSV line)
 *  - copyright notices: from ⓒ, ©, 저작권자, Copyright or "무단 전재/복제/
 *    배포" to the next 금지 or "reserved" within CFD_CLEAN_TAIL_MAX bytes
 *    ("<저작권자 ⓒ 이슈투데이, 무단 전재 및 재배포 금지>"); a lone ⓒ/© is
 *    removed with the word after it ("ⓒ 연합뉴스"); an AI clause right
 *    after the notice goes with it, to its own 금지 within 64 bytes and no
 *    sentence end between (", AI 학습 및 활용 금지", outlets' addition of
 *    2023)
 *  - tip lines (clean_notice.c): 카카오톡 followed (after spaces and ':')
 *    by a handle, a quoted name ('KBS제보' ‘...’ "..."), an @handle
 *    (@mbc제보) or an ASCII id (okjebo), when 제보 precedes it ("제보는",
 *    "제보하기 :", "제보") or is in the handle, or the id is okjebo; with
 *    a ▷ or ▶ before and 검색 / 채널 추가 after; with the block's contact
 *    items before or after it (▷ / ▶ / ☎, 전화 이메일 메일 문자 팩스 홈페이지,
 *    ':', a phone number or an ASCII address: "☎ 전화 : 02-781-1234, 4444")
 *    and a closing plea to subscribe ("▷ ... 구독해주세요!", within 120
 *    bytes, no sentence end). 카카오톡 as news ("카카오톡 먹통") and other
 *    handles ("문의는 카카오톡 @hello") stay
 *  - notes about how the article was made: a sentence starting with
 *    "이 기사는" (after a sentence end, a closing bracket, or ※ / ▶) up to
 *    its 다 (followed by '.', a space or the end) within 200 bytes, when it
 *    holds AI, 작성, 게재, 송고 or 출고 ("※ 이 기사는 AI 기술을 활용해
 *    작성됐습니다.", "이 기사는 ... 먼저 게재됐습니다"); "이 기사는 사실과
 *    다르다" and mid-sentence uses stay
 *  Training data of 2018-2021 has none of the last three (no training text
 *  changes with them); articles of 2023 on have them, and they pull toward
 *  IT과학 (training/RESULTS.md, "Boilerplate of newer articles").
 *
 * Input must be valid UTF-8; the output is valid UTF-8 and never longer than
 * the input (out needs len bytes and must not overlap s). Work is linear in
 * len: every pattern looks at a bounded window.
 * Threads: pure function.
 */
#ifndef CFD_CLEAN_H
#define CFD_CLEAN_H

#include <stddef.h>
#include <stdint.h>

#define CFD_CLEAN_BRACKET_MAX 30
#define CFD_CLEAN_TAIL_MAX 160

/* Writes the cleaned text into out; returns the bytes written (<= len). */
size_t cfd_clean_news(const char *s, size_t len, char *out);

/*
 * Where a pattern can start, for callers that already walk the text code
 * point by code point (the featurizer's validating pass) and so spare
 * cfd_clean_news its own walk. w24 holds the first three bytes of the code
 * point, little-endian (CFD_CLEAN_LE3), with 0 for bytes past the end of
 * the text. True for '[' '(' '<' '@' and the first letters of http, www and
 * copyright, and for ©, ⓒ, ◀, 【, 기, 특, 저, 무 and the fullwidth ［ （;
 * cfd_clean_news tries its patterns exactly where this is true, and where
 * 카카오톡 or "이 기사는" occurs (found with memmem: their first syllables
 * are too common to be starts). The 3-byte
 * literals are found by a perfect hash of their value ((w * K) >> 29 gives
 * each its own slot; slot 4 is unused), so one multiply and one compare
 * test a code point; the two fullwidth brackets (EF BC BB, EF BC 88) by one
 * compare of their first two bytes and one of the third.
 */
#define CFD_CLEAN_LE3(a, b, c) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16)

static const unsigned char cfd__clean_ascii[128] = {
    ['['] = 1, ['('] = 1, ['<'] = 1, ['@'] = 1, ['h'] = 1, ['H'] = 1, ['w'] = 1, ['W'] = 1,
    ['c'] = 1, ['C'] = 1,
};

static const uint32_t cfd__clean_lit3[8] = {
    CFD_CLEAN_LE3(0xE3, 0x80, 0x90), CFD_CLEAN_LE3(0xE2, 0x93, 0x92), /* 【 ⓒ */
    CFD_CLEAN_LE3(0xEA, 0xB8, 0xB0), CFD_CLEAN_LE3(0xEC, 0xA0, 0x80), /* 기 저 */
    0xFFFFFFFFu,                     CFD_CLEAN_LE3(0xEB, 0xAC, 0xB4), /* -- 무 */
    CFD_CLEAN_LE3(0xE2, 0x97, 0x80), CFD_CLEAN_LE3(0xED, 0x8A, 0xB9), /* ◀ 특 */
};

static inline unsigned cfd_clean_may_start(uint32_t w24)
{
    return (cfd__clean_lit3[(uint32_t)(w24 * 0xAFBD67F9u) >> 29] == w24) |
           ((w24 & 0xFFFFu) == 0xA9C2u) | /* © */
           (((w24 & 0xFFFFu) == 0xBCEFu) & (((w24 >> 16) == 0xBBu) | ((w24 >> 16) == 0x88u))) |
           (cfd__clean_ascii[w24 & 0x7F] & ((w24 & 0x80u) == 0));
}

/*
 * cfd_clean_news, trying patterns only at starts[0..nstarts): ascending
 * offsets that include every code point of s where cfd_clean_may_start is
 * true (others are harmless), and where 카카오톡 or "이 기사는" occurs, which
 * it finds itself. Same output as cfd_clean_news (fuzz_featurize checks).
 */
size_t cfd_clean_news_at(const char *s, size_t len, const uint32_t *starts, size_t nstarts,
                         char *out);

#endif
