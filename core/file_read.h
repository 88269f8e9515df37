/*
 * Reading a whole file into memory: the one implementation behind the
 * daemon's config and rules files, the rules plugin's file and the training
 * and client data files (model files have their own reader, model_file.c,
 * with the model format's own limits and messages).
 *
 * Errors name the path and say what to do; codes: CFD_ENOENT (no such
 * file), CFD_EIO (cannot open or read, or a directory), CFD_ETOOBIG (more
 * than max bytes), CFD_ENOMEM.
 * Thread: any; no global state. Ownership: *data is malloc'd and
 * NUL-terminated (data[*len] == 0); the caller frees it.
 */
#ifndef CFD_FILE_READ_H
#define CFD_FILE_READ_H

#include <stddef.h>
#include <sys/stat.h>

#include <classifyd/error.h>

/* Reads path whole, at most max bytes; regular files, pipes and
 * /dev/fd/N alike. st, if not NULL, receives fstat() of the open file. */
int cfd_file_read(const char *path, size_t max, char **data, size_t *len, struct stat *st,
                  cfd_error *err);

/* The same from an open descriptor (not closed); name is used in errors. */
int cfd_file_read_fd(int fd, const char *name, size_t max, char **data, size_t *len,
                     cfd_error *err);

#endif
