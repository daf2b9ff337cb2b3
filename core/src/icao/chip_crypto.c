/* Symmetric cryptography of ICAO 9303 Part 11 §9 through OpenSSL 3 EVP.
 * Single DES is not in OpenSSL 3's default provider: the retail MAC's DES
 * steps run as two-key 3DES with K1 = K2 (EDE then equals single DES). */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "icao/chip_crypto.h"

bool dx_chip_cipher_valid(dx_chip_cipher c)
{
    return c >= DX_CHIP_3DES && c <= DX_CHIP_AES256;
}

size_t dx_chip_key_len(dx_chip_cipher c)
{
    switch (c) {
    case DX_CHIP_3DES: return 16;
    case DX_CHIP_AES128: return 16;
    case DX_CHIP_AES192: return 24;
    case DX_CHIP_AES256: return 32;
    default: return 0;
    }
}

size_t dx_chip_block_len(dx_chip_cipher c)
{
    return c == DX_CHIP_3DES ? 8 : dx_chip_cipher_valid(c) ? 16 : 0;
}

const char *dx_chip_cipher_name(dx_chip_cipher c)
{
    switch (c) {
    case DX_CHIP_3DES: return "3DES";
    case DX_CHIP_AES128: return "AES-128";
    case DX_CHIP_AES192: return "AES-192";
    case DX_CHIP_AES256: return "AES-256";
    default: return "unknown cipher";
    }
}

void dx_chip_cleanse(void *p, size_t n)
{
    if (p && n)
        OPENSSL_cleanse(p, n);
}

bool dx_chip_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

dx_status dx_chip_random(uint8_t *buf, size_t n, dx_error *err)
{
    if (n > 0x7FFFFFFF || RAND_bytes(buf, (int)n) != 1)
        return dx_error_set(err, DX_ERR_INTERNAL, "random bytes: OpenSSL's generator failed");
    return DX_OK;
}

void dx_chip_des_parity(uint8_t *key, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = key[i] & 0xFE, ones = 0;
        for (int k = 1; k < 8; k++)
            ones += (b >> k) & 1;
        key[i] = (uint8_t)(b | ((ones & 1) ? 0 : 1));
    }
}

/* 9303 Part 11 §9.7.1 */
dx_status dx_chip_kdf(dx_chip_cipher c, const uint8_t *secret, size_t n, uint32_t counter,
                      uint8_t *key, dx_error *err)
{
    uint8_t ctr[4] = {(uint8_t)(counter >> 24), (uint8_t)(counter >> 16),
                      (uint8_t)(counter >> 8), (uint8_t)counter};
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    const EVP_MD *h = (c == DX_CHIP_AES192 || c == DX_CHIP_AES256) ? EVP_sha256() : EVP_sha1();
    EVP_MD_CTX *ctx = NULL;
    dx_status st = DX_ERR_INTERNAL;

    if (!dx_chip_cipher_valid(c))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "KDF: unknown cipher %d", (int)c);
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, h, NULL) != 1 ||
        (n && EVP_DigestUpdate(ctx, secret, n) != 1) ||
        EVP_DigestUpdate(ctx, ctr, sizeof ctr) != 1 ||
        EVP_DigestFinal_ex(ctx, md, &md_len) != 1 || md_len < dx_chip_key_len(c)) {
        dx_error_set(err, DX_ERR_INTERNAL, "KDF (%s, counter %u): OpenSSL digest failed",
                     dx_chip_cipher_name(c), (unsigned)counter);
        goto fail;
    }
    memcpy(key, md, dx_chip_key_len(c));
    if (c == DX_CHIP_3DES)
        dx_chip_des_parity(key, 16);
    st = DX_OK;
fail:
    OPENSSL_cleanse(md, sizeof md);
    EVP_MD_CTX_free(ctx);
    return st;
}

size_t dx_chip_pad(const uint8_t *in, size_t n, size_t block, uint8_t *out, size_t cap)
{
    size_t total;
    if (block == 0)
        return 0;
    total = (n / block + 1) * block;
    if (total > cap || total < n)
        return 0;
    if (out != in && n)
        memmove(out, in, n);
    out[n] = 0x80;
    memset(out + n + 1, 0, total - n - 1);
    return total;
}

