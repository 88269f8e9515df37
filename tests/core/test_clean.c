/*
 * Tests for core/clean.c on real news patterns (from news8 and the sample
 * page): datelines, bylines, bracketed markers, e-mail, URLs, copyright
 * notices; and on text that looks similar but is content and must stay.
 * A removed span becomes one space unless the text before it already ends
 * in a space (or nothing precedes it); the spaces of the text around it are
 * kept, so some expectations hold two spaces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clean.h"
#include "normalize.h"
#include "utf8.h"

static char *clean(const char *s)
{
    static char out[4096];
    size_t len = strlen(s);
    assert_true(len < sizeof out);
    size_t n = cfd_clean_news(s, len, out);
    assert_true(n <= len);
    assert_int_equal(cfd_utf8_validate(out, n, NULL), 0);
    out[n] = '\0';
    /* the featurizer's way: pattern starts noted while validating */
    static uint32_t starts[4096];
    static char out2[4096];
    size_t nstarts;
    int maybe;
    assert_int_equal(cfd_utf8_validate_nfc(s, len, NULL, &maybe, starts, 4096, &nstarts), 0);
    assert_true(nstarts != SIZE_MAX);
    size_t n2 = cfd_clean_news_at(s, len, starts, nstarts, out2);
    assert_int_equal(n2, n);
    assert_memory_equal(out2, out, n);
    return out;
}

static void test_datelines_and_bylines(void **state)
{
    (void)state;
    assert_string_equal(clean("(베이징=연합뉴스) 김진방 특파원 = 북한이 19일"), "  = 북한이 19일");
    assert_string_equal(clean("【서울=뉴시스】김성진 기자 = 북한이"), " = 북한이");
    assert_string_equal(clean("[이슈투데이=김정훈 기자] 중소벤처기업부는 26일"), " 중소벤처기업부는 26일");
    assert_string_equal(clean("CBS노컷뉴스 박성완 기자] 선거를"), "CBS노컷뉴스 ] 선거를");
    assert_string_equal(clean("스포츠서울 유인근 선임기자 = 경기"), "스포츠서울  = 경기");
    assert_string_equal(clean("김대령기자 = 경기"), " = 경기");
    assert_string_equal(clean("려의 목소리가 나옵니다. 송무빈 기자입니다. [리포트] 북한은"),
                        "려의 목소리가 나옵니다. .  북한은");
    assert_string_equal(clean("남궁민 기자"), "");
    assert_string_equal(clean("남궁민수 기자 = x"), " = x");
    /* two-syllable names only where a byline stands */
    assert_string_equal(clean("(서울=연합뉴스) 김진 기자 = 정부는"), "  = 정부는");
    assert_string_equal(clean("김진 기자 kim@yna.co.kr"), " ");
    assert_string_equal(clean("억류된 한국 기자"), "억류된 한국 기자");
}

/* Fullwidth brackets, as some outlets write datelines (헤럴드경제 uses
 * ［...］): the outlet's name is no topic, and "헤럴드경제" would lend its
 * 경제 to every article of that paper. Long texts put the brackets inside
 * the 16-byte blocks of the SSE2 scan, short ones in its scalar tail. */
static void test_fullwidth_brackets(void **state)
{
    (void)state;
    assert_string_equal(clean("［헤럴드경제=강승연 기자］지난달 미국의 금리가 오른 뒤에 시장은 조용했다"),
                        "지난달 미국의 금리가 오른 뒤에 시장은 조용했다");
    assert_string_equal(clean("미국의 금리가 오른 뒤에 시장은 조용했다 ［헤럴드경제＝강승연 기자］"),
                        "미국의 금리가 오른 뒤에 시장은 조용했다 ");
    assert_string_equal(clean("（서울＝연합뉴스） 정부는 오늘 발표했다"), " 정부는 오늘 발표했다");
    assert_string_equal(clean("a（서울=뉴스1）"), "a ");
    assert_string_equal(clean("［앵커］ 오늘"), " 오늘");
    /* content, as with ASCII brackets: no '=' or marker, or '=' of numbers,
     * a parenthesis without '=', mixed pairs */
    assert_string_equal(clean("［특징주］ 삼성"), "［특징주］ 삼성");
    assert_string_equal(clean("（1달러＝1,130원）"), "（1달러＝1,130원）");
    assert_string_equal(clean("（首都） 서울"), "（首都） 서울");
    assert_string_equal(clean("［서울=뉴스1] x"), "［서울=뉴스1] x");
    assert_string_equal(clean("（서울＝연합뉴스"), "（서울＝연합뉴스");
}

