/* A small simulated ePassport chip (see card.h).  Everything here is the
 * card's own code on OpenSSL: APDU parsing, KDF, CBC, CMAC, the retail MAC
 * block by block, padding, PACE generic mapping and secure messaging. */
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
#include <openssl/rand.h>

#include "card.h"

#define BIG 70000

struct card {
    card_config cfg;
    EC_GROUP *grp, *mapped;
    uint8_t oid[10];
    uint8_t card_access[32];
    size_t ca_len;
    size_t kl, bl;                /* key and block length */
    uint8_t kpi[32], s[16];
    uint8_t pk_ifd[200], pk_ic[200];
    size_t pk_ifd_len, pk_ic_len;
    int pace_step;                /* 0 none, 1 after MSE, 2 nonce, 3 mapped, 4 agreed */
    bool sm;
    uint8_t ks_enc[32], ks_mac[32], ssc[16];
    uint16_t selected;
    card_fault fault;
    int fault_at, sm_responses;
    size_t apdus, ext_apdus;
    uint8_t com[32], dg1[96];
    size_t com_len, dg1_len;
};

#define DIE(what)                                                   \
    do {                                                            \
        fprintf(stderr, "card: %s failed (%s:%d)\n", what, __FILE__, __LINE__); \
        abort();                                                    \
    } while (0)

static int curve_nid(int id)
{
    switch (id) {
    case 8: return NID_X9_62_prime192v1;
    case 9: return NID_brainpoolP192r1;
    case 10: return NID_secp224r1;
    case 11: return NID_brainpoolP224r1;
    case 12: return NID_X9_62_prime256v1;
    case 13: return NID_brainpoolP256r1;
    case 14: return NID_brainpoolP320r1;
    case 15: return NID_secp384r1;
    case 16: return NID_brainpoolP384r1;
    case 17: return NID_brainpoolP512r1;
    case 18: return NID_secp521r1;
    default: return NID_undef;
    }
}

/* ---- the card's own symmetric crypto ------------------------------------ */

static void kdf(int cipher, const uint8_t *secret, size_t n, uint32_t ctr, uint8_t *out)
{
    uint8_t buf[300], md[64];
    unsigned int ml = 0;
    size_t kl = cipher == 3 ? 24 : cipher == 4 ? 32 : 16;
    if (n + 4 > sizeof buf)
        DIE("kdf size");
    memcpy(buf, secret, n);
    buf[n] = (uint8_t)(ctr >> 24);
    buf[n + 1] = (uint8_t)(ctr >> 16);
    buf[n + 2] = (uint8_t)(ctr >> 8);
    buf[n + 3] = (uint8_t)ctr;
    if (EVP_Digest(buf, n + 4, md, &ml, cipher >= 3 ? EVP_sha256() : EVP_sha1(), NULL) != 1)
        DIE("digest");
    memcpy(out, md, kl);
}

static void ecb_block(const EVP_CIPHER *ciph, const uint8_t *key, const uint8_t *in,
                      uint8_t *out, size_t bl)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int l = 0, l2 = 0;
    if (!x || EVP_EncryptInit_ex(x, ciph, NULL, key, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(x, 0) != 1 || EVP_EncryptUpdate(x, out, &l, in, (int)bl) != 1 ||
        EVP_EncryptFinal_ex(x, out + l, &l2) != 1)
        DIE("ecb");
    EVP_CIPHER_CTX_free(x);
}

static void cbc(const card *c, const uint8_t *key, const uint8_t *iv, const uint8_t *in,
                size_t n, uint8_t *out, int enc)
{
    static const uint8_t zero[16];
    const EVP_CIPHER *ciph = c->cfg.cipher == 1 ? EVP_des_ede_cbc()
                             : c->cfg.cipher == 2 ? EVP_aes_128_cbc()
                             : c->cfg.cipher == 3 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int l = 0, l2 = 0;
    if (!x || EVP_CipherInit_ex(x, ciph, NULL, key, iv ? iv : zero, enc) != 1 ||
        EVP_CIPHER_CTX_set_padding(x, 0) != 1 || EVP_CipherUpdate(x, out, &l, in, (int)n) != 1 ||
        EVP_CipherFinal_ex(x, out + l, &l2) != 1)
        DIE("cbc");
    EVP_CIPHER_CTX_free(x);
}

