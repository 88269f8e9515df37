/*
 * Internal to server.c and server_signals.c: the main thread's handlers that
 * cfd_server_run installs. Main thread only (the thread running
 * cfd_server_run's loop).
 */
#ifndef CFD_SERVER_INTERNAL_H
#define CFD_SERVER_INTERNAL_H

#include <signal.h>

#include "server.h"

/* SIGTERM/SIGINT: graceful stop (twice: close everything now); SIGHUP:
 * reopen the request log and reload every model and the rules; SIGUSR1:
 * reopen the request log. h->data is the cfd_server. */
void cfd__server_signal_cb(uv_signal_t *h, int signum);

/* s->stop (cfd_server_stop from any thread): a graceful stop. */
void cfd__server_stop_cb(uv_async_t *a);

/* s->worker_done: once every worker loop has ended and no reload runs,
 * closes the main loop's handles so that cfd_server_run returns. */
void cfd__server_worker_done_cb(uv_async_t *a);

/* The signals cfd_server_run handles (SIGTERM, SIGINT, SIGHUP, SIGUSR1). */
void cfd__server_handled_signals(sigset_t *set);

#endif