static void test_content_kept(void **state)
{
    (void)state;
    /* 기자 as a word or inside words, not a byline */
    assert_string_equal(clean("방북 기자단 명단"), "방북 기자단 명단");
    assert_string_equal(clean("기자회견을 열어"), "기자회견을 열어");
    assert_string_equal(clean("외신 기자들에게도"), "외신 기자들에게도");
    assert_string_equal(clean("통신 기자 4명"), "통신 기자 4명");   /* 통: no surname */
    assert_string_equal(clean("조선중앙통신사 기자와의"), "조선중앙통신사 기자와의");
    /* nouns before 기자 that start with a surname syllable (ynat headlines) */
    assert_string_equal(clean("한국 기자 억류"), "한국 기자 억류");
    assert_string_equal(clean("전직 기자 2심도 무죄"), "전직 기자 2심도 무죄");
    assert_string_equal(clean("올해의 방송기자 대상"), "올해의 방송기자 대상");
    assert_string_equal(clean("신문기자 출신"), "신문기자 출신");
    assert_string_equal(clean("여성 특파원 파견"), "여성 특파원 파견");
    /* four syllables without a two-syllable surname is no name */
    assert_string_equal(clean("김정은위원장 기자"), "김정은위원장 기자");
    assert_string_equal(clean("김정은씨 기자 = 경기"), "김정은씨 기자 = 경기");
    /* nor five (a name is 2-4 syllables) */
    assert_string_equal(clean("김정은위원 기자 = 경기"), "김정은위원 기자 = 경기");
    /* a long name-like run is no name */
    assert_string_equal(clean("대한민국정부기자 x"), "대한민국정부기자 x");
    /* parentheses without '=' are content; long brackets are quotes */
    assert_string_equal(clean("서우두(首都) 공항 (ARF)"), "서우두(首都) 공항 (ARF)");
    const char *quote = "[김재호/정선군청 교통지도팀장 : 무단방치 차량이 많아서 주차 순환율이 50% 미만 대로 있다]";
    assert_string_equal(clean(quote), quote);
    /* 무단 without 전재/복제/배포 is content */
    assert_string_equal(clean("무단 횡단을 금지하는"), "무단 횡단을 금지하는");
    assert_string_equal(clean("twitter @handle and a@b"), "twitter @handle and a@b");
    assert_string_equal(clean("[룩@차이나]"), "");
}

static void test_markers(void **state)
{
    (void)state;
    assert_string_equal(clean("[앵커] 다음 소식입니다"), " 다음 소식입니다");
    assert_string_equal(clean("[단독] '내 사진' [뉴스데스크]◀ 앵커 ▶ 다음"), " '내 사진'  다음");
    assert_string_equal(clean("[]"), "[]"); /* empty brackets stay */
    /* the next close bracket is remembered across openings */
    assert_string_equal(clean("(ab) (cd) (서울=연합뉴스) x"), "(ab) (cd)  x");
    assert_string_equal(clean("[a [녹취] [c=d]"), "[a  "); /* "[a" has a nested '[' */
    assert_string_equal(clean("( = ) ((x=y)"), " ( ");
    assert_string_equal(clean("[[앵커]]"), "[ ]");
    /* other short brackets are content: topic tags, desk tags */
    assert_string_equal(clean("[특징주] 삼성전자 급등"), "[특징주] 삼성전자 급등");
    assert_string_equal(clean("[윤석열 사퇴] 정국 요동"), "[윤석열 사퇴] 정국 요동");
    assert_string_equal(clean("【속보】 지진"), " 지진");
    assert_string_equal(clean("[MBC 뉴스데스크] 오늘"), " 오늘");
    /* broadcast transcripts in angle brackets; titles in them are content */
    assert_string_equal(clean("<앵커> 오늘 <기자> 현장"), " 오늘  현장");
    assert_string_equal(clean("<신현상 / 진행자> 네"), " 네");
    assert_string_equal(clean("<SKY 캐슬> <해피투게더3> a < b > c"),
                        "<SKY 캐슬> <해피투게더3> a < b > c");
    /* a fullwidth '=' marks a dateline too */
    assert_string_equal(clean("(서울＝연합뉴스) 정부는"), " 정부는");
}

