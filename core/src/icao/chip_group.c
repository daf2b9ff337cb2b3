/* Key agreement groups of ICAO 9303 Part 11 §9.5.
 *
 * Curves come from OpenSSL by name; the RFC 5114 MODP groups from OpenSSL's
 * named DH groups through EVP_PKEY_fromdata.  The arithmetic is OpenSSL's
 * EC_POINT / BIGNUM (not deprecated in OpenSSL 3): PACE's generic mapping
 * adds points and moves the generator, which EVP_PKEY has no call for.
 * Scalar multiplications and exponentiations by secrets use one secret at a
 * time (OpenSSL's constant-time ladder / BN_FLG_CONSTTIME). */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>

#include "icao/chip_group.h"

struct dx_chip_group {
    dx_chip_ka ka;
    char name[40];
    size_t flen;        /* bytes of the field element / of p */
    EC_GROUP *ec;       /* ECDH */
    BIGNUM *p, *q, *g;  /* DH */
};

struct dx_chip_key {
    BIGNUM *priv;
    uint8_t pub[1 + 2 * DX_CHIP_MAX_ELEM];
    size_t pub_len;
};

/* 9303 Part 11 §9.5.1, table of standardized domain parameters. */
static const struct {
    uint32_t id;
    dx_chip_ka ka;
    int nid;               /* curves */
    const char *ossl;      /* DH: OpenSSL's group name */
    const char *name;
} std_params[] = {
    {0, DX_CHIP_KA_DH, 0, "dh_1024_160", "1024-bit MODP group with 160-bit subgroup"},
    {1, DX_CHIP_KA_DH, 0, "dh_2048_224", "2048-bit MODP group with 224-bit subgroup"},
    {2, DX_CHIP_KA_DH, 0, "dh_2048_256", "2048-bit MODP group with 256-bit subgroup"},
    {8, DX_CHIP_KA_ECDH, NID_X9_62_prime192v1, NULL, "NIST P-192"},
    {9, DX_CHIP_KA_ECDH, NID_brainpoolP192r1, NULL, "brainpoolP192r1"},
    {10, DX_CHIP_KA_ECDH, NID_secp224r1, NULL, "NIST P-224"},
    {11, DX_CHIP_KA_ECDH, NID_brainpoolP224r1, NULL, "brainpoolP224r1"},
    {12, DX_CHIP_KA_ECDH, NID_X9_62_prime256v1, NULL, "NIST P-256"},
    {13, DX_CHIP_KA_ECDH, NID_brainpoolP256r1, NULL, "brainpoolP256r1"},
    {14, DX_CHIP_KA_ECDH, NID_brainpoolP320r1, NULL, "brainpoolP320r1"},
    {15, DX_CHIP_KA_ECDH, NID_secp384r1, NULL, "NIST P-384"},
    {16, DX_CHIP_KA_ECDH, NID_brainpoolP384r1, NULL, "brainpoolP384r1"},
    {17, DX_CHIP_KA_ECDH, NID_brainpoolP512r1, NULL, "brainpoolP512r1"},
    {18, DX_CHIP_KA_ECDH, NID_secp521r1, NULL, "NIST P-521"},
};

const char *dx_chip_param_name(uint32_t parameter_id)
{
    for (size_t i = 0; i < sizeof std_params / sizeof *std_params; i++)
        if (std_params[i].id == parameter_id)
            return std_params[i].name;
    return NULL;
}

void dx_chip_group_free(dx_chip_group *g)
{
    if (!g)
        return;
    EC_GROUP_free(g->ec);
    BN_free(g->p);
    BN_free(g->q);
    BN_free(g->g);
    free(g);
}

