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
 *  - short bracketed segments: [...] and 【...】 and ◀...▶ with at most
 *    CFD_CLEAN_BRACKET_MAX code points inside and no nested bracket
 *    ([앵커] [단독] [이슈투데이=김정훈 기자] 【서울=뉴시스】 ◀ 앵커 ▶)
 *  - dateline parentheses containing '=' with at most CFD_CLEAN_BRACKET_MAX
 *    code points ((서울=연합뉴스)); other parentheses are content ((首都))
 *  - bylines: a 2-4 syllable Hangul name starting with a common Korean
 *    surname, an optional space, optionally one of 선임 인턴 수습 객원 전문
 *    사진 영상, then 기자 or 특파원, not followed by another Hangul syllable
 *    except "입니다" (김진방 특파원, 김대령기자, 유인근 선임기자, 송무빈
 *    기자입니다; but not 기자단, 기자회견, or "외신 기자" whose first
 *    syllable is no surname)
 *  - copyright notices: from ⓒ, ©, 저작권자, Copyright or "무단 전재/복제/
 *    배포" to the next 금지 or "reserved" within CFD_CLEAN_TAIL_MAX bytes
 *    ("<저작권자 ⓒ 이슈투데이, 무단 전재 및 재배포 금지>"); a lone ⓒ/© is
 *    removed with the word after it ("ⓒ 연합뉴스").
 *
 * Input must be valid UTF-8; the output is valid UTF-8 and never longer than
 * the input (out needs len bytes and must not overlap s). Work is linear in
 * len: every pattern looks at a bounded window.
 * Threads: pure function.
 */
#ifndef CFD_CLEAN_H
#define CFD_CLEAN_H

#include <stddef.h>

#define CFD_CLEAN_BRACKET_MAX 30
#define CFD_CLEAN_TAIL_MAX 160

/* Writes the cleaned text into out; returns the bytes written (<= len). */
size_t cfd_clean_news(const char *s, size_t len, char *out);

#endif
