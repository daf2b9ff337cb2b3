/* docex synth — a small DER / BER-TLV writer (see der.h). */
#include "synth/der.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void dx_synth_der_init(dx_synth_der *d)
{
    memset(d, 0, sizeof *d);
}

void dx_synth_der_free(dx_synth_der *d)
{
    if (d->data) {
        OPENSSL_cleanse(d->data, d->cap);
        free(d->data);
    }
    memset(d, 0, sizeof *d);
}

bool dx_synth_der_ok(const dx_synth_der *d)
{
    return !d->failed && d->depth == 0;
}

uint8_t *dx_synth_der_take(dx_synth_der *d, size_t *len)
{
    uint8_t *p = d->data;
    *len = d->len;
    memset(d, 0, sizeof *d);
    return p;
}

static bool reserve(dx_synth_der *d, size_t more)
{
    if (d->failed)
        return false;
    if (more > SIZE_MAX / 2 - d->len) {
        d->failed = true;
        return false;
    }
    if (d->len + more <= d->cap)
        return true;
    size_t cap = d->cap ? d->cap : 256;
    while (cap < d->len + more)
        cap *= 2;
    /* grow by copy, not realloc, so that the old bytes can be wiped */
    uint8_t *p = malloc(cap);
    if (!p) {
        d->failed = true;
        return false;
    }
    if (d->data) {
        memcpy(p, d->data, d->len);
        OPENSSL_cleanse(d->data, d->cap);
        free(d->data);
    }
    d->data = p;
    d->cap = cap;
    return true;
}

void dx_synth_der_raw(dx_synth_der *d, const void *bytes, size_t n)
{
    if (n == 0 || !reserve(d, n))
        return;
    memcpy(d->data + d->len, bytes, n);
    d->len += n;
}

static void put_tag(dx_synth_der *d, unsigned tag)
{
    uint8_t b[4];
    size_t n = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        uint8_t v = (uint8_t)(tag >> shift);
        if (v || n || shift == 0)
            b[n++] = v;
    }
    dx_synth_der_raw(d, b, n);
}

size_t dx_synth_der_length_octets(size_t n, uint8_t out[5])
{
    if (n < 0x80) {
        out[0] = (uint8_t)n;
        return 1;
    }
    size_t k = 0;
    for (size_t v = n; v; v >>= 8)
        k++;
    if (k > 4)
        return 0; /* beyond what any chip file needs */
    out[0] = (uint8_t)(0x80 | k);
    for (size_t i = 0; i < k; i++)
        out[k - i] = (uint8_t)(n >> (8 * i));
    return k + 1;
}

void dx_synth_der_tlv(dx_synth_der *d, unsigned tag, const void *value, size_t n)
{
    uint8_t l[5];
    size_t k = dx_synth_der_length_octets(n, l);
    if (k == 0) {
        d->failed = true;
        return;
    }
    put_tag(d, tag);
    dx_synth_der_raw(d, l, k);
    dx_synth_der_raw(d, value, n);
}

void dx_synth_der_tlv_str(dx_synth_der *d, unsigned tag, const char *s)
{
    dx_synth_der_tlv(d, tag, s, strlen(s));
}

void dx_synth_der_uint(dx_synth_der *d, uint64_t v)
{
    uint8_t b[9];
    size_t n = 0;
    for (int shift = 56; shift >= 0; shift -= 8) {
        uint8_t x = (uint8_t)(v >> shift);
        if (n == 0 && x == 0 && shift > 0)
            continue;
        if (n == 0 && (x & 0x80))
            b[n++] = 0; /* keep it positive */
        b[n++] = x;
    }
    dx_synth_der_tlv(d, 0x02, b, n);
}

void dx_synth_der_oid(dx_synth_der *d, const char *dotted)
{
    uint64_t arcs[32];
    size_t n = 0;
    const char *p = dotted;
    while (*p) {
        if (n == 32 || *p < '0' || *p > '9') {
            d->failed = true;
            return;
        }
        uint64_t v = 0;
        while (*p >= '0' && *p <= '9') {
            if (v > (UINT64_MAX - 9) / 10) {
                d->failed = true;
                return;
            }
            v = v * 10 + (uint64_t)(*p++ - '0');
        }
        arcs[n++] = v;
        if (*p == '.' && p[1])
            p++;
        else if (*p) {
            d->failed = true;
            return;
        }
    }
    if (n < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39) || arcs[1] > UINT64_MAX - 80) {
        d->failed = true;
        return;
    }
    uint8_t out[32 * 10];
    size_t len = 0;
    for (size_t i = 1; i < n; i++) {
        uint64_t v = i == 1 ? arcs[0] * 40 + arcs[1] : arcs[i];
        uint8_t tmp[10];
        size_t k = 0;
        do {
            tmp[k++] = (uint8_t)(v & 0x7F);
            v >>= 7;
        } while (v);
        while (k--)
            out[len++] = (uint8_t)(tmp[k] | (k ? 0x80 : 0));
    }
    dx_synth_der_tlv(d, 0x06, out, len);
}

void dx_synth_der_begin(dx_synth_der *d, unsigned tag)
{
    if (d->depth == sizeof d->open / sizeof d->open[0]) {
        d->failed = true;
        return;
    }
    put_tag(d, tag);
    dx_synth_der_raw(d, "", 1); /* length placeholder, fixed by end() */
    d->open[d->depth++] = d->len;
}

void dx_synth_der_end(dx_synth_der *d)
{
    if (d->depth == 0) {
        d->failed = true;
        return;
    }
    size_t off = d->open[--d->depth];
    if (d->failed)
        return;
    uint8_t l[5];
    size_t k = dx_synth_der_length_octets(d->len - off, l);
    if (k == 0) {
        d->failed = true;
        return;
    }
    if (k > 1) {
        if (!reserve(d, k - 1))
            return;
        memmove(d->data + off + k - 1, d->data + off, d->len - off);
        d->len += k - 1;
    }
    memcpy(d->data + off - 1, l, k);
}

static int cmp_der(const void *a, const void *b)
{
    const dx_synth_der *x = *(const dx_synth_der *const *)a, *y = *(const dx_synth_der *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->data, y->data, n) : 0;
    if (c)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

void dx_synth_der_set_of(dx_synth_der *d, const dx_synth_der *elems, size_t n)
{
    const dx_synth_der **order = calloc(n ? n : 1, sizeof *order);
    if (!order) {
        d->failed = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!dx_synth_der_ok(&elems[i]))
            d->failed = true;
        order[i] = &elems[i];
    }
    qsort(order, n, sizeof *order, cmp_der);
    dx_synth_der_begin(d, 0x31);
    for (size_t i = 0; i < n; i++)
        dx_synth_der_raw(d, order[i]->data, order[i]->len);
    dx_synth_der_end(d);
    free(order);
}