static dx_status dh_params(const char *group, dx_chip_group *g, dx_error *err)
{
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM params[2];
    dx_status st = DX_ERR_INTERNAL;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
    params[1] = OSSL_PARAM_construct_end();
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEY_PARAMETERS, params) != 1 ||
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_FFC_P, &g->p) != 1 ||
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_FFC_Q, &g->q) != 1 ||
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_FFC_G, &g->g) != 1) {
        dx_error_set(err, DX_ERR_UNSUPPORTED, "DH group %s: not available from OpenSSL", group);
        goto fail;
    }
    g->flen = (size_t)BN_num_bytes(g->p);
    st = DX_OK;
fail:
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    return st;
}

/* 9303 Part 11 §9.5.1 */
dx_status dx_chip_group_standard(uint32_t parameter_id, dx_chip_group **out, dx_error *err)
{
    dx_chip_group *g = NULL;
    dx_status st = DX_ERR_UNSUPPORTED;
    size_t i;

    *out = NULL;
    for (i = 0; i < sizeof std_params / sizeof *std_params; i++)
        if (std_params[i].id == parameter_id)
            break;
    if (i == sizeof std_params / sizeof *std_params)
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "domain parameter id %u is reserved or "
                            "unknown (9303 Part 11 §9.5.1)", (unsigned)parameter_id);
    g = calloc(1, sizeof *g);
    if (!g)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "domain parameters: no memory");
    g->ka = std_params[i].ka;
    snprintf(g->name, sizeof g->name, "%s", std_params[i].name);
    if (g->ka == DX_CHIP_KA_DH) {
        st = dh_params(std_params[i].ossl, g, err);
        if (st != DX_OK)
            goto fail;
    } else {
        g->ec = EC_GROUP_new_by_curve_name_ex(NULL, NULL, std_params[i].nid);
        if (!g->ec) {
            st = dx_error_set(err, DX_ERR_UNSUPPORTED, "curve %s: not available from OpenSSL",
                              g->name);
            goto fail;
        }
        g->flen = (size_t)(EC_GROUP_get_degree(g->ec) + 7) / 8;
    }
    *out = g;
    return DX_OK;
fail:
    dx_chip_group_free(g);
    return st;
}

dx_chip_ka dx_chip_group_ka(const dx_chip_group *g)
{
    return g->ka;
}

const char *dx_chip_group_name(const dx_chip_group *g)
{
    return g->name;
}

size_t dx_chip_group_pub_len(const dx_chip_group *g)
{
    return g->ka == DX_CHIP_KA_ECDH ? 1 + 2 * g->flen : g->flen;
}

size_t dx_chip_group_secret_len(const dx_chip_group *g)
{
    return g->flen;
}

static dx_status encode_point(const dx_chip_group *g, const EC_POINT *pt, BN_CTX *bn,
                              uint8_t *out, size_t cap, size_t *len, dx_error *err)
{
    size_t n = EC_POINT_point2oct(g->ec, pt, POINT_CONVERSION_UNCOMPRESSED, NULL, 0, bn);
    if (n != 1 + 2 * g->flen || n > cap ||
        EC_POINT_point2oct(g->ec, pt, POINT_CONVERSION_UNCOMPRESSED, out, cap, bn) != n)
        return dx_error_set(err, DX_ERR_INTERNAL, "%s: cannot encode a point", g->name);
    *len = n;
    return DX_OK;
}

static dx_status encode_bn(const dx_chip_group *g, const BIGNUM *x, uint8_t *out, size_t cap,
                           size_t *len, dx_error *err)
{
    if (g->flen > cap || BN_bn2binpad(x, out, (int)g->flen) < 0)
        return dx_error_set(err, DX_ERR_INTERNAL, "%s: cannot encode a value", g->name);
    *len = g->flen;
    return DX_OK;
}

dx_status dx_chip_group_generator(const dx_chip_group *g, uint8_t *out, size_t cap,
                                  size_t *len, dx_error *err)
{
    dx_status st;
    BN_CTX *bn = BN_CTX_new();
    if (!bn)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: no memory", g->name);
    if (g->ka == DX_CHIP_KA_ECDH)
        st = encode_point(g, EC_GROUP_get0_generator(g->ec), bn, out, cap, len, err);
    else
        st = encode_bn(g, g->g, out, cap, len, err);
    BN_CTX_free(bn);
    return st;
}

