/* errno texts without strerror's shared buffer; see errno_text.h. */
#define _GNU_SOURCE /* strerror_r returning char * */
#include <stdio.h>
#include <string.h>

#include "errno_text.h"

const char *cfd_errno_text(int e, char *buf, size_t cap)
{
    if (buf == NULL || cap == 0)
        return "unknown error";
    buf[0] = '\0';
    /* GNU strerror_r: returns a constant string or buf, never NULL. */
    const char *s = strerror_r(e, buf, cap);
    if (s == NULL || s[0] == '\0') {
        snprintf(buf, cap, "error %d", e);
        s = buf;
    }
    return s;
}
