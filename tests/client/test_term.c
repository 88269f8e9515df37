/*
 * Tests for client/term.c: terminal cell widths of UTF-8 text, so that
 * classifyctl's tables line up with Korean labels.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "term.h"

static void test_width(void **state)
{
    (void)state;
    assert_int_equal(cfd_term_width(""), 0);
    assert_int_equal(cfd_term_width("IT"), 2);
    assert_int_equal(cfd_term_width("경제"), 4);            /* Hangul syllables: 2 cells */
    assert_int_equal(cfd_term_width("IT과학"), 6);
    assert_int_equal(cfd_term_width("e\xcc\x81"), 1);       /* e + combining acute: 1 */
    assert_int_equal(cfd_term_width("\xef\xbc\xa1"), 2);    /* fullwidth A */
    assert_int_equal(cfd_term_width("a\xff" "b"), 3);       /* a stray byte counts 1 */
}

static char *padded(const char *s, int width)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cfd_term_pad(f, s, width);
    fclose(f);
    return buf;
}

static void test_pad(void **state)
{
    (void)state;
    char *p = padded("경제", 6);
    assert_string_equal(p, "경제  ");
    assert_int_equal(cfd_term_width(p), 6);
    free(p);
    p = padded("생활문화", 5); /* 8 cells into 5: two syllables and the ellipsis */
    assert_string_equal(p, "생활\xE2\x80\xA6");
    assert_int_equal(cfd_term_width(p), 5);
    free(p);
    p = padded("생활문화", 6); /* never splits a wide character: pads instead */
    assert_string_equal(p, "생활\xE2\x80\xA6 ");
    assert_int_equal(cfd_term_width(p), 6);
    free(p);
    p = padded("abc", 3);
    assert_string_equal(p, "abc");
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_pad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
