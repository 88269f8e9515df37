/*
 * Tests for core/markup.c: tags (inline vs block), comments, script/style,
 * named and numeric entities, things that look like markup but are text,
 * and the "output never longer than input" bound on hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <classifyd/error.h>

#include "markup.h"
#include "utf8.h"

static char *strip(const char *s)
{
    static char out[4096];
    size_t len = strlen(s);
    assert_true(len < sizeof out);
    size_t n = cfd_strip_markup(s, len, out);
    assert_true(n <= len);
    out[n] = '\0';
    return out;
}

static void test_tags(void **state)
{
    (void)state;
    assert_string_equal(strip("<p>첫 문단</p><p>둘째</p>"), "첫 문단 둘째 ");
    assert_string_equal(strip("<b>삼성</b>전자"), "삼성전자");
    assert_string_equal(strip("<SPAN class=\"x\">기</span>자"), "기자");
    assert_string_equal(strip("줄<br/>바꿈<br>끝"), "줄 바꿈 끝");
    assert_string_equal(strip("<a href=\"http://x.kr/?a=1&b=2\">링크</a>"), "링크");
    assert_string_equal(strip("<img src=x.jpg alt='사진'>설명"), "설명");
    assert_string_equal(strip("<!DOCTYPE html><?xml version=\"1.0\"?>본문"), "본문");
}

static void test_comments_script_style(void **state)
{
    (void)state;
    assert_string_equal(strip("앞<!-- 광고 <b>영역</b> -->뒤"), "앞 뒤");
    assert_string_equal(strip("a<script type=\"text/javascript\">var x = '<p>';</script>b"),
                        "a b");
    assert_string_equal(strip("a<STYLE>p { color: red }</Style >b"), "a b");
    /* unterminated script element: only the tag goes */
    assert_string_equal(strip("a<script>var x"), "a var x");
    /* unterminated comment is text */
    assert_string_equal(strip("a<!-- b"), "a<!-- b");
}

static void test_not_markup(void **state)
{
    (void)state;
    assert_string_equal(strip("a < b and c > d"), "a < b and c > d");
    assert_string_equal(strip("3<4"), "3<4");
    assert_string_equal(strip("x <y"), "x <y");               /* no '>' */
    assert_string_equal(strip("<a <b>c"), "<a c");            /* '<' inside */
    assert_string_equal(strip("AT&T R&D"), "AT&T R&D");       /* no ';' */
    assert_string_equal(strip("&nosuch; &;"), "&nosuch; &;");
    assert_string_equal(strip("&#; &#x; &#12a;"), "&#; &#x; &#12a;");
    assert_string_equal(strip("<>"), "<>");
    /* Titles in angle brackets, as Korean outlets write them, and
     * comparisons: a '<' before a name that is no HTML element is text. */
    assert_string_equal(strip("JTBC <SKY 캐슬> 시청률"), "JTBC <SKY 캐슬> 시청률");
    assert_string_equal(strip("넷플릭스 <Squid Game> 흥행"), "넷플릭스 <Squid Game> 흥행");
    assert_string_equal(strip("MBC <PD수첩> 방송"), "MBC <PD수첩> 방송");
    assert_string_equal(strip("삼성<LG 전망, 주가는 A>B"), "삼성<LG 전망, 주가는 A>B");
    assert_string_equal(strip("<Covid-19 대응>"), "<Covid-19 대응>");
    assert_string_equal(strip("</SKY>"), "</SKY>");
    /* an element name must end the name: <bold> is not <b> */
    assert_string_equal(strip("<bold text>"), "<bold text>");
}

/* RSS: CDATA keeps what it wraps (markup inside it is read as markup), and
 * namespaced tags are tags. */
