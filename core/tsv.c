/*
 * TSV line fields: see tsv.h.
 */
#include "tsv.h"

#include <string.h>

#include <classifyd/error.h>

int cfd_tsv_split(const char *line, size_t len, cfd_tsv_fields *f)
{
    memset(f, 0, sizeof *f);
    f->body = line;
    f->body_len = len;
    const char *tab = memchr(line, '\t', len);
    if (tab == NULL)
        return 0;
    f->label = line;
    f->label_len = (size_t)(tab - line);
    const char *rest = tab + 1;
    size_t rest_len = len - f->label_len - 1;
    f->body = rest;
    f->body_len = rest_len;
    const char *tab2 = memchr(rest, '\t', rest_len);
    if (tab2 == NULL)
        return 0;
    f->title = rest;
    f->title_len = (size_t)(tab2 - rest);
    f->body = tab2 + 1;
    f->body_len = rest_len - f->title_len - 1;
    const char *tab3 = memchr(f->body, '\t', f->body_len);
    if (tab3 == NULL)
        return 0;
    f->extra_tab = (size_t)(tab3 - line);
    return CFD_EFORMAT;
}
