/*
 * `classifyd-train predict`: apply a model to lines of text, one output line
 * per input line: label<TAB>probability (with --all, every label:probability
 * pair). Inputs may be plain text, TSV (label<TAB>text: the label is ignored)
 * or JSON lines, mixed freely (--format forces one). With --explain N, lines
 * starting with '#' follow each result: the N features that argued most for
 * the label against the runner-up, and the N that argued most for the
 * runner-up, named by the text's n-grams (explain.h, ngrams.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cmds.h"
#include "dataset.h"
#include "explain.h"
#include "featurize.h"
#include "model.h"
#include "ngrams.h"
#include "utf8.h"

enum { O_MODEL = 1, O_FORMAT, O_ALL, O_EXPLAIN };

static const cfd_opt cfd__predict_opts[] = {
    {"model", 1, O_MODEL}, {"format", 1, O_FORMAT}, {"all", 0, O_ALL},
    {"explain", 1, O_EXPLAIN}, {NULL, 0, 0},
};

static void cfd__predict_help(void)
{
    printf("usage: classifyd-train predict --model MODEL [--format F] [--all] [--explain N]\n"
           "                              [FILE|-]\n"
           "\n"
           "Reads FILE (or standard input) and prints, for every line, the most probable\n"
           "label and its calibrated probability separated by a TAB.\n"
           "\n"
           "  --model MODEL   model file\n"
           "  --format F      auto (default): a line starting with '{' is JSON\n"
           "                  {\"title\",\"body\"}, a line with a TAB is label<TAB>text (the\n"
           "                  label is ignored), anything else is plain text;\n"
           "                  text: every line is plain text; tsv; jsonl\n"
           "  --all           after label and probability, every label:probability pair\n"
           "  --explain N     after each result, why: a line\n"
           "                    #<TAB>LABEL over RIVAL<TAB>margin M = bias B + features F\n"
           "                  (RIVAL: the next most probable label; M: the score margin),\n"
           "                  then up to N lines #<TAB>for LABEL<TAB>+T<TAB>NAME for the\n"
           "                  features that argued most for LABEL, and N lines\n"
           "                  #<TAB>for RIVAL<TAB>-T<TAB>NAME for those that argued for\n"
           "                  RIVAL: T is the feature's share of M (value x weight\n"
           "                  difference), NAME the n-gram of the text (\"word 중기부\",\n"
           "                  \"chars 특구\"; several when buckets collide). A model with\n"
           "                  one label has no rival: its margin is its score, and the\n"
           "                  second list reads #<TAB>against LABEL\n");
}

/* The lines --explain prints after one result (see the help above). */
static int cfd__explain_print(const cfd_model *m, const cfd_featvec *v, const float *p,
                              uint32_t best, size_t n, const cfd_record *rec,
                              cfd_contrib *work, cfd_error *err)
{
    uint32_t rival = cfd_explain_runner_up(p, m->n_labels, best);
    cfd_explanation ex;
    cfd_contrib *pos = work, *neg = work + n;
    int rc = cfd_explain(m, v, best, rival, n, pos, neg, &ex);
    if (rc != 0)
        return cfd_error_set(err, rc, (size_t)-1, "cannot explain: %s", cfd_strerror(rc));
    cfd_ngram_names *names = NULL;
    if ((rc = cfd_ngram_names_new(&m->feat, &names, err)) != 0)
        return rc;
    for (size_t i = 0; i < ex.n_for; i++)
        cfd_ngram_names_want(names, pos[i].bucket);
    for (size_t i = 0; i < ex.n_against; i++)
        cfd_ngram_names_want(names, neg[i].bucket);
    if ((rc = cfd_ngram_names_add(names, rec->title, rec->title_len, rec->body, rec->body_len,
                                  err)) != 0) {
        cfd_ngram_names_free(names);
        return rc;
    }
    const char *rname = rival == CFD_EXPLAIN_NO_RIVAL ? "nothing" : m->labels[rival];
    printf("#\t%s over %s\tmargin %+.4f = bias %+.4f + features %+.4f\n", m->labels[best], rname,
           ex.bias + ex.features, ex.bias, ex.features);
    char name[512];
    for (int side = 0; side < 2; side++) {
        const cfd_contrib *f = side ? neg : pos;
        size_t k = side ? ex.n_against : ex.n_for;
        for (size_t i = 0; i < k; i++) {
            if (!cfd_ngram_names_get(names, f[i].bucket, name, sizeof(name)))
                snprintf(name, sizeof(name), "bucket %u (no n-gram of this text; a "
                         "featurizer change?)", f[i].bucket);
            /* a one-label model has no rival: its negative terms argue
             * against the label */
            printf("#\t%s %s\t%+.4f\t%s\n",
                   side && rival == CFD_EXPLAIN_NO_RIVAL ? "against" : "for",
                   side && rival != CFD_EXPLAIN_NO_RIVAL ? rname : m->labels[best],
                   (double)f[i].term, name);
        }
    }
    cfd_ngram_names_free(names);
    return 0;
}

