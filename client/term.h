/*
 * Terminal output helpers for classifyctl tables: display width of UTF-8
 * text (Hangul and Han take two columns, combining marks none) so columns of
 * Korean labels line up, and padding/truncating to a column width.
 *
 * Threads: pure functions plus writes to the given FILE.
 */
#ifndef CFD_CLIENT_TERM_H
#define CFD_CLIENT_TERM_H

#include <stdio.h>

/* Columns s occupies in a terminal (valid UTF-8; invalid bytes count 1). */
int cfd_term_width(const char *s);

/* Prints s in exactly `width` columns: padded with spaces on the right, or
 * cut at a character boundary and ended with "…" when too wide. */
void cfd_term_pad(FILE *f, const char *s, int width);

#endif