static void test_cdata_and_namespaces(void **state)
{
    (void)state;
    assert_string_equal(strip("<![CDATA[삼성전자 3분기 영업이익 급증]]>"),
                        "삼성전자 3분기 영업이익 급증]]>");
    assert_string_equal(strip("<description><![CDATA[<p>본문 내용</p>]]></description>"),
                        "본문 내용 ]]> ");
    assert_string_equal(strip("<dc:creator>김기자</dc:creator>본문"), "김기자 본문");
    assert_string_equal(strip("<media:content url=\"x.jpg\"/>사진"), "사진");
}

static void test_entities(void **state)
{
    (void)state;
    assert_string_equal(strip("&quot;단독&quot; &amp; &lt;b&gt;"), "\"단독\" & <b>");
    assert_string_equal(strip("a&nbsp;b"), "a b");
    assert_string_equal(strip("&#39;인용&#39;"), "'인용'");
    assert_string_equal(strip("&#xAC00;&#44032;&#X1F600;"), "가가😀");
    assert_string_equal(strip("&middot;&hellip;&ldquo;&rdquo;"), "·…“”");
    assert_string_equal(strip("caf&eacute; &Eacute;"), "café É");
    assert_string_equal(strip("co&shy;op"), "coop");
    /* decoded text is not parsed again */
    assert_string_equal(strip("&lt;p&gt;x&lt;/p&gt;"), "<p>x</p>");
    assert_string_equal(strip("&amp;lt;"), "&lt;");
    /* several '&' before one ';' (the next ';' is remembered, not re-found) */
    assert_string_equal(strip("a&b c&d &lt;"), "a&b c&d <");
    assert_string_equal(strip("&x&amp;&&quot;"), "&x&&\"");
    assert_string_equal(strip("&;&amp;"), "&;&");
}

static void test_bad_numeric_entities(void **state)
{
    (void)state;
    /* NUL, controls, surrogates and out-of-range values become a space */
    assert_string_equal(strip("a&#0;b&#1;c&#xD800;d&#x110000;e&#127;f"), "a b c d e f");
    /* too large for 32 bits as well: not wrapped round to 'A' or U+00E9 */
    assert_string_equal(strip("a&#x100000041;b&#4294967529;c"), "a b c");
    assert_string_equal(strip("&#99999999999999999999;"), " ");
    char out[64];
    const char *s = "x&#xDFFF;&#x10FFFF;y";
    size_t n = cfd_strip_markup(s, strlen(s), out);
    assert_int_equal(cfd_utf8_validate(out, n, NULL), 0);
    assert_memory_equal(out, "x \xf4\x8f\xbf\xbfy", n);
}

static void test_present(void **state)
{
    (void)state;
    assert_int_equal(cfd_markup_present("plain text", 10), 0);
    assert_int_equal(cfd_markup_present("a<b", 3), 1);
    assert_int_equal(cfd_markup_present("a&b", 3), 1);
    assert_int_equal(cfd_markup_present("", 0), 0);
}

static void test_hostile(void **state)
{
    (void)state;
    /* many '<' without '>' and many '&' without ';': linear, never longer,
     * valid UTF-8 out */
    size_t n = 200000;
    char *s = malloc(n), *out = malloc(n);
    for (size_t i = 0; i < n; i++)
        s[i] = "<a&#x"[i % 5];
    size_t m = cfd_strip_markup(s, n, out);
    assert_int_equal(m, n);
    assert_memory_equal(out, s, n);
    for (size_t i = 0; i < n; i++)
        s[i] = "<!--"[i % 4];
    m = cfd_strip_markup(s, n, out);
    assert_int_equal(m, n); /* no comment ever ends: all text */
    for (size_t i = 0; i < n; i++)
        s[i] = "<script><style>"[i % 15];
    m = cfd_strip_markup(s, n, out);
    assert_true(m <= n);
    free(s);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_comments_script_style),
        cmocka_unit_test(test_not_markup),
        cmocka_unit_test(test_cdata_and_namespaces),
        cmocka_unit_test(test_entities),
        cmocka_unit_test(test_bad_numeric_entities),
        cmocka_unit_test(test_present),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
