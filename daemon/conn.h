/*
 * One client connection: reading, request sequencing, the bounded write
 * queue, timeouts and closing.
 *
 * Requests on a connection are answered strictly in order. Bytes read go to
 * the HTTP parser straight from the loop's shared read buffer; when the
 * connection cannot take a new request yet (an admin call is running, an
 * NDJSON batch is streaming, or too much output is waiting for the client)
 * the unparsed rest is kept in `pending` and reading stops until the
 * obstacle is gone. So a connection holds at most one read's worth of
 * unparsed input plus max_pending_output of replies: a client that never
 * reads its replies cannot make the daemon grow without bound, and after
 * idle_timeout without write progress it is disconnected.
 *
 * Writing: replies are appended to `out`; cfd_conn_flush tries
 * uv_try_write first (most replies leave in that one syscall), and only the
 * rest goes to a uv_write from `wbuf`. Replies to pipelined requests that
 * arrive in one read are flushed together.
 *
 * Timeouts (checked by the loop's sweep timer): a request must arrive whole
 * within read_timeout of its first byte (else 408 and close); a connection
 * with nothing to do for idle_timeout is closed; so is one whose replies
 * have not moved for idle_timeout.
 *
 * Threads: everything here runs on the connection's loop thread.
 */
#ifndef CFD_CONN_H
#define CFD_CONN_H

#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "buf.h"
#include "http.h"
#include "server.h"

typedef struct cfd_conn {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_pipe_t pipe;
        uv_tcp_t tcp;
    } h;
    cfd_worker *w;
    struct cfd_conn *prev, *next;
    cfd_http_in in;
    cfd_buf pending;          /* unparsed input, from pending_off */
    size_t pending_off;
    cfd_buf out;              /* replies not yet handed to the kernel */
    cfd_buf wbuf;             /* bytes in the uv_write in flight */
    uv_write_t wreq;
    uv_shutdown_t sreq;
    uint64_t last_active;     /* loop time (ms) of the last read or write progress */
    uint64_t req_start;       /* loop time (ms) of the current request's first byte,
                                 or of the start of lingering */
    uint64_t t0;              /* uv_hrtime() when the current request was dispatched */
    int timing;               /* req_start is set for the request being received */
    uid_t uid;                /* peer credentials (Unix socket) */
    unsigned is_unix : 1;
    unsigned reading : 1;
    unsigned writing : 1;
    unsigned closing : 1;     /* uv_close called */
    unsigned closed : 1;      /* close callback ran (freed unless a job holds it) */
    unsigned close_after : 1; /* close once the output is flushed */
    unsigned eof : 1;         /* the peer shut its side */
    unsigned job : 1;         /* an admin call is running for this connection */
    unsigned lingering : 1;   /* write side shut, discarding input until EOF */
    unsigned in_process : 1;  /* cfd_conn_process is on the stack */
    unsigned more_input : 1;  /* bytes were received after the request being answered */
    /* The request being answered (for metrics and the request log). */
    int endpoint;
    int method;
    /* NDJSON batch being streamed */
    unsigned nd_active : 1;
    unsigned nd_chunked : 1;
    unsigned nd_keep : 1;
    size_t nd_pos, nd_lineno, nd_bytes;
    uint64_t nd_unflushed_since; /* uv_hrtime() of the oldest line not yet flushed, 0 = none */
    unsigned nd_yielded : 1;      /* on w->resume, waiting for its next slice */
    struct cfd_conn *resume_next; /* w->resume list */
} cfd_conn;

/* Takes ownership of an accepted, non-blocking fd. The caller has already
 * counted it in w->load and srv->open_total (cfd__free uncounts it). */
void cfd_conn_open(cfd_worker *w, int fd, int is_unix);

/* Takes requests until none is complete or the connection must wait. */
void cfd_conn_process(cfd_conn *c);

/* Hands as much of `out` to the kernel as it takes now. */
void cfd_conn_flush(cfd_conn *c);

/* Bytes of replies not yet written. */
size_t cfd_conn_pending_output(const cfd_conn *c);

/*
 * Ends the current request: records metrics and the request log line. Called
 * by the handlers once the whole reply is in c->out.
 */
void cfd_conn_finish(cfd_conn *c, int status, size_t bytes);

/* The keep-alive value for reply headers of the current request
 * (0 close, 1 keep, 2 keep and say so for HTTP/1.0). While the daemon drains
 * or after the peer shut its side, requests already received behind this one
 * are still answered: only the reply with nothing received after it closes. */
int cfd_conn_keep_alive(cfd_conn *c, const cfd_http_request *r);

/* Replies with a JSON error and, when close is set, closes after it. */
void cfd_conn_error(cfd_conn *c, const cfd_http_request *r, int status, const char *code,
                    const char *msg, size_t offset, const char *extra, int close);

void cfd_conn_close(cfd_conn *c);

/* An admin job finished: the connection may go on (or be freed if it
 * closed meanwhile). */
void cfd_conn_job_done(cfd_conn *c);

/* Timer work: timeouts; during a drain, closes quiescent connections. */
void cfd_conn_sweep(cfd_worker *w, uint64_t now);

/* Closes every connection now (grace period over). */
void cfd_conn_close_all(cfd_worker *w);

/* Router entry point (router.c). */
void cfd_route(cfd_conn *c, const cfd_http_request *r);

/* Continues an NDJSON batch (handlers.c); returns 1 when it is finished. */
int cfd_ndjson_step(cfd_conn *c);

/* An NDJSON batch has had its slice of the loop (CFD_ND_SLICE_NS): puts the
 * connection on w->resume and wakes the loop, so that other connections'
 * I/O is served before cfd_conn_resume_all gives it the next slice. Only
 * on a worker whose wake handle is running (w->can_yield). */
void cfd_conn_yield(cfd_conn *c);

/* Gives every connection on w->resume its next slice (the wake callback). */
void cfd_conn_resume_all(cfd_worker *w);

#endif
