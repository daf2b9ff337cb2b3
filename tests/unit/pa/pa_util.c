/* Helpers of the passive / active authentication tests (see pa_util.h). */
#include "pa_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "chip_fixture.h"
#include "synth/der.h"

static char tmpdir[512];

const char *pa_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/docex-pa.XXXXXX", t && t[0] ? t : "/tmp");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    return tmpdir;
}

/* Remove the temporary tree (two levels: chip and trust directories). */
static void rm_tree(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[1024];
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= (int)sizeof p)
            continue;
        if (unlink(p) != 0 && depth > 0)
            rm_tree(p, depth - 1);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

void pa_tmp_cleanup(void)
{
    if (tmpdir[0] && !getenv("PA_KEEP_TMP"))
        rm_tree(tmpdir, 2);
}

const char *pa_tmp(const char *name)
{
    static char buf[4][1024];
    static int i;
    char *b = buf[i++ & 3];
    snprintf(b, sizeof buf[0], "%s/%s", pa_tmpdir(), name);
    return b;
}

uint8_t *pa_slurp(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    FILE *f;
    uint8_t *buf = NULL;
    long n;
    snprintf(path, sizeof path, "%s%s%s", dir, name && name[0] ? "/" : "", name ? name : "");
    if (!(f = fopen(path, "rb")))
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

bool pa_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = false;
    return ok;
}

bool pa_copy(const char *src, const char *dst)
{
    size_t n = 0;
    uint8_t *d = pa_slurp(src, NULL, &n);
    bool ok = d && pa_write(dst, d, n);
    free(d);
    return ok;
}

void pa_chip_options(dx_synth_chip_options *o, dx_synth_holder *h, const char *trust_dir)
{
    fix_holder(h);
    fix_options(o, h, trust_dir);
}

bool pa_chip_read(const char *dir, pa_chip *out)
{
    memset(out, 0, sizeof *out);
    if (!(out->sod = pa_slurp(dir, "EF.SOD", &out->sod_len)))
        return false;
    for (int n = 1; n <= DX_PA_MAX_DG; n++) {
        char name[16];
        snprintf(name, sizeof name, "EF.DG%d", n);
        if ((out->dg_data[n] = pa_slurp(dir, name, &out->dg_len[n]))) {
            out->dgs[out->n_dgs++] = (dx_pa_dg){n, out->dg_data[n], out->dg_len[n]};
        }
    }
    return out->n_dgs > 0;
}

bool pa_chip_build(const dx_synth_chip_options *o, const char *name, pa_chip *out)
{
    dx_error err = {0};
    const char *dir = pa_tmp(name);
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", dir);
    if (dx_synth_chip_write(o, copy, &err) != DX_OK) {
        fprintf(stderr, "  chip %s: %s\n", name, err.message);
        return false;
    }
    return pa_chip_read(copy, out);
}

void pa_chip_free(pa_chip *c)
{
    free(c->sod);
    for (int n = 0; n <= DX_PA_MAX_DG; n++)
        free(c->dg_data[n]);
    memset(c, 0, sizeof *c);
}

EVP_PKEY *pa_key(const char *dir, const char *name)
{
    char path[1024];
    FILE *f;
    EVP_PKEY *k;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!(f = fopen(path, "r")))
        return NULL;
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return k;
}

X509 *pa_cert(const char *dir, const char *name)
{
    char path[1024];
    FILE *f;
    X509 *x;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!(f = fopen(path, "r")))
        return NULL;
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return x;
}

uint8_t *pa_lso(const pa_chip *c, const char *md, const char *hash_oid, int version,
                size_t *len)
{
    dx_synth_der d;
    uint8_t h[EVP_MAX_MD_SIZE];
    unsigned hl = 0;
    EVP_MD *m = EVP_MD_fetch(NULL, md, NULL);
    if (!m)
        return NULL;
    dx_synth_der_init(&d);
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_uint(&d, (uint64_t)version);
    dx_synth_der_begin(&d, 0x30);
    dx_synth_der_oid(&d, hash_oid);
    dx_synth_der_end(&d);
    dx_synth_der_begin(&d, 0x30);
    for (size_t i = 0; i < c->n_dgs; i++) {
        EVP_Digest(c->dgs[i].data, c->dgs[i].len, h, &hl, m, NULL);
        dx_synth_der_begin(&d, 0x30);
        dx_synth_der_uint(&d, (uint64_t)c->dgs[i].number);
        dx_synth_der_tlv(&d, 0x04, h, hl);
        dx_synth_der_end(&d);
    }
    dx_synth_der_end(&d);
    if (version == 1) {
        dx_synth_der_begin(&d, 0x30);
        dx_synth_der_tlv_str(&d, 0x13, "0108");
        dx_synth_der_tlv_str(&d, 0x13, "040000");
        dx_synth_der_end(&d);
    }
    dx_synth_der_end(&d);
    EVP_MD_free(m);
    if (!dx_synth_der_ok(&d)) {
        dx_synth_der_free(&d);
        return NULL;
    }
    return dx_synth_der_take(&d, len);
}

uint8_t *pa_sod_sign(const uint8_t *lso, size_t lso_len, EVP_PKEY *key, X509 *cert,
                     const EVP_MD *md, int flags, const uint8_t *other, size_t other_len,
                     size_t *len)
{
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY);
    ASN1_OBJECT *ct = OBJ_txt2obj(flags & PA_SOD_ECONTENT_DATA ? "1.2.840.113549.1.7.1"
                                                               : "2.23.136.1.1.1", 1);
    unsigned sflags = CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP;
    BIO *in = BIO_new_mem_buf(lso, (int)lso_len);
    unsigned char *der = NULL;
    uint8_t *out = NULL;
    int n;
    dx_synth_der d;

    if (flags & PA_SOD_NO_CERTS)
        sflags |= CMS_NOCERTS;
    if (flags & PA_SOD_NO_ATTRS)
        sflags |= CMS_NOATTR;
    if (!cms || !ct || !in || !CMS_set1_eContentType(cms, ct) ||
        !CMS_add1_signer(cms, cert, key, md, sflags) || CMS_final(cms, in, NULL, CMS_BINARY) != 1)
        goto done;
    if (flags & PA_SOD_BAD_SIG) {
        CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
        ASN1_OCTET_STRING *s = CMS_SignerInfo_get0_signature(si);
        unsigned char *p = (unsigned char *)ASN1_STRING_get0_data(s);
        p[ASN1_STRING_length(s) / 2] ^= 0x01;
    }
    if ((flags & PA_SOD_SWAP_CONTENT) && other) {
        ASN1_OCTET_STRING **pos = CMS_get0_content(cms);
        if (!pos || !*pos || !ASN1_OCTET_STRING_set(*pos, other, (int)other_len))
            goto done;
    }
    if ((n = i2d_CMS_ContentInfo(cms, &der)) <= 0)
        goto done;
    dx_synth_der_init(&d);
    dx_synth_der_tlv(&d, 0x77, der, (size_t)n);
    out = dx_synth_der_ok(&d) ? dx_synth_der_take(&d, len) : NULL;
    dx_synth_der_free(&d);
done:
    if (!out)
        ERR_print_errors_fp(stderr);
    OPENSSL_free(der);
    BIO_free(in);
    ASN1_OBJECT_free(ct);
    CMS_ContentInfo_free(cms);
    return out;
}

int64_t pa_year(int year)
{
    struct tm tm = {0};
    tm.tm_year = year - 1900;
    tm.tm_mday = 1;
    return (int64_t)timegm(&tm);
}