static size_t pad(uint8_t *buf, size_t n, size_t bl)
{
    buf[n++] = 0x80;
    while (n % bl)
        buf[n++] = 0x00;
    return n;
}

/* MAC over n bytes, a multiple of the block length (padded by the caller
 * where the protocol pads). */
static void mac(const card *c, const uint8_t *key, const uint8_t *data, size_t n, uint8_t *out)
{
    if (c->cfg.cipher == 1) {
        /* ISO/IEC 9797-1 MAC algorithm 3: DES-CBC under Ka, last block through Kb, Ka */
        uint8_t kaka[16], y[8] = {0}, x[8];
        memcpy(kaka, key, 8);
        memcpy(kaka + 8, key, 8);
        for (size_t i = 0; i < n; i += 8) {
            for (int k = 0; k < 8; k++)
                x[k] = y[k] ^ data[i + k];
            ecb_block(EVP_des_ede_ecb(), i + 8 < n ? kaka : key, x, y, 8);
        }
        memcpy(out, y, 8);
    } else {
        EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
        EVP_MAC_CTX *x = m ? EVP_MAC_CTX_new(m) : NULL;
        uint8_t full[16];
        size_t fl = 0;
        OSSL_PARAM p[2] = {
            OSSL_PARAM_construct_utf8_string("cipher", c->cfg.cipher == 2 ? "AES-128-CBC"
                                             : c->cfg.cipher == 3 ? "AES-192-CBC"
                                                                  : "AES-256-CBC", 0),
            OSSL_PARAM_construct_end()};
        if (!x || EVP_MAC_init(x, key, c->kl, p) != 1 || EVP_MAC_update(x, data, n) != 1 ||
            EVP_MAC_final(x, full, &fl, sizeof full) != 1)
            DIE("cmac");
        memcpy(out, full, 8);
        EVP_MAC_CTX_free(x);
        EVP_MAC_free(m);
    }
}

/* MAC of data padded first. */
static void mac_padded(const card *c, const uint8_t *key, const uint8_t *data, size_t n,
                       uint8_t *out)
{
    uint8_t *b = malloc(n + 16);
    if (!b)
        DIE("malloc");
    memcpy(b, data, n);
    mac(c, key, b, pad(b, n, c->bl), out);
    free(b);
}

/* ---- small BER helpers ---------------------------------------------------- */

static size_t put_len(uint8_t *p, size_t len)
{
    if (len < 0x80) {
        p[0] = (uint8_t)len;
        return 1;
    }
    if (len < 0x100) {
        p[0] = 0x81;
        p[1] = (uint8_t)len;
        return 2;
    }
    p[0] = 0x82;
    p[1] = (uint8_t)(len >> 8);
    p[2] = (uint8_t)len;
    return 3;
}

static size_t put_do(uint8_t *p, unsigned tag, const uint8_t *v, size_t len)
{
    size_t i = 0;
    if (tag > 0xFF)
        p[i++] = (uint8_t)(tag >> 8);
    p[i++] = (uint8_t)tag;
    i += put_len(p + i, len);
    memcpy(p + i, v, len);
    return i + len;
}

/* Next object at *p (n bytes left): tag (1 byte, or 2 for 5F/7F), value. */
static int get_do(const uint8_t **p, size_t *n, unsigned *tag, const uint8_t **v, size_t *len)
{
    const uint8_t *q = *p;
    size_t left = *n, l;
    if (left < 2)
        return -1;
    *tag = q[0];
    q++, left--;
    if ((*tag & 0x1F) == 0x1F) {
        *tag = *tag << 8 | q[0];
        q++, left--;
    }
    if (left < 1)
        return -1;
    l = q[0];
    q++, left--;
    if (l == 0x81 || l == 0x82) {
        size_t nb = l & 0x7F;
        if (left < nb)
            return -1;
        l = nb == 1 ? q[0] : (size_t)q[0] << 8 | q[1];
        q += nb, left -= nb;
    } else if (l > 0x80) {
        return -1;
    }
    if (l > left)
        return -1;
    *v = q;
    *len = l;
    *p = q + l;
    *n = left - l;
    return 0;
}

/* ---- set-up ----------------------------------------------------------------- */

