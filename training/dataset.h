/*
 * Labelled datasets for classifyd-train: reading TSV and JSON-lines files
 * into memory, with errors that name the file and line.
 *
 * Formats (one example per line, UTF-8, LF or CRLF line ends):
 *   TSV     label<TAB>text            the text is the body (no title)
 *           label<TAB>title<TAB>body  a title field, weighted by
 *                                     cfd_feat_config.title_weight
 *   JSONL   {"label": "...", "title": "...", "body": "..."}
 *           title and body are optional (at least one must be non-empty);
 *           "text" is accepted as another name for "body". Other keys are
 *           ignored.
 * Blank lines are skipped, and so is a UTF-8 byte order mark at the start. The format is taken from the extension (.tsv,
 * .txt -> TSV; .jsonl, .ndjson, .json -> JSONL), else from the content (the
 * first non-blank byte is '{' -> JSONL), unless the caller forces one.
 *
 * Errors: "FILE:LINE: what was wrong (what was expected)". Invalid UTF-8 is
 * rejected (core/utf8.h policy) with the byte offset in the file and the
 * column in the line.
 *
 * Labels: a dataset read without a fixed label set collects its labels and
 * sorts them bytewise (so a model's label order does not depend on the order
 * of the lines); read with a fixed set (evaluating against a model, a dev set
 * for a training set) a label outside the set is an error.
 *
 * Ownership: a cfd_dataset owns all of its memory; example strings point into
 * it and live until cfd_dataset_free. Threads: a loaded dataset is immutable
 * and may be read by any number of threads.
 */
#ifndef CFD_TRAIN_DATASET_H
#define CFD_TRAIN_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include <classifyd/error.h>

#include "record.h"

/* Largest data file read into memory. */
#define CFD_DATASET_MAX_BYTES ((size_t)2 << 30)


typedef struct cfd_example {
    const char *title; /* NUL-terminated; "" when absent */
    size_t title_len;
    const char *body;  /* NUL-terminated; "" when absent */
    size_t body_len;
    uint32_t label;    /* index into the dataset's labels */
    uint32_t line;     /* 1-based line number in the file */
} cfd_example;

typedef struct cfd_dataset_arena cfd_dataset_arena;

typedef struct cfd_dataset {
    char *path;              /* as given */
    enum cfd_data_format format;
    cfd_example *ex;
    size_t n;
    char **labels;           /* n_labels NUL-terminated strings */
    uint32_t n_labels;
    uint32_t *group;         /* NULL, or after cfd_dataset_add_leads: for each
                                example the index of the example it was copied
                                from (its own index for an article) */
    unsigned char sha256[32];/* of the file's bytes */
    char sha256_hex[65];
    /* private */
    char *file_buf;
    cfd_dataset_arena *arena;
} cfd_dataset;

/* Parses "tsv", "jsonl" or "auto". Returns 0 or CFD_EINVAL. */
int cfd_data_format_parse(const char *s, enum cfd_data_format *out);
const char *cfd_data_format_name(enum cfd_data_format f);

/*
 * Reads a whole dataset. fixed_labels (n_fixed > 0) pins the label set and
 * order; NULL collects and sorts the file's labels. An empty file, or one with
 * no example, is CFD_EEMPTY. Errors: CFD_ENOENT, CFD_EIO, CFD_EFORMAT,
 * CFD_EUTF8, CFD_ETOOBIG, CFD_EEMPTY, CFD_ENOMEM; err says where.
 */
int cfd_dataset_load(const char *path, enum cfd_data_format fmt,
                     const char *const *fixed_labels, uint32_t n_fixed,
                     cfd_dataset **out, cfd_error *err);

void cfd_dataset_free(cfd_dataset *ds);

/*
 * A header line: the formats have none, so "label<TAB>text" on line 1 trains
 * a class "label" of one example. When the label of line 1 occurs on no
 * other line of a dataset with more than two examples (almost always a
 * header), prints a warning naming ds->path and what to do on stderr as
 * "classifyd-train CMD: warning: ..."; the data is kept as given.
 */
void cfd_dataset_warn_header(const cfd_dataset *ds, const char *cmd);

/*
 * Labels that differ only in letter case, width or Unicode normalisation
 * ("IT" and "it", "ＩＴ", 사회 in NFC and in the NFD of a file saved on a
 * Mac) are distinct labels to the model, almost always by mistake in the
 * export. Prints one warning per such pair (at most 8) naming both labels
 * and the line each first occurs on, on stderr as
 * "classifyd-train CMD: warning: ..."; the data is kept as given.
 */
void cfd_dataset_warn_labels(const cfd_dataset *ds, const char *cmd);

/*
 * A long tail of labels (a newsroom's small desks: 반려동물 with 1 example,
 * 마켓워치 with 3): a label with fewer examples than the cross-validation
 * folds is missing from some test folds, and the model seldom predicts it.
 * Prints one warning listing such labels with their counts on stderr as
 * "classifyd-train CMD: warning: ..."; nothing when folds < 2.
 */
void cfd_dataset_warn_small_labels(const cfd_dataset *ds, unsigned long folds, const char *cmd);

/* Index of label s, or -1. */
int cfd_dataset_label_index(const cfd_dataset *ds, const char *s);

/*
 * Lead copies (--lead-copies N): after every example whose body is longer
 * than n characters (code points), inserts a copy with the same label and
 * title and only the first n characters of the body, cut at the last space
 * among characters n-20 .. n-1 when there is one so words stay whole. For
 * models that must also read title + lead snippets (feeds, teasers) while
 * trained on full articles (training/RESULTS.md, section). Sets ds->group
 * so cross-validation keeps an article and its copy in the same fold
 * (cfd_cv_folds_grouped). Call at most once, before cfd_corpus_build.
 * Returns 0, CFD_EINVAL (n == 0 or called twice) or CFD_ENOMEM.
 */
int cfd_dataset_add_leads(cfd_dataset *ds, size_t n);


#endif
