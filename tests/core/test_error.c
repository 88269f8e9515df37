/*
 * Tests for core/error.c: every code has a distinct name and text, unknown
 * codes are named as such, cfd_error_set/clear/prefix fill the struct as
 * error.h promises (including truncation and NULL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <classifyd/error.h>

static const int all_codes[] = {
    CFD_OK, CFD_ENOMEM, CFD_EINVAL, CFD_EIO, CFD_ENOENT, CFD_EUTF8,
    CFD_EFORMAT, CFD_EVERSION, CFD_ECHECKSUM, CFD_ETOOBIG, CFD_ERANGE,
    CFD_EEXIST, CFD_EPERM, CFD_EBUSY, CFD_EMISMATCH, CFD_ETRUNC, CFD_EEMPTY,
};
#define NCODES (sizeof all_codes / sizeof all_codes[0])

static void test_names_distinct(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCODES; i++) {
        const char *n = cfd_errname(all_codes[i]);
        const char *t = cfd_strerror(all_codes[i]);
        assert_non_null(n);
        assert_non_null(t);
        assert_string_not_equal(n, "unknown");
        assert_string_not_equal(t, "unknown error");
        /* JSON-safe identifier: lower case, digits and underscores only */
        for (const char *p = n; *p; p++)
            assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_');
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(n, cfd_errname(all_codes[j]));
            assert_string_not_equal(t, cfd_strerror(all_codes[j]));
        }
    }
    assert_string_equal(cfd_errname(CFD_EUTF8), "invalid_utf8");
    assert_string_equal(cfd_strerror(CFD_EUTF8), "invalid UTF-8");
}

static void test_unknown(void **state)
{
    (void)state;
    assert_string_equal(cfd_errname(-9999), "unknown");
    assert_string_equal(cfd_strerror(42), "unknown error");
}

static void test_set_clear(void **state)
{
    (void)state;
    cfd_error e;
    memset(&e, 0x55, sizeof e);
    cfd_error_clear(&e);
    assert_int_equal(e.code, 0);
    assert_int_equal(e.offset, (size_t)-1);
    assert_string_equal(e.msg, "");

    int rc = cfd_error_set(&e, CFD_EUTF8, 17, "body: invalid UTF-8 at byte %zu", (size_t)17);
    assert_int_equal(rc, CFD_EUTF8);
    assert_int_equal(e.code, CFD_EUTF8);
    assert_int_equal(e.offset, 17);
    assert_string_equal(e.msg, "body: invalid UTF-8 at byte 17");

    /* NULL is accepted and the code still returned */
    assert_int_equal(cfd_error_set(NULL, CFD_EIO, 0, "x"), CFD_EIO);
    cfd_error_clear(NULL);
    cfd_error_prefix(NULL, "file");
}

static void test_set_truncates(void **state)
{
    (void)state;
    cfd_error e;
    char longmsg[1000];
    memset(longmsg, 'm', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    cfd_error_set(&e, CFD_EINVAL, 0, "%s", longmsg);
    assert_int_equal(strlen(e.msg), CFD_ERROR_MSG_MAX - 1);
}

static void test_prefix(void **state)
{
    (void)state;
    cfd_error e;
    cfd_error_set(&e, CFD_EFORMAT, 3, "line %d: expected a tab", 12);
    cfd_error_prefix(&e, "%s", "train.tsv");
    assert_string_equal(e.msg, "train.tsv: line 12: expected a tab");
    assert_int_equal(e.code, CFD_EFORMAT);
    assert_int_equal(e.offset, 3);

    /* A prefix longer than the buffer is cut, still NUL-terminated. */
    char longp[600];
    memset(longp, 'p', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    cfd_error_prefix(&e, "%s", longp);
    assert_int_equal(strlen(e.msg), CFD_ERROR_MSG_MAX - 1);
    assert_int_equal(e.msg[0], 'p');

    /* Old message cut at the end when prefix + old exceed the buffer. */
    char mid[311];
    memset(mid, 'q', sizeof mid - 1);
    mid[sizeof mid - 1] = '\0';
    cfd_error_set(&e, CFD_EIO, 0, "%s", "tail-of-message");
    cfd_error_prefix(&e, "%s", mid);
    assert_int_equal(strlen(e.msg), CFD_ERROR_MSG_MAX - 1);
    assert_memory_equal(e.msg + 310, ": tail-", 7);
    assert_int_equal(e.msg[317], 'o');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_distinct),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_set_clear),
        cmocka_unit_test(test_set_truncates),
        cmocka_unit_test(test_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