card *card_new(const card_config *cfg)
{
    card *c = calloc(1, sizeof *c);
    static const uint8_t pace[8] = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04};
    if (!c)
        DIE("calloc");
    c->cfg = *cfg;
    c->grp = EC_GROUP_new_by_curve_name(curve_nid(cfg->parameter_id));
    if (!c->grp)
        DIE("curve");
    c->kl = cfg->cipher == 3 ? 24 : cfg->cipher == 4 ? 32 : 16;
    c->bl = cfg->cipher == 1 ? 8 : 16;
    memcpy(c->oid, pace, 8);
    c->oid[8] = 2;                                   /* ECDH-GM */
    c->oid[9] = (uint8_t)cfg->cipher;
    /* EF.CardAccess: SET { PACEInfo { oid, 2, parameterId } } */
    {
        uint8_t *p = c->card_access;
        *p++ = 0x31, *p++ = 0x14, *p++ = 0x30, *p++ = 0x12, *p++ = 0x06, *p++ = 0x0A;
        memcpy(p, c->oid, 10);
        p += 10;
        *p++ = 0x02, *p++ = 0x01, *p++ = 0x02, *p++ = 0x02, *p++ = 0x01;
        *p++ = (uint8_t)cfg->parameter_id;
        c->ca_len = (size_t)(p - c->card_access);
    }
    /* EF.COM: LDS 1.7, Unicode 4.0.0, DG1 and DG2 */
    memcpy(c->com, "\x60\x14\x5F\x01\x04" "0107" "\x5F\x36\x06" "040000" "\x5C\x02\x61\x75", 22);
    c->com_len = 22;
    /* DG1: a Utopia specimen MRZ (9303 Part 4) */
    {
        static const char mrz[] = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
                                  "L898902C36UTO7408122F1204159ZE184226B<<<<<10";
        uint8_t *p = c->dg1;
        *p++ = 0x61, *p++ = 0x5B, *p++ = 0x5F, *p++ = 0x1F, *p++ = 0x58;
        memcpy(p, mrz, 88);
        c->dg1_len = 5 + 88;
    }
    c->fault_at = -1;
    return c;
}

void card_free(card *c)
{
    if (!c)
        return;
    EC_GROUP_free(c->grp);
    EC_GROUP_free(c->mapped);
    free(c);
}

void card_set_fault(card *c, card_fault f, int at)
{
    c->fault = f;
    c->fault_at = at;
}

size_t card_apdus(const card *c)
{
    return c->apdus;
}

size_t card_extended_apdus(const card *c)
{
    return c->ext_apdus;
}

bool card_in_sm(const card *c)
{
    return c->sm;
}

const uint8_t *card_card_access(const card *c, size_t *len)
{
    *len = c->ca_len;
    return c->card_access;
}

/* ---- APDUs ---------------------------------------------------------------- */

typedef struct capdu {
    uint8_t cla, ins, p1, p2;
    const uint8_t *data;
    size_t nc, ne;
    bool ext;
} capdu;

static int parse_apdu(const uint8_t *b, size_t n, capdu *a)
{
    memset(a, 0, sizeof *a);
    if (n < 4)
        return -1;
    a->cla = b[0], a->ins = b[1], a->p1 = b[2], a->p2 = b[3];
    if (n == 4)
        return 0;
    if (n == 5) {
        a->ne = b[4] ? b[4] : 256;
        return 0;
    }
    if (b[4]) {
        a->nc = b[4];
        a->data = b + 5;
        if (n == 5 + a->nc)
            return 0;
        if (n == 6 + a->nc) {
            a->ne = b[5 + a->nc] ? b[5 + a->nc] : 256;
            return 0;
        }
        return -1;
    }
    a->ext = true;
    if (n == 7) {
        a->ne = ((size_t)b[5] << 8 | b[6]) ? ((size_t)b[5] << 8 | b[6]) : 65536;
        return 0;
    }
    if (n < 8)
        return -1;
    a->nc = (size_t)b[5] << 8 | b[6];
    a->data = b + 7;
    if (a->nc && n == 7 + a->nc)
        return 0;
    if (a->nc && n == 9 + a->nc) {
        size_t le = (size_t)b[7 + a->nc] << 8 | b[8 + a->nc];
        a->ne = le ? le : 65536;
        return 0;
    }
    return -1;
}

static const uint8_t *file(card *c, uint16_t fid, size_t *len)
{
    switch (fid) {
    case 0x011C: *len = c->ca_len; return c->card_access;
    case 0x011E: *len = c->com_len; return c->com;
    case 0x0101: *len = c->dg1_len; return c->dg1;
    case 0x0102: *len = c->cfg.dg2_len; return c->cfg.dg2;
    default: return NULL;
    }
}

