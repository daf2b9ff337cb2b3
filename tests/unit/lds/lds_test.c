/* Helpers of the LDS parser tests (see lds_test.h). */
#include "lds_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "icao/tlv.h"

const char *const lt_chip_files[] = {"EF.COM",  "EF.DG1",  "EF.DG2",        "EF.DG11",
                                     "EF.DG12", "EF.DG14", "EF.DG15",       "EF.SOD",
                                     "EF.CardAccess", "chip.json", "aa_private.pem",
                                     "ca_private.pem", NULL};

bool lt_tmpdir(const char *tag, char *dir, size_t cap)
{
    const char *t = getenv("TMPDIR");
    int k = snprintf(dir, cap, "%s/docex-lds-%s.XXXXXX", t && t[0] ? t : "/tmp", tag);
    return k > 0 && (size_t)k < cap && mkdtemp(dir) != NULL;
}

void lt_rmdir(const char *dir)
{
    char path[1200];
    for (size_t i = 0; lt_chip_files[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, lt_chip_files[i]);
        unlink(path);
    }
    rmdir(dir);
}

bool lt_mkchip(const dx_synth_chip_options *o, char *dir, size_t cap)
{
    dx_error err = {0};
    if (!lt_tmpdir("chip", dir, cap))
        return false;
    if (dx_synth_chip_write(o, dir, &err) != DX_OK) {
        fprintf(stderr, "dx_synth_chip_write: %s\n", err.message);
        lt_rmdir(dir);
        return false;
    }
    return true;
}

uint8_t *lt_slurp(const char *dir, const char *name, size_t *len)
{
    char path[1200];
    FILE *f;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, got;

    snprintf(path, sizeof path, "%s%s%s", dir, name ? "/" : "", name ? name : "");
    f = fopen(path, "rb");
    if (!f)
        return NULL;
    do {
        if (n == cap) {
            uint8_t *p = realloc(buf, cap = cap ? cap * 2 : 65536);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    {
        uint8_t *exact = lt_dup(buf, n);
        free(buf);
        *len = n;
        return exact;
    }
}

uint8_t *lt_dup(const void *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

uint8_t *lt_take(dx_synth_der *d, size_t *len)
{
    uint8_t *p = dx_synth_der_ok(d) ? lt_dup(d->data, d->len) : NULL;
    *len = p ? d->len : 0;
    dx_synth_der_free(d);
    return p;
}

static int no_password(char *buf, int size, int rw, void *u)
{
    (void)buf;
    (void)size;
    (void)rw;
    (void)u;
    return -1;
}

EVP_PKEY *lt_load_key(const char *path)
{
    FILE *f = fopen(path, "rb");
    EVP_PKEY *k;
    if (!f)
        return NULL;
    k = PEM_read_PrivateKey(f, NULL, no_password, NULL);
    fclose(f);
    ERR_clear_error();
    return k;
}

int lt_pool_index(const char *trust_dir, const char *kind, const EVP_PKEY *key)
{
    for (int i = 0; i < 64; i++) {
        char path[1200];
        EVP_PKEY *k;
        int eq;
        snprintf(path, sizeof path, "%s/pool/%s-%d.key.pem", trust_dir, kind, i);
        k = lt_load_key(path);
        if (!k)
            return -1;
        eq = EVP_PKEY_eq(k, key);
        EVP_PKEY_free(k);
        ERR_clear_error();
        if (eq == 1)
            return i;
    }
    return -1;
}

void lt_pixel_error(const uint8_t *a, const uint8_t *b, size_t n, double *mean, int *max)
{
    double sum = 0;
    int m = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        sum += d;
        if (d > m)
            m = d;
    }
    *mean = n ? sum / (double)n : 0;
    *max = m;
}

size_t lt_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; hex[0] && hex[1] && n < cap; hex += 2) {
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
    }
    return n;
}

static bool find_in(const uint8_t *buf, size_t n, size_t base, uint32_t tag, size_t *offset,
                    size_t *hdr, size_t *len, int depth)
{
    dx_tlv_reader r;
    dx_tlv_reader_init(&r, buf, n, "test");
    while (!dx_tlv_reader_done(&r)) {
        dx_tlv t;
        if (dx_tlv_read(&r, &t, NULL) != DX_OK)
            return false;
        if (t.tag == tag) {
            *offset = base + t.offset;
            *hdr = (size_t)(t.value - t.raw);
            *len = t.len;
            return true;
        }
        if (t.constructed && depth < 8 &&
            find_in(t.value, t.len, base + t.offset + (size_t)(t.value - t.raw), tag, offset,
                    hdr, len, depth + 1))
            return true;
    }
    return false;
}

bool lt_find_tag(const uint8_t *buf, size_t n, uint32_t tag, size_t *offset, size_t *hdr,
                 size_t *len)
{
    return find_in(buf, n, 0, tag, offset, hdr, len, 0);
}
