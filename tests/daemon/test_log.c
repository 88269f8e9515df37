/*
 * Tests for the request log (daemon/log.c): cfd_log_reopen_requests after
 * logrotate renamed the file sends the next lines to a new file, also when
 * the daemon was started with stdin closed and the log file got descriptor
 * 0; stderr ("-") and no log are left alone; cfd_log_close_requests closes
 * the file whatever its descriptor; a file that cannot be opened or
 * reopened is named, with the reason, in the cfd_error. And the
 * once-a-second limiter for lines clients can cause by the thousand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_test_util.h"
#include "log.h"

/* Lines in path containing needle (0 when the file does not exist). */
static int count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* Writes one request line, renames the file, reopens, writes another:
 * one line in each file. */
static void rotate_and_check(const char *dir)
{
    char path[512], old[512];
    snprintf(path, sizeof(path), "%s/req.log", dir);
    snprintf(old, sizeof(old), "%s/req.log.1", dir);
    cfd_log_request("GET", "/first", 6, 200, 10, 1);
    assert_int_equal(rename(path, old), 0);
    assert_int_equal(cfd_log_reopen_requests(path, NULL), 0);
    cfd_log_request("GET", "/second", 7, 200, 10, 1);
    assert_int_equal(count_lines(old, " GET /first 200 "), 1);
    assert_int_equal(count_lines(old, " GET /second "), 0);
    assert_int_equal(count_lines(path, " GET /second 200 "), 1);
}

static void test_reopen_after_rename(void **state)
{
    (void)state;
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/req.log", dir);
    assert_int_equal(cfd_log_open_requests(path, NULL), 0);
    assert_true(cfd_log_requests_enabled());
    rotate_and_check(dir);
    cfd_log_close_requests();
    assert_false(cfd_log_requests_enabled());
    tu_rmrf(dir);
}

/* Started with stdin closed (a supervisor's `<&-`): the log file is
 * descriptor 0, and SIGUSR1 must still reopen it, closing must close it. */
static void test_reopen_on_descriptor_zero(void **state)
{
    (void)state;
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/req.log", dir);
    int saved = dup(STDIN_FILENO);
    assert_true(saved > STDERR_FILENO);
    close(STDIN_FILENO);
    assert_int_equal(cfd_log_open_requests(path, NULL), 0);
    assert_int_equal(fcntl(STDIN_FILENO, F_GETFD), FD_CLOEXEC); /* it got 0 */
    rotate_and_check(dir);
    cfd_log_close_requests();
    assert_int_equal(fcntl(STDIN_FILENO, F_GETFD), -1); /* closed */
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
    tu_rmrf(dir);
}

/* "-" (stderr) and no log: nothing to reopen, nothing closed. */
static void test_reopen_stderr_and_off(void **state)
{
    (void)state;
    assert_int_equal(cfd_log_reopen_requests(NULL, NULL), 0);
    assert_int_equal(cfd_log_reopen_requests("", NULL), 0);
    assert_int_equal(cfd_log_open_requests("-", NULL), 0);
    assert_true(cfd_log_requests_enabled());
    assert_int_equal(cfd_log_reopen_requests("-", NULL), 0);
    cfd_log_close_requests();
    assert_true(fcntl(STDERR_FILENO, F_GETFD) >= 0); /* stderr stays open */
    assert_int_equal(cfd_log_open_requests("", NULL), 0);
    assert_false(cfd_log_requests_enabled());
}

/* cfd_log_every_second: the first event is logged; of a burst, at most
 * one line per second is, and every event is either logged or counted and
 * reported with the next line (no timing assumed: a burst may straddle a
 * second). */
static void test_every_second(void **state)
{
    (void)state;
    cfd_log_every e = {0};
    unsigned long quiet = 99, reported = 0, logged = 0;
    assert_int_equal(cfd_log_every_second(&e, &quiet), 1);
    assert_int_equal(quiet, 0);
    logged++;
    for (int i = 0; i < 1000; i++) {
        if (cfd_log_every_second(&e, &quiet)) {
            logged++;
            reported += quiet;
        }
    }
    assert_true(logged <= 3);
    assert_int_equal(logged + reported + atomic_load(&e.quiet), 1001);
}

/* Failures say which file and why in err (the error convention), instead of
 * a bare CFD_EIO and errno for the caller to pick up; a failed reopen keeps
 * writing to the file in use. */
static void test_errors_name_the_file(void **state)
{
    (void)state;
    char dir[256], path[512], gone[512];
    cfd_error err;
    tu_tmpdir(dir, sizeof(dir));
    snprintf(gone, sizeof(gone), "%s/no-such-dir/req.log", dir);
    cfd_error_clear(&err);
    assert_int_equal(cfd_log_open_requests(gone, &err), CFD_EIO);
    assert_int_equal(err.code, CFD_EIO);
    assert_non_null(strstr(err.msg, gone));
    assert_non_null(strstr(err.msg, "No such file or directory"));
    assert_non_null(strstr(err.msg, "leave request_log unset"));
    assert_false(cfd_log_requests_enabled());

    snprintf(path, sizeof(path), "%s/req.log", dir);
    assert_int_equal(cfd_log_open_requests(path, &err), 0);
    cfd_error_clear(&err);
    assert_int_equal(cfd_log_reopen_requests(gone, &err), CFD_EIO);
    assert_non_null(strstr(err.msg, gone));
    assert_non_null(strstr(err.msg, "No such file or directory"));
    assert_non_null(strstr(err.msg, "still writing to the old file"));
    cfd_log_request("GET", "/after", 6, 200, 10, 1);
    assert_int_equal(count_lines(path, " GET /after 200 "), 1);
    cfd_log_close_requests();
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_name_the_file),
        cmocka_unit_test(test_reopen_after_rename),
        cmocka_unit_test(test_reopen_on_descriptor_zero),
        cmocka_unit_test(test_reopen_stderr_and_off),
        cmocka_unit_test(test_every_second),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
