/* Helpers of the LDS parser tests (tests/unit/lds): synthetic chips made with
 * dx_synth_chip_write() in a private temporary directory, files read whole
 * into buffers of exactly their size (so that ASan sees a read past the end),
 * pool keys, pixel comparison. */
#ifndef DOCEX_TEST_LDS_H
#define DOCEX_TEST_LDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "chip_fixture.h"
#include "synth/chip_build.h"
#include "synth/der.h"

/* The chip files a synthetic chip directory may hold. */
extern const char *const lt_chip_files[];

/* A new directory under $TMPDIR (or /tmp) named docex-lds-<tag>.XXXXXX. */
bool lt_tmpdir(const char *tag, char *dir, size_t cap);
/* Remove the chip files and the directory. */
void lt_rmdir(const char *dir);
/* dx_synth_chip_write(o) into a new temporary directory; false (and a
 * message on stderr) when it fails. */
bool lt_mkchip(const dx_synth_chip_options *o, char *dir, size_t cap);

/* dir/name (or the path itself when name is NULL) in a malloc'd buffer of
 * exactly its size (a 1-byte one for an empty file); NULL when unreadable. */
uint8_t *lt_slurp(const char *dir, const char *name, size_t *len);
/* An exact-size heap copy. */
uint8_t *lt_dup(const void *p, size_t n);
/* The bytes of a dx_synth_der as an exact-size heap copy (frees d). */
uint8_t *lt_take(dx_synth_der *d, size_t *len);

/* A PEM private key file (TEST ONLY pool keys). */
EVP_PKEY *lt_load_key(const char *path);
/* Index of the pool key pool/<kind>-N.key.pem whose public half equals
 * key, or -1. */
int lt_pool_index(const char *trust_dir, const char *kind, const EVP_PKEY *key);

/* Mean and largest absolute difference of two RGB8 buffers of n bytes. */
void lt_pixel_error(const uint8_t *a, const uint8_t *b, size_t n, double *mean, int *max);

/* hex text -> bytes; returns how many. */
size_t lt_unhex(const char *hex, uint8_t *out, size_t cap);

/* The first object with tag `tag` anywhere in buf (depth first, BER-TLV as
 * the chip writes it); its offset and header size.  false when absent. */
bool lt_find_tag(const uint8_t *buf, size_t n, uint32_t tag, size_t *offset, size_t *hdr,
                 size_t *len);

#endif
