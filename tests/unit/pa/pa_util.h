/* Helpers of the passive / active authentication tests: temporary
 * directories, files, synthetic chips (the fixture of tests/unit/synth_chip),
 * the test PKI's keys and certificates, and SODs built here with OpenSSL's
 * CMS (other DS keys, other hash algorithms, broken on purpose). */
#ifndef DOCEX_TEST_PA_UTIL_H
#define DOCEX_TEST_PA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "icao/pa.h"
#include "synth/chip_build.h"

/* A chip directory's data groups and SOD, read back. */
typedef struct pa_chip {
    uint8_t *sod;
    size_t sod_len;
    uint8_t *dg_data[DX_PA_MAX_DG + 1];   /* by number */
    size_t dg_len[DX_PA_MAX_DG + 1];
    dx_pa_dg dgs[DX_PA_MAX_DG];           /* those present */
    size_t n_dgs;
} pa_chip;

/* mkdtemp under $TMPDIR; removed (one level) by pa_tmp_cleanup(). */
const char *pa_tmpdir(void);
void pa_tmp_cleanup(void);
/* A path inside the temporary directory (static buffer, 4 in rotation). */
const char *pa_tmp(const char *name);
/* dir/name ("" name: dir) into a malloc'd buffer, or NULL. */
uint8_t *pa_slurp(const char *dir, const char *name, size_t *len);
bool pa_write(const char *path, const void *data, size_t len);
/* Copy `src` to `dst`. */
bool pa_copy(const char *src, const char *dst);

/* The synth_chip fixture's options (RSA AA, CA, PACE) for trust_dir. */
void pa_chip_options(dx_synth_chip_options *o, dx_synth_holder *h, const char *trust_dir);
/* Build a chip into pa_tmp(name) and read it back.  false on failure. */
bool pa_chip_build(const dx_synth_chip_options *o, const char *name, pa_chip *out);
bool pa_chip_read(const char *dir, pa_chip *out);
void pa_chip_free(pa_chip *c);

EVP_PKEY *pa_key(const char *dir, const char *name);
X509 *pa_cert(const char *dir, const char *name);

/* An LDSSecurityObject over the chip's DGs with hash `md` ("SHA1", ...,
 * `hash_oid` its OID), version 0 or 1 (with ldsVersionInfo "0108", "040000"). */
uint8_t *pa_lso(const pa_chip *c, const char *md, const char *hash_oid, int version,
                size_t *len);

enum {
    PA_SOD_NO_CERTS = 1,      /* the SignedData carries no certificate */
    PA_SOD_BAD_SIG = 2,       /* one bit of the signature flipped */
    PA_SOD_SWAP_CONTENT = 4,  /* the eContent replaced after signing (by `other`) */
    PA_SOD_NO_ATTRS = 8,      /* no signed attributes */
    PA_SOD_ECONTENT_DATA = 16 /* eContentType id-data instead of ldsSecurityObject */
};
/* 77 { ContentInfo SignedData } over `lso`, signed by key/cert with digest
 * `md` (CMS_add1_signer; signingTime the wall clock). */
uint8_t *pa_sod_sign(const uint8_t *lso, size_t lso_len, EVP_PKEY *key, X509 *cert,
                     const EVP_MD *md, int flags, const uint8_t *other, size_t other_len,
                     size_t *len);

/* 1 Jan of `year`, 00:00:00 UTC, as Unix time. */
int64_t pa_year(int year);

#endif