static void encode_point(card *c, const EC_GROUP *g, const EC_POINT *p, uint8_t *out, size_t *len)
{
    (void)c;
    *len = EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, out, 200, NULL);
    if (!*len)
        DIE("point2oct");
}

/* 7F49 { 06 oid, 86 point }, then the token over it. */
static void token(card *c, const uint8_t *pub, size_t n, uint8_t *out)
{
    uint8_t pk[300], in[300];
    size_t i = 0, k = 0;
    i += put_do(pk, 0x06, c->oid, 10);
    i += put_do(pk + i, 0x86, pub, n);
    k = put_do(in, 0x7F49, pk, i);
    if (c->cfg.cipher == 1)
        mac_padded(c, c->ks_mac, in, k, out);
    else
        mac(c, c->ks_mac, in, k, out);   /* CMAC over the object as it is */
}

static BIGNUM *random_scalar(const EC_GROUP *g)
{
    BIGNUM *k = BN_new();
    if (!k || !BN_rand_range(k, EC_GROUP_get0_order(g)) || BN_is_zero(k))
        DIE("scalar");
    return k;
}

/* PACE (9303 Part 11 §4.4), card side.  Returns SW; answer in out. */
static uint16_t pace(card *c, const capdu *a, uint8_t *out, size_t *olen)
{
    const uint8_t *p = a->data, *v, *in;
    size_t n = a->nc, len, in_len;
    unsigned tag;
    uint8_t body[300];
    size_t bl = 0;

    *olen = 0;
    if (a->ins == 0x22) {
        bool oid_ok = false, ref_ok = false;
        while (n && get_do(&p, &n, &tag, &v, &len) == 0) {
            if (tag == 0x80)
                oid_ok = len == 10 && memcmp(v, c->oid, 10) == 0;
            if (tag == 0x83)
                ref_ok = len == 1 && v[0] == c->cfg.password_kind;
        }
        if (!oid_ok || !ref_ok)
            return 0x6A80;
        c->pace_step = 1;
        c->sm = false;
        return 0x9000;
    }
    /* GENERAL AUTHENTICATE: 7C { one object } */
    if (get_do(&p, &n, &tag, &in, &in_len) || tag != 0x7C)
        return 0x6A80;
    p = in;
    n = in_len;
    if (c->pace_step == 1) {
        /* encrypted nonce: z = E(K_pi, s) */
        uint8_t f[32], z[16];
        unsigned int fl = 0;
        if (c->cfg.password_kind == 1) {
            if (EVP_Digest(c->cfg.password, strlen(c->cfg.password), f, &fl, EVP_sha1(), NULL) != 1)
                DIE("sha1");
            kdf(c->cfg.cipher, f, fl, 3, c->kpi);
        } else {
            kdf(c->cfg.cipher, (const uint8_t *)c->cfg.password, strlen(c->cfg.password), 3,
                c->kpi);
        }
        if (RAND_bytes(c->s, (int)c->bl) != 1)
            DIE("rand");
        cbc(c, c->kpi, NULL, c->s, c->bl, z, 1);
        bl = put_do(body, 0x80, z, c->bl);
        c->pace_step = 2;
    } else if (c->pace_step == 2 || c->pace_step == 3) {
        bool map = c->pace_step == 2;
        EC_GROUP *g = map ? c->grp : c->mapped;
        EC_POINT *peer, *mine, *sh;
        BIGNUM *k, *x;
        uint8_t pub[200];
        size_t pl;
        if (get_do(&p, &n, &tag, &v, &len) || tag != (map ? 0x81u : 0x83u))
            return 0x6A80;
        peer = EC_POINT_new(g);
        if (!peer || !EC_POINT_oct2point(g, peer, v, len, NULL)) {
            EC_POINT_free(peer);
            return 0x6A80;
        }
        mine = EC_POINT_new(g);
        sh = EC_POINT_new(g);
        k = random_scalar(g);
        x = BN_new();
        if (!EC_POINT_mul(g, mine, k, NULL, NULL, NULL) || !EC_POINT_mul(g, sh, NULL, peer, k, NULL))
            DIE("ecdh");
        encode_point(c, g, mine, pub, &pl);
        if (map) {
            /* G^ = s·G + H */
            BIGNUM *s = BN_bin2bn(c->s, (int)c->bl, NULL);
            EC_POINT *gh = EC_POINT_new(g);
            if (!s || !gh || !EC_POINT_mul(g, gh, s, NULL, NULL, NULL) ||
                !EC_POINT_add(g, gh, gh, sh, NULL))
                DIE("map");
            EC_GROUP_free(c->mapped);
            c->mapped = EC_GROUP_dup(g);
            if (!c->mapped || !EC_GROUP_set_generator(c->mapped, gh, EC_GROUP_get0_order(g),
                                                      EC_GROUP_get0_cofactor(g)))
                DIE("generator");
            BN_free(s);
            EC_POINT_free(gh);
            bl = put_do(body, 0x82, pub, pl);
            c->pace_step = 3;
        } else {
            uint8_t secret[80];
            int sl = (EC_GROUP_get_degree(g) + 7) / 8;
            if (!EC_POINT_get_affine_coordinates(g, sh, x, NULL, NULL) ||
                BN_bn2binpad(x, secret, sl) != sl)
                DIE("x");
            kdf(c->cfg.cipher, secret, (size_t)sl, 1, c->ks_enc);
            kdf(c->cfg.cipher, secret, (size_t)sl, 2, c->ks_mac);
            memcpy(c->pk_ifd, v, len);
            c->pk_ifd_len = len;
            memcpy(c->pk_ic, pub, pl);
            c->pk_ic_len = pl;
            bl = put_do(body, 0x84, pub, pl);
            c->pace_step = 4;
        }
        EC_POINT_free(peer);
        EC_POINT_free(mine);
        EC_POINT_free(sh);
        BN_free(k);
        BN_free(x);
    } else if (c->pace_step == 4) {
        uint8_t want[8], t_ic[8];
        if (get_do(&p, &n, &tag, &v, &len) || tag != 0x85 || len != 8)
            return 0x6A80;
        token(c, c->pk_ic, c->pk_ic_len, want);
        if (memcmp(want, v, 8) != 0) {
            c->pace_step = 0;
            return 0x6300;
        }
        token(c, c->pk_ifd, c->pk_ifd_len, t_ic);
        if (c->fault == CARD_FAULT_BAD_TOKEN)
            t_ic[0] ^= 0x80;
        bl = put_do(body, 0x86, t_ic, 8);
        c->pace_step = 0;
        c->sm = true;
        memset(c->ssc, 0, sizeof c->ssc);
        c->sm_responses = 0;
    } else {
        return 0x6985;
    }
    *olen = put_do(out, 0x7C, body, bl);
    return 0x9000;
}