void dx_chip_key_free(dx_chip_key *k)
{
    if (!k)
        return;
    BN_clear_free(k->priv);
    OPENSSL_cleanse(k, sizeof *k);
    free(k);
}

const uint8_t *dx_chip_key_public(const dx_chip_key *k, size_t *len)
{
    *len = k->pub_len;
    return k->pub;
}

static const BIGNUM *group_order(const dx_chip_group *g)
{
    return g->ka == DX_CHIP_KA_ECDH ? EC_GROUP_get0_order(g->ec) : g->q;
}

dx_status dx_chip_key_generate(const dx_chip_group *g, const uint8_t *priv, size_t priv_len,
                               dx_chip_key **out, dx_error *err)
{
    dx_chip_key *k = NULL;
    BN_CTX *bn = NULL;
    BIGNUM *range = NULL, *y = NULL;
    EC_POINT *pt = NULL;
    dx_status st = DX_ERR_INTERNAL;

    *out = NULL;
    k = calloc(1, sizeof *k);
    bn = BN_CTX_new();
    if (!k || !bn || !(k->priv = BN_secure_new())) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "%s: no memory for a key", g->name);
        goto fail;
    }
    BN_set_flags(k->priv, BN_FLG_CONSTTIME);
    if (priv) {
        /* fixed key: [1, order-1]; for DH, [1, p-1] (worked examples use full-size keys) */
        const BIGNUM *limit = g->ka == DX_CHIP_KA_ECDH ? group_order(g) : g->p;
        if (priv_len > 0x7FFFFFFF || !BN_bin2bn(priv, (int)priv_len, k->priv)) {
            st = dx_error_set(err, DX_ERR_INTERNAL, "%s: OpenSSL failed", g->name);
            goto fail;
        }
        if (BN_is_zero(k->priv) || BN_cmp(k->priv, limit) >= 0) {
            st = dx_error_set(err, DX_ERR_INVALID_ARG, "%s: the given private key is out of "
                              "range", g->name);
            goto fail;
        }
    } else if (!(range = BN_dup(group_order(g))) || !BN_sub_word(range, 1) ||
               !BN_priv_rand_range_ex(k->priv, range, 0, bn) || !BN_add_word(k->priv, 1)) {
        /* [0, order-2] plus one */
        st = dx_error_set(err, DX_ERR_INTERNAL, "%s: OpenSSL failed to draw a private key",
                          g->name);
        goto fail;
    }
    if (g->ka == DX_CHIP_KA_ECDH) {
        if (!(pt = EC_POINT_new(g->ec)) || !EC_POINT_mul(g->ec, pt, k->priv, NULL, NULL, bn)) {
            st = dx_error_set(err, DX_ERR_INTERNAL, "%s: OpenSSL point multiplication failed",
                              g->name);
            goto fail;
        }
        st = encode_point(g, pt, bn, k->pub, sizeof k->pub, &k->pub_len, err);
    } else {
        if (!(y = BN_new()) || !BN_mod_exp(y, g->g, k->priv, g->p, bn)) {
            st = dx_error_set(err, DX_ERR_INTERNAL, "%s: OpenSSL exponentiation failed",
                              g->name);
            goto fail;
        }
        st = encode_bn(g, y, k->pub, sizeof k->pub, &k->pub_len, err);
    }
    if (st == DX_OK) {
        *out = k;
        k = NULL;
    }
fail:
    dx_chip_key_free(k);
    BN_free(range);
    BN_free(y);
    EC_POINT_free(pt);
    BN_CTX_free(bn);
    return st;
}

