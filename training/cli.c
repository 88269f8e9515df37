/*
 * Option scanning, strict number parsing and the shared feature/solver
 * options of classifyd-train (see cli.h).
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "featurize.h"

void cfd_cli_init(cfd_cli *it, const char *cmd, int argc, char **argv, const cfd_opt *own,
                  const cfd_opt *shared)
{
    it->cmd = cmd;
    it->argc = argc;
    it->argv = argv;
    it->i = 0;
    int n = 0; /* either table may be NULL */
    if (own != NULL)
        it->tables[n++] = own;
    if (shared != NULL)
        it->tables[n++] = shared;
    while (n < 3)
        it->tables[n++] = NULL;
}

void cfd_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "classifyd-train %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'classifyd-train %s --help'.\n", cmd);
}

int cfd_cli_next(cfd_cli *it, const char **arg)
{
    *arg = NULL;
    if (it->i >= it->argc)
        return CFD_OPT_END;
    const char *a = it->argv[it->i++];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
        return CFD_OPT_HELP;
    if (strcmp(a, "-") == 0 || a[0] != '-') {
        *arg = a;
        return CFD_OPT_POSITIONAL;
    }
    if (strcmp(a, "--") == 0) {
        if (it->i < it->argc) {
            *arg = it->argv[it->i++];
            return CFD_OPT_POSITIONAL;
        }
        return CFD_OPT_END;
    }
    if (a[1] != '-') {
        cfd_cli_usage_error(it->cmd, "unknown option %s (options are spelt --name)", a);
        return CFD_OPT_ERROR;
    }
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
    for (int t = 0; it->tables[t] != NULL; t++) {
        for (const cfd_opt *o = it->tables[t]; o->name != NULL; o++) {
            if (strlen(o->name) != nlen || memcmp(o->name, name, nlen) != 0)
                continue;
            if (!o->has_arg) {
                if (eq) {
                    cfd_cli_usage_error(it->cmd, "option --%s takes no value", o->name);
                    return CFD_OPT_ERROR;
                }
                return o->id;
            }
            if (eq) {
                *arg = eq + 1;
            } else if (it->i < it->argc) {
                *arg = it->argv[it->i++];
            } else {
                cfd_cli_usage_error(it->cmd, "option --%s needs a value", o->name);
                return CFD_OPT_ERROR;
            }
            return o->id;
        }
    }
    cfd_cli_usage_error(it->cmd, "unknown option --%.*s", (int)nlen, name);
    return CFD_OPT_ERROR;
}