/* SELECT and READ BINARY; returns SW, answer in out (cap BIG). */
static uint16_t files(card *c, const capdu *a, uint8_t *out, size_t *olen)
{
    const uint8_t *f;
    size_t flen = 0, off, cnt, ne = a->ne ? a->ne : 256;

    *olen = 0;
    if (a->ins == 0xA4) {
        static const uint8_t aid[7] = {0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01};
        if (a->p1 == 0x04)
            return a->nc == 7 && memcmp(a->data, aid, 7) == 0 ? 0x9000 : 0x6A82;
        if (a->p1 != 0x02 || a->nc != 2)
            return 0x6A86;
        if (!file(c, (uint16_t)(a->data[0] << 8 | a->data[1]), &flen))
            return 0x6A82;
        if (!c->sm && (a->data[0] << 8 | a->data[1]) != 0x011C)
            return 0x6982;
        c->selected = (uint16_t)(a->data[0] << 8 | a->data[1]);
        return 0x9000;
    }
    f = c->selected ? file(c, c->selected, &flen) : NULL;
    if (!f)
        return 0x6986;
    if (a->ins == 0xB0) {
        if (a->p1 & 0x80)
            return 0x6A86;
        off = (size_t)a->p1 << 8 | a->p2;
        if (off > flen)
            return 0x6B00;
        cnt = flen - off < ne ? flen - off : ne;
        memcpy(out, f + off, cnt);
        *olen = cnt;
        return cnt < ne ? 0x6282 : 0x9000;
    }
    if (a->ins == 0xB1) {
        const uint8_t *p = a->data, *v;
        size_t n = a->nc, len;
        unsigned tag;
        if (get_do(&p, &n, &tag, &v, &len) || tag != 0x54 || len < 1 || len > 3)
            return 0x6A80;
        if (ne <= 4)
            return 0x6700;
        off = 0;
        for (size_t i = 0; i < len; i++)
            off = off << 8 | v[i];
        if (off > flen)
            return 0x6B00;
        cnt = flen - off < ne - 4 ? flen - off : ne - 4;
        *olen = put_do(out, 0x53, f + off, cnt);
        return cnt < ne - 4 ? 0x6282 : 0x9000;
    }
    return 0x6D00;
}