dx_status dx_chip_unpad(const uint8_t *buf, size_t n, size_t *len, dx_error *err)
{
    size_t i = n;
    while (i > 0 && buf[i - 1] == 0x00)
        i--;
    if (i == 0 || buf[i - 1] != 0x80)
        return dx_error_set(err, DX_ERR_PROTOCOL, "decrypted data of %zu bytes is not padded "
                            "with ISO/IEC 9797-1 method 2", n);
    *len = i - 1;
    return DX_OK;
}

static const EVP_CIPHER *cbc_cipher(dx_chip_cipher c)
{
    switch (c) {
    case DX_CHIP_3DES: return EVP_des_ede_cbc();
    case DX_CHIP_AES128: return EVP_aes_128_cbc();
    case DX_CHIP_AES192: return EVP_aes_192_cbc();
    case DX_CHIP_AES256: return EVP_aes_256_cbc();
    default: return NULL;
    }
}

/* One pass of `ciph` (no padding) over n bytes, a multiple of the block. */
static dx_status run_cipher(const EVP_CIPHER *ciph, const uint8_t *key, const uint8_t *iv,
                            const uint8_t *in, size_t n, uint8_t *out, int enc,
                            const char *what, dx_error *err)
{
    static const uint8_t zero_iv[DX_CHIP_MAX_BLOCK];
    EVP_CIPHER_CTX *ctx = NULL;
    int l1 = 0, l2 = 0;
    dx_status st = DX_ERR_INTERNAL;

    if (n > 0x7FFFFFFF) {
        st = dx_error_set(err, DX_ERR_INVALID_ARG, "%s: %zu bytes is too much", what, n);
        goto fail;
    }
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx || EVP_CipherInit_ex(ctx, ciph, NULL, key, iv ? iv : zero_iv, enc) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
        EVP_CipherUpdate(ctx, out, &l1, in, (int)n) != 1 ||
        EVP_CipherFinal_ex(ctx, out + l1, &l2) != 1 || (size_t)(l1 + l2) != n) {
        dx_error_set(err, DX_ERR_INTERNAL, "%s: OpenSSL cipher failed", what);
        goto fail;
    }
    st = DX_OK;
fail:
    EVP_CIPHER_CTX_free(ctx);
    return st;
}

static dx_status cbc(dx_chip_cipher c, const uint8_t *key, const uint8_t *iv, const uint8_t *in,
                     size_t n, uint8_t *out, int enc, dx_error *err)
{
    const char *what = enc ? "encrypt" : "decrypt";
    if (!dx_chip_cipher_valid(c))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "%s: unknown cipher %d", what, (int)c);
    if (n % dx_chip_block_len(c))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "%s (%s): %zu bytes is not a multiple of "
                            "the block length", what, dx_chip_cipher_name(c), n);
    if (n == 0)
        return DX_OK;
    return run_cipher(cbc_cipher(c), key, iv, in, n, out, enc, what, err);
}

dx_status dx_chip_encrypt(dx_chip_cipher c, const uint8_t *key, const uint8_t *iv,
                          const uint8_t *in, size_t n, uint8_t *out, dx_error *err)
{
    return cbc(c, key, iv, in, n, out, 1, err);
}

dx_status dx_chip_decrypt(dx_chip_cipher c, const uint8_t *key, const uint8_t *iv,
                          const uint8_t *in, size_t n, uint8_t *out, dx_error *err)
{
    return cbc(c, key, iv, in, n, out, 0, err);
}

/* ISO/IEC 9797-1 MAC algorithm 3 (retail MAC) with DES, IV 0, over n bytes
 * (a multiple of 8, already padded). */
