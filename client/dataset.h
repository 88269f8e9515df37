/*
 * Articles read from a data file, turned into request bodies.
 *
 * classifyctl batch and classifyd-bench both send many articles from a file:
 *   - TSV: `label<TAB>text` per line (the format of ../shared/data); the text
 *     becomes the article body, the label the gold label. A line without a
 *     tab is unlabelled text. `label<TAB>title<TAB>body` sends a title and
 *     a body, as classifyd-train reads such a line.
 * A byte order mark at the start of the file is skipped.
 *   - JSONL: one article object per line ({"id","title","body","plugins"};
 *     "text" is taken as the body when there is no "body", as many exports
 *     name it); the gold label is the string field named by label_field
 *     ("label").
 * The format is chosen by the file name (.jsonl/.ndjson = JSONL) or, when
 * that says nothing, by the first non-blank byte ('{' = JSONL).
 *
 * Each article becomes one compact JSON object (no newline inside) holding
 * only the fields the daemon's protocol defines, so a request line is exactly
 * what the daemon should see. Lines that cannot be turned into an article
 * (invalid UTF-8, malformed JSON) are kept as records with an error so the
 * caller can count and report them by line number.
 *
 * Ownership: the dataset owns all strings; cfd_dataset_free releases them.
 * Threads: build on one thread; afterwards read-only, any thread.
 */
#ifndef CFD_CLIENT_DATASET_H
#define CFD_CLIENT_DATASET_H

#include <stddef.h>

#include <classifyd/error.h>

typedef struct cfd_record {
    size_t line;          /* 1-based line number in the file */
    char *json;           /* compact article object, or NULL if error */
    size_t json_len;
    char *label;          /* gold label, or NULL */
    char *error;          /* why the line could not be used, or NULL */
} cfd_record;

typedef struct cfd_dataset {
    cfd_record *recs;
    size_t n;
    size_t cap;
    size_t n_labelled;
    size_t n_bad;
} cfd_dataset;

typedef struct cfd_dataset_opts {
    const char *label_field;   /* JSONL gold label field; NULL = "label" */
    const char *plugins;       /* comma-separated plugin list to request, or NULL */
    size_t limit;              /* stop after this many articles; 0 = all */
} cfd_dataset_opts;

/* Reads `path` ("-" = stdin). Returns 0, CFD_EIO (cannot read), CFD_EEMPTY
 * (no article lines) or CFD_ENOMEM, with a message naming the file. */
int cfd_dataset_load(const char *path, const cfd_dataset_opts *opts, cfd_dataset *ds,
                     cfd_error *err);
void cfd_dataset_free(cfd_dataset *ds);

/* Reads a whole file ("-" = stdin) into *data (NUL-terminated, caller frees). */
int cfd_read_file(const char *path, char **data, size_t *len, cfd_error *err);

#endif