static void ssc_inc(card *c)
{
    for (size_t i = c->bl; i-- > 0;)
        if (++c->ssc[i])
            break;
}

static void sm_iv(card *c, uint8_t *iv)
{
    if (c->cfg.cipher == 1) {
        memset(iv, 0, 8);
        return;
    }
    ecb_block(c->cfg.cipher == 2 ? EVP_aes_128_ecb() : c->cfg.cipher == 3 ? EVP_aes_192_ecb()
                                                                          : EVP_aes_256_ecb(),
              c->ks_enc, c->ssc, iv, 16);
}

static size_t plain_sw(uint8_t *rsp, uint16_t sw)
{
    rsp[0] = (uint8_t)(sw >> 8);
    rsp[1] = (uint8_t)sw;
    return 2;
}

/* Unwrap a protected command; 0 and the inner command, or an SW. */
static uint16_t sm_unwrap(card *c, const capdu *a, capdu *in, uint8_t *plain)
{
    const uint8_t *p = a->data, *v, *mac_at = NULL, *crypt = NULL;
    size_t n = a->nc, len, clen = 0;
    unsigned tag;
    uint8_t *m = malloc(a->nc + 64), iv[16], want[8];
    size_t ml = 0;

    if (!m)
        DIE("malloc");
    *in = (capdu){.cla = a->cla & ~0x0C, .ins = a->ins, .p1 = a->p1, .p2 = a->p2};
    ssc_inc(c);
    while (n) {
        const uint8_t *at = p;
        if (get_do(&p, &n, &tag, &v, &len)) {
            free(m);
            return 0x6988;
        }
        if ((tag == 0x87 && len >= 1) || tag == 0x85) {
            crypt = tag == 0x87 ? v + 1 : v;
            clen = tag == 0x87 ? len - 1 : len;
        } else if (tag == 0x97) {
            in->ne = len == 1 ? (v[0] ? v[0] : 256) : ((size_t)v[0] << 8 | v[1]) ? ((size_t)v[0] << 8 | v[1]) : 65536;
        } else if (tag == 0x8E && len == 8 && n == 0) {
            mac_at = at;
            memcpy(want, v, 8);
        } else {
            free(m);
            return 0x6988;
        }
    }
    if (!mac_at) {
        free(m);
        return 0x6987;
    }
    memcpy(m, c->ssc, c->bl);
    ml = c->bl;
    m[ml++] = a->cla, m[ml++] = a->ins, m[ml++] = a->p1, m[ml++] = a->p2;
    ml = pad(m, ml, c->bl);
    memcpy(m + ml, a->data, (size_t)(mac_at - a->data));
    ml += (size_t)(mac_at - a->data);
    ml = pad(m, ml, c->bl);
    {
        uint8_t got[8];
        mac(c, c->ks_mac, m, ml, got);
        free(m);
        if (memcmp(got, want, 8) != 0)
            return 0x6988;
    }
    if (crypt) {
        size_t k;
        if (clen == 0 || clen % c->bl)
            return 0x6988;
        sm_iv(c, iv);
        cbc(c, c->ks_enc, iv, crypt, clen, plain, 0);
        for (k = clen; k > 0 && plain[k - 1] == 0; k--)
            ;
        if (k == 0 || plain[k - 1] != 0x80)
            return 0x6988;
        in->data = plain;
        in->nc = k - 1;
    }
    return 0;
}

