/*
 * Fast JSON numbers for replies. A probability: [0,1] rounded to 4 decimals, trailing
 * zeros dropped ("0.9123", "0.5", "1", "0"). Replies carry one number per
 * label of every plugin; printf would cost more than scoring.
 *
 * Threads: pure function on the caller's buffer.
 */
#ifndef CFD_JSON_PROB_H
#define CFD_JSON_PROB_H

#include "buf.h"

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

#endif