/* Decode and validate a peer's EC point into pt. */
static dx_status decode_point(const dx_chip_group *g, const uint8_t *pub, size_t n,
                              EC_POINT *pt, BN_CTX *bn, const char *what, dx_error *err)
{
    if (n != 1 + 2 * g->flen || pub[0] != 0x04)
        return dx_error_set(err, DX_ERR_PROTOCOL, "%s: not an uncompressed point of %s "
                            "(%zu bytes, first byte %02X)", what, g->name, n, n ? pub[0] : 0);
    if (!EC_POINT_oct2point(g->ec, pt, pub, n, bn) || EC_POINT_is_at_infinity(g->ec, pt) ||
        EC_POINT_is_on_curve(g->ec, pt, bn) != 1)
        return dx_error_set(err, DX_ERR_PROTOCOL, "%s: not a point of %s", what, g->name);
    if (!BN_is_one(EC_GROUP_get0_cofactor(g->ec))) {
        EC_POINT *t = EC_POINT_new(g->ec);
        int ok = t && EC_POINT_mul(g->ec, t, NULL, pt, EC_GROUP_get0_order(g->ec), bn) &&
                 EC_POINT_is_at_infinity(g->ec, t);
        EC_POINT_free(t);
        if (!ok)
            return dx_error_set(err, DX_ERR_PROTOCOL, "%s: point outside the prime-order "
                                "subgroup of %s", what, g->name);
    }
    return DX_OK;
}

/* Decode and validate a peer's DH value into y. */
static dx_status decode_dh(const dx_chip_group *g, const uint8_t *pub, size_t n, BIGNUM *y,
                           BN_CTX *bn, const char *what, dx_error *err)
{
    BIGNUM *pm1 = NULL, *t = NULL;
    dx_status st = DX_ERR_PROTOCOL;

    if (n == 0 || n > g->flen) {
        return dx_error_set(err, DX_ERR_PROTOCOL, "%s: DH value of %zu bytes for a %zu-byte "
                            "group", what, n, g->flen);
    }
    if (!BN_bin2bn(pub, (int)n, y) || !(pm1 = BN_dup(g->p)) || !BN_sub_word(pm1, 1) ||
        !(t = BN_new())) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "%s: OpenSSL failed", what);
        goto fail;
    }
    if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, pm1) >= 0) {
        dx_error_set(err, DX_ERR_PROTOCOL, "%s: DH value outside 2..p-2", what);
        goto fail;
    }
    if (!BN_mod_exp(t, y, g->q, g->p, bn)) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "%s: OpenSSL failed", what);
        goto fail;
    }
    if (!BN_is_one(t)) {
        dx_error_set(err, DX_ERR_PROTOCOL, "%s: DH value outside the prime-order subgroup",
                     what);
        goto fail;
    }
    st = DX_OK;
fail:
    BN_free(pm1);
    BN_free(t);
    return st;
}

dx_status dx_chip_group_check_public(const dx_chip_group *g, const uint8_t *pub, size_t n,
                                     const char *what, dx_error *err)
{
    BN_CTX *bn = BN_CTX_new();
    EC_POINT *pt = NULL;
    BIGNUM *y = NULL;
    dx_status st;

    if (!bn) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "%s: no memory", what);
        goto fail;
    }
    if (g->ka == DX_CHIP_KA_ECDH) {
        if (!(pt = EC_POINT_new(g->ec))) {
            st = dx_error_set(err, DX_ERR_NO_MEMORY, "%s: no memory", what);
            goto fail;
        }
        st = decode_point(g, pub, n, pt, bn, what, err);
    } else {
        if (!(y = BN_new())) {
            st = dx_error_set(err, DX_ERR_NO_MEMORY, "%s: no memory", what);
            goto fail;
        }
        st = decode_dh(g, pub, n, y, bn, what, err);
    }
fail:
    EC_POINT_free(pt);
    BN_free(y);
    BN_CTX_free(bn);
    return st;
}

