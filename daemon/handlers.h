/*
 * The endpoint handlers, called by the router (router.c) on the connection's
 * loop thread with one whole request. Each handler appends its whole reply
 * to c->out and calls cfd_conn_finish, or starts something that will (an
 * NDJSON stream, an admin job). See docs/PROTOCOL.md for what each returns.
 */
#ifndef CFD_HANDLERS_H
#define CFD_HANDLERS_H

#include "conn.h"

/* handlers.c: POST /v1/classify (JSON, text/plain, NDJSON) */
void cfd_handle_classify(cfd_conn *c, const cfd_http_request *r);

/* The cfd_http_limits precheck (http.h): a POST /v1/classify that waits
 * for 100 Continue with a Content-Type the endpoint does not take gets its
 * 415 before sending the body. Any thread (pure). */
int cfd_classify_precheck(const cfd_http_request *r, int *status, const char **code, char *msg,
                          size_t len);

/* handlers_info.c */
void cfd_handle_plugins(cfd_conn *c, const cfd_http_request *r);
void cfd_handle_healthz(cfd_conn *c, const cfd_http_request *r);
void cfd_handle_readyz(cfd_conn *c, const cfd_http_request *r);
void cfd_handle_metrics(cfd_conn *c, const cfd_http_request *r);

/* admin.c: POST /v1/plugins/{name}/model, .../rollback, /v1/reload */
void cfd_handle_admin_model(cfd_conn *c, const cfd_http_request *r, const char *plugin);
void cfd_handle_admin_rollback(cfd_conn *c, const cfd_http_request *r, const char *plugin);
void cfd_handle_admin_reload(cfd_conn *c, const cfd_http_request *r);

/* Appends a 200 (or other) reply with a JSON body plus "\n" and finishes. */
void cfd_reply_json(cfd_conn *c, const cfd_http_request *r, int status, const char *body,
                    size_t len, const char *extra);

/* HTTP status and stable code for an engine error. */
int cfd_engine_error_status(int rc, const char **code);

#endif
