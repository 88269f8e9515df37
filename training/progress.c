/*
 * Progress reporting on stderr; see progress.h.
 */
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

double cfd_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cfd_progress_init(cfd_progress *pr, int force)
{
    pr->tty = isatty(STDERR_FILENO);
    pr->enabled = force || pr->tty;
    pr->what = "";
    pr->total = pr->done = 0;
    pr->t_start = pr->t_last = cfd_now();
    pr->last_tenth = 0;
}

static void cfd__progress_draw(cfd_progress *pr, double now)
{
    double pct = pr->total ? 100.0 * (double)pr->done / (double)pr->total : 100.0;
    fprintf(stderr, "%s%s %llu/%llu (%.0f%%) %.1fs%s", pr->tty ? "\r\033[K" : "", pr->what,
            (unsigned long long)pr->done, (unsigned long long)pr->total, pct,
            now - pr->t_start, pr->tty ? "" : "\n");
    fflush(stderr);
    pr->t_last = now;
}

void cfd_progress_start(cfd_progress *pr, const char *what, uint64_t total)
{
    if (pr == NULL)
        return;
    pr->what = what;
    pr->total = total;
    pr->done = 0;
    pr->last_tenth = 0;
    pr->t_start = pr->t_last = cfd_now();
    if (pr->enabled && pr->tty)
        cfd__progress_draw(pr, pr->t_start);
}

void cfd_progress_update(cfd_progress *pr, uint64_t done)
{
    if (pr == NULL || !pr->enabled)
        return;
    pr->done = done;
    if (pr->tty) {
        double now = cfd_now();
        if (now - pr->t_last >= 0.2)
            cfd__progress_draw(pr, now);
    } else if (pr->total > 0) {
        unsigned tenth = (unsigned)(10 * done / pr->total);
        if (tenth > pr->last_tenth && done < pr->total) {
            pr->last_tenth = tenth;
            cfd__progress_draw(pr, cfd_now());
        }
    }
}

void cfd_progress_end(cfd_progress *pr)
{
    if (pr == NULL || !pr->enabled)
        return;
    pr->done = pr->total;
    double now = cfd_now();
    fprintf(stderr, "%s%s %llu/%llu done in %.2fs\n", pr->tty ? "\r\033[K" : "", pr->what,
            (unsigned long long)pr->total, (unsigned long long)pr->total, now - pr->t_start);
    fflush(stderr);
}

void cfd_progress_note(cfd_progress *pr, const char *fmt, ...)
{
    if (pr == NULL || !pr->enabled)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}
