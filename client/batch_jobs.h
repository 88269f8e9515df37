/*
 * Parallel batch requests for classifyctl batch --jobs N.
 *
 * The daemon serves each connection on one event loop (one core), so one
 * connection cannot use a multi-core daemon fully. With N > 1, N worker
 * threads each open their own connection and send the batch's chunks (NDJSON
 * requests) as they come free; the main thread receives every chunk's whole
 * reply in chunk order, so output and accounting are exactly those of the
 * sequential path. Workers run at most 2 x N chunks ahead of the main thread,
 * which bounds the memory held by finished replies.
 *
 * Threads: cfd_batch_jobs_run is called on the main thread and returns after
 * joining its workers. build() runs on worker threads (it must only read
 * shared data); emit() runs on the calling thread, one chunk at a time, in
 * order. The cfd_ctl is copied per worker (each gets its own connection).
 */
#ifndef CFD_CLIENT_BATCH_JOBS_H
#define CFD_CLIENT_BATCH_JOBS_H

#include <stddef.h>

#include "buf.h"
#include "ctl.h"

/* Builds the NDJSON body of chunk k into body (already reset). Worker thread. */
typedef int (*cfd_batch_build_fn)(void *ud, size_t k, cfd_buf *body);

/*
 * Hands over chunk k's outcome: rc is the cfd_ctl_call result (CFD_CTL_OK,
 * CFD_CTL_EDAEMON with reply->status set, or CFD_CTL_ECONNECT), reply holds
 * the whole body. Return non-zero to stop the run. Main thread.
 */
typedef int (*cfd_batch_emit_fn)(void *ud, size_t k, int rc, cfd_http_reply *reply);

/* Returns 0, or CFD_CTL_EINPUT if threads or memory could not be had. */
int cfd_batch_jobs_run(const cfd_ctl *ctl, int jobs, size_t n_chunks, cfd_batch_build_fn build,
                       cfd_batch_emit_fn emit, void *ud);

#endif
