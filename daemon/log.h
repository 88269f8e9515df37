/*
 * The daemon's log: one line per event on stderr, with a level, so that
 * journald (which reads "<N>" syslog priority prefixes) or a plain terminal
 * both show it well. Also the optional request log: one line per HTTP
 * request, appended to a file.
 *
 * Threads: cfd_log_setup/cfd_log_open_requests run on the main thread before
 * the event loops start, cfd_log_reopen_requests on it while they run (on
 * SIGHUP and SIGUSR1) and cfd_log_close_requests after they stop; every
 * other function may be called from any thread. Each line is written with
 * one write(2), so lines from different threads never interleave.
 */
#ifndef CFD_LOG_H
#define CFD_LOG_H

#include <stdatomic.h>
#include <stddef.h>

#include <classifyd/error.h>

#include "engine.h" /* enum cfd_log_level */

/* Parses "error", "warn", "info", "debug"; returns the level or -1. */
int cfd_log_level_parse(const char *s);
const char *cfd_log_level_name(int level);

/*
 * level: lines above it are dropped. journal: 1 = "<N>" prefix and no
 * timestamp (journald adds its own), 0 = ISO-8601 UTC timestamp and level
 * name.
 */
void cfd_log_setup(int level, int journal);
int cfd_log_enabled(int level);

void cfd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * At most one line a second for an event that clients can cause by the
 * thousand (refused admin calls, requests refused for want of body memory),
 * so that it can neither flood the log nor push other lines out of
 * journald's rate limit. One cfd_log_every per kind of event, shared by
 * every loop; all zeros is a valid initial state.
 */
typedef struct cfd_log_every {
    atomic_llong logged_s;  /* monotonic second of the last line + 1 (0 = none yet) */
    atomic_ulong quiet;     /* events not logged since that line */
} cfd_log_every;

/* 1 when this event is to be logged now, with *quiet set to the number of
 * events not logged since the last line; 0 when it is only counted. Any
 * thread. */
int cfd_log_every_second(cfd_log_every *e, unsigned long *quiet);

/* Adapter for cfd_engine_config.log (ud unused). */
void cfd_log_engine(void *ud, int level, const char *msg);

/* Opens path for appending request lines ("-" = stderr; NULL or "" = no
 * request log). Returns 0 or CFD_EIO with err naming the path and the
 * system's reason. */
int cfd_log_open_requests(const char *path, cfd_error *err);
/* Opens path again and puts it in place of the request log's descriptor
 * (dup3 onto the same number, so a line being written from another thread
 * goes whole to the old file or the new one): after logrotate has renamed
 * the file, lines go to a new one. Nothing to do for stderr or no log.
 * Returns 0 or CFD_EIO with err filled (the old file stays in use). Main
 * thread, while the loops run. */
int cfd_log_reopen_requests(const char *path, cfd_error *err);
void cfd_log_close_requests(void);
int cfd_log_requests_enabled(void);
/* One request line: method, path, status, reply bytes, microseconds. */
void cfd_log_request(const char *method, const char *path, size_t path_len, int status,
                     size_t bytes, unsigned long long us);

#endif
