/*
 * INI files as the daemon reads them (the config file and the aggregation
 * rules): read whole into memory, checked to be text that libinih will read
 * the way it looks, then handed to ini_parse_string().
 *
 * Why the check: Debian's libinih is built with a 200-byte line buffer
 * (INI_MAX_LINE) and reads a longer line as two lines, so a long path would
 * be cut in two and the second half reported as a syntax error on a line
 * that does not exist; and a NUL byte ends a line early. Both are refused
 * here with the line and column, before inih sees the text.
 *
 * Thread: any; no global state. Ownership: *text is malloc'd, the caller
 * frees it.
 */
#ifndef CFD_INI_FILE_H
#define CFD_INI_FILE_H

#include <stddef.h>

#include <ini.h>

#include "classifyd/error.h"

/* The longest line (without its line ending) an INI file may have. */
#define CFD_INI_MAX_LINE 196
/* The largest INI file the daemon reads. */
#define CFD_INI_MAX_FILE (1u << 20)

/* Flags for cfd_ini_check. libinih reads an indented line as the
 * continuation of the value above it; a file with no multi-line values
 * (the aggregation rules) refuses indented lines instead, since there the
 * indentation is a mistake that would otherwise end up inside a value. */
enum { CFD_INI_NO_CONTINUATION = 1 };

/* Checks that text[0..len) is a file inih reads as written: no NUL or other
 * control bytes but tab, CR and LF; no line longer than CFD_INI_MAX_LINE;
 * with CFD_INI_NO_CONTINUATION, no indented line other than a comment.
 * name names the file in the error ("name:LINE:COL: ..."). */
int cfd_ini_check(const char *text, size_t len, const char *name, unsigned flags,
                  cfd_error *err);

/*
 * Runs libinih's parser over checked text (cfd_ini_check), keeping track of
 * the line each handler call comes from. libinih does not stop at an error:
 * it goes on calling the handler and returns the line of the first error,
 * whatever later lines did, so a caller that kept "the" message could name
 * one line and print another line's problem. Here the handler is not called
 * again once it has failed, and *handler_failed says whether the returned
 * line is the handler's failure (its message is the one to print) or a
 * syntax error libinih found (an earlier line). Returns 0, the line (> 0)
 * of the first error, or a negative value when libinih ran out of memory.
 * line, if not NULL, is set to the line of each handler call before the
 * call (a handler that remembers where a key was set, for an error found
 * only once the whole file is read).
 */
int cfd_ini_parse(const char *text, ini_handler handler, void *user, int *handler_failed,
                  int *line);

/* Reads path (at most CFD_INI_MAX_FILE bytes) into a NUL-terminated
 * malloc'd buffer and checks it with cfd_ini_check(flags). */
int cfd_ini_read(const char *path, unsigned flags, char **text, size_t *len, cfd_error *err);

#endif