/*
 * Reads one line (with its '\n', if any) into *line, NUL-terminated, like
 * getline, but stops once it holds more than max bytes without a newline:
 * *too_long is then set. A file of one huge line (a dump without line
 * breaks, /dev/zero) would otherwise be read into memory whole before any
 * check. Returns the length, or -1 at the end of the input or on a read or
 * allocation error (ferror / *oom tell which).
 */
static ssize_t cfd__read_line(FILE *in, char **line, size_t *cap, size_t max, int *too_long,
                              int *oom)
{
    size_t len = 0;
    int ch = EOF;
    *too_long = 0;
    while ((ch = getc_unlocked(in)) != EOF) {
        if (len + 2 > *cap) {
            size_t c = *cap ? *cap * 2 : 4096;
            char *q = realloc(*line, c);
            if (q == NULL) {
                *oom = 1;
                return -1;
            }
            *line = q;
            *cap = c;
        }
        (*line)[len++] = (char)ch;
        if (ch == '\n')
            break;
        if (len > max) {
            *too_long = 1;
            break;
        }
    }
    if (len == 0)
        return -1;
    (*line)[len] = '\0';
    return (ssize_t)len;
}

int cfd_cmd_predict(int argc, char **argv)
{
    const char *model_path = NULL, *input = NULL;
    int plain = 0, all = 0;
    unsigned long explain = 0;
    enum cfd_data_format fmt = CFD_FORMAT_AUTO;
    cfd_cli it;
    cfd_cli_init(&it, "predict", argc, argv, cfd__predict_opts, NULL);
    const char *arg;
    int id;
    while ((id = cfd_cli_next(&it, &arg)) != CFD_OPT_END) {
        switch (id) {
        case CFD_OPT_ERROR: return CFD_EXIT_USAGE;
        case CFD_OPT_HELP: cfd__predict_help(); return CFD_EXIT_OK;
        case CFD_OPT_POSITIONAL:
            if (input != NULL) {
                cfd_cli_usage_error("predict", "one input file at most (got \"%s\" and \"%s\")",
                                    input, arg);
                return CFD_EXIT_USAGE;
            }
            input = arg;
            break;
        case O_MODEL: model_path = arg; break;
        case O_ALL: all = 1; break;
        case O_EXPLAIN:
            if (cfd_cli_uint("predict", "--explain", arg, 1, 1000, &explain) != 0)
                return CFD_EXIT_USAGE;
            break;
        case O_FORMAT:
            if (strcmp(arg, "text") == 0) {
                plain = 1;
            } else if (cfd_data_format_parse(arg, &fmt) != 0) {
                cfd_cli_usage_error("predict", "--format: expected auto, text, tsv or jsonl, "
                                    "got \"%s\"", arg);
                return CFD_EXIT_USAGE;
            }
            break;
        }
    }
    if (model_path == NULL) {
        cfd_cli_usage_error("predict", "--model is required");
        return CFD_EXIT_USAGE;
    }
    const char *name = input == NULL || strcmp(input, "-") == 0 ? "<stdin>" : input;
    cfd_error err;
    cfd_error_clear(&err);
    cfd_model *m = NULL;
    cfd_featurizer *fz = NULL;
    FILE *in = NULL;
    char *line = NULL;
    size_t cap = 0;
    float *s = NULL, *p = NULL;
    cfd_contrib *work = NULL;
    cfd_record rec = {0};
    int rc;
    if ((rc = cfd_model_load(model_path, &m, &err)) != 0)
        goto fail;
    /* --explain's two lists (cfd_explain needs no other room) */
    if (explain && (work = malloc(2 * explain * sizeof(*work))) == NULL) {
        rc = cfd_error_set(&err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    if (input == NULL || strcmp(input, "-") == 0) {
        in = stdin;
    } else if ((in = fopen(input, "r")) == NULL) {
        rc = cfd_error_set(&err, CFD_ENOENT, (size_t)-1, "%s: cannot open: %m", input);
        goto fail;
    }
    struct stat st;
    if (fstat(fileno(in), &st) == 0 && S_ISDIR(st.st_mode)) {
        /* fopen opens a directory; reading it would then fail with EISDIR */
        rc = cfd_error_set(&err, CFD_EIO, (size_t)-1,
                           "%s: not a regular file (a directory); give a file or - for "
                           "standard input", name);
        goto fail;
    }
    s = malloc(m->n_labels * sizeof(float));
    p = malloc(m->n_labels * sizeof(float));
    if (s == NULL || p == NULL || cfd_featurizer_new(&fz) != 0) {
        rc = cfd_error_set(&err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    ssize_t len;
    unsigned lineno = 0;
    size_t next_off = 0; /* byte offset in the input of the next line */
    int too_long = 0, oom = 0;
    /* the featurizer's limit on a text, with room for JSON's quoting and
     * escapes around it */
    const size_t max_line = 2 * CFD_FEATURIZE_MAX_INPUT;
    while ((len = cfd__read_line(in, &line, &cap, max_line, &too_long, &oom)) >= 0) {
        lineno++;
        if (too_long) {
            rc = cfd_error_set(&err, CFD_ETOOBIG, next_off,
                               "%s:%u: line longer than %zu MiB (it starts at byte %zu): one "
                               "text per line, each at most %zu MiB",
                               name, lineno, max_line >> 20, next_off,
                               (size_t)(CFD_FEATURIZE_MAX_INPUT >> 20));
            goto fail;
        }
        size_t line_off = next_off;
        next_off += (size_t)len;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        /* a byte order mark is not part of the first record */
        size_t bom = lineno == 1 ? cfd_utf8_bom(line, (size_t)len) : 0;
        char *text = line + bom;
        len -= (ssize_t)bom;
        /* As the dataset reader of train/eval says it: the byte in the
         * input, and the column in the line. */
        size_t bad;
        if (cfd_utf8_validate(text, (size_t)len, &bad) != 0) {
            rc = cfd_error_set(&err, CFD_EUTF8, line_off + bom + bad,
                               "%s:%u: invalid UTF-8 at byte %zu (column %zu of the line); "
                               "the input must be UTF-8", name, lineno, line_off + bom + bad,
                               bad + 1);
            goto fail;
        }
        rc = plain ? cfd_record_plain(text, (size_t)len, &rec, &err)
                   : cfd_record_parse(text, (size_t)len, fmt, &rec, &err);
        if (rc != 0) {
            cfd_error_prefix(&err, "%s:%u", name, lineno);
            goto fail;
        }
        cfd_featvec v;
        rc = cfd_featurize(fz, &m->feat, m->idf, rec.title, rec.title_len, rec.body,
                           rec.body_len, &v, &err);
        if (rc != 0) {
            cfd_error_prefix(&err, "%s:%u", name, lineno);
            goto fail;
        }
        cfd_model_scores(m, &v, s);
        cfd_model_probs(m, s, p);
        /* the label the daemon serves: the highest probability, the first
         * label on a tie (probabilities rounded to float can tie where the
         * scores differ by < 1e-8; eval's argmax of scores may then differ) */
        uint32_t best = cfd_argmax(p, m->n_labels);
        printf("%s\t%.4f", m->labels[best], (double)p[best]);
        for (uint32_t c = 0; all && c < m->n_labels; c++)
            printf("\t%s:%.4f", m->labels[c], (double)p[c]);
        putchar('\n');
        if (explain) {
            if ((rc = cfd__explain_print(m, &v, p, best, explain, &rec, work, &err)) != 0) {
                cfd_error_prefix(&err, "%s:%u", name, lineno);
                goto fail;
            }
        }
        cfd_record_clear(&rec);
    }
    if (oom) {
        rc = cfd_error_set(&err, CFD_ENOMEM, (size_t)-1, "%s:%u: out of memory reading a line",
                           name, lineno + 1);
        goto fail;
    }
    if (ferror(in)) {
        rc = cfd_error_set(&err, CFD_EIO, (size_t)-1, "%s: read error: %m", name);
        goto fail;
    }
    if (fflush(stdout) != 0) {
        rc = cfd_error_set(&err, CFD_EIO, (size_t)-1, "writing the output failed: %m");
        goto fail;
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "classifyd-train predict: %s\n", err.msg[0] ? err.msg : cfd_strerror(rc));
done:
    cfd_record_clear(&rec);
    if (in != NULL && in != stdin)
        fclose(in);
    free(line);
    free(s);
    free(p);
    free(work);
    cfd_featurizer_free(fz);
    cfd_model_free(m);
    return rc == 0 ? CFD_EXIT_OK : CFD_EXIT_ERROR;
}
