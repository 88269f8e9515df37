/*
 * Scratch directories for unit tests: a fresh /tmp/cfd-test-<tag>-XXXXXX per
 * test group, files written into it, and removal afterwards. Several
 * tests in tests/training used to carry their own copy of these helpers.
 *
 * Ownership: the caller owns the dir buffer; cfd_test_write returns a path in
 * a static buffer, valid until its next call. Threads: test main thread only.
 */
#ifndef CFD_TEST_TMPDIR_H
#define CFD_TEST_TMPDIR_H

#include <stddef.h>

/* Creates /tmp/cfd-test-<tag>-XXXXXX and writes its path into dir (cap bytes).
 * Returns 0, or -1 (path too long for dir, or mkdtemp failed). */
int cfd_test_tmpdir(char *dir, size_t cap, const char *tag);

/* Removes dir and everything in it. Returns 0 or -1. */
int cfd_test_rmtree(const char *dir);

/* Writes len bytes to dir/name (binary, replacing the file), failing the test
 * on any error, and returns the file's path. */
const char *cfd_test_write(const char *dir, const char *name, const void *bytes, size_t len);

/* cfd_test_write of a NUL-terminated string. */
const char *cfd_test_write_str(const char *dir, const char *name, const char *text);

#endif
