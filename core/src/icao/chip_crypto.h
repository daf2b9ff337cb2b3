/* Symmetric cryptography of the ePassport access protocols (ICAO 9303
 * Part 11 §9): the key derivation function, 3DES and AES in CBC mode,
 * ISO/IEC 9797-1 padding method 2, the retail MAC (ISO/IEC 9797-1 MAC
 * algorithm 3 with DES) and AES-CMAC, all through OpenSSL 3's EVP and
 * EVP_MAC interfaces.
 *
 * Keys are passed as bytes of dx_chip_key_len(c); 3DES keys are two-key
 * (K1 || K2, 16 bytes).  Functions keep no state and wipe their
 * intermediate key material; callers wipe theirs. */
#ifndef DOCEX_ICAO_CHIP_CRYPTO_H
#define DOCEX_ICAO_CHIP_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docex/docex.h"

/* The block ciphers of 9303 Part 11 §9.2 (BAC: 3DES only). */
typedef enum dx_chip_cipher {
    DX_CHIP_3DES = 1,   /* 2-key 3DES CBC, retail MAC, 8-byte SSC */
    DX_CHIP_AES128 = 2, /* AES CBC, CMAC, 16-byte SSC */
    DX_CHIP_AES192 = 3,
    DX_CHIP_AES256 = 4
} dx_chip_cipher;

#define DX_CHIP_MAX_KEY 32
#define DX_CHIP_MAX_BLOCK 16
#define DX_CHIP_MAC_LEN 8

bool dx_chip_cipher_valid(dx_chip_cipher c);
size_t dx_chip_key_len(dx_chip_cipher c);      /* 16, 16, 24, 32 */
size_t dx_chip_block_len(dx_chip_cipher c);    /* 8 or 16; also the SSC's length */
const char *dx_chip_cipher_name(dx_chip_cipher c); /* "3DES", "AES-128", ... */

/* 9303 Part 11 §9.7.1: KDF(K, c) = H(K || c as 32-bit big-endian), H = SHA-1
 * for 3DES and AES-128, SHA-256 for AES-192/256; the key is the first
 * dx_chip_key_len(c) bytes, with DES parity adjusted for 3DES.  key holds at
 * least DX_CHIP_MAX_KEY bytes. */
dx_status dx_chip_kdf(dx_chip_cipher c, const uint8_t *secret, size_t n, uint32_t counter,
                      uint8_t *key, dx_error *err);
/* Set the low bit of each byte so that it has odd parity (DES keys). */
void dx_chip_des_parity(uint8_t *key, size_t n);

/* ISO/IEC 9797-1 padding method 2: 80 then 00 up to a multiple of `block`
 * (always at least one byte).  Writes into out (cap bytes; in and out may
 * be the same) and returns the padded length, or 0 when it does not fit. */
size_t dx_chip_pad(const uint8_t *in, size_t n, size_t block, uint8_t *out, size_t cap);
/* Length of the data before method-2 padding; DX_ERR_PROTOCOL when buf is
 * not padded that way. */
dx_status dx_chip_unpad(const uint8_t *buf, size_t n, size_t *len, dx_error *err);

/* CBC encryption / decryption of n bytes (a multiple of the block length;
 * no padding is added or removed).  iv NULL means zeros.  in and out may be
 * the same. */
dx_status dx_chip_encrypt(dx_chip_cipher c, const uint8_t *key, const uint8_t *iv,
                          const uint8_t *in, size_t n, uint8_t *out, dx_error *err);
dx_status dx_chip_decrypt(dx_chip_cipher c, const uint8_t *key, const uint8_t *iv,
                          const uint8_t *in, size_t n, uint8_t *out, dx_error *err);

/* The 8-byte MAC of 9303 Part 11 §9.2: retail MAC (3DES) or CMAC (AES),
 * over data padded with method 2 first when `pad` is true (secure messaging,
 * BAC, 3DES tokens) or as it is (AES authentication tokens).  Unpadded
 * retail-MAC input must be a multiple of 8 bytes. */
dx_status dx_chip_mac(dx_chip_cipher c, const uint8_t *key, const uint8_t *data, size_t n,
                      bool pad, uint8_t mac[DX_CHIP_MAC_LEN], dx_error *err);

/* n bytes from OpenSSL's CSPRNG. */
dx_status dx_chip_random(uint8_t *buf, size_t n, dx_error *err);
/* Constant-time comparison. */
bool dx_chip_equal(const uint8_t *a, const uint8_t *b, size_t n);
/* Wipe n bytes (OPENSSL_cleanse). */
void dx_chip_cleanse(void *p, size_t n);

#endif