static void test_email_url(void **state)
{
    (void)state;
    assert_string_equal(clean("kjb@yna.co.kr 제보(kke2kke@naver.com)로"), " 제보( )로");
    assert_string_equal(clean("문의 yeon@hankyung.com."), "문의 .");
    assert_string_equal(clean("자세한 내용은 http://news.jtbc.joins.com/html/944/NB11635944.html 참조"),
                        "자세한 내용은  참조");
    assert_string_equal(clean("www.youtube.com에서 보기"), "에서 보기");
    assert_string_equal(clean("HTTPS://X.KR/a?b=1 끝"), " 끝");
    assert_string_equal(clean("awww.x"), "awww.x");
    assert_string_equal(clean("user@localhost"), "user@localhost");
}

static void test_copyright(void **state)
{
    (void)state;
    assert_string_equal(clean("본문 끝. <저작권자 ⓒ 이슈투데이, 무단 전재 및 재배포 금지>"),
                        "본문 끝. < ");
    assert_string_equal(clean("끝 ⓒ 연합뉴스, 무단전재-재배포 금지"), "끝 ");
    assert_string_equal(clean("끝 Copyright © Hankyung. All rights reserved."), "끝 ");
    assert_string_equal(clean("사진 ⓒ 뉴스1 다음"), "사진  다음");
    /* © as the last two bytes of the text (seen in fnnews captions) */
    assert_string_equal(clean("2021.4.30/뉴스1 ©"), "2021.4.30/뉴스1 ");
    assert_string_equal(clean("무단 복제 및 재배포를 금지합니다"), "");
    /* prose that mentions copyright or 무단 배포 is content */
    assert_string_equal(clean("저작권자 동의 없는 AI 학습을 금지하는 법안"),
                        "저작권자 동의 없는 AI 학습을 금지하는 법안");
    assert_string_equal(clean("불법 영상을 무단 배포하면 처벌. 정부는 유포를 금지했다."),
                        "불법 영상을 무단 배포하면 처벌. 정부는 유포를 금지했다.");
    assert_string_equal(clean("저작권자(c) 연합뉴스, 무단 전재-재배포 금지"), "");
    /* two notices: the remembered end of the first does not hide the second */
    assert_string_equal(clean("a ⓒ A. All rights reserved. b ⓒ B. ALL RIGHTS RESERVED c"),
                        "a  b  c");
}

/* Newer outlets' notices (2023 on): the AI clause after a copyright notice,
 * tip lines around 카카오톡, notes about how the article was made. What
 * they are near stays: KakaoTalk as news, prose about articles. */
