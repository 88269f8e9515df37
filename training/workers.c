/*
 * Forked worker processes for training tasks (see workers.h).
 */
#include "workers.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

void *cfd_shared_alloc(size_t bytes)
{
    void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void cfd_shared_free(void *p, size_t bytes)
{
    if (p != NULL)
        munmap(p, bytes ? bytes : 1);
}

static int cfd__run_inline(unsigned n_tasks, cfd_task_fn fn, void *ctx, const char *what,
                           cfd_progress *pr, cfd_error *err)
{
    for (unsigned t = 0; t < n_tasks; t++) {
        int rc = fn(ctx, t, err);
        if (rc != 0) {
            cfd_error_prefix(err, "%s %u/%u", what, t + 1, n_tasks);
            return rc;
        }
        cfd_progress_update(pr, t + 1);
    }
    return 0;
}

int cfd_run_tasks(unsigned n_tasks, unsigned jobs, cfd_task_fn fn, void *ctx, const char *what,
                  cfd_progress *pr, cfd_error *err)
{
    if (jobs <= 1 || n_tasks <= 1)
        return cfd__run_inline(n_tasks, fn, ctx, what, pr, err);
    size_t err_bytes = n_tasks * sizeof(cfd_error);
    cfd_error *errs = cfd_shared_alloc(err_bytes);
    pid_t *pids = calloc(n_tasks, sizeof(pid_t));
    if (errs == NULL || pids == NULL) {
        cfd_shared_free(errs, err_bytes);
        free(pids);
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory starting workers");
    }
    /* An inherited SIGCHLD = SIG_IGN makes the kernel reap the workers and
     * waitpid fail with ECHILD: wait with the default disposition. */
    struct sigaction dfl = {.sa_handler = SIG_DFL}, old_chld;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGCHLD, &dfl, &old_chld);
    fflush(NULL); /* workers must not flush our stdio buffers a second time */
    const pid_t parent = getpid();
    unsigned next = 0, running = 0, done = 0;
    int failed = 0, sys_rc = 0;
    for (;;) {
        while (!failed && !sys_rc && next < n_tasks && running < jobs) {
            pid_t pid = fork();
            if (pid < 0) {
                if (running > 0)
                    break; /* wait for one, then retry */
                sys_rc = cfd_error_set(err, CFD_EIO, (size_t)-1, "fork failed: %s",
                                       strerror(errno));
                break;
            }
            if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent) /* the parent died before prctl */
                    _exit(125);
                unsigned task = next;
                free(pids); /* the parent's bookkeeping (keeps memcheck quiet) */
                cfd_error_clear(&errs[task]);
                int rc = fn(ctx, task, &errs[task]);
                if (rc != 0 && errs[task].code == 0)
                    cfd_error_set(&errs[task], rc, (size_t)-1, "%s", cfd_strerror(rc));
                _exit(rc == 0 ? 0 : 1);
            }
            pids[next++] = pid;
            running++;
        }
        if (running == 0)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            sys_rc = cfd_error_set(err, CFD_EIO, (size_t)-1, "waitpid failed: %s",
                                   strerror(errno));
            break;
        }
        unsigned task = n_tasks;
        for (unsigned t = 0; t < next; t++)
            if (pids[t] == pid)
                task = t;
        if (task == n_tasks)
            continue; /* not one of ours */
        pids[task] = 0;
        running--;
        done++;
        cfd_progress_update(pr, done);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            continue;
        failed = 1;
        if (WIFSIGNALED(status))
            cfd_error_set(&errs[task], CFD_EIO, (size_t)-1,
                          "worker process killed by signal %d (out of memory? try --jobs 1 or "
                          "fewer --buckets)", WTERMSIG(status));
        else if (errs[task].code == 0)
            cfd_error_set(&errs[task], CFD_EIO, (size_t)-1, "worker process exited with %d",
                          WEXITSTATUS(status));
    }
    int rc = sys_rc;
    if (rc == 0 && failed) {
        for (unsigned t = 0; t < n_tasks; t++) {
            if (errs[t].code != 0) {
                if (err != NULL)
                    *err = errs[t];
                cfd_error_prefix(err, "%s %u/%u", what, t + 1, n_tasks);
                rc = errs[t].code;
                break;
            }
        }
    }
    sigaction(SIGCHLD, &old_chld, NULL);
    cfd_shared_free(errs, err_bytes);
    free(pids);
    return rc;
}
