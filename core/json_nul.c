/* "\u0000" in JSON read as a space; see json_nul.h. */
#define _GNU_SOURCE /* memmem */
#include "json_nul.h"

#include <stddef.h>
#include <string.h>

const char *cfd_json_nul_to_space(const char *json, size_t len, cfd_buf *copy)
{
    const char *p = json, *end = json + len;
    int copied = 0;
    while ((p = memmem(p, (size_t)(end - p), "\\u0000", 6)) != NULL) {
        size_t bs = 0; /* backslashes before: odd count = this one is escaped */
        while (p - bs > json && p[-1 - (ptrdiff_t)bs] == '\\')
            bs++;
        if (bs % 2 == 0) {
            if (!copied) {
                cfd_buf_reset(copy);
                if (cfd_buf_append(copy, json, len) != 0)
                    return NULL;
                copied = 1;
            }
            memcpy(copy->data + (p - json), "\\u0020", 6);
        }
        p += 6;
    }
    return copied ? copy->data : json;
}