static void test_newer_boilerplate(void **state)
{
    (void)state;
    assert_string_equal(clean("끝. ⓒ 한경닷컴, 무단전재 및 재배포 금지, AI 학습 및 활용 금지"), "끝. ");
    assert_string_equal(clean("끝 Copyright ⓒ 이데일리 무단전재 및 재배포 금지, AI 학습 이용 금지 다음"),
                        "끝  다음");
    assert_string_equal(clean("끝 저작권자 © 머니투데이 무단전재 및 재배포, AI학습 이용 금지"), "끝 ");
    /* an AI sentence after a notice is content when a sentence ends first */
    assert_string_equal(clean("ⓒ 뉴스1 무단 전재 금지. AI 산업이 커졌다. 정부는 지원을 금지했다"),
                        " AI 산업이 커졌다. 정부는 지원을 금지했다");

    assert_string_equal(clean("장관이 말했다. 제보는 카카오톡 okjebo"), "장관이 말했다. ");
    assert_string_equal(clean("끝 ▷ 카카오톡 : 'KBS제보' 검색, ☎ 전화"), "끝 , ☎ 전화");
    /* with the block's contact items and its plea to subscribe */
    assert_string_equal(clean("끝 ▷ 카카오톡 : 'KBS제보' 검색, ☎ 전화 : 02-781-1234, 4444 ▷ 이메일 : "
                              "kbs1234@kbs.co.kr ▷ 유튜브, 네이버, 카카오에서도 KBS뉴스를 구독해주세요! 다음"),
                        "끝  다음");
    assert_string_equal(clean("끝 ▷ 전화 02-784-4000 ▷ 카카오톡 @mbc제보 다음"), "끝  다음");
    /* a sentence after the block is not a plea; a phone word alone is content */
    assert_string_equal(clean("제보는 카카오톡 okjebo ▷ 새 소식. 구독해주세요"), " ▷ 새 소식. 구독해주세요");
    assert_string_equal(clean("전화 인터뷰에서 말했다 ▷ 카카오톡 @mbc제보"), "전화 인터뷰에서 말했다 ");
    assert_string_equal(clean("끝 ▷ 카카오톡 @mbc제보"), "끝 ");
    assert_string_equal(clean("끝 ▶ 제보하기 : 카카오톡 'SBS 제보' 채널 추가, 이메일"), "끝 , 이메일");
    /* 카카오톡 as the news, or without a tip handle */
    assert_string_equal(clean("카카오톡 먹통 사태로 이용자 불편"), "카카오톡 먹통 사태로 이용자 불편");
    assert_string_equal(clean("경찰은 카카오톡으로 제보를 받아 수사에 나섰다"),
                        "경찰은 카카오톡으로 제보를 받아 수사에 나섰다");
    assert_string_equal(clean("문의는 카카오톡 @hello"), "문의는 카카오톡 @hello");
    assert_string_equal(clean("카카오톡 'KBS제보"), "카카오톡 'KBS제보"); /* no closing quote */
    /* 카카오톡 ending the text, with or without what comes before a tip
     * (fuzz_featurize found a read past the end here) */
    assert_string_equal(clean("제보는 카카오톡"), "제보는 카카오톡");
    assert_string_equal(clean("/hng@e카카오톡"), "/hng@e카카오톡");
    assert_string_equal(clean("제보는 카카오톡 @"), "제보는 카카오톡 @");

    assert_string_equal(clean("주가가 올랐다. ※ 이 기사는 AI 기술을 활용해 작성됐습니다."),
                        "주가가 올랐다. ");
    assert_string_equal(clean("이 기사는 3월 5일 마켓포인트에 먼저 게재됐습니다. 삼성전자 주가가 올랐다."),
                        " 삼성전자 주가가 올랐다.");
    assert_string_equal(clean("끝이다 이 기사는 AI 어시스턴트가 작성한 초안을 기자가 검토했습니다"), "끝이다 ");
    /* prose about an article: no note word, or mid-sentence */
    assert_string_equal(clean("이 기사는 사실과 다르다."), "이 기사는 사실과 다르다.");
    assert_string_equal(clean("그는 이 기사는 AI가 작성했다고 말했다."),
                        "그는 이 기사는 AI가 작성했다고 말했다.");
}

static void test_empty_and_plain(void **state)
{
    (void)state;
    char out[4];
    assert_int_equal(cfd_clean_news("", 0, out), 0);
    assert_string_equal(clean("plain english text, nothing to remove"),
                        "plain english text, nothing to remove");
}

/* A JSON body's line breaks and tabs are white space like the spaces of
 * the same article in a TSV line (which cannot hold them): the daemon must
 * clean what training cleaned. */