/* EC: the shared point k·peer, validated (the caller frees *out). */
static dx_status shared_point(const dx_chip_group *g, const dx_chip_key *k,
                              const uint8_t *peer, size_t n, BN_CTX *bn, EC_POINT **out,
                              const char *what, dx_error *err)
{
    EC_POINT *p = EC_POINT_new(g->ec), *r = EC_POINT_new(g->ec);
    dx_status st;

    if (!p || !r) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "%s: no memory", what);
        goto fail;
    }
    st = decode_point(g, peer, n, p, bn, what, err);
    if (st != DX_OK)
        goto fail;
    if (!EC_POINT_mul(g->ec, r, NULL, p, k->priv, bn)) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "%s: OpenSSL point multiplication failed",
                          what);
        goto fail;
    }
    if (EC_POINT_is_at_infinity(g->ec, r)) {
        st = dx_error_set(err, DX_ERR_PROTOCOL, "%s: the shared point is infinity", what);
        goto fail;
    }
    *out = r;
    r = NULL;
fail:
    EC_POINT_free(p);
    EC_POINT_clear_free(r);
    return st;
}

/* DH: the shared value peer^k mod p, validated (the caller frees *out). */
static dx_status shared_dh(const dx_chip_group *g, const dx_chip_key *k, const uint8_t *peer,
                           size_t n, BN_CTX *bn, BIGNUM **out, const char *what, dx_error *err)
{
    BIGNUM *y = BN_new(), *z = BN_new();
    dx_status st;

    if (!y || !z) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "%s: no memory", what);
        goto fail;
    }
    st = decode_dh(g, peer, n, y, bn, what, err);
    if (st != DX_OK)
        goto fail;
    if (!BN_mod_exp(z, y, k->priv, g->p, bn)) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "%s: OpenSSL exponentiation failed", what);
        goto fail;
    }
    if (BN_is_one(z)) {
        st = dx_error_set(err, DX_ERR_PROTOCOL, "%s: the shared value is 1", what);
        goto fail;
    }
    *out = z;
    z = NULL;
fail:
    BN_free(y);
    BN_clear_free(z);
    return st;
}

static dx_status shared_element(const dx_chip_group *g, const dx_chip_key *k,
                                const uint8_t *peer, size_t n, BN_CTX *bn, EC_POINT **pt_out,
                                BIGNUM **y_out, const char *what, dx_error *err)
{
    if (g->ka == DX_CHIP_KA_ECDH)
        return shared_point(g, k, peer, n, bn, pt_out, what, err);
    return shared_dh(g, k, peer, n, bn, y_out, what, err);
}

dx_status dx_chip_key_agree(const dx_chip_group *g, const dx_chip_key *k, const uint8_t *peer,
                            size_t n, uint8_t *secret, size_t cap, size_t *len, dx_error *err)
{
    BN_CTX *bn = BN_CTX_new();
    EC_POINT *pt = NULL;
    BIGNUM *y = NULL, *x = NULL;
    dx_status st;

    if (!bn) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "key agreement: no memory");
        goto fail;
    }
    st = shared_element(g, k, peer, n, bn, &pt, &y, "key agreement: chip's public key", err);
    if (st != DX_OK)
        goto fail;
    if (g->ka == DX_CHIP_KA_ECDH) {
        if (!(x = BN_new()) || !EC_POINT_get_affine_coordinates(g->ec, pt, x, NULL, bn)) {
            st = dx_error_set(err, DX_ERR_INTERNAL, "key agreement: OpenSSL failed");
            goto fail;
        }
        st = encode_bn(g, x, secret, cap, len, err);
    } else {
        st = encode_bn(g, y, secret, cap, len, err);
    }
fail:
    EC_POINT_clear_free(pt);
    BN_clear_free(y);
    BN_clear_free(x);
    BN_CTX_free(bn);
    return st;
}

