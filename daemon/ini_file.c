/* INI files read whole and checked before libinih parses them; see ini_file.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ini_file.h"

int cfd_ini_check(const char *text, size_t len, const char *name, cfd_error *err)
{
    size_t line = 1, start = 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)text[i] : '\n';
        if (c == '\n') {
            size_t n = i - start;
            if (n > 0 && text[i - 1] == '\r')
                n--;
            if (n > CFD_INI_MAX_LINE)
                return cfd_error_set(err, CFD_EFORMAT, start,
                                     "%s:%zu: line is %zu bytes long; the limit is %d "
                                     "(use a shorter path, or a symlink to a long one)",
                                     name, line, n, CFD_INI_MAX_LINE);
            line++;
            start = i + 1;
        } else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
            return cfd_error_set(err, CFD_EFORMAT, i,
                                 "%s:%zu:%zu: control character 0x%02x; this file must be "
                                 "plain text",
                                 name, line, i - start + 1, c);
        }
    }
    return 0;
}

int cfd_ini_read(const char *path, char **text, size_t *len, cfd_error *err)
{
    *text = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cfd_error_set(err, errno == ENOENT ? CFD_ENOENT : CFD_EIO, (size_t)-1,
                             "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    /* Pipes and /dev/fd/N work too; their size shows only while reading. */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        (unsigned long long)st.st_size > CFD_INI_MAX_FILE) {
        close(fd);
        return cfd_error_set(err, CFD_ETOOBIG, (size_t)-1,
                             "%s: %lld bytes; a config or rules file may have at most %u",
                             path, (long long)st.st_size, CFD_INI_MAX_FILE);
    }
    /* One byte more than the limit, to notice a file that grew meanwhile. */
    char *buf = malloc(CFD_INI_MAX_FILE + 2);
    if (buf == NULL) {
        close(fd);
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "%s: out of memory", path);
    }
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, CFD_INI_MAX_FILE + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return cfd_error_set(err, CFD_EIO, (size_t)-1, "%s: read failed: %s", path,
                                 strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > CFD_INI_MAX_FILE) {
            free(buf);
            close(fd);
            return cfd_error_set(err, CFD_ETOOBIG, (size_t)-1,
                                 "%s: larger than %u bytes; a config or rules file may not be",
                                 path, CFD_INI_MAX_FILE);
        }
    }
    close(fd);
    buf[n] = '\0';
    int rc = cfd_ini_check(buf, n, path, err);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *text = buf;
    *len = n;
    return 0;
}
