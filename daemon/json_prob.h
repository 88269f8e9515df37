/*
 * Small JSON writers for the engine's replies. Numbers without printf: a
 * probability is [0,1] rounded to 4 decimals, trailing zeros dropped
 * ("0.9123", "0.5", "1", "0"); replies carry one per label of every plugin
 * and printf would cost more than scoring. And messages that may hold
 * bytes from outside (plugin and model errors, names cut to a length) as
 * JSON strings that are always valid UTF-8.
 *
 * Threads: pure functions on the caller's buffer.
 */
#ifndef CFD_JSON_PROB_H
#define CFD_JSON_PROB_H

#include <string.h>

#include <classifyd/error.h>

#include "buf.h"
#include "utf8.h"

static inline int cfd_json_prob(cfd_buf *b, double p)
{
    if (!(p > 0)) /* also NaN */
        p = 0;
    if (p > 1)
        p = 1;
    unsigned v = (unsigned)(p * 10000.0 + 0.5); /* 0..10000 */
    char s[8];
    size_t n = 0;
    if (v >= 10000) {
        s[n++] = '1';
    } else if (v == 0) {
        s[n++] = '0';
    } else {
        s[n++] = '0';
        s[n++] = '.';
        s[n++] = (char)('0' + v / 1000);
        s[n++] = (char)('0' + v / 100 % 10);
        s[n++] = (char)('0' + v / 10 % 10);
        s[n++] = (char)('0' + v % 10);
        while (s[n - 1] == '0')
            n--;
    }
    return cfd_buf_append(b, s, n);
}

/* Appends an unsigned integer in decimal (no printf on the hot path). */
static inline int cfd_json_uint(cfd_buf *b, unsigned long long v)
{
    char s[24];
    size_t n = sizeof(s);
    do {
        s[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return cfd_buf_append(b, s + n, sizeof(s) - n);
}

/* Appends msg as a JSON string, cut before its first invalid UTF-8 byte
 * (a message may end in a name truncated mid-character by snprintf). */
static inline int cfd_json_text(cfd_buf *b, const char *msg)
{
    size_t n = strlen(msg), bad;
    if (cfd_utf8_validate(msg, n, &bad) != 0)
        n = bad;
    return cfd_buf_json_str(b, msg, n);
}

/* Cuts err->msg before its first invalid UTF-8 byte, so whoever writes the
 * message into a JSON reply writes valid JSON. */
static inline void cfd_error_fix_utf8(cfd_error *err)
{
    size_t bad;
    if (err != NULL && cfd_utf8_validate(err->msg, strlen(err->msg), &bad) != 0)
        err->msg[bad] = '\0';
}

/* Longest prefix of s[0..len) of at most max bytes that ends on a UTF-8
 * character boundary (s is valid UTF-8). */
static inline size_t cfd_utf8_prefix(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

#endif