/* 9303 Part 11 §4.4.3.3.1 */
dx_status dx_chip_group_map_generic(const dx_chip_group *g, const dx_chip_key *k,
                                    const uint8_t *peer, size_t n, const uint8_t *nonce,
                                    size_t nonce_len, dx_chip_group **mapped, uint8_t *h,
                                    size_t h_cap, size_t *h_len, dx_error *err)
{
    const char *what = "generic mapping: chip's mapping key";
    BN_CTX *bn = BN_CTX_new();
    EC_POINT *hp = NULL, *gh = NULL;
    BIGNUM *hy = NULL, *s = BN_secure_new(), *gy = NULL;
    dx_chip_group *m = NULL;
    uint8_t tmp[1 + 2 * DX_CHIP_MAX_ELEM];
    size_t tmp_len = 0;
    dx_status st;

    *mapped = NULL;
    if (!bn || !s || !(m = calloc(1, sizeof *m))) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "generic mapping: no memory");
        goto fail;
    }
    BN_set_flags(s, BN_FLG_CONSTTIME);
    if (!BN_bin2bn(nonce, (int)nonce_len, s)) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "generic mapping: OpenSSL failed");
        goto fail;
    }
    st = shared_element(g, k, peer, n, bn, &hp, &hy, what, err);
    if (st != DX_OK)
        goto fail;
    *m = *g;
    m->ec = NULL;
    m->p = m->q = m->g = NULL;
    if (g->ka == DX_CHIP_KA_ECDH) {
        /* G^ = s·G + H, the two products apart so that each is constant-time */
        if (!(gh = EC_POINT_new(g->ec)) || !EC_POINT_mul(g->ec, gh, s, NULL, NULL, bn) ||
            !EC_POINT_add(g->ec, gh, gh, hp, bn)) {
            st = dx_error_set(err, DX_ERR_INTERNAL, "generic mapping: OpenSSL point "
                              "arithmetic failed");
            goto fail;
        }
        if (EC_POINT_is_at_infinity(g->ec, gh)) {
            st = dx_error_set(err, DX_ERR_PROTOCOL, "generic mapping: G^ is infinity");
            goto fail;
        }
        if (!(m->ec = EC_GROUP_dup(g->ec)) ||
            !EC_GROUP_set_generator(m->ec, gh, EC_GROUP_get0_order(g->ec),
                                    EC_GROUP_get0_cofactor(g->ec))) {
            st = dx_error_set(err, DX_ERR_INTERNAL, "generic mapping: OpenSSL cannot set the "
                              "new generator");
            goto fail;
        }
        st = encode_point(g, hp, bn, tmp, sizeof tmp, &tmp_len, err);
    } else {
        /* g^ = g^s · h mod p */
        if (!(gy = BN_new()) || !BN_mod_exp(gy, g->g, s, g->p, bn) ||
            !BN_mod_mul(gy, gy, hy, g->p, bn)) {
            st = dx_error_set(err, DX_ERR_INTERNAL, "generic mapping: OpenSSL arithmetic "
                              "failed");
            goto fail;
        }
        if (BN_is_one(gy)) {
            st = dx_error_set(err, DX_ERR_PROTOCOL, "generic mapping: g^ is 1");
            goto fail;
        }
        if (!(m->p = BN_dup(g->p)) || !(m->q = BN_dup(g->q))) {
            st = dx_error_set(err, DX_ERR_NO_MEMORY, "generic mapping: no memory");
            goto fail;
        }
        m->g = gy;
        gy = NULL;
        st = encode_bn(g, hy, tmp, sizeof tmp, &tmp_len, err);
    }
    if (st != DX_OK)
        goto fail;
    snprintf(m->name, sizeof m->name, "%.24s, mapped", g->name);
    if (h) {
        if (tmp_len > h_cap) {
            st = dx_error_set(err, DX_ERR_INVALID_ARG, "generic mapping: H does not fit");
            goto fail;
        }
        memcpy(h, tmp, tmp_len);
        *h_len = tmp_len;
    }
    *mapped = m;
    m = NULL;
fail:
    OPENSSL_cleanse(tmp, sizeof tmp);
    dx_chip_group_free(m);
    EC_POINT_clear_free(hp);
    EC_POINT_clear_free(gh);
    BN_clear_free(hy);
    BN_clear_free(gy);
    BN_clear_free(s);
    BN_CTX_free(bn);
    return st;
}
