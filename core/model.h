/*
 * Linear models: in-memory representation, scoring, probabilities, and the
 * model file (models/FORMAT.md describes the bytes; model_file.c reads and
 * writes them).
 *
 * In memory a model is sparse by feature: row_of[bucket] gives the row of the
 * weight matrix for a hashed feature (or CFD_NO_ROW if every class weight of
 * that feature is zero), and rows holds n_labels floats per row, all classes
 * of one feature adjacent (feature-major), so scoring touches one cache line
 * per feature.
 *
 * Scores: s[c] = bias[c] + sum_f x_f * w[f][c]  (liblinear's decision values,
 * bias term included as liblinear does with -B 1). A binary liblinear model
 * (one weight vector w) is stored as column 0 = w, column 1 = 0, so
 * s = (d, 0) with d liblinear's decision value (models/FORMAT.md, model.c).
 * Probabilities: softmax(s * prob_scale), prob_scale fitted at training time
 * on held-out data (temperature scaling; see training/calibrate.c), which
 * calibrates both logistic-regression and SVM models.
 *
 * Ownership: a cfd_model owns every pointer in it; cfd_model_free releases
 * all. A loaded model is immutable.
 * Threads: load/save/free from any thread, one call per model at a time;
 * cfd_model_scores/probs only read the model and write the caller's buffer,
 * so any number of threads may score with one shared model concurrently.
 * Loading touches no process-global state (unlike liblinear's load_model,
 * which calls setlocale).
 */
#ifndef CFD_MODEL_H
#define CFD_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <classifyd/error.h>
#include <classifyd/features.h>

#define CFD_NO_ROW UINT32_MAX
#define CFD_MAX_LABELS 1024
#define CFD_MAX_LABEL_LEN 256
#define CFD_MAX_NAME_LEN 128

/* On-disk weight encodings (the in-memory form is always float32). */
enum cfd_weight_encoding {
    CFD_WEIGHTS_F32 = 0, /* float32 per weight */
    CFD_WEIGHTS_Q8 = 1   /* per-row float32 scale + int8 per weight */
};

typedef struct cfd_model_meta {
    char version[64];      /* user-visible model version, e.g. "20261128T0830Z" */
    char data_sha256[65];  /* hex sha256 of the training data file(s) */
    uint64_t n_examples;
    char solver[32];       /* e.g. "L2R_LR", "L2R_L2LOSS_SVC_DUAL" */
    double c;              /* liblinear C */
    int64_t created_unix;  /* seconds since the epoch, UTC */
    char *metrics_json;    /* owned; dev or CV metrics as a JSON object, or NULL */
    char *notes;           /* owned; free text (licence, provenance) or NULL */
} cfd_model_meta;

typedef struct cfd_model {
    char *name;                /* plugin the model is for: "topic", "section", ... */
    uint32_t n_labels;
    char **labels;             /* n_labels NUL-terminated UTF-8 strings */
    cfd_feat_config feat;
    float *idf;                /* 2^feat.hash_bits entries, or NULL */
    uint32_t n_buckets;        /* 2^feat.hash_bits */
    uint32_t *row_of;          /* n_buckets entries */
    uint32_t n_rows;
    float *rows;               /* n_rows * n_labels, feature-major; NULL after
                                  cfd_model_shed_rows */
    /* The scoring table of a model read from a q8 file, or NULL (f32 files,
     * models built in memory, or a table more than twice the size of the
     * sparse rows): n_buckets rows of packed_stride bytes, each
     * [float32 scale][int8 q x n_labels] with weight = q * scale, zero for a
     * bucket without weights. cfd_model_scores uses it when present: one
     * cache line per feature instead of row_of + row. See model_pack.c. */
    unsigned char *packed;
    uint32_t packed_stride;
    /* Offset of the bucket's IDF in every packed row, or 0: set by
     * cfd_model_fuse_idf, for cfd_model_scores_tf. The row holds a float32
     * copy, or, when packed_idf_coded, a one-byte index into
     * packed_idf_table (a model whose IDF has at most 256 distinct values,
     * as classifyd-train writes it: the row keeps its width). */
    uint32_t packed_idf_off;
    uint32_t packed_idf_coded;
    float packed_idf_table[256];
    /* A model read from a file with a TABLE8 IDF (models/FORMAT.md): the
     * file's codes (n_buckets bytes) and, in packed_idf_table, its values,
     * kept so cfd_model_fuse_idf need not search for them; NULL otherwise,
     * and freed by cfd_model_shed_rows. */
    uint8_t *idf_code;
    float *bias;               /* n_labels */
    float prob_scale;          /* > 0 */
    cfd_model_meta meta;
    uint64_t checksum;         /* file checksum (XXH3-64 of all bytes before it) */
    char checksum_hex[17];     /* 16 hex digits of checksum */
} cfd_model;

/*
 * Builds a model from a dense feature-major weight matrix w[n_buckets][n_labels]
 * (rows that are all zero are dropped). Copies labels, name, w, bias, idf.
 * Used by training. meta is copied (strings duplicated).
 */
int cfd_model_from_dense(const char *name, const char *const *labels, uint32_t n_labels,
                         const cfd_feat_config *feat, const float *w, const float *bias,
                         const float *idf, float prob_scale, const cfd_model_meta *meta,
                         cfd_model **out, cfd_error *err);

void cfd_model_free(cfd_model *m);

