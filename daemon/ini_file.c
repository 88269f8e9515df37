/* INI files read whole and checked before libinih parses them; see ini_file.h. */
#include <stdlib.h>
#include <string.h>

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

typedef struct cfd__ini_run {
    const char *p;      /* what is left of the text */
    int line;           /* line of the text last handed to libinih */
    int next_line;      /* line the next read starts on */
    int fail_line;      /* line where the handler failed, 0 if it has not */
    int *line_out;      /* the caller's: set before each handler call */
    ini_handler handler;
    void *user;
} cfd__ini_run;

/* fgets over the text, as libinih's own string reader, counting lines. */
static char *cfd__ini_reader(char *str, int num, void *stream)
{
    cfd__ini_run *x = stream;
    if (*x->p == '\0' || num < 2)
        return NULL;
    const char *nl = strchr(x->p, '\n');
    size_t n = nl ? (size_t)(nl - x->p) + 1 : strlen(x->p);
    if (n > (size_t)num - 1)
        n = (size_t)num - 1;
    memcpy(str, x->p, n);
    str[n] = '\0';
    x->line = x->next_line;
    if (str[n - 1] == '\n')
        x->next_line++;
    x->p += n;
    return str;
}

static int cfd__ini_call(void *user, const char *section, const char *name, const char *value)
{
    cfd__ini_run *x = user;
    if (x->fail_line != 0)
        return 1; /* the first failure is the one reported */
    if (x->line_out != NULL)
        *x->line_out = x->line;
    if (x->handler(x->user, section, name, value))
        return 1;
    x->fail_line = x->line;
    return 0;
}

int cfd_ini_parse(const char *text, ini_handler handler, void *user, int *handler_failed,
                  int *line)
{
    cfd__ini_run x = {text, 0, 1, 0, line, handler, user};
    int r = ini_parse_stream(cfd__ini_reader, &x, cfd__ini_call, &x);
    *handler_failed = r > 0 && r == x.fail_line;
    return r;
}
