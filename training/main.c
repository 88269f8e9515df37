/*
 * classifyd-train: train, evaluate, cross-validate, apply and inspect
 * classifyd models offline. This file only dispatches to the subcommands,
 * one per cmd_*.c file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"

static void cfd__usage(FILE *f)
{
    fprintf(f,
            "usage: classifyd-train COMMAND [options]\n"
            "\n"
            "Commands:\n"
            "  train    --data FILE --out MODEL --name NAME [--dev FILE] [options]\n"
            "           train a model (liblinear), calibrate it and save it\n"
            "  eval     --model MODEL --data FILE [--json]\n"
            "           accuracy, macro-F1, per-class P/R/F1, confusion matrix\n"
            "  cv       --data FILE [--folds K] [--c-grid 0.1,0.3,1,3] [--json] [options]\n"
            "           stratified K-fold cross-validation, optional search for C\n"
            "  predict  --model MODEL [FILE|-]\n"
            "           label<TAB>probability for every input line\n"
            "  inspect  MODEL [--data FILE] [--top N]\n"
            "           metadata, labels and the heaviest features per label\n"
            "  export   MODEL --liblinear OUT [--data FILE --features OUT]\n"
            "           liblinear's model format (and feature vectors) for cross-checks\n"
            "\n"
            "Data files: TSV (label<TAB>text or label<TAB>title<TAB>body) or JSON lines\n"
            "({\"label\": .., \"title\": .., \"body\": ..}), UTF-8.\n"
            "'classifyd-train COMMAND --help' describes each command.\n"
            "Exit status: 0 success, 1 error, 2 usage error.\n");
}

/* A command's report that never reached its file is a failure: `eval --json >
 * out.json` on a full disk must not exit 0. Commands print through stdio, so
 * the buffer is flushed and the stream's error flag checked once, here. */
static int cfd__stdout_status(const char *cmd, int rc)
{
    errno = 0;
    int flush_failed = fflush(stdout) != 0;
    int e = errno;
    if (!flush_failed && !ferror(stdout))
        return rc;
    if (rc == CFD_EXIT_OK)
        fprintf(stderr, "classifyd-train %s: writing standard output failed: %s\n", cmd,
                flush_failed && e != 0 ? strerror(e) : "a write error occurred");
    return rc == CFD_EXIT_OK ? CFD_EXIT_ERROR : rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cfd__usage(stderr);
        return CFD_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    int sub_argc = argc - 2;
    char **sub_argv = argv + 2;
    int rc;
    if (strcmp(cmd, "train") == 0) {
        rc = cfd_cmd_train(sub_argc, sub_argv);
    } else if (strcmp(cmd, "eval") == 0) {
        rc = cfd_cmd_eval(sub_argc, sub_argv);
    } else if (strcmp(cmd, "cv") == 0) {
        rc = cfd_cmd_cv(sub_argc, sub_argv);
    } else if (strcmp(cmd, "predict") == 0) {
        rc = cfd_cmd_predict(sub_argc, sub_argv);
    } else if (strcmp(cmd, "inspect") == 0) {
        rc = cfd_cmd_inspect(sub_argc, sub_argv);
    } else if (strcmp(cmd, "export") == 0) {
        rc = cfd_cmd_export(sub_argc, sub_argv);
    } else if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
               strcmp(cmd, "-h") == 0) {
        cfd__usage(stdout);
        rc = CFD_EXIT_OK;
    } else if (strcmp(cmd, "--version") == 0) {
        printf("classifyd-train %s\n", CFD_VERSION);
        rc = CFD_EXIT_OK;
    } else {
        fprintf(stderr, "classifyd-train: unknown command \"%s\"\n", cmd);
        cfd__usage(stderr);
        return CFD_EXIT_USAGE;
    }
    return cfd__stdout_status(cmd, rc);
}
