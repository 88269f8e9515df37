/*
 * Warnings about a loaded dataset's labels (see dataset.h): a first line
 * that looks like a header, labels that differ only in case, width or
 * Unicode form, labels with fewer examples than CV folds. They read the
 * dataset and print to stderr; the data is kept as given.
 */
#include "dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

void cfd_dataset_warn_header(const cfd_dataset *ds, const char *cmd)
{
    if (ds == NULL || ds->n <= 2 || ds->ex[0].line != 1)
        return;
    const uint32_t l = ds->ex[0].label;
    for (size_t i = 1; i < ds->n; i++)
        if (ds->ex[i].label == l)
            return;
    fprintf(stderr, "classifyd-train %s: warning: %s:1: the label \"%s\" occurs on no other "
                    "line; if line 1 is a header, remove it (the file has none: every line is "
                    "an example)\n", cmd, ds->path, ds->labels[l]);
}

/* NFKC + case fold of a label (utf8proc, malloc'd), or NULL. */
static char *cfd__label_key(const char *s)
{
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
                                      UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                          UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
    return n < 0 ? NULL : (char *)out;
}

/* Line of the first example with label l. */
static uint32_t cfd__label_line(const cfd_dataset *ds, uint32_t l)
{
    for (size_t i = 0; i < ds->n; i++)
        if (ds->ex[i].label == l)
            return ds->ex[i].line;
    return 0;
}

void cfd_dataset_warn_labels(const cfd_dataset *ds, const char *cmd)
{
    if (ds == NULL || ds->n_labels < 2)
        return;
    char **key = calloc(ds->n_labels, sizeof(*key));
    if (key == NULL)
        return;
    for (uint32_t i = 0; i < ds->n_labels; i++)
        key[i] = cfd__label_key(ds->labels[i]);
    unsigned shown = 0;
    for (uint32_t i = 0; i < ds->n_labels; i++) {
        for (uint32_t j = i + 1; j < ds->n_labels && key[i] != NULL; j++) {
            if (key[j] == NULL || strcmp(key[i], key[j]) != 0)
                continue;
            if (shown++ == 8)
                fprintf(stderr, "classifyd-train %s: warning: more labels that differ only "
                                "in the same ways are not listed\n", cmd);
            if (shown > 8)
                continue;
            fprintf(stderr, "classifyd-train %s: warning: labels \"%s\" (%s:%u) and \"%s\" "
                            "(%s:%u) differ only in letter case, width or Unicode "
                            "normalisation: the model keeps them apart as two labels; if they "
                            "are one, write them the same way\n",
                    cmd, ds->labels[i], ds->path, cfd__label_line(ds, i), ds->labels[j],
                    ds->path, cfd__label_line(ds, j));
        }
    }
    for (uint32_t i = 0; i < ds->n_labels; i++)
        free(key[i]);
    free(key);
}

void cfd_dataset_warn_small_labels(const cfd_dataset *ds, unsigned long folds, const char *cmd)
{
    if (ds == NULL || folds < 2)
        return;
    size_t *count = calloc(ds->n_labels, sizeof(*count));
    if (count == NULL)
        return;
    for (size_t i = 0; i < ds->n; i++)
        count[ds->ex[i].label]++;
    char list[400];
    size_t len = 0;
    unsigned n_small = 0;
    for (uint32_t l = 0; l < ds->n_labels; l++) {
        if (count[l] >= folds)
            continue;
        n_small++;
        int w = snprintf(list + len, sizeof list - len, "%s%s (%zu)", len ? ", " : "",
                         ds->labels[l], count[l]);
        if (w < 0 || (size_t)w >= sizeof list - len) {
            snprintf(list + len, sizeof list - len, ", ...");
            len = strlen(list);
            break;
        }
        len += (size_t)w;
    }
    free(count);
    if (n_small == 0)
        return;
    fprintf(stderr, "classifyd-train %s: warning: %u label%s fewer examples than the %lu folds, "
                    "so some folds cannot test %s and the model will seldom predict %s: %s; "
                    "merge each into a related label or collect more examples\n",
            cmd, n_small, n_small == 1 ? " has" : "s have", folds, n_small == 1 ? "it" : "them",
            n_small == 1 ? "it" : "them", list);
}
