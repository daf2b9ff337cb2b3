/* sim chip — the symmetric cryptography of ICAO 9303 Part 11 §9: key
 * derivation, CBC encryption, the secure-messaging MACs and padding.
 * OpenSSL 3 EVP only: single DES (for the retail MAC's chain) is DES-EDE with
 * both halves equal, so the legacy provider is never needed. */
#include "chip.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

size_t sim_cc_block(sim_cipher alg)
{
    return alg == SIM_CIPHER_AES ? 16 : 8;
}

bool sim_cc_digest(const char *md, const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
    EVP_MD *m = EVP_MD_fetch(NULL, md, NULL);
    unsigned int n = 0;
    bool ok = m && EVP_Digest(in, len, out, &n, m, NULL) == 1;
    EVP_MD_free(m);
    if (ok && out_len)
        *out_len = n;
    return ok;
}

/* Odd parity in every byte of a DES key (9303-11 §9.7.1.1 adjusts them). */
static void des_parity(uint8_t *k, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = k[i] & 0xFE;
        uint8_t ones = 0;
        for (int j = 1; j < 8; j++)
            ones ^= (uint8_t)((b >> j) & 1);
        k[i] = (uint8_t)(b | (ones ^ 1));
    }
}

/* 9303-11 §9.7.1: KDF(K, c) = H(K || c) with c a 32-bit big-endian counter;
 * SHA-1 for 3DES and AES-128, SHA-256 for AES-192/256. */
bool sim_cc_kdf(sim_cipher alg, size_t key_len, const uint8_t *secret, size_t secret_len,
                uint32_t counter, uint8_t *key)
{
    uint8_t in[160], h[32];
    size_t hl = 0;
    bool ok;
    const char *md = (alg == SIM_CIPHER_AES && key_len > 16) ? "SHA256" : "SHA1";

    if (secret_len > sizeof in - 4 || (alg == SIM_CIPHER_3DES && key_len != 16) ||
        (alg == SIM_CIPHER_AES && key_len != 16 && key_len != 24 && key_len != 32))
        return false;
    memcpy(in, secret, secret_len);
    in[secret_len] = (uint8_t)(counter >> 24);
    in[secret_len + 1] = (uint8_t)(counter >> 16);
    in[secret_len + 2] = (uint8_t)(counter >> 8);
    in[secret_len + 3] = (uint8_t)counter;
    ok = sim_cc_digest(md, in, secret_len + 4, h, &hl) && hl >= key_len;
    if (ok) {
        memcpy(key, h, key_len);
        if (alg == SIM_CIPHER_3DES)
            des_parity(key, key_len);
    }
    OPENSSL_cleanse(in, sizeof in);
    OPENSSL_cleanse(h, sizeof h);
    return ok;
}

static const EVP_CIPHER *cbc_cipher(sim_cipher alg, size_t key_len)
{
    if (alg == SIM_CIPHER_3DES)
        return key_len == 16 ? EVP_des_ede_cbc() : NULL;
    switch (key_len) {
    case 16: return EVP_aes_128_cbc();
    case 24: return EVP_aes_192_cbc();
    case 32: return EVP_aes_256_cbc();
    default: return NULL;
    }
}

