/*
 * Model files on disk: cfd_model_load reads a file into memory and hands it
 * to cfd_model_load_buffer (model_read.c); cfd_model_save writes the bytes
 * from cfd_model_serialize (model_write.c) atomically.
 *
 * Loading uses read(), not mmap: a model file replaced or truncated in place
 * while mapped would kill the daemon with SIGBUS; a copy in memory cannot.
 *
 * Saving: write "path.tmp.<pid>", fsync it, rename over path, fsync the
 * directory. A reader (the daemon's hot swap) sees the old file or the new
 * one, never a half-written one; after a crash at most the temp file is
 * left. On any failure the temp file is removed and path is untouched.
 */
#define _GNU_SOURCE /* strerror_r returning char * */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model_format.h"

static int cfd__errno_code(int e)
{
    switch (e) {
    case ENOENT: return CFD_ENOENT;
    case EACCES:
    case EPERM:
    case EROFS: return CFD_EPERM;
    case ENOMEM: return CFD_ENOMEM;
    default: return CFD_EIO;
    }
}

static int cfd__sys_error(cfd_error *err, int e, const char *what, const char *path)
{
    char buf[128];
    const char *msg = strerror_r(e, buf, sizeof(buf));
    return cfd_error_set(err, cfd__errno_code(e), (size_t)-1, "%s '%s': %s", what, path, msg);
}

int cfd_model_load(const char *path, cfd_model **out, cfd_error *err)
{
    *out = NULL;
    cfd_error_clear(err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return cfd_error_set(err, CFD_ENOENT, (size_t)-1,
                                 "model file '%s' does not exist; check the path (train one with "
                                 "classifyd-train)", path);
        return cfd__sys_error(err, e, "cannot open model file", path);
    }
    uint8_t *buf = NULL;
    int rc;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = cfd__sys_error(err, errno, "cannot stat model file", path);
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                           "model path '%s' is not a regular file", path);
        goto done;
    }
    if ((uint64_t)st.st_size > CFD_MF_FILE_MAX) {
        rc = cfd_error_set(err, CFD_ETOOBIG, (size_t)-1,
                           "model file '%s' is %lld bytes; the limit is %llu", path,
                           (long long)st.st_size, (unsigned long long)CFD_MF_FILE_MAX);
        goto done;
    }
    size_t size = (size_t)st.st_size;
    if ((buf = malloc(size ? size : 1)) == NULL) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1,
                           "out of memory reading model file '%s' (%zu bytes)", path, size);
        goto done;
    }
    /* Read what is there: if the file shrank meanwhile we parse fewer
     * bytes (and report a truncation), if it grew we ignore the rest. */
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = cfd__sys_error(err, errno, "cannot read model file", path);
            goto done;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    rc = cfd_model_load_buffer(buf, got, out, err);
    if (rc != 0)
        cfd_error_prefix(err, "%s", path);
done:
    free(buf);
    close(fd);
    return rc;
}

static int cfd__write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int cfd_model_path_dir(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash == NULL ? 1 : slash == path ? 1 : (size_t)(slash - path);
    if (n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(out, slash == NULL ? "." : path, n);
    out[n] = '\0';
    return 0;
}

/* fsync the directory holding path so the rename itself is durable. */
static int cfd__fsync_dir(const char *path)
{
    char dir[4096];
    if (cfd_model_path_dir(path, dir, sizeof dir) != 0)
        return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* What a path that is not a regular file is, for a message. */
static const char *cfd__file_kind(mode_t mode)
{
    return S_ISDIR(mode)    ? "a directory"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISFIFO(mode) ? "a pipe"
           : S_ISSOCK(mode) ? "a socket"
                            : "not a regular file";
}

int cfd_model_save_target_check(const char *path, cfd_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode))
        return 0; /* a new file, or one to replace */
    return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                         "'%s' is %s: a model is saved by renaming a new file over the path, "
                         "which would replace it; give the path of a model file", path,
                         cfd__file_kind(st.st_mode));
}

int cfd_model_save(cfd_model *m, const char *path, enum cfd_weight_encoding enc, cfd_error *err)
{
    cfd_error_clear(err);
    /* rename() replaces whatever path names: --out /dev/null (a dry run, as
     * root) would have put a model file where the device was. */
    int rc0 = cfd_model_save_target_check(path, err);
    if (rc0 != 0)
        return rc0;
    void *buf = NULL;
    size_t len = 0;
    uint64_t old_sum = m->checksum;
    char old_hex[sizeof(m->checksum_hex)];
    memcpy(old_hex, m->checksum_hex, sizeof(old_hex));
    int rc = cfd_model_serialize(m, enc, &buf, &len, err);
    if (rc != 0) {
        cfd_error_prefix(err, "%s", path);
        return rc;
    }
    char tmp[4096];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        free(buf);
        rc = cfd_error_set(err, CFD_EINVAL, (size_t)-1, "model path '%.200s...' is too long",
                           path);
        goto restore;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) {
        /* Left by a crashed earlier process with our pid: it is garbage. */
        unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    if (fd < 0) {
        rc = cfd__sys_error(err, errno, "cannot create temporary model file", tmp);
        free(buf);
        goto restore;
    }
    int werr = 0;
    if (cfd__write_all(fd, buf, len) != 0) {
        werr = errno;
        rc = cfd__sys_error(err, werr, "cannot write model file", tmp);
    } else if (fsync(fd) != 0) {
        werr = errno;
        rc = cfd__sys_error(err, werr, "cannot fsync model file", tmp);
    }
    free(buf);
    if (close(fd) != 0 && rc == 0) {
        werr = errno;
        rc = cfd__sys_error(err, werr, "cannot close model file", tmp);
    }
    if (werr == ENOSPC || werr == EDQUOT) /* the temporary file is removed below */
        rc = cfd_error_set(err, CFD_EIO, (size_t)-1,
                           "cannot write model file '%s': %s (it takes %zu bytes); free some "
                           "space or give another path (nothing was changed)", path,
                           werr == ENOSPC ? "no space left on device" : "disk quota exceeded",
                           len);
    if (rc == 0 && rename(tmp, path) != 0) {
        int e = errno;
        char what[64 + 4096];
        snprintf(what, sizeof(what), "cannot rename '%s' to", tmp);
        rc = cfd__sys_error(err, e, what, path);
    }
    if (rc != 0) {
        unlink(tmp);
        goto restore;
    }
    if (cfd__fsync_dir(path) != 0)
        return cfd__sys_error(err, errno, "model saved but cannot fsync the directory of", path);
    return 0;
restore:
    /* The contract: checksum fields change only when the file was written. */
    m->checksum = old_sum;
    memcpy(m->checksum_hex, old_hex, sizeof(old_hex));
    return rc;
}
