/*
 * Tests for core/buf.c: growth, NUL termination, printf, JSON string escaping
 * (RFC 8259), JSON floats, reset keeping the allocation, and the sticky
 * out-of-memory flag.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <classifyd/error.h>

#include "buf.h"

static void test_append_grows(void **state)
{
    (void)state;
    cfd_buf b = CFD_BUF_INIT;
    char expect[5000];
    for (size_t i = 0; i < sizeof expect - 1; i++) {
        char c = (char)('a' + i % 26);
        expect[i] = c;
        assert_int_equal(cfd_buf_putc(&b, c), 0);
        assert_int_equal(b.len, i + 1);
        assert_true(b.cap > b.len);
        assert_int_equal(b.data[b.len], '\0');
    }
    expect[sizeof expect - 1] = '\0';
    assert_string_equal(b.data, expect);
    assert_int_equal(b.oom, 0);
    cfd_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
}

static void test_puts_printf(void **state)
{
    (void)state;
    cfd_buf b = CFD_BUF_INIT;
    assert_int_equal(cfd_buf_puts(&b, "n="), 0);
    assert_int_equal(cfd_buf_printf(&b, "%d,%s", 42, "기자"), 0);
    assert_string_equal(b.data, "n=42,기자");
    /* printf larger than the initial capacity */
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(cfd_buf_printf(&b, "[%s]", big), 0);
    assert_int_equal(b.len, strlen("n=42,기자") + 1001);
    assert_int_equal(b.data[b.len - 1], ']');
    assert_int_equal(b.data[b.len], '\0');
    cfd_buf_free(&b);
}

static void test_append_binary(void **state)
{
    (void)state;
    cfd_buf b = CFD_BUF_INIT;
    assert_int_equal(cfd_buf_append(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 3);
    assert_int_equal(cfd_buf_append(&b, NULL, 0), 0);
    assert_int_equal(b.len, 3);
    cfd_buf_free(&b);
}

static void test_json_str(void **state)
{
    (void)state;
    cfd_buf b = CFD_BUF_INIT;
    const char in[] = "a\"b\\c\n\t\r\x01\x1f\x7f 한국";
    assert_int_equal(cfd_buf_json_str(&b, in, sizeof in - 1), 0);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\t\\r\\u0001\\u001f\x7f 한국\"");
    cfd_buf_reset(&b);
    assert_int_equal(cfd_buf_json_str(&b, "x\0y", 3), 0);
    assert_string_equal(b.data, "\"x\\u0000y\"");
    assert_int_equal(b.len, strlen("\"x\\u0000y\""));
    cfd_buf_reset(&b);
    assert_int_equal(cfd_buf_json_str(&b, "", 0), 0);
    assert_string_equal(b.data, "\"\"");
    cfd_buf_free(&b);
}

static void test_json_float(void **state)
{
    (void)state;
    cfd_buf b = CFD_BUF_INIT;
    assert_int_equal(cfd_buf_json_float(&b, 0.25), 0);
    assert_int_equal(cfd_buf_putc(&b, ','), 0);
    assert_int_equal(cfd_buf_json_float(&b, 1.0 / 0.0), 0);
    assert_int_equal(cfd_buf_putc(&b, ','), 0);
    assert_int_equal(cfd_buf_json_float(&b, __builtin_nan("")), 0);
    assert_int_equal(cfd_buf_putc(&b, ','), 0);
    assert_int_equal(cfd_buf_json_float(&b, -3.5e-7), 0);
    assert_string_equal(b.data, "0.25,0,0,-3.5e-07");
    cfd_buf_free(&b);
}

static void test_reset_keeps_allocation(void **state)
{
    (void)state;
    cfd_buf b = CFD_BUF_INIT;
    assert_int_equal(cfd_buf_puts(&b, "some reply body"), 0);
    char *data = b.data;
    size_t cap = b.cap;
    cfd_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.cap, cap);
    assert_string_equal(b.data, "");
    assert_int_equal(cfd_buf_puts(&b, "again"), 0);
    assert_ptr_equal(b.data, data);
    assert_string_equal(b.data, "again");
    cfd_buf_free(&b);
}

/* A size known in advance takes exactly that room (plus the NUL), not the
 * next power of two; room already there is kept. */
static void test_reserve_exact(void **state)
{
    (void)state;
    cfd_buf b = CFD_BUF_INIT;
    assert_int_equal(cfd_buf_reserve_exact(&b, 61440), 0);
    assert_int_equal(b.cap, 61441);
    assert_int_equal(cfd_buf_append(&b, "x", 1), 0);
    assert_int_equal(b.cap, 61441);
    assert_int_equal(cfd_buf_reserve_exact(&b, 100), 0); /* fits: unchanged */
    assert_int_equal(b.cap, 61441);
    assert_int_equal(cfd_buf_reserve_exact(&b, 61440), 0);
    assert_int_equal(b.cap, 61442);
    assert_string_equal(b.data, "x");
    cfd_buf_free(&b);
}

static void test_oom_is_sticky(void **state)
{
    (void)state;
    cfd_buf b = CFD_BUF_INIT;
    assert_int_equal(cfd_buf_puts(&b, "x"), 0);
    /* A request that cannot be satisfied marks the buffer failed. */
    assert_int_equal(cfd_buf_reserve(&b, (size_t)-1), CFD_ENOMEM);
    assert_int_not_equal(b.oom, 0);
    assert_int_equal(cfd_buf_puts(&b, "y"), CFD_ENOMEM);
    assert_int_equal(cfd_buf_printf(&b, "%d", 1), CFD_ENOMEM);
    assert_int_equal(b.len, 1);
    assert_string_equal(b.data, "x");
    /* reset clears the flag */
    cfd_buf_reset(&b);
    assert_int_equal(b.oom, 0);
    assert_int_equal(cfd_buf_puts(&b, "z"), 0);
    assert_string_equal(b.data, "z");
    cfd_buf_free(&b);
}

/* cfd_memdup keeps every byte, NULs included, and adds one. */
static void test_memdup(void **state)
{
    (void)state;
    char *c = cfd_memdup("ab\0cd", 5);
    assert_non_null(c);
    assert_memory_equal(c, "ab\0cd\0", 6);
    free(c);
    c = cfd_memdup("", 0);
    assert_non_null(c);
    assert_int_equal(c[0], '\0');
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memdup),
        cmocka_unit_test(test_reserve_exact),
        cmocka_unit_test(test_append_grows),
        cmocka_unit_test(test_puts_printf),
        cmocka_unit_test(test_append_binary),
        cmocka_unit_test(test_json_str),
        cmocka_unit_test(test_json_float),
        cmocka_unit_test(test_reset_keeps_allocation),
        cmocka_unit_test(test_oom_is_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
