/* Whole-file reads; see file_read.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errno_text.h"
#include "file_read.h"

/* The reader; st_out (may be NULL) receives the one fstat() it makes. */
static int cfd__read_fd(int fd, const char *name, size_t max, char **data, size_t *len,
                        struct stat *st_out, cfd_error *err)
{
    *data = NULL;
    *len = 0;
    struct stat st;
    size_t cap = 64 << 10;
    int have_st = fstat(fd, &st) == 0;
    if (st_out != NULL) {
        if (have_st)
            *st_out = st;
        else
            memset(st_out, 0, sizeof(*st_out));
    }
    if (have_st) {
        if (S_ISDIR(st.st_mode))
            return cfd_error_set(err, CFD_EIO, (size_t)-1,
                                 "%s: not a regular file (a directory); give a file", name);
        if (S_ISREG(st.st_mode)) {
            if ((unsigned long long)st.st_size > max)
                return cfd_error_set(err, CFD_ETOOBIG, (size_t)-1,
                                     "%s: %lld bytes, more than the %zu this file may have", name,
                                     (long long)st.st_size, max);
            cap = (size_t)st.st_size + 1; /* one read, and one more to see the end */
        }
    }
    if (cap > max)
        cap = max + 1;
    char *buf = malloc(cap + 1);
    if (buf == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "%s: out of memory", name);
    size_t n = 0;
    for (;;) {
        if (n == cap) { /* a pipe, or a file that grew: room for more, up to max + 1 */
            if (n > max)
                break;
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (nb == NULL) {
                free(buf);
                return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "%s: out of memory", name);
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            return cfd_error_set(err, CFD_EIO, (size_t)-1, "%s: read failed: %s", name,
                                 cfd_errno_str(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max) {
        free(buf);
        return cfd_error_set(err, CFD_ETOOBIG, (size_t)-1,
                             "%s: more than the %zu bytes this file may have", name, max);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int cfd_file_read_fd(int fd, const char *name, size_t max, char **data, size_t *len,
                     cfd_error *err)
{
    return cfd__read_fd(fd, name, max, data, len, NULL, err);
}

int cfd_file_read(const char *path, size_t max, char **data, size_t *len, struct stat *st,
                  cfd_error *err)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return cfd_error_set(err, e == ENOENT ? CFD_ENOENT : CFD_EIO, (size_t)-1,
                             "%s: cannot open: %s%s", path, cfd_errno_str(e),
                             e == ENOENT                ? " (check the path)"
                             : e == EACCES || e == EPERM ? " (check its permissions and its "
                                                           "directory's)"
                                                         : "");
    }
    int rc = cfd__read_fd(fd, path, max, data, len, st, err);
    close(fd);
    return rc;
}
