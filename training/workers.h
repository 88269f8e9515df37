/*
 * Running independent training tasks (one-vs-rest classes, CV folds) in
 * forked worker processes.
 *
 * Why processes and not threads: liblinear's dual and L1 solvers draw their
 * coordinate order from the process-global rand(). Each task seeds rand()
 * itself, so in its own process a task computes exactly what it computes
 * alone, whatever else runs: results do not depend on the number of
 * workers. Tasks write their results into memory the caller maps shared
 * (cfd_shared_alloc) before the call; everything else they touch is the
 * parent's memory, copied on write.
 *
 * A worker dies with its parent (PR_SET_PDEATHSIG), reports failure through
 * its exit status and a cfd_error in shared memory, and never returns into
 * the caller's code (it _exits).
 *
 * Threads: call from one thread at a time, a thread that outlives the call
 * (the death signal follows the forking thread). No other thread may hold a
 * lock the task needs at the time of the call.
 */
#ifndef CFD_TRAIN_WORKERS_H
#define CFD_TRAIN_WORKERS_H

#include <stddef.h>

#include <classifyd/error.h>

#include "progress.h"

/* A task: returns 0 or a CFD_E* code and fills err. Runs in a worker. */
typedef int (*cfd_task_fn)(void *ctx, unsigned task, cfd_error *err);

/*
 * Runs tasks 0..n_tasks-1, at most `jobs` at a time (jobs <= 1 or one task:
 * in this process, in order). Progress counts finished tasks. On the first
 * failure no new task starts, the running ones finish, and the failure with
 * the lowest task number is returned (err filled, prefixed "what 3/5" with
 * the task's 1-based number).
 */
int cfd_run_tasks(unsigned n_tasks, unsigned jobs, cfd_task_fn fn, void *ctx, const char *what,
                  cfd_progress *pr, cfd_error *err);

/* Anonymous shared memory (zeroed) that workers' writes reach the parent
 * through; NULL on failure. Free with cfd_shared_free. */
void *cfd_shared_alloc(size_t bytes);
void cfd_shared_free(void *p, size_t bytes);

#endif
