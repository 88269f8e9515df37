/*
 * Display width of UTF-8 strings for classifyctl's tables (see term.h),
 * from utf8proc's East Asian width data.
 */
#include "term.h"

#include <string.h>

#include <utf8proc.h>

static int cfd__next(const char *s, int *w)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &cp);
    if (n <= 0) {
        *w = 1;
        return 1;
    }
    int cw = utf8proc_charwidth(cp);
    *w = cw < 0 ? 0 : cw;
    return (int)n;
}

int cfd_term_width(const char *s)
{
    int total = 0;
    while (*s) {
        int w;
        s += cfd__next(s, &w);
        total += w;
    }
    return total;
}

void cfd_term_pad(FILE *f, const char *s, int width)
{
    if (cfd_term_width(s) <= width) {
        fputs(s, f);
        for (int i = cfd_term_width(s); i < width; i++)
            fputc(' ', f);
        return;
    }
    int used = 0;
    while (*s) {
        int w;
        int n = cfd__next(s, &w);
        if (used + w > width - 1)
            break;
        fwrite(s, 1, (size_t)n, f);
        used += w;
        s += n;
    }
    fputs("\xE2\x80\xA6", f); /* … */
    used++;
    for (; used < width; used++)
        fputc(' ', f);
}
