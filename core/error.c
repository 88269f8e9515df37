/*
 * The error convention's two helpers: names for codes and a formatted
 * cfd_error. See include/classifyd/error.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <classifyd/error.h>

static const struct {
    int code;
    const char *text;
    const char *name;
} cfd__errors[] = {
    {CFD_OK, "success", "ok"},
    {CFD_ENOMEM, "out of memory", "out_of_memory"},
    {CFD_EINVAL, "invalid argument", "invalid_argument"},
    {CFD_EIO, "input/output error", "io_error"},
    {CFD_ENOENT, "not found", "not_found"},
    {CFD_EUTF8, "invalid UTF-8", "invalid_utf8"},
    {CFD_EFORMAT, "malformed input", "malformed"},
    {CFD_EVERSION, "unsupported version", "unsupported_version"},
    {CFD_ECHECKSUM, "checksum mismatch", "checksum_mismatch"},
    {CFD_ETOOBIG, "too large", "too_large"},
    {CFD_ERANGE, "value out of range", "out_of_range"},
    {CFD_EEXIST, "already exists", "already_exists"},
    {CFD_EPERM, "not permitted", "not_permitted"},
    {CFD_EBUSY, "busy", "busy"},
    {CFD_EMISMATCH, "incompatible", "incompatible"},
    {CFD_ETRUNC, "truncated", "truncated"},
    {CFD_EEMPTY, "empty", "empty"},
};

__attribute__((visibility("default"))) /* plugins call it: daemon/plugin_exports.list */
const char *cfd_strerror(int code)
{
    for (size_t i = 0; i < sizeof(cfd__errors) / sizeof(cfd__errors[0]); i++)
        if (cfd__errors[i].code == code)
            return cfd__errors[i].text;
    return "unknown error";
}

__attribute__((visibility("default"))) /* plugins call it: daemon/plugin_exports.list */
const char *cfd_errname(int code)
{
    for (size_t i = 0; i < sizeof(cfd__errors) / sizeof(cfd__errors[0]); i++)
        if (cfd__errors[i].code == code)
            return cfd__errors[i].name;
    return "unknown";
}

__attribute__((visibility("default"))) /* plugins call it: daemon/plugin_exports.list */
void cfd_error_clear(cfd_error *err)
{
    if (err == NULL)
        return;
    err->code = CFD_OK;
    err->offset = (size_t)-1;
    err->msg[0] = '\0';
}

__attribute__((visibility("default"))) /* plugins call it: daemon/plugin_exports.list */
int cfd_error_set(cfd_error *err, int code, size_t offset, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    err->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

__attribute__((visibility("default"))) /* plugins call it: daemon/plugin_exports.list */
void cfd_error_prefix(cfd_error *err, const char *fmt, ...)
{
    if (err == NULL)
        return;
    char prefix[CFD_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    /* Build "prefix: old" by hand: the result is cut at the buffer size. */
    char old[CFD_ERROR_MSG_MAX];
    memcpy(old, err->msg, sizeof(old));
    size_t plen = (size_t)n < sizeof(err->msg) - 1 ? (size_t)n : sizeof(err->msg) - 1;
    memcpy(err->msg, prefix, plen);
    size_t pos = plen;
    const char *sep = ": ";
    for (const char *s = sep; *s && pos < sizeof(err->msg) - 1; s++)
        err->msg[pos++] = *s;
    for (const char *s = old; *s && pos < sizeof(err->msg) - 1; s++)
        err->msg[pos++] = *s;
    err->msg[pos] = '\0';
}
