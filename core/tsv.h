/*
 * One line of a TSV data file, as the project's files are laid out:
 * label<TAB>text, or label<TAB>title<TAB>body; a line without a TAB is
 * unlabelled text. Read the same way by classifyd-train (training/record.c)
 * and by classifyctl batch and classifyd-bench (client/dataset.c), so both
 * send a title where the other reads one.
 *
 * Threads: a pure function; the fields point into the caller's line.
 */
#ifndef CFD_TSV_H
#define CFD_TSV_H

#include <stddef.h>

typedef struct cfd_tsv_fields {
    const char *label;  /* NULL: no TAB in the line */
    size_t label_len;
    const char *title;  /* NULL: no title field */
    size_t title_len;
    const char *body;   /* the rest of the line after the label (and title) */
    size_t body_len;
    size_t extra_tab;   /* CFD_EFORMAT: offset in the line of the TAB that
                         * starts a fourth field */
} cfd_tsv_fields;

/* Splits line[0..len) without changing it. Returns 0, or CFD_EFORMAT when
 * the line has more than three fields (the other fields are still set). */
int cfd_tsv_split(const char *line, size_t len, cfd_tsv_fields *f);

#endif
