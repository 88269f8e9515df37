/*
 * The memory that request bodies being received may take (max_body_memory).
 *
 * Why. The daemon buffers a request's whole body before it classifies it,
 * and a client may send a body of up to max_body as slowly as read_timeout
 * lets it, or on many connections at once. Without a bound, bodies alone
 * could take max_connections x max_body (4 GiB with the defaults) and the
 * daemon would be OOM-killed instead of telling clients to come back later.
 *
 * How (http.c does the reserving, conn.c the answering):
 *   - a request whose headers announce a Content-Length reserves that many
 *     bytes when its headers are complete, before any body byte is read;
 *   - a chunked body reserves its de-chunked bytes as they arrive;
 *   - a small body is not counted (free_below, below);
 *   - a reservation that does not fit is refused: the request is answered
 *     503 body_memory_exhausted with Retry-After: 1 and the connection is
 *     closed (with Expect: 100-continue, instead of 100 Continue);
 *   - the reservation is given back once the body is no longer needed: the
 *     request is answered (after its NDJSON stream or admin job, which read
 *     the body), the next request on the connection begins, an error or the
 *     read timeout ends the request, or the connection is freed. The
 *     cfd_http_in holds the count of bytes it has reserved and zeroes it
 *     when it gives them back, so each byte is released exactly once.
 *
 * Decision: one budget per event loop, not one counter shared by the loops.
 * Each loop gets max_body_memory / loops, but never less than max_body, so
 * that a body the limits allow always fits on a loop with no other body in
 * flight (cfd_body_budget_share). Only the loop's own thread reserves and
 * releases on its budget, so the hot path is a compare and an add with no
 * locked instruction (the counters are atomics accessed relaxed, plain
 * loads and stores on x86, only so that a /metrics scrape on another loop
 * reads them without a data race). A single shared counter would be one
 * cache line written by every loop for every request and every chunk, and
 * its check-then-add would need a compare-and-swap loop; nothing would be
 * gained but a less fragmented budget. The price of fragmentation: a
 * request may be refused on a loop whose share is taken while another loop
 * has room (connections are spread over the loops by count, not by bytes),
 * so with many loops the daemon may refuse before the total is reached.
 * And when max_body_memory / loops is less than max_body, the total bound
 * is loops x max_body instead (the daemon logs it at start).
 *
 * What is counted: body bytes (announced or de-chunked so far). A body
 * with a Content-Length is allocated at exactly that size (+1 for a NUL);
 * a chunked body's buffer grows by doubling and may take up to twice the
 * bytes counted. A connection keeps a body buffer of up to 64 KiB for its
 * next request after its reservation is given back (no allocation per
 * request): that is per-connection memory, like the read buffer and the
 * pending output, and is bounded by max_connections, not by this budget.
 *
 * Decision: a body that fits in that buffer is not counted at all
 * (free_below, CFD_BODY_UNCOUNTED in the daemon): one announced as fewer
 * than 64 KiB, or a chunked one while it is under 32 KiB (its doubling
 * buffer stays within 64 KiB). Its memory is the connection's, already
 * bounded by max_connections; counting it again let one client refuse
 * every other client's articles: a reservation costs the client only its
 * headers (a Content-Length of max_body), so 256 header-only connections
 * held the whole default budget for read_timeout, again and again, and
 * every request with a body -- a 2 KB article included -- was answered
 * 503. Now such a client can refuse only other large bodies.
 *
 * Threads: reserve and release on the owning loop's thread only; the
 * read-only functions from any thread. All zeros is a budget without a
 * limit (tests that build a worker by hand).
 */
#ifndef CFD_BODY_BUDGET_H
#define CFD_BODY_BUDGET_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The body buffer each connection keeps for its next request (http.c):
 * bodies that fit in it are not counted when free_below is set to it. */
#define CFD_BODY_UNCOUNTED (64u << 10)

typedef struct cfd_body_budget {
    size_t limit;             /* bytes; 0 = no limit. Set before the loop runs. */
    size_t free_below;        /* bodies under this are not counted (see above;
                                 http.c applies it); 0 = all are. Set before
                                 the loop runs. */
    _Atomic size_t used;      /* bytes reserved now */
    _Atomic uint64_t refused; /* reservations refused since start */
} cfd_body_budget;

/* A budget of limit bytes that counts every body (free_below 0). */
void cfd_body_budget_init(cfd_body_budget *b, size_t limit);

/* A loop's share of total over n_loops: total / n_loops, but at least
 * max_body (see above). n_loops 0 is taken as 1. */
size_t cfd_body_budget_share(size_t total, unsigned n_loops, size_t max_body);

/* Reserves n bytes: 0, or CFD_EBUSY when they do not fit (nothing is
 * reserved, and the refusal is counted). n == 0 always fits. */
int cfd_body_budget_reserve(cfd_body_budget *b, size_t n);

/* Gives back n bytes reserved earlier. */
void cfd_body_budget_release(cfd_body_budget *b, size_t n);

size_t cfd_body_budget_used(const cfd_body_budget *b);

/* Appends the Prometheus lines for the loops' budgets: bytes reserved now,
 * the limit (the sum of the shares) and the refusals. Any thread. */
int cfd_body_budget_render(const cfd_body_budget *const *loops, size_t n_loops, cfd_buf *out);

#endif
