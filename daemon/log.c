/*
 * Event and request logging for the daemon; see log.h. The settings are
 * process-wide (set once at start, read-only afterwards): a daemon has one
 * stderr.
 */
#define _GNU_SOURCE /* dup3 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <classifyd/error.h>

#include "errno_text.h"
#include "log.h"

static int cfd__log_level = CFD_LOG_INFO;
static int cfd__log_journal;
static int cfd__request_fd = -1;
/* 1 when the request log is stderr ("-"). Not told by the descriptor's
 * number: a daemon started with stdin or stdout closed gets 0 or 1 for
 * its request log file, which must still be reopened and closed. */
static int cfd__request_stderr;

static const struct {
    int level;
    const char *name;
} cfd__levels[] = {
    {CFD_LOG_ERROR, "error"},
    {CFD_LOG_WARN, "warn"},
    {CFD_LOG_INFO, "info"},
    {CFD_LOG_DEBUG, "debug"},
};

int cfd_log_level_parse(const char *s)
{
    for (size_t i = 0; i < sizeof(cfd__levels) / sizeof(cfd__levels[0]); i++)
        if (strcmp(s, cfd__levels[i].name) == 0)
            return cfd__levels[i].level;
    if (strcmp(s, "warning") == 0)
        return CFD_LOG_WARN;
    return -1;
}

const char *cfd_log_level_name(int level)
{
    for (size_t i = 0; i < sizeof(cfd__levels) / sizeof(cfd__levels[0]); i++)
        if (cfd__levels[i].level == level)
            return cfd__levels[i].name;
    return "?";
}

void cfd_log_setup(int level, int journal)
{
    cfd__log_level = level;
    cfd__log_journal = journal;
}

int cfd_log_enabled(int level) { return level <= cfd__log_level; }

int cfd_log_every_second(cfd_log_every *e, unsigned long *quiet)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    /* seconds since boot + 1: the field's initial 0 is never a second seen */
    long long now = (long long)ts.tv_sec + 1, prev = atomic_load(&e->logged_s);
    if (prev == now || !atomic_compare_exchange_strong(&e->logged_s, &prev, now)) {
        atomic_fetch_add(&e->quiet, 1);
        return 0;
    }
    *quiet = atomic_exchange(&e->quiet, 0);
    return 1;
}

static void cfd__write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static size_t cfd__timestamp(char *out, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    int m = snprintf(out + n, cap - n, ".%03ldZ", ts.tv_nsec / 1000000);
    return m > 0 ? n + (size_t)m : n;
}

static void cfd__vlog(int level, const char *fmt, va_list ap)
{
    char line[1024];
    size_t n;
    if (cfd__log_journal) {
        n = (size_t)snprintf(line, sizeof(line), "<%d>", level);
    } else {
        n = cfd__timestamp(line, sizeof(line));
        n += (size_t)snprintf(line + n, sizeof(line) - n, " %-5s ", cfd_log_level_name(level));
    }
    int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    if (m < 0)
        m = 0;
    n += (size_t)m;
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    /* One event, one line: newlines inside a message would split it. */
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';
    cfd__write_all(STDERR_FILENO, line, n);
}

void cfd_log(int level, const char *fmt, ...)
{
    if (!cfd_log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    cfd__vlog(level, fmt, ap);
    va_end(ap);
}

void cfd_log_engine(void *ud, int level, const char *msg)
{
    (void)ud;
    cfd_log(level, "%s", msg);
}

int cfd_log_open_requests(const char *path, cfd_error *err)
{
    if (path == NULL || path[0] == '\0')
        return 0;
    if (strcmp(path, "-") == 0) {
        cfd__request_fd = STDERR_FILENO;
        cfd__request_stderr = 1;
        return 0;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return cfd_error_set(err, CFD_EIO, (size_t)-1,
                             "cannot open the request log %s: %s (fix the path or its "
                             "permissions, or leave request_log unset)",
                             path, cfd_errno_str(errno));
    cfd__request_fd = fd;
    cfd__request_stderr = 0;
    return 0;
}

int cfd_log_reopen_requests(const char *path, cfd_error *err)
{
    if (cfd__request_fd < 0 || cfd__request_stderr || path == NULL || path[0] == '\0' ||
        strcmp(path, "-") == 0)
        return 0;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    int e = fd < 0 || dup3(fd, cfd__request_fd, O_CLOEXEC) < 0 ? errno : 0;
    if (fd >= 0)
        close(fd);
    if (e != 0)
        return cfd_error_set(err, CFD_EIO, (size_t)-1,
                             "cannot reopen the request log %s: %s (still writing to the old "
                             "file; check the directory's permissions)",
                             path, cfd_errno_str(e));
    return 0;
}

void cfd_log_close_requests(void)
{
    if (cfd__request_fd >= 0 && !cfd__request_stderr)
        close(cfd__request_fd);
    cfd__request_fd = -1;
    cfd__request_stderr = 0;
}

int cfd_log_requests_enabled(void) { return cfd__request_fd >= 0; }

void cfd_log_request(const char *method, const char *path, size_t path_len, int status,
                     size_t bytes, unsigned long long us)
{
    if (cfd__request_fd < 0)
        return;
    char line[512];
    size_t n = cfd__timestamp(line, sizeof(line));
    if (path_len > 200)
        path_len = 200;
    int m = snprintf(line + n, sizeof(line) - n, " %s ", method);
    n += m > 0 ? (size_t)m : 0;
    /* The path is client input: keep only printable ASCII in the log. */
    for (size_t i = 0; i < path_len; i++) {
        unsigned char c = (unsigned char)path[i];
        line[n++] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
    }
    m = snprintf(line + n, sizeof(line) - n, " %d %zu %lluus\n", status, bytes, us);
    n += m > 0 ? (size_t)m : 0;
    if (n > sizeof(line))
        n = sizeof(line);
    cfd__write_all(cfd__request_fd, line, n);
}
