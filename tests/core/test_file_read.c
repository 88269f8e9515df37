/*
 * Tests for core/file_read.c: whole files, empty files, pipes, the size
 * limit for both (a regular file is refused before reading, a pipe once it
 * passes the limit), a missing path and a directory, each with its code
 * and a message naming the path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file_read.h"
#include "tmpdir.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    return cfd_test_tmpdir(dir, sizeof dir, "file_read");
}

static int teardown(void **state)
{
    (void)state;
    cfd_test_rmtree(dir);
    return 0;
}

static void test_regular_and_empty(void **state)
{
    (void)state;
    char path[300], *data;
    size_t len;
    cfd_error err;
    snprintf(path, sizeof path, "%s", cfd_test_write(dir, "a.txt", "경제\t중기부\n\0x", 16));
    struct stat st;
    assert_int_equal(cfd_file_read(path, 100, &data, &len, &st, &err), 0);
    assert_int_equal(len, 16);
    assert_memory_equal(data, "경제\t중기부\n\0x", 16);
    assert_int_equal(data[16], '\0');
    assert_int_equal(st.st_size, 16);
    free(data);
    /* exactly the limit is fine, one byte less is not */
    assert_int_equal(cfd_file_read(path, 16, &data, &len, NULL, &err), 0);
    free(data);
    assert_int_equal(cfd_file_read(path, 15, &data, &len, NULL, &err), CFD_ETOOBIG);
    assert_null(data);
    assert_non_null(strstr(err.msg, "a.txt: 16 bytes, more than the 15"));

    snprintf(path, sizeof path, "%s", cfd_test_write(dir, "empty", "", 0));
    assert_int_equal(cfd_file_read(path, 100, &data, &len, NULL, &err), 0);
    assert_int_equal(len, 0);
    assert_int_equal(data[0], '\0');
    free(data);
}

static void test_missing_and_directory(void **state)
{
    (void)state;
    char path[300], *data;
    size_t len;
    cfd_error err;
    snprintf(path, sizeof path, "%s/nope", dir);
    assert_int_equal(cfd_file_read(path, 100, &data, &len, NULL, &err), CFD_ENOENT);
    assert_non_null(strstr(err.msg, "nope: cannot open"));
    assert_non_null(strstr(err.msg, "(check the path)"));
    assert_int_equal(cfd_file_read(dir, 100, &data, &len, NULL, &err), CFD_EIO);
    assert_non_null(strstr(err.msg, "not a regular file"));
    assert_null(data);
}

/* A pipe: size unknown until the end; 200 KB read in several chunks, and
 * refused once past the limit. */
static void pipe_read(size_t total, size_t max, int want_rc)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        char chunk[4096];
        for (size_t i = 0; i < sizeof chunk; i++)
            chunk[i] = (char)('a' + i % 26);
        size_t sent = 0;
        while (sent < total) {
            size_t k = total - sent < sizeof chunk ? total - sent : sizeof chunk;
            if (write(fds[1], chunk, k) != (ssize_t)k)
                _exit(1);
            sent += k;
        }
        _exit(0);
    }
    close(fds[1]);
    char *data;
    size_t len;
    cfd_error err;
    int rc = cfd_file_read_fd(fds[0], "the pipe", max, &data, &len, &err);
    close(fds[0]); /* the writer may be blocked on a full pipe when refused */
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(rc, want_rc);
    if (rc == 0) {
        assert_int_equal(len, total);
        for (size_t i = 0; i < len; i++)
            if (data[i] != (char)('a' + (i % 4096) % 26))
                fail_msg("byte %zu differs", i);
        assert_int_equal(data[len], '\0');
        free(data);
    } else {
        assert_non_null(strstr(err.msg, "the pipe: more than the"));
        assert_null(data);
    }
}

static void test_pipe(void **state)
{
    (void)state;
    pipe_read(200000, 1 << 20, 0);
    pipe_read(200000, 200000, 0);
    pipe_read(200001, 200000, CFD_ETOOBIG);
    pipe_read(0, 10, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regular_and_empty),
        cmocka_unit_test(test_missing_and_directory),
        cmocka_unit_test(test_pipe),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
