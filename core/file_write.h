/*
 * Finishing a file written through stdio.
 *
 * A write that failed part-way (a full disk) only sets the stream's error
 * flag; fclose() may then succeed, its buffer being empty, and the file is
 * short without a word. cfd_fclose_checked tests both.
 * Thread: any; no global state.
 */
#ifndef CFD_FILE_WRITE_H
#define CFD_FILE_WRITE_H

#include <stdio.h>

/* Closes f (always): 0, or the errno of the failed write or close (EIO
 * when errno does not say). */
int cfd_fclose_checked(FILE *f);

#endif