static void test_json_white_space(void **state)
{
    (void)state;
    /* a lone ⓒ takes the next word, not the next paragraph's first one */
    assert_string_equal(clean("사진 ⓒ 연합뉴스\n정부는 내년 예산을"), "사진 \n정부는 내년 예산을");
    assert_string_equal(clean("사진=뉴스1 ⓒ News1\t김진욱 처장이"), "사진=뉴스1 \t김진욱 처장이");
    assert_string_equal(clean("사진 ⓒ\n연합뉴스 정부는"), "사진  정부는");
    /* a sentence end before 금지 means prose, at a line break too */
    const char *prose = "영상을 무단 배포하면 처벌.\n정부는 유포 행위를 원칙적으로 금지. 다음";
    assert_string_equal(clean(prose), prose);
    /* bylines across a line break */
    assert_string_equal(clean("홍길동\n기자 = 정부는"), " = 정부는");
    assert_string_equal(clean("(서울=연합뉴스)\n김진 기자 = 정부는"), "\n  = 정부는");
    assert_string_equal(clean("무단\n전재 및 재배포 금지. 다음"), " 다음");
}

/* A no-break space (U+00A0: what an HTML-to-text converter makes of
 * "&nbsp;") or an ideographic space (U+3000) between the name and 기자, or
 * between the byline and its '=', is white space too: "김철수\u00A0기자"
 * stayed, three words about the source, where "김철수 기자" goes. */
static void test_unicode_spaces_in_bylines(void **state)
{
    (void)state;
    assert_string_equal(clean("김철수\xc2\xa0기자 = 회의"), " = 회의");
    assert_string_equal(clean("김철수\xe3\x80\x80기자 = 회의"), " = 회의");
    /* two-syllable names: the edge may be past such a space as well */
    assert_string_equal(clean("김진\xc2\xa0기자\xc2\xa0= 정부는"), "\xc2\xa0= 정부는");
    assert_string_equal(clean("사진/\xe3\x80\x80김진 기자 정부는"), "사진/\xe3\x80\x80  정부는");
    /* still no byline where none stands */
    assert_string_equal(clean("억류된 한국\xc2\xa0기자"), "억류된 한국\xc2\xa0기자");
    assert_string_equal(clean("\xc2\xa0기자"), "\xc2\xa0기자");
}

/* '=' between numbers is content: unit definitions, exchange rates, index
 * bases (news8: "(1마신=약 2.4m)", "(1bp=0.01%포인트)"). */
static void test_equals_between_numbers(void **state)
{
    (void)state;
    assert_string_equal(clean("금리를 25bp(1bp=0.01%포인트) 올렸다"),
                        "금리를 25bp(1bp=0.01%포인트) 올렸다");
    assert_string_equal(clean("3마신(1마신=약 2.4m) 차이"), "3마신(1마신=약 2.4m) 차이");
    assert_string_equal(clean("환율(1달러=1,130원)은"), "환율(1달러=1,130원)은");
    assert_string_equal(clean("지수(2010년=100)는"), "지수(2010년=100)는");
    assert_string_equal(clean("산도(pH=6.5)와 (㎛=100만분의 1ｍ)"), "산도(pH=6.5)와 (㎛=100만분의 1ｍ)");
    /* datelines and credits still go, digits after them or not */
    assert_string_equal(clean("(서울=뉴스1) 정부는"), " 정부는");
    assert_string_equal(clean("(사진=뉴시스 DB) 2일"), " 2일");
    /* a marker still makes a bracket go */
    assert_string_equal(clean("[1달러=1100원 속보] 환율"), " 환율");
}

/* Three syllables before 기자 that are a word, not a name (YNAT headlines,
 * news8): kept unless a byline's edge stands next to them. */