/*
 * The rules cfd_model_save applies to a model's name and to the metadata
 * strings a user gives (meta.version, meta.notes), for a tool that takes them
 * from the command line and must refuse them before the work of training,
 * not after. Any argument may be NULL (not checked). Returns 0, or
 * CFD_ETOOBIG / CFD_EEMPTY / CFD_EFORMAT / CFD_EUTF8 with err naming the field.
 */
int cfd_model_check_strings(const char *name, const char *version, const char *notes,
                            cfd_error *err);

/* Loads and fully validates a model file. Safe on hostile input. */
int cfd_model_load(const char *path, cfd_model **out, cfd_error *err);

/* Same, from memory (used by the file loader, tests and the fuzzer). */
int cfd_model_load_buffer(const void *buf, size_t len, cfd_model **out, cfd_error *err);

/*
 * Writes the model atomically: to "path.tmp.<pid>", fsync, rename to path.
 * Sets m->checksum/checksum_hex to what was written (the only field it changes).
 * A path that exists and is not a regular file (after following symlinks: a
 * device such as /dev/null, a directory, a pipe) is refused with CFD_EINVAL
 * before anything is written (cfd_model_save_target_check).
 */
int cfd_model_save_target_check(const char *path, cfd_error *err);
int cfd_model_save(cfd_model *m, const char *path, enum cfd_weight_encoding enc,
                   cfd_error *err);

/* The directory a model saved at path goes to ("." for a bare name, "/" for
 * "/name"), the one cfd_model_save syncs after its rename: 0, or -1 with
 * errno ENAMETOOLONG when it does not fit in out. */
int cfd_model_path_dir(const char *path, char *out, size_t size);

/* Serialises to a malloc'd buffer (caller frees). Same side effect as save. */
int cfd_model_serialize(cfd_model *m, enum cfd_weight_encoding enc, void **buf,
                        size_t *len, cfd_error *err);

/*
 * Frees the sparse float rows (row_of, rows) of a model that has a packed
 * table, for serving: it scores the same and takes less memory, but can no
 * longer be saved, exported or inspected (those return CFD_EINVAL). Also
 * frees the IDF table once cfd_model_fuse_idf has copied it into the packed
 * rows (m->idf is then NULL; score with cfd_model_scores_tf), and the IDF
 * codes kept from the file (m->idf_code, a shortcut for fusing). Frees
 * nothing else without a packed table. Call before sharing the model.
 */
void cfd_model_shed_rows(cfd_model *m);

/*
 * For serving a model with IDF: copies each bucket's IDF into its packed
 * row (a one-byte code into packed_idf_table when the IDF has at most 256
 * distinct values, as classifyd-train's has, else a float32; widening the
 * rows if they have no room), so that one cache line per
 * feature carries the IDF and the weights and cfd_model_scores_tf can apply
 * IDF and L2 itself. Serving then reads one random table per feature and
 * model instead of two: the 2 MB IDF table at 2^19 buckets cost the section
 * model about as much as scoring (a cache miss per feature; see
 * model_score.c). Does nothing (returns 0, packed_idf_off stays 0) without
 * a packed table or IDF, or when the wider row would exceed a cache line;
 * CFD_ENOMEM when the wider table cannot be allocated (the model is then
 * unchanged). Call before sharing the model.
 */
int cfd_model_fuse_idf(cfd_model *m);

/* Decision values for x into scores[0..n_labels). x indexes must be < n_buckets. */
void cfd_model_scores(const cfd_model *m, const cfd_featvec *x, float *scores);

/*
 * Decision values for tf, a vector through the TF step only: what
 * cfd_feat_weight gives for cfd_model_tf_config(m) (m->feat without IDF and
 * L2). Applies the model's IDF (from the packed rows) and L2 norm with the
 * very float operations cfd_feat_weight uses, so the scores are
 * bit-identical to cfd_model_scores on the fully weighted vector
 * (tests/core/test_model_pack.c). Needs a fused model (m->packed_idf_off
 * != 0, cfd_model_fuse_idf): CFD_EINVAL otherwise; CFD_ERANGE when the sum
 * of squares overflows (cfd_feat_weight fails the same way).
 */
int cfd_model_scores_tf(const cfd_model *m, const cfd_featvec *tf, float *scores);

/* The factor cfd_model_scores_tf multiplies every IDF-weighted count by (1
 * over the L2 norm, or 1 without L2 or for an all-zero vector), into *inv.
 * Same errors as cfd_model_scores_tf. explain.c uses it to split the
 * scorer's margin exactly. */
int cfd_model_tf_norm(const cfd_model *m, const cfd_featvec *tf, float *inv);

/* The featurizer config cfd_model_scores_tf expects: m->feat with use_idf
 * and l2_normalize off (the counting part is unchanged, so the daemon still
 * shares one counting pass with the other models). */
cfd_feat_config cfd_model_tf_config(const cfd_model *m);

/* Calibrated probabilities from scores (softmax(scores * prob_scale)). */
void cfd_model_probs(const cfd_model *m, const float *scores, float *probs);

/* Index of the largest value (first on ties). */
uint32_t cfd_argmax(const float *v, uint32_t n);

/*
 * Exports to liblinear's text model format (solver_type, nr_class, label,
 * nr_feature, bias 1, w) so liblinear's predict_values gives the same
 * decision values: feature index f+1 is bucket f, the bias is the last
 * feature. Labels are written as 0..n_labels-1 (our label order).
 */
int cfd_model_export_liblinear(const cfd_model *m, const char *path, cfd_error *err);

#endif