/* Wrap the answer (data, sw) into rsp; faults applied here. */
static size_t sm_wrap(card *c, uint8_t ins, const uint8_t *data, size_t dlen, uint16_t sw,
                      uint8_t *rsp)
{
    card_fault f = c->sm_responses++ == c->fault_at ? c->fault : CARD_FAULT_NONE;
    uint8_t *body = malloc(dlen + 64), *enc = malloc(dlen + 32), *m = malloc(dlen + 128);
    uint8_t iv[16], t[8], s2[2] = {(uint8_t)(sw >> 8), (uint8_t)sw};
    size_t bl = 0, el = 0, ml, out;

    if (!body || !enc || !m)
        DIE("malloc");
    if (f == CARD_FAULT_PLAIN_ERROR) {
        c->sm = false;
        free(body), free(enc), free(m);
        return plain_sw(rsp, 0x6A82);
    }
    ssc_inc(c);
    if (f == CARD_FAULT_WRONG_SSC)
        ssc_inc(c);
    if (dlen) {
        bool odd = ins & 1;
        if (!odd)
            enc[el++] = 0x01;
        memcpy(enc + el, data, dlen);
        if (f == CARD_FAULT_BAD_PADDING) {
            size_t k = dlen;
            do
                enc[el + k++] = 0x00;
            while (k % c->bl);
            sm_iv(c, iv);
            cbc(c, c->ks_enc, iv, enc + el, k, enc + el, 1);
            el += k;
        } else {
            size_t k = pad(enc + el, dlen, c->bl);
            sm_iv(c, iv);
            cbc(c, c->ks_enc, iv, enc + el, k, enc + el, 1);
            el += k;
        }
        bl = put_do(body, odd ? 0x85 : 0x87, enc, el);
        if (f == CARD_FAULT_TRUNCATED_TLV && body[1] < 0x50)
            body[1] = (uint8_t)(body[1] + 0x30);    /* past the end of the response */
    }
    if (f == CARD_FAULT_EXTRA_DO)
        bl += put_do(body + bl, 0x81, (const uint8_t *)"\xAA\xBB", 2);
    if (f != CARD_FAULT_NO_DO99)
        bl += put_do(body + bl, 0x99, s2, 2);
    memcpy(m, c->ssc, c->bl);
    memcpy(m + c->bl, body, bl);
    ml = pad(m, c->bl + bl, c->bl);
    mac(c, c->ks_mac, m, ml, t);
    if (f == CARD_FAULT_BAD_MAC)
        t[3] ^= 0x10;
    bl += put_do(body + bl, 0x8E, t, 8);
    memcpy(rsp, body, bl);
    out = bl + plain_sw(rsp + bl, f == CARD_FAULT_SW_MISMATCH ? 0x6282 : sw);
    free(body), free(enc), free(m);
    return out;
}

dx_status card_transmit(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                        size_t *rsp_len)
{
    card *c = ctx;
    capdu a, in;
    uint8_t *out = malloc(BIG), *plain = malloc(BIG);
    size_t olen = 0;
    uint16_t sw;

    if (!out || !plain)
        DIE("malloc");
    c->apdus++;
    if (parse_apdu(cmd, n, &a)) {
        *rsp_len = plain_sw(rsp, 0x6700);
        goto done;
    }
    if (a.ext)
        c->ext_apdus++;
    if (a.ext && !c->cfg.extended) {
        *rsp_len = plain_sw(rsp, 0x6700);
        goto done;
    }
    if (c->sm) {
        if ((a.cla & 0x0C) != 0x0C) {
            c->sm = false;
            *rsp_len = plain_sw(rsp, 0x6987);
            goto done;
        }
        sw = sm_unwrap(c, &a, &in, plain);
        if (sw) {
            c->sm = false;
            *rsp_len = plain_sw(rsp, sw);
            goto done;
        }
        if (in.ins == 0x22 || in.ins == 0x86)
            sw = 0x6985;
        else
            sw = files(c, &in, out, &olen);
        {
            uint8_t *tmp = malloc(olen + 128);
            size_t k;
            if (!tmp)
                DIE("malloc");
            k = sm_wrap(c, in.ins, out, olen, sw, tmp);
            if (k > cap)
                DIE("response too big");
            memcpy(rsp, tmp, k);
            *rsp_len = k;
            free(tmp);
        }
        goto done;
    }
    if (a.ins == 0x22 || a.ins == 0x86)
        sw = pace(c, &a, out, &olen);
    else
        sw = files(c, &a, out, &olen);
    if (olen + 2 > cap)
        DIE("response too big");
    memcpy(rsp, out, olen);
    *rsp_len = olen + plain_sw(rsp + olen, sw);
done:
    free(out);
    free(plain);
    return DX_OK;
}
