/*
 * The model file reader: cfd_model_load_buffer, from bytes to a validated
 * cfd_model. models/FORMAT.md describes the bytes; this file is written to be
 * safe on hostile input (a fuzzer runs on it):
 *
 *  - every read goes through a bounds-checked cursor (bytes.h);
 *  - nothing is allocated from a size field before the bytes that size
 *    implies are known to be present, so an allocation is never larger than
 *    the file (except row_of, 2^hash_bits entries with hash_bits <= 24);
 *  - the checksum is verified before any section is parsed.
 *
 * Order of checks, so that each kind of damage gets its own error:
 *   header (magic, major version, file_length) -> truncated? -> checksum ->
 *   sections in file order, each validated on its own and against the ones
 *   before it -> required sections present.
 * A truncated file (shorter than its header's file_length) cannot be
 * checksummed, so it is parsed as far as it goes, and the error names the
 * section and field the file ends in (CFD_ETRUNC).
 *
 * No global state: no locale, no strtod (numbers are binary), no statics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "bytes.h"
#include "model_format.h"

static const char *const cfd__tags[CFD_MF_S_COUNT] = {
    [CFD_MF_S_NAME] = CFD_MF_TAG_NAME, [CFD_MF_S_LABL] = CFD_MF_TAG_LABL,
    [CFD_MF_S_FEAT] = CFD_MF_TAG_FEAT, [CFD_MF_S_FOPT] = CFD_MF_TAG_FOPT,
    [CFD_MF_S_WGHT] = CFD_MF_TAG_WGHT,
    [CFD_MF_S_BIAS] = CFD_MF_TAG_BIAS, [CFD_MF_S_IDF] = CFD_MF_TAG_IDF,
    [CFD_MF_S_META] = CFD_MF_TAG_META,
};

/* Sections a given one needs to have been read first. */
static const int cfd__needs[CFD_MF_S_COUNT][2] = {
    [CFD_MF_S_FOPT] = {CFD_MF_S_FEAT, 0},
    [CFD_MF_S_WGHT] = {CFD_MF_S_LABL, CFD_MF_S_FEAT},
    [CFD_MF_S_BIAS] = {CFD_MF_S_LABL, 0},
    [CFD_MF_S_IDF] = {CFD_MF_S_FEAT, 0},
};

static int cfd__kind_of(const uint8_t *tag)
{
    for (int k = 1; k < CFD_MF_S_COUNT; k++)
        if (memcmp(tag, cfd__tags[k], 4) == 0)
            return k;
    return 0;
}

static void cfd__printable_tag(const uint8_t *tag, char out[5])
{
    for (int i = 0; i < 4; i++)
        out[i] = (tag[i] >= 0x20 && tag[i] < 0x7f) ? (char)tag[i] : '?';
    out[4] = '\0';
}

