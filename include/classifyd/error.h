/*
 * classifyd error convention (public).
 *
 * Every fallible function in classifyd -- core library, daemon, plugins,
 * training tools -- returns an int: 0 (CFD_OK) on success or one of the
 * negative CFD_E* codes below. Nothing else is an error value; no function
 * returns a positive error, sets errno as its only report, or exits.
 *
 * Where a user needs to know *what* was wrong and *where*, the function also
 * takes a `cfd_error *` (which may be NULL) and fills it with the same code, a
 * byte offset when one applies, and a message meant for a human: it names the
 * thing (file, line, field) and the expected value, e.g.
 *   "topic.cfdm: checksum mismatch (stored 1a2b.., computed 9f8e..):
 *    the file is damaged; retrain or copy it again".
 *
 * Threads: all functions here are re-entrant; a cfd_error belongs to the
 * caller and is written only by the call it was passed to.
 */
#ifndef CLASSIFYD_ERROR_H
#define CLASSIFYD_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum cfd_errcode {
    CFD_OK = 0,
    CFD_ENOMEM = -1,     /* allocation failed */
    CFD_EINVAL = -2,     /* invalid argument or input value */
    CFD_EIO = -3,        /* read/write/open failed (see message for errno text) */
    CFD_ENOENT = -4,     /* file or named thing does not exist */
    CFD_EUTF8 = -5,      /* invalid UTF-8; cfd_error.offset is the byte offset */
    CFD_EFORMAT = -6,    /* malformed file, record or message */
    CFD_EVERSION = -7,   /* unsupported format/ABI version */
    CFD_ECHECKSUM = -8,  /* stored checksum does not match contents */
    CFD_ETOOBIG = -9,    /* input exceeds a configured or sane limit */
    CFD_ERANGE = -10,    /* numeric value out of range */
    CFD_EEXIST = -11,    /* already exists / already running */
    CFD_EPERM = -12,     /* not allowed (credentials, path escape) */
    CFD_EBUSY = -13,     /* resource busy; try again */
    CFD_EMISMATCH = -14, /* incompatible pieces (model for another plugin, ...) */
    CFD_ETRUNC = -15,    /* input ended early (truncated file or body) */
    CFD_EEMPTY = -16     /* required text or data is empty */
};

/* Human-readable name of a code ("invalid UTF-8"); never NULL. */
const char *cfd_strerror(int code);

/* Short stable identifier of a code ("invalid_utf8"), used in JSON replies. */
const char *cfd_errname(int code);

#define CFD_ERROR_MSG_MAX 320

typedef struct cfd_error {
    int code;          /* same value the function returned */
    size_t offset;     /* byte offset of the problem, or (size_t)-1 if none */
    char msg[CFD_ERROR_MSG_MAX];
} cfd_error;

/* Clears *err (code 0, offset -1, empty message). err may be NULL. */
void cfd_error_clear(cfd_error *err);

/*
 * Fills *err (if not NULL) with code, offset and a printf-formatted message,
 * and returns code, so a failing path can `return cfd_error_set(...)`.
 */
int cfd_error_set(cfd_error *err, int code, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prepends "prefix: " to an existing message (e.g. a file name). */
void cfd_error_prefix(cfd_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
