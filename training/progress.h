/*
 * Progress lines on stderr for long training runs.
 *
 * Enabled when stderr is a terminal (a line redrawn in place, at most five
 * times a second) or when the user asks for it (--progress; then, on a pipe
 * or file, one line per tenth of the work, so logs stay short). Disabled, it
 * costs one branch per update. Progress never goes to stdout, which carries
 * the results.
 *
 * Threads: one cfd_progress per thread (it is plain state, no locking).
 */
#ifndef CFD_TRAIN_PROGRESS_H
#define CFD_TRAIN_PROGRESS_H

#include <stdint.h>

typedef struct cfd_progress {
    int enabled;
    int tty;
    const char *what;
    uint64_t total, done;
    double t_start, t_last;
    unsigned last_tenth;
} cfd_progress;

/* force: --progress given. Enabled if force or stderr is a terminal. */
void cfd_progress_init(cfd_progress *pr, int force);

/* Starts a phase ("featurizing", "training class") of `total` steps. */
void cfd_progress_start(cfd_progress *pr, const char *what, uint64_t total);
void cfd_progress_update(cfd_progress *pr, uint64_t done);
/* Ends the phase, printing its duration. */
void cfd_progress_end(cfd_progress *pr);

/* Prints a one-off note (same rules: only when enabled). */
void cfd_progress_note(cfd_progress *pr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Monotonic seconds. */
double cfd_now(void);

#endif