/* The header: magic, version, n_sections, file_length. */
static int cfd__read_header(const uint8_t *b, size_t len, uint32_t *n_sections,
                            uint64_t *file_len, cfd_error *err)
{
    static const char *const fields[] = {"magic", "major version", "minor version",
                                         "n_sections", "file_length"};
    static const size_t ends[] = {8, 10, 12, 16, 24};
    size_t cmp = len < CFD_MF_MAGIC_LEN ? len : CFD_MF_MAGIC_LEN;
    if (len == 0)
        return cfd_error_set(err, CFD_ETRUNC, 0,
                             "the file is empty (0 bytes); expected a classifyd model");
    if (memcmp(b, CFD_MF_MAGIC, cmp) != 0) {
        char found[3 * CFD_MF_MAGIC_LEN + 1] = "";
        for (size_t i = 0; i < cmp; i++)
            snprintf(found + 3 * i, sizeof(found) - 3 * i, "%02x%s", b[i], i + 1 < cmp ? " " : "");
        return cfd_error_set(err, CFD_EFORMAT, 0,
                             "bad magic: found bytes %s, expected 89 43 46 44 4d 0d 0a 1a "
                             "(\"\\x89CFDM\\r\\n\\x1a\"); this is not a classifyd model file",
                             found);
    }
    if (len >= 10) {
        uint16_t major = cfd_le16_get(b + 8);
        uint16_t minor = len >= 12 ? cfd_le16_get(b + 10) : 0;
        if (major != CFD_MF_MAJOR)
            return cfd_error_set(err, CFD_EVERSION, 8,
                                 "unsupported format version %u.%u; this build reads %d.x "
                                 "(up to %d.%d); %s", major, minor, CFD_MF_MAJOR, CFD_MF_MAJOR,
                                 CFD_MF_MINOR,
                                 major > CFD_MF_MAJOR ? "upgrade classifyd to load it"
                                                      : "retrain the model with this classifyd");
    }
    if (len < CFD_MF_HEADER_LEN) {
        size_t k = 0;
        while (ends[k] <= len)
            k++;
        return cfd_error_set(err, CFD_ETRUNC, len,
                             "truncated: the file is %zu bytes and ends inside the header field "
                             "'%s' (the header is %d bytes); copy the complete file again",
                             len, fields[k], CFD_MF_HEADER_LEN);
    }
    *n_sections = cfd_le32_get(b + 12);
    *file_len = cfd_le64_get(b + 16);
    if (*file_len < CFD_MF_HEADER_LEN + CFD_MF_TRAILER_LEN)
        return cfd_error_set(err, CFD_EFORMAT, 16,
                             "header field file_length is %llu; a model file has at least %d "
                             "bytes", (unsigned long long)*file_len,
                             CFD_MF_HEADER_LEN + CFD_MF_TRAILER_LEN);
    if (*file_len > CFD_MF_FILE_MAX)
        return cfd_error_set(err, CFD_ETOOBIG, 16,
                             "header field file_length is %llu; the limit is %llu bytes",
                             (unsigned long long)*file_len, (unsigned long long)CFD_MF_FILE_MAX);
    if (len > *file_len)
        return cfd_error_set(err, CFD_EFORMAT, (size_t)*file_len,
                             "the file has %zu bytes but its header says %llu: %llu unexpected "
                             "bytes after the checksum", len, (unsigned long long)*file_len,
                             (unsigned long long)(len - *file_len));
    return 0;
}

