/*
 * The classifyd-train subcommands, one per cmd_*.c file. Each takes the
 * arguments after its name and returns the process exit code (cli.h).
 * Threads: main thread only.
 */
#ifndef CFD_TRAIN_CMDS_H
#define CFD_TRAIN_CMDS_H

int cfd_cmd_train(int argc, char **argv);
int cfd_cmd_eval(int argc, char **argv);
int cfd_cmd_cv(int argc, char **argv);
int cfd_cmd_predict(int argc, char **argv);
int cfd_cmd_inspect(int argc, char **argv);
int cfd_cmd_export(int argc, char **argv);

#endif
