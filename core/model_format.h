/*
 * Internal to the core library: the constants of the model file format
 * (models/FORMAT.md is the byte-by-byte description) and the rules that make
 * a model valid, shared by the three places that must agree on them: the
 * reader (model_read.c), the writer (model_write.c) and cfd_model_from_dense
 * (model.c). Keeping one copy of the rules is what guarantees that anything
 * the writer accepts, the reader accepts too.
 *
 * Threads: constants and pure functions.
 */
#ifndef CFD_MODEL_FORMAT_H
#define CFD_MODEL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "model.h"

/* "\x89CFDM\r\n\x1a": the high byte catches 7-bit transfers, CR LF catches
 * newline conversion, ^Z stops `type` on Windows (the PNG trick). */
#define CFD_MF_MAGIC "\x89" "CFDM\r\n\x1a"
#define CFD_MF_MAGIC_LEN 8
#define CFD_MF_MAJOR 1         /* readers reject any other major */
#define CFD_MF_MINOR 1         /* the newest minor this build writes: 1 when the file
                                  has a FOPT section, else 0 (a 1.0 file, byte for
                                  byte); any minor of our major is read */
#define CFD_MF_HEADER_LEN 24   /* magic, major, minor, n_sections, file_length */
#define CFD_MF_SECTION_HDR 16  /* tag[4], flags u32, length u64 */
#define CFD_MF_TRAILER_LEN 8   /* XXH3-64 of everything before it */
#define CFD_MF_MAX_SECTIONS 64
#define CFD_MF_FLAG_REQUIRED 1u /* a reader that does not know the tag must reject the file */

#define CFD_MF_FEAT_LEN 20     /* FEAT payload bytes in format 1.x */
#define CFD_MF_FOPT_LEN 4      /* FOPT: word_prefix, 3 reserved (format 1.1) */
#define CFD_MF_WGHT_HDR 16     /* n_labels, n_buckets, n_rows, encoding, 3 reserved */
#define CFD_MF_IDF_HDR 8       /* n, encoding, 3 reserved */
#define CFD_MF_IDF_F32 0
#define CFD_MF_IDF_TABLE8 1    /* u32 n_table, f32 table[n_table], u8 code[n] */
#define CFD_MF_IDF_TABLE_MAX 256

#define CFD_MF_ABSENT UINT32_MAX /* length of an absent optional string */
#define CFD_MF_TEXT_MAX (1u << 20) /* metrics_json and notes, bytes */
#define CFD_MF_FILE_MAX ((uint64_t)1 << 32) /* largest model file we read */

/* Tags, as the 4 bytes that appear in the file. */
#define CFD_MF_TAG_NAME "NAME"
#define CFD_MF_TAG_LABL "LABL"
#define CFD_MF_TAG_FEAT "FEAT"
#define CFD_MF_TAG_FOPT "FOPT"
#define CFD_MF_TAG_WGHT "WGHT"
#define CFD_MF_TAG_BIAS "BIAS"
#define CFD_MF_TAG_IDF "IDF "
#define CFD_MF_TAG_META "META"

/* Known sections in the order a file must have them (unknown ones may sit
 * anywhere); the reader uses the rank to enforce order and reject
 * duplicates in one test. */
enum { CFD_MF_S_NAME = 1, CFD_MF_S_LABL, CFD_MF_S_FEAT, CFD_MF_S_FOPT, CFD_MF_S_WGHT,
       CFD_MF_S_BIAS, CFD_MF_S_IDF, CFD_MF_S_META, CFD_MF_S_COUNT };

/* One section being parsed (model_read.c walks, model_sections.c parses). */
typedef struct cfd_mf_sec {
    cfd_rd r;          /* over the payload (cut short if the file is) */
    char tag[5];       /* printable copy for messages */
    size_t off;        /* file offset of the section header */
    uint64_t declared; /* payload length from the header */
    int cut;           /* the file ends inside this payload */
    uint64_t file_len; /* from the file header */
    size_t have;       /* bytes actually present in the whole buffer */
    cfd_error *err;
} cfd_mf_sec;

/* Parses the payload of a known section into m, checking it on its own and
 * against the sections already parsed (which the reader guarantees precede
 * it). Returns 0 or a CFD_E* code with s->err filled. */
int cfd_mf_parse_section(int kind, cfd_mf_sec *s, cfd_model *m);

static inline int cfd_f32_is_finite(float f)
{
    uint32_t u;
    __builtin_memcpy(&u, &f, 4);
    return (u & 0x7f800000u) != 0x7f800000u;
}

/*
 * Checks one piece of text stored in a model: at most `max` bytes, no NUL,
 * valid UTF-8 and, when `plain` is set, no ASCII control characters (names
 * and labels end up in TSV, logs and HTTP headers). `empty_ok` allows "".
 * `what` names it in the message ("label 3"), `file_off` is the file offset
 * of s[0] or (size_t)-1. Returns 0 or CFD_ETOOBIG / CFD_EEMPTY / CFD_EFORMAT /
 * CFD_EUTF8 (err->offset = offset of the bad byte).
 */
int cfd_model_check_text(const char *what, const char *s, size_t len, size_t max,
                         int empty_ok, int plain, size_t file_off, cfd_error *err);

/* 2 <= n <= CFD_MAX_LABELS, each label a valid plain text of 1..
 * CFD_MAX_LABEL_LEN bytes, no two equal. offs (may be NULL) gives the file
 * offset of each label for messages. */
int cfd_model_check_labels(const char *const *labels, uint32_t n, const size_t *offs,
                           cfd_error *err);

/* The string fields of a cfd_model_meta: NUL-terminated within their arrays,
 * valid UTF-8, data_sha256 empty or 64 lowercase hex digits, c finite >= 0. */
int cfd_model_check_meta(const cfd_model_meta *meta, cfd_error *err);

/* Whole in-memory model, as the writer needs it: everything above plus the
 * featurizer config, table sizes, IDF presence, finite weights, prob_scale. */
int cfd_model_check(const cfd_model *m, cfd_error *err);

/* The packed q8 scoring table (model_pack.c): begin allocates it (or, when
 * it would not pay, leaves m->packed NULL) for a model of m->n_labels and
 * m->n_buckets with n_rows non-zero rows; pack_row fills one bucket. */
int cfd_model_pack_begin(cfd_model *m, uint32_t n_rows);
void cfd_model_pack_row(cfd_model *m, uint32_t bucket, float scale, const int8_t *q);

/* The distinct values of idf[0..n) into table[0..*n_table), ascending, when
 * there are at most CFD_MF_IDF_TABLE_MAX of them: returns 1 then, 0 if there
 * are more (table contents undefined). Lets the writer store such an IDF as
 * one byte per bucket (CFD_MF_IDF_TABLE8) without losing a bit, and
 * cfd_model_fuse_idf put a one-byte code in each packed row. */
int cfd_model_idf_table(const float *idf, uint32_t n, float *table, uint32_t *n_table);

/* The first index of table[0..n_table) (ascending) whose value is >= v:
 * v's index when v is in the table. */
uint32_t cfd_model_idf_code(const float *table, uint32_t n_table, float v);

/* Duplicates meta into *dst (strings copied); dst is zeroed first. */
int cfd_model_meta_copy(cfd_model_meta *dst, const cfd_model_meta *src);

#endif
