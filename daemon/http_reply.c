/*
 * HTTP/1.1 reply formatting: status line and headers, JSON error bodies,
 * chunks and the Date value; see http.h. Requests are assembled in http.c.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "json_prob.h" /* cfd_json_uint: decimal digits without printf */

const char *cfd_http_status_text(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

#define CFD__LIT(out, s) cfd_buf_append((out), (s), sizeof(s) - 1)

void cfd_http_head(cfd_buf *out, int status, const char *ctype, long long content_length,
                   int keep_alive, const char *extra, const char *date)
{
    CFD__LIT(out, "HTTP/1.1 ");
    cfd_json_uint(out, (unsigned)status);
    cfd_buf_putc(out, ' ');
    cfd_buf_puts(out, cfd_http_status_text(status));
    CFD__LIT(out, "\r\nServer: classifyd\r\n");
    if (date) {
        CFD__LIT(out, "Date: ");
        cfd_buf_puts(out, date);
        CFD__LIT(out, "\r\n");
    }
    if (ctype) {
        CFD__LIT(out, "Content-Type: ");
        cfd_buf_puts(out, ctype);
        CFD__LIT(out, "\r\n");
    }
    if (content_length >= 0) {
        CFD__LIT(out, "Content-Length: ");
        cfd_json_uint(out, (unsigned long long)content_length);
        CFD__LIT(out, "\r\n");
    } else if (content_length == CFD_HTTP_CHUNKED) {
        CFD__LIT(out, "Transfer-Encoding: chunked\r\n");
    }
    if (!keep_alive)
        CFD__LIT(out, "Connection: close\r\n");
    else if (keep_alive == 2)
        CFD__LIT(out, "Connection: keep-alive\r\n");
    if (extra)
        cfd_buf_puts(out, extra);
    CFD__LIT(out, "\r\n");
}

void cfd_http_reply(cfd_buf *out, int status, const char *ctype, const char *body, size_t len,
                    int keep_alive, const char *extra, const char *date)
{
    cfd_http_head(out, status, ctype, (long long)len, keep_alive, extra, date);
    cfd_buf_append(out, body, len);
}

void cfd_http_error_json(cfd_buf *out, const char *code, const char *msg, size_t offset)
{
    CFD__LIT(out, "{\"error\":{\"code\":");
    cfd_buf_json_str(out, code, strlen(code));
    CFD__LIT(out, ",\"message\":");
    cfd_buf_json_str(out, msg, strlen(msg));
    if (offset != (size_t)-1) {
        CFD__LIT(out, ",\"offset\":");
        cfd_json_uint(out, offset);
    }
    CFD__LIT(out, "}}");
}

void cfd_http_reply_error(cfd_buf *out, int status, const char *code, const char *msg,
                          size_t offset, int keep_alive, const char *extra, const char *date)
{
    /* The body's length is needed before it is appended: format it apart
     * (error replies are not the hot path). */
    cfd_buf tmp = CFD_BUF_INIT;
    cfd_http_error_json(&tmp, code, msg, offset);
    cfd_buf_putc(&tmp, '\n');
    if (tmp.oom) {
        out->oom = 1;
        return;
    }
    cfd_http_reply(out, status, "application/json", tmp.data, tmp.len, keep_alive, extra, date);
    cfd_buf_free(&tmp);
}

void cfd_http_chunk(cfd_buf *out, const char *data, size_t len)
{
    if (len == 0)
        return;
    cfd_buf_printf(out, "%zx\r\n", len);
    cfd_buf_append(out, data, len);
    CFD__LIT(out, "\r\n");
}

void cfd_http_chunk_end(cfd_buf *out) { CFD__LIT(out, "0\r\n\r\n"); }

void cfd_http_date(char out[30], int64_t unix_seconds)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
             tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, tmp, 29); /* four-digit years: always 29 characters */
    out[29] = '\0';
}
