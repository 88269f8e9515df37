/*
 * TSV line fields: see tsv.h.
 */
#include "tsv.h"

#include <string.h>

#include <classifyd/error.h>

/* Cuts the field before the first TAB off *rest: returns its start (and
 * length in *field_len) and leaves *rest after the TAB, or returns NULL
 * without a TAB. */
static const char *cfd__cut(const char **rest, size_t *rest_len, size_t *field_len)
{
    const char *tab = memchr(*rest, '\t', *rest_len);
    if (tab == NULL)
        return NULL;
    const char *field = *rest;
    *field_len = (size_t)(tab - field);
    *rest = tab + 1;
    *rest_len -= *field_len + 1;
    return field;
}

int cfd_tsv_split(const char *line, size_t len, cfd_tsv_fields *f)
{
    memset(f, 0, sizeof *f);
    f->body = line;
    f->body_len = len;
    if ((f->label = cfd__cut(&f->body, &f->body_len, &f->label_len)) == NULL ||
        (f->title = cfd__cut(&f->body, &f->body_len, &f->title_len)) == NULL)
        return 0;
    const char *tab3 = memchr(f->body, '\t', f->body_len);
    if (tab3 == NULL)
        return 0;
    f->extra_tab = (size_t)(tab3 - line);
    return CFD_EFORMAT;
}