/* One CBC pass with an EVP cipher, no padding. */
static bool evp_cbc(const EVP_CIPHER *c, const uint8_t *key, const uint8_t *iv, bool encrypt,
                    const uint8_t *in, size_t len, uint8_t *out)
{
    static const uint8_t zero[16];
    EVP_CIPHER_CTX *ctx;
    int n1 = 0, n2 = 0;
    bool ok;

    if (!c || len > (size_t)INT32_MAX || len % (size_t)EVP_CIPHER_get_block_size(c))
        return false;
    if (len == 0)
        return true;
    if (!(ctx = EVP_CIPHER_CTX_new()))
        return false;
    ok = EVP_CipherInit_ex(ctx, c, NULL, key, iv ? iv : zero, encrypt ? 1 : 0) == 1 &&
         EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
         EVP_CipherUpdate(ctx, out, &n1, in, (int)len) == 1 &&
         EVP_CipherFinal_ex(ctx, out + n1, &n2) == 1 && (size_t)(n1 + n2) == len;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

bool sim_cc_cbc(sim_cipher alg, const uint8_t *key, size_t key_len, const uint8_t *iv, bool encrypt,
                const uint8_t *in, size_t len, uint8_t *out)
{
    return evp_cbc(cbc_cipher(alg, key_len), key, iv, encrypt, in, len, out);
}

/* ISO/IEC 9797-1 MAC algorithm 3 (retail MAC) with DES: a single-DES CBC
 * chain under Ka, the last block under 3DES (Ka, Kb). */
static bool retail_mac(const uint8_t key[16], const uint8_t *in, size_t len, uint8_t mac[8])
{
    uint8_t ka2[16], h[8] = {0}, x[8];
    uint8_t *chain = NULL;
    bool ok = false;
    size_t head;

    if (len == 0 || len % 8)
        return false;
    head = len - 8;
    memcpy(ka2, key, 8);
    memcpy(ka2 + 8, key, 8); /* DES-EDE(Ka, Ka) is single DES under Ka */
    if (head) {
        if (!(chain = OPENSSL_malloc(head)))
            goto done;
        if (!evp_cbc(EVP_des_ede_cbc(), ka2, NULL, true, in, head, chain))
            goto done;
        memcpy(h, chain + head - 8, 8);
    }
    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)(h[i] ^ in[head + i]);
    ok = evp_cbc(EVP_des_ede_cbc(), key, NULL, true, x, 8, mac);
done:
    if (chain)
        OPENSSL_clear_free(chain, head);
    OPENSSL_cleanse(ka2, sizeof ka2);
    OPENSSL_cleanse(h, sizeof h);
    OPENSSL_cleanse(x, sizeof x);
    return ok;
}

static bool aes_cmac8(const uint8_t *key, size_t key_len, const uint8_t *in, size_t len,
                      uint8_t mac[8])
{
    const char *name = key_len == 16 ? "AES-128-CBC" : key_len == 24 ? "AES-192-CBC"
                     : key_len == 32 ? "AES-256-CBC" : NULL;
    EVP_MAC *m = NULL;
    EVP_MAC_CTX *ctx = NULL;
    OSSL_PARAM params[2];
    uint8_t full[16];
    size_t n = 0;
    bool ok = false;

    if (!name || !(m = EVP_MAC_fetch(NULL, "CMAC", NULL)) || !(ctx = EVP_MAC_CTX_new(m)))
        goto done;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)name, 0);
    params[1] = OSSL_PARAM_construct_end();
    ok = EVP_MAC_init(ctx, key, key_len, params) == 1 && EVP_MAC_update(ctx, in, len) == 1 &&
         EVP_MAC_final(ctx, full, &n, sizeof full) == 1 && n == 16;
    if (ok)
        memcpy(mac, full, 8);
done:
    OPENSSL_cleanse(full, sizeof full);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    return ok;
}

bool sim_cc_mac(sim_cipher alg, const uint8_t *key, size_t key_len, const uint8_t *in, size_t len,
                uint8_t mac[8])
{
    if (alg == SIM_CIPHER_3DES)
        return key_len == 16 && retail_mac(key, in, len, mac);
    return aes_cmac8(key, key_len, in, len, mac);
}

size_t sim_cc_pad(uint8_t *buf, size_t len, size_t bs)
{
    buf[len++] = 0x80;
    while (len % bs)
        buf[len++] = 0x00;
    return len;
}

size_t sim_cc_unpad(const uint8_t *buf, size_t len, size_t bs)
{
    size_t n = len;
    if (len == 0 || len % bs)
        return SIZE_MAX;
    while (n > 0 && len - n < bs && buf[n - 1] == 0x00)
        n--;
    if (n == 0 || len - n >= bs || buf[n - 1] != 0x80)
        return SIZE_MAX;
    return n - 1;
}

bool sim_cc_random(uint8_t *buf, size_t len)
{
    return len <= (size_t)INT32_MAX && RAND_bytes(buf, (int)len) == 1;
}