int cfd_cli_double(const char *cmd, const char *opt, const char *s, double min, double max,
                   double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* decimal only: strtod also takes "0x10", "inf" and leading blanks */
    int decimal = strpbrk(s, "xXpP") == NULL &&
                  ((*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '+');
    if (!decimal || *end != '\0' || errno != 0 || !isfinite(v) || v < min || v > max) {
        cfd_cli_usage_error(cmd, "%s: expected a number in [%g, %g], got \"%s\"", opt, min, max,
                            s);
        return -1;
    }
    *out = v;
    return 0;
}

int cfd_cli_uint(const char *cmd, const char *opt, const char *s, unsigned long min,
                 unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v < min || v > max) {
        cfd_cli_usage_error(cmd, "%s: expected an integer in [%lu, %lu], got \"%s\"", opt, min,
                            max, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cfd_cli_distinct_files(const char *cmd, const char *out_opt, const char *out,
                           const char *in_opt, const char *in)
{
    struct stat so, si;
    if (out == NULL || in == NULL)
        return 0;
    if (strcmp(out, in) != 0 &&
        (stat(out, &so) != 0 || stat(in, &si) != 0 || so.st_dev != si.st_dev ||
         so.st_ino != si.st_ino))
        return 0;
    cfd_cli_usage_error(cmd, "%s %s is the same file as %s %s, which writing it would destroy; "
                        "give %s another path", out_opt, out, in_opt, in, out_opt);
    return -1;
}

enum {
    CFD__O_SOLVER = 1000, CFD__O_C, CFD__O_EPS, CFD__O_JOBS, CFD__O_BUCKETS, CFD__O_NGRAMS,
    CFD__O_CHAR_MIN, CFD__O_CHAR_MAX, CFD__O_NO_SUBLINEAR, CFD__O_IDF, CFD__O_NO_IDF,
    CFD__O_TITLE_WEIGHT, CFD__O_NO_CLEAN, CFD__O_SEED, CFD__O_NO_L2, CFD__O_PROGRESS,
    CFD__O_BALANCED, CFD__O_LEAD_COPIES, CFD__O_WORD_PREFIX, CFD__O_NO_WORD_PREFIX
};

const cfd_opt cfd_model_opt_table[] = {
    {"solver", 1, CFD__O_SOLVER},
    {"c", 1, CFD__O_C},
    {"eps", 1, CFD__O_EPS},
    {"jobs", 1, CFD__O_JOBS},
    {"threads", 1, CFD__O_JOBS},
    {"buckets", 1, CFD__O_BUCKETS},
    {"ngrams", 1, CFD__O_NGRAMS},
    {"char-min", 1, CFD__O_CHAR_MIN},
    {"char-max", 1, CFD__O_CHAR_MAX},
    {"no-sublinear", 0, CFD__O_NO_SUBLINEAR},
    {"idf", 0, CFD__O_IDF},
    {"no-idf", 0, CFD__O_NO_IDF},
    {"title-weight", 1, CFD__O_TITLE_WEIGHT},
    {"no-clean", 0, CFD__O_NO_CLEAN},
    {"seed", 1, CFD__O_SEED},
    {"no-l2", 0, CFD__O_NO_L2},
    {"progress", 0, CFD__O_PROGRESS},
    {"balanced", 0, CFD__O_BALANCED},
    {"lead-copies", 1, CFD__O_LEAD_COPIES},
    {"word-prefix", 0, CFD__O_WORD_PREFIX},
    {"no-word-prefix", 0, CFD__O_NO_WORD_PREFIX},
    {NULL, 0, 0},
};

void cfd_model_opts_default(cfd_model_opts *o)
{
    memset(o, 0, sizeof(*o));
    cfd_feat_config_default(&o->feat);
    o->lin.solver = CFD_DEFAULT_SOLVER;
    o->lin.c = 1.0;
    o->lin.eps = cfd_solver_default_eps(o->lin.solver);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN); /* results do not depend on it */
    o->lin.jobs = cpus < 1 ? 1 : cpus > 16 ? 16 : (unsigned)cpus;
    o->lin.seed = o->feat.seed;
}

int cfd_model_opts_apply(cfd_model_opts *o, const char *cmd, int id, const char *arg)
{
    unsigned long u;
    double d;
    switch (id) {
    case CFD__O_SOLVER:
        if (cfd_solver_parse(arg, &o->lin.solver) != 0) {
            cfd_cli_usage_error(cmd, "--solver: unknown solver \"%s\" (svm, svm-primal, "
                                "svm-l1loss, lr, lr-dual, mcsvm, l1-svm, l1-lr)", arg);
            return -1;
        }
        if (!o->eps_set)
            o->lin.eps = cfd_solver_default_eps(o->lin.solver);
        return 0;
    case CFD__O_C:
        if (cfd_cli_double(cmd, "--c", arg, 1e-6, 1e6, &o->lin.c) != 0)
            return -1;
        return 0;
    case CFD__O_EPS:
        if (cfd_cli_double(cmd, "--eps", arg, 1e-8, 10, &o->lin.eps) != 0)
            return -1;
        o->eps_set = 1;
        return 0;
    case CFD__O_JOBS:
        if (cfd_cli_uint(cmd, "--jobs", arg, 1, 256, &u) != 0)
            return -1;
        o->lin.jobs = (unsigned)u;
        return 0;
    case CFD__O_BUCKETS: {
        /* Hash bits (10..24), or the bucket count itself (a power of two). */
        char *end;
        errno = 0;
        unsigned long v = strtoul(arg, &end, 10);
        int num = *arg >= '0' && *arg <= '9' && *end == '\0' && errno == 0;
        if (num && v >= CFD_HASH_BITS_MIN && v <= CFD_HASH_BITS_MAX) {
            u = v;
        } else if (num && v >= (1ul << CFD_HASH_BITS_MIN) && v <= (1ul << CFD_HASH_BITS_MAX) &&
                   (v & (v - 1)) == 0) {
            for (u = 0; (1ul << u) < v; u++)
                ;
        } else {
            cfd_cli_usage_error(cmd, "--buckets: expected hash bits %d..%d or a power of "
                                "two %lu..%lu, got \"%s\"", CFD_HASH_BITS_MIN,
                                CFD_HASH_BITS_MAX, 1ul << CFD_HASH_BITS_MIN,
                                1ul << CFD_HASH_BITS_MAX, arg);
            return -1;
        }
        o->feat.hash_bits = (uint8_t)u;
        return 0;
    }
    case CFD__O_NGRAMS:
        if (cfd_cli_uint(cmd, "--ngrams", arg, 0, 2, &u) != 0)
            return -1;
        o->feat.word_unigrams = u >= 1;
        o->feat.word_bigrams = u >= 2;
        return 0;
    case CFD__O_CHAR_MIN:
        if (cfd_cli_uint(cmd, "--char-min", arg, 0, CFD_CHAR_NGRAM_MAX, &u) != 0)
            return -1;
        o->feat.char_min = (uint8_t)u;
        return 0;
    case CFD__O_CHAR_MAX:
        if (cfd_cli_uint(cmd, "--char-max", arg, 0, CFD_CHAR_NGRAM_MAX, &u) != 0)
            return -1;
        o->feat.char_max = (uint8_t)u;
        return 0;
    case CFD__O_NO_SUBLINEAR: o->feat.sublinear_tf = 0; return 0;
    case CFD__O_IDF: o->feat.use_idf = 1; return 0;
    case CFD__O_NO_IDF: o->feat.use_idf = 0; return 0;
    case CFD__O_NO_CLEAN: o->feat.clean_news = 0; return 0;
    case CFD__O_WORD_PREFIX: o->feat.word_prefix = 1; return 0;
    case CFD__O_NO_WORD_PREFIX: o->feat.word_prefix = 0; return 0;
    case CFD__O_NO_L2: o->feat.l2_normalize = 0; return 0;
    case CFD__O_PROGRESS: o->progress = 1; return 0;
    case CFD__O_BALANCED: o->lin.balanced = 1; return 0;
    case CFD__O_LEAD_COPIES:
        return cfd_cli_uint(cmd, "--lead-copies", arg, 1, 1000000, &o->lead_copies);
    case CFD__O_TITLE_WEIGHT:
        if (cfd_cli_double(cmd, "--title-weight", arg, 0, 100, &d) != 0)
            return -1;
        o->feat.title_weight = (float)d;
        return 0;
    case CFD__O_SEED:
        if (cfd_cli_uint(cmd, "--seed", arg, 0, UINT32_MAX, &u) != 0)
            return -1;
        o->feat.seed = (uint32_t)u;
        o->lin.seed = (uint32_t)u;
        return 0;
    default:
        return 1; /* not ours */
    }
}

int cfd_model_opts_finish(cfd_model_opts *o, const char *cmd)
{
    if ((o->feat.char_min == 0) != (o->feat.char_max == 0) ||
        o->feat.char_min > o->feat.char_max) {
        cfd_cli_usage_error(cmd, "--char-min %u --char-max %u: expected 1 <= min <= max <= %d, "
                            "or both 0 to disable character n-grams", o->feat.char_min,
                            o->feat.char_max, CFD_CHAR_NGRAM_MAX);
        return -1;
    }
    if (!o->feat.word_unigrams && !o->feat.word_bigrams && o->feat.char_min == 0) {
        cfd_cli_usage_error(cmd, "no features left: --ngrams 0 and no character n-grams%s",
                            o->feat.word_prefix ? " (--word-prefix only adds to words; it "
                                                  "does not count on its own)"
                                                : "");
        return -1;
    }
    cfd_error err;
    cfd_error_clear(&err);
    if (cfd_feat_config_check(&o->feat, &err) != 0) {
        cfd_cli_usage_error(cmd, "feature options: %s", err.msg);
        return -1;
    }
    return 0;
}

void cfd_model_opts_help(FILE *f)
{
    cfd_feat_config d;
    cfd_feat_config_default(&d);
    fprintf(f,
            "Feature options (train stores them in the model; serving featurizes the same\n"
            "way):\n"
            "  --buckets K        hash into 2^K buckets, K in %d..%d (default %u); a power of\n"
            "                     two such as 1048576 is accepted too\n"
            "  --ngrams N         word n-grams: 0 none, 1 unigrams, 2 unigrams+bigrams "
            "(default %d)\n"
            "  --word-prefix, --no-word-prefix\n"
            "                     also a feature for the first two syllables of every Hangul\n"
            "                     word of three or more, a cheap stem (default %s)\n"
            "  --char-min N, --char-max N\n"
            "                     character n-grams inside words, N in 1..%d, a Hangul syllable\n"
            "                     is one character; 0 0 disables (default %u %u)\n"
            "  --no-sublinear     raw term counts instead of 1 + log(count)\n"
            "  --idf, --no-idf    multiply by inverse document frequency (default %s)\n"
            "  --no-l2            do not scale vectors to unit length\n"
            "  --title-weight W   multiply title counts by W (default %g)\n"
            "  --no-clean         keep e-mail addresses, URLs, bylines and [markers]\n"
            "  --seed S           hash seed; also seeds folds and solver order (default %u)\n"
            "Solver options:\n"
            "  --solver NAME      liblinear solver (default svm):\n",
            CFD_HASH_BITS_MIN, CFD_HASH_BITS_MAX, d.hash_bits,
            d.word_bigrams ? 2 : d.word_unigrams ? 1 : 0,
            d.word_prefix ? "--word-prefix" : "--no-word-prefix", CFD_CHAR_NGRAM_MAX, d.char_min,
            d.char_max, d.use_idf ? "--idf" : "--no-idf", (double)d.title_weight, d.seed);
    cfd_solver_print_help(f);
    fprintf(f,
            "  --c C              liblinear's C, the inverse regularisation (default 1)\n"
            "  --eps E            stopping tolerance (default: liblinear's for the solver)\n"
            "  --balanced         weight each class's C by n / (labels * n_class), for\n"
            "                     imbalanced data (macro-F1 counts small classes fully)\n"
            "  --lead-copies N    also train on the first N characters (cut at a space) of\n"
            "                     every longer body, for models that must read title + lead\n"
            "                     snippets too; CV keeps an article and its lead in one fold\n"
            "                     (training data only, never --dev)\n"
            "  --jobs N           train one-vs-rest classes or CV folds in N worker processes\n"
            "                     and featurize on N threads (default: the CPUs, at most 16;\n"
            "                     results do not depend on N); --threads is an alias\n"
            "  --progress         progress on stderr even when it is not a terminal\n");
}

void cfd_feat_config_json(const cfd_feat_config *c, cfd_buf *b)
{
    cfd_buf_printf(b,
                   "{\"hash_bits\":%u,\"word_unigrams\":%s,\"word_bigrams\":%s,"
                   "\"char_min\":%u,\"char_max\":%u,\"sublinear_tf\":%s,\"use_idf\":%s,"
                   "\"l2_normalize\":%s,\"clean_news\":%s,\"title_weight\":",
                   c->hash_bits, c->word_unigrams ? "true" : "false",
                   c->word_bigrams ? "true" : "false", c->char_min, c->char_max,
                   c->sublinear_tf ? "true" : "false", c->use_idf ? "true" : "false",
                   c->l2_normalize ? "true" : "false", c->clean_news ? "true" : "false");
    cfd_buf_json_float(b, c->title_weight);
    cfd_buf_printf(b, ",\"seed\":%u,\"word_prefix\":%s}", c->seed,
                   c->word_prefix ? "true" : "false");
}

int cfd_model_opts_prepare_data(const cfd_model_opts *o, cfd_dataset *ds, const char *path,
                                cfd_error *err)
{
    int rc;
    if (o->lead_copies && (rc = cfd_dataset_add_leads(ds, o->lead_copies)) != 0)
        return cfd_error_set(err, rc, (size_t)-1, "%s: adding lead copies: %s", path,
                             cfd_strerror(rc));
    return 0;
}
