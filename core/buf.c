/* Growable byte buffer; see buf.h. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <classifyd/error.h>

#include "buf.h"

/* Makes room for extra more bytes and a NUL: the capacity grows to the next
 * power of two (from 256), or to exactly what is needed when exact. */
static int cfd__buf_grow(cfd_buf *b, size_t extra, int exact)
{
    if (b->oom)
        return CFD_ENOMEM;
    if (extra > ((size_t)-1) / 2 - b->len)
        goto fail;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = need;
    if (!exact) {
        cap = b->cap ? b->cap : 256;
        while (cap < need)
            cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (p == NULL)
        goto fail;
    b->data = p;
    b->cap = cap;
    return 0;
fail:
    b->oom = 1;
    return CFD_ENOMEM;
}

int cfd_buf_reserve(cfd_buf *b, size_t extra)
{
    return cfd__buf_grow(b, extra, 0);
}

int cfd_buf_reserve_exact(cfd_buf *b, size_t extra)
{
    return cfd__buf_grow(b, extra, 1);
}

int cfd_buf_append(cfd_buf *b, const void *p, size_t n)
{
    if (cfd_buf_reserve(b, n) != 0)
        return CFD_ENOMEM;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int cfd_buf_puts(cfd_buf *b, const char *s) { return cfd_buf_append(b, s, strlen(s)); }

int cfd_buf_putc(cfd_buf *b, char c) { return cfd_buf_append(b, &c, 1); }

int cfd_buf_printf(cfd_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || cfd_buf_reserve(b, (size_t)n) != 0)
        return CFD_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int cfd_buf_json_str(cfd_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* Worst case every byte becomes \u00XX. */
    if (cfd_buf_reserve(b, n * 6 + 2) != 0)
        return CFD_ENOMEM;
    char *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u'; *o++ = '0'; *o++ = '0';
            *o++ = hex[c >> 4]; *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return 0;
}

int cfd_buf_json_float(cfd_buf *b, double v)
{
    if (!isfinite(v))
        v = 0;
    return cfd_buf_printf(b, "%.6g", v);
}

void cfd_buf_reset(cfd_buf *b)
{
    b->len = 0;
    b->oom = 0;
    if (b->data)
        b->data[0] = '\0';
}

void cfd_buf_free(cfd_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

char *cfd_memdup(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s != NULL) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}
