/*
 * Command-line plumbing shared by the classifyd-train subcommands: a small
 * option scanner ("--name value" and "--name=value"), strict number parsing,
 * the feature and solver options that train and cv share, and the exit
 * codes.
 *
 * Exit codes: 0 success, 1 runtime error (bad data, I/O, training failed),
 * 2 usage error (unknown option, bad or missing argument). Usage errors print
 * "classifyd-train CMD: what is wrong" and a pointer to --help on stderr.
 *
 * Threads: main thread only (writes stderr, reads argv).
 */
#ifndef CFD_TRAIN_CLI_H
#define CFD_TRAIN_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <classifyd/features.h>

#include "buf.h"
#include "dataset.h"
#include "solver.h"

#define CFD_EXIT_OK 0
#define CFD_EXIT_ERROR 1
#define CFD_EXIT_USAGE 2

typedef struct cfd_opt {
    const char *name; /* without the leading "--" */
    int has_arg;
    int id;           /* > 0 */
} cfd_opt;

/* Returned by cfd_cli_next for a positional argument (in *arg). */
#define CFD_OPT_POSITIONAL (-2)
#define CFD_OPT_HELP (-3)
#define CFD_OPT_ERROR (-1)
#define CFD_OPT_END 0

typedef struct cfd_cli {
    const char *cmd; /* "train", for messages */
    int argc;
    char **argv;
    int i;
    const cfd_opt *tables[3];
} cfd_cli;

void cfd_cli_init(cfd_cli *it, const char *cmd, int argc, char **argv, const cfd_opt *own,
                  const cfd_opt *shared);

/*
 * Next option id (its argument in *arg), CFD_OPT_POSITIONAL, CFD_OPT_HELP
 * (-h/--help), CFD_OPT_END, or CFD_OPT_ERROR after printing the problem.
 */
int cfd_cli_next(cfd_cli *it, const char **arg);

/* Prints "classifyd-train CMD: <message>\nTry 'classifyd-train CMD --help'." */
void cfd_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Strict parsers: whole string, finite, in range. 0 or -1 (message printed). */
int cfd_cli_double(const char *cmd, const char *opt, const char *s, double min, double max,
                   double *out);
int cfd_cli_uint(const char *cmd, const char *opt, const char *s, unsigned long min,
                 unsigned long max, unsigned long *out);

/*
 * An output path must not name an input file: `train --out` over `--data`,
 * or `export --liblinear` over MODEL, would destroy the input. Returns -1
 * (usage error printed, naming both options) when the two paths are equal,
 * or both exist and are the same file (same device and inode: hard and
 * symbolic links count), else 0. A NULL path never matches.
 */
int cfd_cli_distinct_files(const char *cmd, const char *out_opt, const char *out,
                           const char *in_opt, const char *in);

/* Options of the featurizer and the solver, shared by train and cv. */
typedef struct cfd_model_opts {
    cfd_feat_config feat;
    cfd_linear_params lin;
    int eps_set;
    int progress;
    unsigned long lead_copies; /* --lead-copies N: cfd_dataset_add_leads(N); 0 = off */
} cfd_model_opts;

/* Defaults: cfd_feat_config_default(), solver CFD_DEFAULT_SOLVER, C = 1, one job per
 * online CPU (at most 16). */
void cfd_model_opts_default(cfd_model_opts *o);

/* The option table handled by cfd_model_opts_apply. */
extern const cfd_opt cfd_model_opt_table[];

/* Applies one option from cfd_model_opt_table. 0 or -1 (message printed). */
int cfd_model_opts_apply(cfd_model_opts *o, const char *cmd, int id, const char *arg);

/* Applies the data options (--lead-copies) to the training set at path,
 * loaded and not yet featurized. 0, or a CFD_E* code with err naming path. */
int cfd_model_opts_prepare_data(const cfd_model_opts *o, cfd_dataset *ds, const char *path,
                                cfd_error *err);

/* Final consistency checks (char_min <= char_max, ...). 0 or -1. */
int cfd_model_opts_finish(cfd_model_opts *o, const char *cmd);

/* --help text for the shared options. */
void cfd_model_opts_help(FILE *f);

/* Writes the feature config as a JSON object. */
void cfd_feat_config_json(const cfd_feat_config *cfg, cfd_buf *b);

#endif
