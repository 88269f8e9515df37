/*
 * Little-endian byte helpers with bounds checks, for binary file formats
 * (the model file, models/FORMAT.md).
 *
 * Two halves:
 *  - cfd_le*_get / cfd_le*_put: load/store one value at a pointer the caller
 *    has already bounds-checked (no alignment needed: memcpy-based, compiled
 *    to a plain load on x86-64).
 *  - cfd_rd: a read cursor over [base, base + len) that never reads past its
 *    end. Every read returns 0 on success or -1 when fewer bytes remain than
 *    needed; the cursor does not move on failure, so the caller can report
 *    exactly which field, at which file offset, ran out (cfd_rd_off).
 *
 * Threads: pure functions over caller-owned memory.
 */
#ifndef CFD_BYTES_H
#define CFD_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CFD_HOST_LE 1
#else
#define CFD_HOST_LE 0
#endif

static inline uint16_t cfd_le16_get(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t cfd_le32_get(const uint8_t *p)
{
#if CFD_HOST_LE
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
#else
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
#endif
}

static inline uint64_t cfd_le64_get(const uint8_t *p)
{
    return (uint64_t)cfd_le32_get(p) | (uint64_t)cfd_le32_get(p + 4) << 32;
}

static inline void cfd_le16_put(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void cfd_le32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void cfd_le64_put(uint8_t *p, uint64_t v)
{
    cfd_le32_put(p, (uint32_t)v);
    cfd_le32_put(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t cfd_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static inline float cfd_bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline uint64_t cfd_f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static inline double cfd_bits_f64(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* Copies n little-endian 32-bit words from src to dst (host order). */
static inline void cfd_le32_copy_in(void *dst, const uint8_t *src, size_t n)
{
#if CFD_HOST_LE
    memcpy(dst, src, n * 4);
#else
    uint32_t *d = dst;
    for (size_t i = 0; i < n; i++)
        d[i] = cfd_le32_get(src + 4 * i);
#endif
}

/* Copies n host-order 32-bit words from src to little-endian dst. */
static inline void cfd_le32_copy_out(uint8_t *dst, const void *src, size_t n)
{
#if CFD_HOST_LE
    memcpy(dst, src, n * 4);
#else
    const uint32_t *s = src;
    for (size_t i = 0; i < n; i++)
        cfd_le32_put(dst + 4 * i, s[i]);
#endif
}

/* A bounds-checked read cursor. `base_off` is the file offset of p[0], so
 * errors can name absolute offsets. */
typedef struct cfd_rd {
    const uint8_t *p;
    size_t len;
    size_t pos;
    size_t base_off;
} cfd_rd;

static inline cfd_rd cfd_rd_make(const uint8_t *p, size_t len, size_t base_off)
{
    cfd_rd r = {p, len, 0, base_off};
    return r;
}

static inline size_t cfd_rd_left(const cfd_rd *r) { return r->len - r->pos; }
static inline size_t cfd_rd_off(const cfd_rd *r) { return r->base_off + r->pos; }

/* Returns a pointer to the next n bytes and advances, or NULL (no move). */
static inline const uint8_t *cfd_rd_take(cfd_rd *r, size_t n)
{
    if (n > r->len - r->pos)
        return NULL;
    const uint8_t *q = r->p + r->pos;
    r->pos += n;
    return q;
}

static inline int cfd_rd_u8(cfd_rd *r, uint8_t *v)
{
    const uint8_t *q = cfd_rd_take(r, 1);
    if (q == NULL)
        return -1;
    *v = q[0];
    return 0;
}

static inline int cfd_rd_u16(cfd_rd *r, uint16_t *v)
{
    const uint8_t *q = cfd_rd_take(r, 2);
    if (q == NULL)
        return -1;
    *v = cfd_le16_get(q);
    return 0;
}

static inline int cfd_rd_u32(cfd_rd *r, uint32_t *v)
{
    const uint8_t *q = cfd_rd_take(r, 4);
    if (q == NULL)
        return -1;
    *v = cfd_le32_get(q);
    return 0;
}

static inline int cfd_rd_u64(cfd_rd *r, uint64_t *v)
{
    const uint8_t *q = cfd_rd_take(r, 8);
    if (q == NULL)
        return -1;
    *v = cfd_le64_get(q);
    return 0;
}

static inline int cfd_rd_f32(cfd_rd *r, float *v)
{
    uint32_t u;
    if (cfd_rd_u32(r, &u) != 0)
        return -1;
    *v = cfd_bits_f32(u);
    return 0;
}

static inline int cfd_rd_f64(cfd_rd *r, double *v)
{
    uint64_t u;
    if (cfd_rd_u64(r, &u) != 0)
        return -1;
    *v = cfd_bits_f64(u);
    return 0;
}

#endif
