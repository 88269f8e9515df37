/*
 * One line of labelled data: the fields of a TSV line or a JSON-lines object
 * (formats in dataset.h), shared by the dataset reader and by `predict`,
 * which also takes unlabelled lines.
 *
 * Ownership: cfd_fields point into the line (TSV, cut in place) or into the
 * cJSON tree the caller receives and deletes; a cfd_record owns copies.
 * Threads: pure functions of their arguments.
 */
#ifndef CFD_TRAIN_RECORD_H
#define CFD_TRAIN_RECORD_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include <classifyd/error.h>

enum cfd_data_format {
    CFD_FORMAT_AUTO = 0,
    CFD_FORMAT_TSV = 1,
    CFD_FORMAT_JSONL = 2
};

typedef struct cfd_fields {
    const char *label; /* NULL when the line has none */
    size_t label_len;
    const char *title; /* "" when absent */
    size_t title_len;
    const char *body;  /* "" when absent */
    size_t body_len;
} cfd_fields;

/*
 * Splits a TSV line in place (the TABs become NULs): label<TAB>text or
 * label<TAB>title<TAB>body; without a TAB the line is the body (an error
 * when need_label). Errors carry the offset in the line.
 */
int cfd_fields_tsv(char *line, size_t len, int need_label, cfd_fields *f, cfd_error *err);

/*
 * Parses a JSON object line: "label" (string or integer, written into tmp),
 * "title", "body" (or "text"); strings must decode to valid UTF-8. On
 * success *json owns the strings f points to (cJSON_Delete it).
 */
int cfd_fields_json(const char *line, size_t len, int need_label, cfd_fields *f, char *tmp,
                    size_t tmp_len, cJSON **json, cfd_error *err);

/*
 * One record parsed from one line (used by `predict`, which takes plain text
 * as well). Strings are copied into the record (owned; free with
 * cfd_record_clear). label is NULL when the line has none.
 */
typedef struct cfd_record {
    char *label;
    char *title;
    size_t title_len;
    char *body;
    size_t body_len;
} cfd_record;

/*
 * Parses one line (without its line end) as `fmt`. CFD_FORMAT_AUTO means:
 * a line starting with '{' is JSON, a line with a TAB is TSV (label first),
 * anything else is plain text (the body, no label). Returns 0, CFD_EFORMAT or
 * CFD_EUTF8 (err->offset is the offset in the line), CFD_ENOMEM.
 */
int cfd_record_parse(const char *line, size_t len, enum cfd_data_format fmt,
                     cfd_record *rec, cfd_error *err);
/* The whole line as the body (`predict --format text`): every byte kept,
 * TABs, braces and NULs included. Returns 0 or CFD_ENOMEM. */
int cfd_record_plain(const char *line, size_t len, cfd_record *rec, cfd_error *err);
void cfd_record_clear(cfd_record *rec);

#endif
