/* INI files read whole and checked before libinih parses them; see ini_file.h. */
#include <stdlib.h>

#include "file_read.h"
#include "ini_file.h"

int cfd_ini_check(const char *text, size_t len, const char *name, unsigned flags,
                  cfd_error *err)
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
                                     "(shorten it; for a long path, use a symlink)",
                                     name, line, n, CFD_INI_MAX_LINE);
            if (flags & CFD_INI_NO_CONTINUATION) {
                size_t b = start;
                while (b < start + n && (text[b] == ' ' || text[b] == '\t'))
                    b++;
                if (b > start && b < start + n && text[b] != ';' && text[b] != '#')
                    return cfd_error_set(err, CFD_EFORMAT, start,
                                         "%s:%zu: the line is indented; libinih would read it "
                                         "as the continuation of the value above it: remove "
                                         "the indentation", name, line);
            }
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

int cfd_ini_read(const char *path, unsigned flags, char **text, size_t *len, cfd_error *err)
{
    int rc = cfd_file_read(path, CFD_INI_MAX_FILE, text, len, NULL, err);
    if (rc != 0)
        return rc;
    rc = cfd_ini_check(*text, *len, path, flags, err);
    if (rc != 0) {
        free(*text);
        *text = NULL;
        *len = 0;
    }
    return rc;
}