static void test_byline_word_lookalikes(void **state)
{
    (void)state;
    assert_string_equal(clean("사형 구형 이집트 기자 올해 세계언론자유상 받는다"),
                        "사형 구형 이집트 기자 올해 세계언론자유상 받는다");
    assert_string_equal(clean("김광동 방문진 이사 접대 의혹 제기한 기자 고소"),
                        "김광동 방문진 이사 접대 의혹 제기한 기자 고소");
    assert_string_equal(clean("표준지공시지가 이의제기자 30% 올려달라 요청"),
                        "표준지공시지가 이의제기자 30% 올려달라 요청");
    assert_string_equal(clean("남측 통신사와 방송사 기자 8명도 초청했습니다"),
                        "남측 통신사와 방송사 기자 8명도 초청했습니다");
    assert_string_equal(clean("자신이 한겨레 기자 시절"), "자신이 한겨레 기자 시절");
    assert_string_equal(clean("서울시 내친구서울 어린이기자 모집"),
                        "서울시 내친구서울 어린이기자 모집");
    assert_string_equal(clean("역사의 증인 현장의 사진기자 개막"),
                        "역사의 증인 현장의 사진기자 개막");
    assert_string_equal(clean("구속된 기자 석방"), "구속된 기자 석방");
    /* names, also ones that end like a particle, where a byline stands */
    assert_string_equal(clean("(서울=뉴스1) 정명의 기자 = 대한스키협회가"), "  = 대한스키협회가");
    assert_string_equal(clean("김영민 기자 서울 중구가"), " 서울 중구가");
    assert_string_equal(clean("[한겨레 기자]"), "");
}

static void test_starts(void **state)
{
    (void)state;
    /* the offsets noted by the validating pass, including the last bytes */
    const char *s = "a(b) 기자 ©";
    uint32_t starts[16];
    size_t n;
    int maybe;
    assert_int_equal(cfd_utf8_validate_nfc(s, strlen(s), NULL, &maybe, starts, 16, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(starts[0], 1);             /* ( */
    assert_int_equal(starts[1], 5);             /* 기 */
    assert_int_equal(starts[2], strlen(s) - 2); /* © in the last two bytes */
    /* too many: reported, not overrun */
    assert_int_equal(cfd_utf8_validate_nfc("((((((", 6, NULL, &maybe, starts, 4, &n), 0);
    assert_int_equal(n, SIZE_MAX);
    /* no list wanted */
    assert_int_equal(cfd_utf8_validate_nfc("((", 2, NULL, &maybe, NULL, 0, NULL), 0);
}

static void test_bounded_on_hostile_input(void **state)
{
    (void)state;
    /* Open brackets that never close, '@' everywhere, 기자 everywhere: the
     * output is never longer and is valid UTF-8. */
    size_t n = 300000;
    char *s = malloc(n), *out = malloc(n);
    const char *pat = "[(@기자ⓒ무단 ";
    size_t pl = strlen(pat), k = 0;
    while (k + pl <= n) {
        memcpy(s + k, pat, pl);
        k += pl;
    }
    size_t m = cfd_clean_news(s, k, out);
    assert_true(m <= k);
    assert_int_equal(cfd_utf8_validate(out, m, NULL), 0);
    free(s);
    free(out);

    /* the same with the anchors of clean_notice.c, unmatched and matched */
    const char *pats[] = {"카카오톡 카카오톡 제보는 ", "이 기사는 이 기사는 AI 작성 ", "카카오톡 'x"};
    for (size_t p = 0; p < sizeof pats / sizeof pats[0]; p++) {
        s = malloc(n);
        out = malloc(n);
        pl = strlen(pats[p]);
        k = 0;
        while (k + pl <= n) {
            memcpy(s + k, pats[p], pl);
            k += pl;
        }
        m = cfd_clean_news(s, k, out);
        assert_true(m <= k);
        assert_int_equal(cfd_utf8_validate(out, m, NULL), 0);
        free(s);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_datelines_and_bylines),
        cmocka_unit_test(test_content_kept),
        cmocka_unit_test(test_markers),
        cmocka_unit_test(test_email_url),
        cmocka_unit_test(test_copyright),
        cmocka_unit_test(test_newer_boilerplate),
        cmocka_unit_test(test_empty_and_plain),
        cmocka_unit_test(test_json_white_space),
        cmocka_unit_test(test_unicode_spaces_in_bylines),
        cmocka_unit_test(test_equals_between_numbers),
        cmocka_unit_test(test_byline_word_lookalikes),
        cmocka_unit_test(test_starts),
        cmocka_unit_test(test_fullwidth_brackets),
        cmocka_unit_test(test_bounded_on_hostile_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
