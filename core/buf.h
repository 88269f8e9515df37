/*
 * cfd_buf: a growable byte buffer, used to build replies (JSON, Prometheus
 * text) and to read files. Appends never fail silently: each returns 0 or
 * CFD_ENOMEM, and after a failure the buffer is marked failed (b->oom) so a
 * caller may append many pieces and check once at the end.
 *
 * Ownership: the buffer owns data; cfd_buf_free releases it. cfd_buf_reset
 * keeps the allocation for reuse (no allocation per request once warm).
 * Threads: one thread at a time per buffer.
 */
#ifndef CFD_BUF_H
#define CFD_BUF_H

#include <stddef.h>

typedef struct cfd_buf {
    char *data;    /* NUL-terminated when len < cap (always after appends) */
    size_t len;
    size_t cap;
    int oom;       /* non-zero once an append has failed */
} cfd_buf;

#define CFD_BUF_INIT {NULL, 0, 0, 0}

int cfd_buf_reserve(cfd_buf *b, size_t extra);
/* Like cfd_buf_reserve, but when the buffer must grow it takes exactly
 * len + extra + 1 bytes instead of the next power of two: for a size known
 * in advance (a request body with a Content-Length). */
int cfd_buf_reserve_exact(cfd_buf *b, size_t extra);
int cfd_buf_append(cfd_buf *b, const void *p, size_t n);
int cfd_buf_puts(cfd_buf *b, const char *s);
int cfd_buf_putc(cfd_buf *b, char c);
int cfd_buf_printf(cfd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s[0..n) as a JSON string literal with quotes, escaping as RFC 8259
 * requires (control characters as \u00XX). s must be valid UTF-8. */
int cfd_buf_json_str(cfd_buf *b, const char *s, size_t n);
/* Appends a float in JSON (finite; NaN/inf written as 0). */
int cfd_buf_json_float(cfd_buf *b, double v);
void cfd_buf_reset(cfd_buf *b);
void cfd_buf_free(cfd_buf *b);

/* A malloc'd copy of p[0..n) plus a NUL (every byte kept, NULs included,
 * unlike strndup); NULL when out of memory. The caller frees it. */
char *cfd_memdup(const void *p, size_t n);

#endif