static dx_status retail_mac(const uint8_t *key, const uint8_t *data, size_t n, uint8_t *mac,
                            dx_error *err)
{
    uint8_t kaka[16], h[8] = {0}, x[8];
    uint8_t *chain = NULL;
    dx_status st = DX_OK;

    if (n == 0 || n % 8)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "retail MAC: %zu bytes is not a "
                            "non-zero multiple of 8", n);
    /* H(q-1): single-DES CBC under Ka over all but the last block */
    if (n > 8) {
        memcpy(kaka, key, 8);
        memcpy(kaka + 8, key, 8);
        chain = malloc(n - 8);
        if (!chain) {
            st = dx_error_set(err, DX_ERR_NO_MEMORY, "retail MAC: no memory");
            goto fail;
        }
        st = run_cipher(EVP_des_ede_cbc(), kaka, NULL, data, n - 8, chain, 1, "retail MAC",
                        err);
        if (st != DX_OK)
            goto fail;
        memcpy(h, chain + n - 16, 8);
    }
    /* last block: E(Ka, D(Kb, E(Ka, x XOR H))) is one two-key 3DES block */
    for (int i = 0; i < 8; i++)
        x[i] = data[n - 8 + i] ^ h[i];
    st = run_cipher(EVP_des_ede_ecb(), key, NULL, x, 8, mac, 1, "retail MAC", err);
fail:
    OPENSSL_cleanse(kaka, sizeof kaka);
    OPENSSL_cleanse(h, sizeof h);
    OPENSSL_cleanse(x, sizeof x);
    if (chain) {
        OPENSSL_cleanse(chain, n - 8);
        free(chain);
    }
    return st;
}

static const char *cmac_cipher_name(dx_chip_cipher c)
{
    switch (c) {
    case DX_CHIP_AES128: return "AES-128-CBC";
    case DX_CHIP_AES192: return "AES-192-CBC";
    case DX_CHIP_AES256: return "AES-256-CBC";
    default: return NULL;
    }
}

/* NIST SP 800-38B CMAC with AES, truncated to 8 bytes. */
static dx_status aes_cmac(dx_chip_cipher c, const uint8_t *key, const uint8_t *data, size_t n,
                          uint8_t *mac, dx_error *err)
{
    EVP_MAC *alg = NULL;
    EVP_MAC_CTX *ctx = NULL;
    uint8_t full[16];
    size_t full_len = 0;
    OSSL_PARAM params[2];
    dx_status st = DX_ERR_INTERNAL;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
                                                 (char *)cmac_cipher_name(c), 0);
    params[1] = OSSL_PARAM_construct_end();
    alg = EVP_MAC_fetch(NULL, "CMAC", NULL);
    if (!alg || !(ctx = EVP_MAC_CTX_new(alg)) ||
        EVP_MAC_init(ctx, key, dx_chip_key_len(c), params) != 1 ||
        (n && EVP_MAC_update(ctx, data, n) != 1) ||
        EVP_MAC_final(ctx, full, &full_len, sizeof full) != 1 || full_len != 16) {
        dx_error_set(err, DX_ERR_INTERNAL, "CMAC (%s): OpenSSL MAC failed",
                     dx_chip_cipher_name(c));
        goto fail;
    }
    memcpy(mac, full, DX_CHIP_MAC_LEN);
    st = DX_OK;
fail:
    OPENSSL_cleanse(full, sizeof full);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(alg);
    return st;
}

dx_status dx_chip_mac(dx_chip_cipher c, const uint8_t *key, const uint8_t *data, size_t n,
                      bool pad, uint8_t mac[DX_CHIP_MAC_LEN], dx_error *err)
{
    uint8_t *padded = NULL;
    size_t len = n, cap = n + DX_CHIP_MAX_BLOCK;
    dx_status st;

    if (!dx_chip_cipher_valid(c))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "MAC: unknown cipher %d", (int)c);
    if (pad) {
        padded = malloc(cap);
        if (!padded)
            return dx_error_set(err, DX_ERR_NO_MEMORY, "MAC: no memory for %zu bytes", cap);
        len = dx_chip_pad(data, n, dx_chip_block_len(c), padded, cap);
        data = padded;
    }
    st = c == DX_CHIP_3DES ? retail_mac(key, data, len, mac, err)
                           : aes_cmac(c, key, data, len, mac, err);
    if (padded) {
        OPENSSL_cleanse(padded, cap);
        free(padded);
    }
    return st;
}
