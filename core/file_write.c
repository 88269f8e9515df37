/* Finishing a file written through stdio; see file_write.h. */
#include "file_write.h"

#include <errno.h>

int cfd_fclose_checked(FILE *f)
{
    int werr = ferror(f) ? errno : 0;
    if (fclose(f) != 0 && werr == 0)
        werr = errno ? errno : EIO;
    return werr;
}
