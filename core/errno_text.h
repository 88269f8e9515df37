/*
 * The text of an errno value, for messages written on any thread.
 *
 * strerror(3) is MT-Unsafe ("race:strerror": the text may live in one
 * buffer the next call on another thread overwrites), and the daemon's
 * event loops, its libuv pool threads (reloads, plugin load()) and
 * classifyctl batch's workers all build messages from errno at once. This
 * is strerror_r, which writes into the caller's buffer.
 *
 * Threads: any; no shared state. Ownership: the returned text is either a
 * constant string or buf, valid as long as buf is.
 */
#ifndef CFD_ERRNO_TEXT_H
#define CFD_ERRNO_TEXT_H

#include <stddef.h>

#define CFD_ERRNO_TEXT_MAX 128

/* The text of e ("No such file or directory"), in buf[0..cap) or constant;
 * never NULL. */
const char *cfd_errno_text(int e, char *buf, size_t cap);

/* cfd_errno_text into a buffer that lives until the end of the enclosing
 * block (a compound literal): a drop-in for strerror(e) as the argument of
 * a message, e.g. cfd_error_set(err, CFD_EIO, -1, "%s: %s", p, cfd_errno_str(e)). */
#define cfd_errno_str(e) \
    cfd_errno_text((e), (char[CFD_ERRNO_TEXT_MAX]){0}, CFD_ERRNO_TEXT_MAX)

#endif