int cfd_model_load_buffer(const void *buf, size_t len, cfd_model **out, cfd_error *err)
{
    cfd_error local;
    if (err == NULL)
        err = &local;
    cfd_error_clear(err);
    *out = NULL;
    const uint8_t *b = buf;
    if (b == NULL && len > 0)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1, "cfd_model_load_buffer: NULL buffer");
    uint32_t n_sections = 0;
    uint64_t file_len = 0;
    int rc = cfd__read_header(b, len, &n_sections, &file_len, err);
    if (rc != 0)
        return rc;
    const int cut = len < file_len;
    const size_t limit = (size_t)file_len - CFD_MF_TRAILER_LEN; /* sections end here */
    const size_t avail = cut && len < limit ? len : limit;      /* ...and bytes present */
    uint64_t stored = 0;
    if (!cut) {
        stored = cfd_le64_get(b + limit);
        uint64_t computed = XXH3_64bits(b, limit);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
        /* Fuzz builds (the libFuzzer convention) skip the checksum so the
         * fuzzer reaches the section parsers behind it. */
        computed = stored;
#endif
        if (stored != computed)
            return cfd_error_set(err, CFD_ECHECKSUM, limit,
                                 "checksum mismatch (stored %016llx, computed %016llx over %zu "
                                 "bytes): the file is damaged; copy it again or retrain",
                                 (unsigned long long)stored, (unsigned long long)computed, limit);
    }
    if (n_sections == 0 || n_sections > CFD_MF_MAX_SECTIONS)
        return cfd_error_set(err, n_sections ? CFD_ETOOBIG : CFD_EFORMAT, 12,
                             "header field n_sections is %u; expected 1..%d", n_sections,
                             CFD_MF_MAX_SECTIONS);

    cfd_model *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory loading a model");
    int seen[CFD_MF_S_COUNT] = {0};
    int last = 0;
    size_t pos = CFD_MF_HEADER_LEN;
    for (uint32_t i = 0; i < n_sections; i++) {
        if (CFD_MF_SECTION_HDR > limit - pos) {
            rc = cfd_error_set(err, CFD_EFORMAT, pos,
                               "header says %u sections but section %u (at offset %zu) would "
                               "overlap the checksum at offset %zu", n_sections, i, pos, limit);
            goto fail;
        }
        if (CFD_MF_SECTION_HDR > avail - pos) {
            rc = cfd_error_set(err, CFD_ETRUNC, len,
                               "truncated: the file ends at offset %zu, inside the header of "
                               "section %u (at offset %zu; the file should have %llu bytes); "
                               "copy the complete file again",
                               len, i, pos, (unsigned long long)file_len);
            goto fail;
        }
        const uint8_t *h = b + pos;
        uint32_t flags = cfd_le32_get(h + 4);
        uint64_t slen = cfd_le64_get(h + 8);
        cfd_mf_sec s = {.off = pos, .declared = slen, .file_len = file_len, .have = len,
                        .err = err};
        cfd__printable_tag(h, s.tag);
        if (flags & ~CFD_MF_FLAG_REQUIRED) {
            rc = cfd_error_set(err, CFD_EFORMAT, pos + 4,
                               "section %s (at offset %zu) has unknown flag bits 0x%x; only bit 0 "
                               "(required) is defined", s.tag, pos, flags & ~CFD_MF_FLAG_REQUIRED);
            goto fail;
        }
        size_t payload = pos + CFD_MF_SECTION_HDR;
        if (slen > limit - payload) {
            rc = cfd_error_set(err, CFD_ETOOBIG, pos + 8,
                               "section %s (at offset %zu) declares %llu bytes but only %zu "
                               "remain before the checksum", s.tag, pos,
                               (unsigned long long)slen, limit - payload);
            goto fail;
        }
        s.cut = slen > avail - payload;
        s.r = cfd_rd_make(b + payload, s.cut ? avail - payload : (size_t)slen, payload);
        int kind = cfd__kind_of(h);
        if (kind == 0) {
            if (flags & CFD_MF_FLAG_REQUIRED) {
                rc = cfd_error_set(err, CFD_EVERSION, pos,
                                   "section %s (at offset %zu) is marked required but this build "
                                   "(format %d.%d) does not know it; the file was written by a "
                                   "newer classifyd: upgrade to load it",
                                   s.tag, pos, CFD_MF_MAJOR, CFD_MF_MINOR);
                goto fail;
            }
        } else {
            if (seen[kind] || kind < last) {
                rc = cfd_error_set(err, CFD_EFORMAT, pos,
                                   seen[kind] ? "section %s (at offset %zu) appears twice"
                                              : "section %s (at offset %zu) is out of order; "
                                                "known sections go NAME LABL FEAT FOPT WGHT BIAS "
                                                "IDF META", s.tag, pos);
                goto fail;
            }
            for (int d = 0; d < 2; d++) {
                int need = cfd__needs[kind][d];
                if (need != 0 && !seen[need]) {
                    rc = cfd_error_set(err, CFD_EFORMAT, pos,
                                       "section %s (at offset %zu) needs section %s before it, "
                                       "which is missing", s.tag, pos, cfd__tags[need]);
                    goto fail;
                }
            }
            if ((rc = cfd_mf_parse_section(kind, &s, m)) != 0)
                goto fail;
            seen[kind] = 1;
            last = kind;
        }
        if (s.cut) {
            /* An unknown section, or a known one whose fields all fit in
             * what is left: either way the file ends inside it. */
            rc = cfd_error_set(err, CFD_ETRUNC, len,
                               "truncated: the file ends at offset %zu, inside section %s (at "
                               "offset %zu, %llu bytes); copy the complete file again",
                               len, s.tag, pos, (unsigned long long)slen);
            goto fail;
        }
        pos = payload + (size_t)slen;
    }
    if (cut) {
        rc = cfd_error_set(err, CFD_ETRUNC, len,
                           "truncated: the file ends at offset %zu, inside the checksum at offset "
                           "%zu (the file should have %llu bytes); copy the complete file "
                           "again", len, limit, (unsigned long long)file_len);
        goto fail;
    }
    if (pos != limit) {
        rc = cfd_error_set(err, CFD_EFORMAT, pos,
                           "%zu unexpected bytes between the last of %u sections (ending at "
                           "offset %zu) and the checksum", limit - pos, n_sections, pos);
        goto fail;
    }
    static const int required[] = {CFD_MF_S_NAME, CFD_MF_S_LABL, CFD_MF_S_FEAT, CFD_MF_S_WGHT,
                                   CFD_MF_S_BIAS};
    for (size_t k = 0; k < sizeof(required) / sizeof(required[0]); k++)
        if (!seen[required[k]]) {
            rc = cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                               "required section %s is missing", cfd__tags[required[k]]);
            goto fail;
        }
    if (m->feat.use_idf && !seen[CFD_MF_S_IDF]) {
        rc = cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                           "the featurizer config has use_idf = 1 but section IDF is missing");
        goto fail;
    }
    m->checksum = stored;
    snprintf(m->checksum_hex, sizeof(m->checksum_hex), "%016llx", (unsigned long long)stored);
    *out = m;
    return 0;
fail:
    cfd_model_free(m);
    return rc;
}
