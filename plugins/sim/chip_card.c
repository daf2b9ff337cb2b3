/* sim chip — the card: one powered-up session of a simulated eMRTD chip.
 *
 * ISO/IEC 7816-4 command APDUs (short and extended length), the eMRTD file
 * system of ICAO 9303 Part 10 (MF with EF.CardAccess, the eMRTD application
 * A0000002471001 with EF.COM, the data groups and EF.SOD) and the access
 * control of 9303 Part 11: files of the application are readable only after
 * BAC (§4.3) or PACE (§4.4), under secure messaging (§9.8).  Also GET
 * CHALLENGE, INTERNAL AUTHENTICATE (Active Authentication, §6.1) and Chip
 * Authentication (§6.2, ECDH, MSE:Set KAT or MSE:Set AT + GENERAL
 * AUTHENTICATE).
 *
 * Every command is untrusted input.  A malformed or refused command gets its
 * ISO status word: 6700 wrong length, 6A86 wrong P1-P2, 6A80 wrong data, 6A82
 * file not found, 6982 security status not satisfied, 6985 conditions of use
 * not satisfied, 6986 no current EF, 6B00 offset beyond the end, 6D00 INS not
 * supported, 6E00 CLA not supported, 6881/6882/6884 logical channel / SM /
 * chaining not supported, 6300 authentication failed.  Like a real chip, an
 * SM error (6987/6988, answered without SM) or a plain command during secure
 * messaging ends the session: keys wiped, access rights gone. */
#include "chip.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

static const uint8_t emrtd_aid[] = {0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01};

struct sim_card {
    const dxp_host *host;
    const sim_chip *chip;
    bool in_app;            /* the eMRTD application is selected (else the MF) */
    int cur_ef;             /* index into chip->files, -1 none */
    bool access;            /* BAC/PACE done: the application's files are readable */
    sim_sm sm;
    sim_sm sm_next;         /* keys that start after the current response */
    bool have_next;
    uint8_t rnd_ic[8];
    bool challenge;         /* rnd_ic is fresh for EXTERNAL AUTHENTICATE */
    sim_pace pace;
    bool ca_set;            /* MSE:Set AT for CA seen */
    uint8_t plain[SIM_APDU_MAX];
    uint8_t data[SIM_RSP_MAX];  /* response data of the current command */
};

/* ---- TLV ---------------------------------------------------------------- */

bool sim_tlv_next(const uint8_t *buf, size_t len, size_t *pos, uint32_t *tag, const uint8_t **val,
                  size_t *vlen)
{
    size_t p = *pos, n;
    uint32_t t;

    if (p >= len)
        return false;
    t = buf[p++];
    if ((t & 0x1F) == 0x1F) { /* more tag bytes */
        int k = 0;
        do {
            if (p >= len || ++k > 2)
                return false;
            t = t << 8 | buf[p];
        } while (buf[p++] & 0x80);
    }
    if (p >= len)
        return false;
    n = buf[p++];
    if (n & 0x80) {
        size_t k = n & 0x7F;
        if (k == 0 || k > 4 || len - p < k)
            return false;
        n = 0;
        while (k--)
            n = n << 8 | buf[p++];
    }
    if (n > len - p)
        return false;
    *tag = t;
    *val = buf + p;
    *vlen = n;
    *pos = p + n;
    return true;
}

size_t sim_tlv_header(uint8_t *out, uint32_t tag, size_t len)
{
    size_t p = 0;
    if (tag > 0xFF)
        out[p++] = (uint8_t)(tag >> 8);
    out[p++] = (uint8_t)tag;
    if (len < 0x80) {
        out[p++] = (uint8_t)len;
    } else if (len <= 0xFF) {
        out[p++] = 0x81;
        out[p++] = (uint8_t)len;
    } else if (len <= 0xFFFF) {
        out[p++] = 0x82;
        out[p++] = (uint8_t)(len >> 8);
        out[p++] = (uint8_t)len;
    } else {
        out[p++] = 0x83;
        out[p++] = (uint8_t)(len >> 16);
        out[p++] = (uint8_t)(len >> 8);
        out[p++] = (uint8_t)len;
    }
    return p;
}

/* ---- APDU parsing (ISO/IEC 7816-4 §5.1) ------------------------------------ */

/* 0 when well formed, else the status word (6700). */
static uint16_t apdu_parse(const uint8_t *b, size_t n, sim_apdu *a)
{
    memset(a, 0, sizeof *a);
    if (n < 4)
        return 0x6700;
    a->cla = b[0];
    a->ins = b[1];
    a->p1 = b[2];
    a->p2 = b[3];
    if (n == 4) /* case 1 */
        return 0;
    if (n == 5) { /* case 2S */
        a->ne = b[4] ? b[4] : 256;
        return 0;
    }
    if (b[4] != 0) { /* case 3S / 4S */
        size_t lc = b[4];
        if (n == 5 + lc) {
            a->data = b + 5;
            a->nc = lc;
            return 0;
        }
        if (n == 6 + lc) {
            a->data = b + 5;
            a->nc = lc;
            a->ne = b[n - 1] ? b[n - 1] : 256;
            return 0;
        }
        return 0x6700;
    }
    /* extended: b[4] == 0 */
    a->extended = true;
    if (n == 7) { /* case 2E */
        size_t le = (size_t)b[5] << 8 | b[6];
        a->ne = le ? le : 65536;
        return 0;
    }
    if (n > 7) {
        size_t lc = (size_t)b[5] << 8 | b[6];
        if (lc == 0)
            return 0x6700;
        if (n == 7 + lc) { /* case 3E */
            a->data = b + 7;
            a->nc = lc;
            return 0;
        }
        if (n == 9 + lc) { /* case 4E */
            size_t le = (size_t)b[n - 2] << 8 | b[n - 1];
            a->data = b + 7;
            a->nc = lc;
            a->ne = le ? le : 65536;
            return 0;
        }
    }
    return 0x6700;
}

/* ---- the session -------------------------------------------------------------- */

dx_status sim_card_new(const dxp_host *host, const sim_chip *chip, sim_card **out)
{
    sim_card *c = calloc(1, sizeof *c);
    if (!c)
        return DX_ERR_NO_MEMORY;
    c->host = host;
    c->chip = chip;
    c->cur_ef = -1;
    *out = c;
    return DX_OK;
}

/* Ends secure messaging and every access right it carried. */
static void session_end(sim_card *c)
{
    sim_sm_end(&c->sm);
    sim_sm_end(&c->sm_next);
    c->have_next = false;
    c->access = false;
    c->ca_set = false;
    sim_pace_reset(&c->pace);
}

void sim_card_free(sim_card *card)
{
    if (!card)
        return;
    session_end(card);
    OPENSSL_cleanse(card, sizeof *card);
    free(card);
}

/* ---- files ---------------------------------------------------------------- */

/* Index of the EF with `fid` in the current DF, -1 when none. */
static int find_fid(const sim_card *c, uint16_t fid)
{
    for (size_t i = 0; i < c->chip->n_files; i++)
        if (c->chip->files[i].fid == fid && c->chip->files[i].outside_app == !c->in_app)
            return (int)i;
    return -1;
}

static int find_sfi(const sim_card *c, uint8_t sfi)
{
    for (size_t i = 0; i < c->chip->n_files; i++)
        if (c->chip->files[i].sfi == sfi && c->chip->files[i].outside_app == !c->in_app)
            return (int)i;
    return -1;
}

/* 6982 when the file needs BAC/PACE first. */
static uint16_t file_access(const sim_card *c, int idx)
{
    return c->chip->files[idx].outside_app || c->access ? 0x9000 : 0x6982;
}

/* FCP template (ISO/IEC 7816-4 §7.4.3) of an EF or of the current DF. */
static size_t fcp(const sim_card *c, int idx, uint8_t *out)
{
    size_t n = 2;
    if (idx >= 0) {
        const sim_chip_file *f = &c->chip->files[idx];
        size_t len = f->len > 0xFFFFFF ? 0xFFFFFF : f->len;
        out[n++] = 0x80; /* size */
        out[n++] = 3;
        out[n++] = (uint8_t)(len >> 16);
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
        out[n++] = 0x82; /* transparent working EF */
        out[n++] = 1;
        out[n++] = 0x01;
        out[n++] = 0x83;
        out[n++] = 2;
        out[n++] = (uint8_t)(f->fid >> 8);
        out[n++] = (uint8_t)f->fid;
    } else {
        out[n++] = 0x82; /* DF */
        out[n++] = 1;
        out[n++] = 0x38;
        if (c->in_app) {
            out[n++] = 0x84;
            out[n++] = sizeof emrtd_aid;
            memcpy(out + n, emrtd_aid, sizeof emrtd_aid);
            n += sizeof emrtd_aid;
        } else {
            out[n++] = 0x83;
            out[n++] = 2;
            out[n++] = 0x3F;
            out[n++] = 0x00;
        }
    }
    out[0] = 0x62;
    out[1] = (uint8_t)(n - 2);
    return n;
}

/* SELECT (ISO/IEC 7816-4 §11.2.2; 9303-10 §3.6.2). */
static uint16_t cmd_select(sim_card *c, const sim_apdu *a, size_t *rlen)
{
    int idx = -1;
    bool df = false;
    size_t n;

    if (a->p2 != 0x0C && a->p2 != 0x00 && a->p2 != 0x04)
        return 0x6A86;
    switch (a->p1) {
    case 0x04: /* DF name */
        if (a->nc == 0)
            return 0x6700;
        if (a->nc != sizeof emrtd_aid || memcmp(a->data, emrtd_aid, sizeof emrtd_aid) != 0)
            return 0x6A82;
        c->in_app = true;
        c->cur_ef = -1;
        df = true;
        break;
    case 0x00: /* MF, or an EF by FID */
        if (a->nc == 0 || (a->nc == 2 && a->data[0] == 0x3F && a->data[1] == 0x00)) {
            c->in_app = false;
            c->cur_ef = -1;
            df = true;
            break;
        }
        /* fall through */
    case 0x02: /* EF under the current DF */
        if (a->nc != 2)
            return 0x6700;
        if ((idx = find_fid(c, (uint16_t)(a->data[0] << 8 | a->data[1]))) < 0)
            return 0x6A82;
        if (file_access(c, idx) != 0x9000)
            return 0x6982;
        c->cur_ef = idx;
        break;
    default:
        return 0x6A86;
    }
    if (a->p2 == 0x0C || a->ne == 0)
        return 0x9000;
    n = fcp(c, df ? -1 : idx, c->data);
    *rlen = n < a->ne ? n : a->ne;
    return 0x9000;
}

/* READ BINARY B0 (offset in P1-P2 or SFI in P1) and B1 (offset in DO'54',
 * answer in DO'53'), ISO/IEC 7816-4 §11.2.3; 9303-10 §3.6.3. */
static uint16_t cmd_read_binary(sim_card *c, const sim_apdu *a, size_t *rlen)
{
    size_t offset = 0, avail, n;
    int idx;
    const sim_chip_file *f;

    if (a->ins == 0xB0) {
        if (a->nc)
            return 0x6700;
        if (a->p1 & 0x80) { /* short EF identifier */
            if ((a->p1 & 0x60) || (a->p1 & 0x1F) == 0)
                return 0x6A86;
            if ((idx = find_sfi(c, a->p1 & 0x1F)) < 0)
                return 0x6A82;
            offset = a->p2;
        } else {
            if ((idx = c->cur_ef) < 0)
                return 0x6986;
            offset = (size_t)a->p1 << 8 | a->p2;
        }
    } else {
        uint16_t p1p2 = (uint16_t)(a->p1 << 8 | a->p2);
        const uint8_t *v;
        size_t pos = 0, vlen;
        uint32_t tag;

        if (p1p2 == 0) {
            if ((idx = c->cur_ef) < 0)
                return 0x6986;
        } else if ((p1p2 & 0xFFE0) == 0) {
            if ((idx = find_sfi(c, (uint8_t)(p1p2 & 0x1F))) < 0)
                return 0x6A82;
        } else if ((idx = find_fid(c, p1p2)) < 0) {
            return 0x6A82;
        }
        if (!sim_tlv_next(a->data, a->nc, &pos, &tag, &v, &vlen) || tag != 0x54 || pos != a->nc ||
            vlen < 1 || vlen > 4)
            return 0x6A80;
        for (size_t i = 0; i < vlen; i++)
            offset = offset << 8 | v[i];
    }
    if (file_access(c, idx) != 0x9000)
        return 0x6982;
    c->cur_ef = idx;
    if (a->ne == 0)
        return 0x6700;
    f = &c->chip->files[idx];
    if (offset >= f->len)
        return 0x6B00;
    avail = f->len - offset;
    if (a->ins == 0xB0) {
        n = avail < a->ne ? avail : a->ne;
        memcpy(c->data, f->data + offset, n);
        *rlen = n;
    } else {
        /* the DO'53' header counts against Ne */
        size_t room = a->ne;
        if (room < 3)
            return 0x6700;
        n = avail < room - 2 ? avail : room - 2;
        if (n > 0x7F)
            n = avail < room - 3 ? avail : room - 3;
        if (n > 0xFF)
            n = avail < room - 4 ? avail : room - 4;
        size_t h = sim_tlv_header(c->data, 0x53, n);
        memcpy(c->data + h, f->data + offset, n);
        *rlen = h + n;
    }
    /* ISO/IEC 7816-4: end of file reached before Ne bytes were read */
    return n < avail || *rlen >= a->ne ? 0x9000 : 0x6282;
}

/* ---- BAC (9303-11 §4.3) ---------------------------------------------------- */

static uint16_t cmd_get_challenge(sim_card *c, const sim_apdu *a, size_t *rlen)
{
    if (a->p1 || a->p2)
        return 0x6A86;
    if (a->nc || a->ne != 8)
        return 0x6700;
    if (c->chip->test.rnd_ic)
        memcpy(c->rnd_ic, c->chip->test.rnd_ic_v, 8);
    else if (!sim_cc_random(c->rnd_ic, 8))
        return 0x6F00;
    memcpy(c->data, c->rnd_ic, 8);
    *rlen = 8;
    c->challenge = true;
    return 0x9000;
}

/* EXTERNAL AUTHENTICATE (MUTUAL AUTHENTICATE of 9303-11 §4.3.3): verify
 * M_IFD, decrypt E_IFD, check RND.IC, answer E_IC || M_IC, derive KS_enc,
 * KS_mac and the SSC (§9.8.3). */
static uint16_t cmd_external_authenticate(sim_card *c, const sim_apdu *a, size_t *rlen)
{
    const sim_chip *chip = c->chip;
    uint8_t buf[40], s[32], r[32], mac[8], seed[16], kenc[16], kmac[16], ssc[8];
    uint16_t sw = 0x6300;
    size_t n;

    if (!chip->bac)
        return 0x6D00;
    if (a->p1 || a->p2)
        return 0x6A86;
    if (a->nc != 40 || a->ne < 40)
        return 0x6700;
    if (!c->challenge)
        return 0x6985;
    c->challenge = false; /* one try per challenge */
    memcpy(buf, a->data, 32);
    n = sim_cc_pad(buf, 32, 8);
    if (!sim_cc_mac(SIM_CIPHER_3DES, chip->bac_kmac, 16, buf, n, mac))
        return 0x6F00;
    if (CRYPTO_memcmp(mac, a->data + 32, 8) != 0) {
        dxp_log(c->host, DXP_LOG_DEBUG, "BAC: M_IFD does not verify (wrong MRZ?)");
        goto done;
    }
    if (!sim_cc_cbc(SIM_CIPHER_3DES, chip->bac_kenc, 16, NULL, false, a->data, 32, s)) {
        sw = 0x6F00;
        goto done;
    }
    /* S = RND.IFD || RND.IC || K.IFD */
    if (CRYPTO_memcmp(s + 8, c->rnd_ic, 8) != 0) {
        dxp_log(c->host, DXP_LOG_DEBUG, "BAC: RND.IC does not match the challenge");
        goto done;
    }
    memcpy(r, c->rnd_ic, 8);
    memcpy(r + 8, s, 8);
    if (chip->test.k_ic)
        memcpy(r + 16, chip->test.k_ic_v, 16);
    else if (!sim_cc_random(r + 16, 16)) {
        sw = 0x6F00;
        goto done;
    }
    if (!sim_cc_cbc(SIM_CIPHER_3DES, chip->bac_kenc, 16, NULL, true, r, 32, c->data)) {
        sw = 0x6F00;
        goto done;
    }
    memcpy(buf, c->data, 32);
    n = sim_cc_pad(buf, 32, 8);
    if (!sim_cc_mac(SIM_CIPHER_3DES, chip->bac_kmac, 16, buf, n, c->data + 32)) {
        sw = 0x6F00;
        goto done;
    }
    for (int i = 0; i < 16; i++)
        seed[i] = (uint8_t)(s[16 + i] ^ r[16 + i]);
    if (!sim_cc_kdf(SIM_CIPHER_3DES, 16, seed, 16, 1, kenc) ||
        !sim_cc_kdf(SIM_CIPHER_3DES, 16, seed, 16, 2, kmac)) {
        sw = 0x6F00;
        goto done;
    }
    memcpy(ssc, c->rnd_ic + 4, 4);
    memcpy(ssc + 4, s + 4, 4);
    sim_sm_start(&c->sm_next, SIM_CIPHER_3DES, kenc, kmac, 16, ssc);
    c->have_next = true;
    *rlen = 40;
    sw = 0x9000;
done:
    OPENSSL_cleanse(buf, sizeof buf);
    OPENSSL_cleanse(s, sizeof s);
    OPENSSL_cleanse(r, sizeof r);
    OPENSSL_cleanse(seed, sizeof seed);
    OPENSSL_cleanse(kenc, sizeof kenc);
    OPENSSL_cleanse(kmac, sizeof kmac);
    OPENSSL_cleanse(ssc, sizeof ssc);
    return sw;
}

/* ---- Active Authentication (9303-11 §6.1) ------------------------------------ */

/* ISO/IEC 10118-3 hash identifiers for the two-byte trailer xxCC. */
static uint8_t hash_id(const char *md)
{
    return !strcmp(md, "SHA256") ? 0x34 : !strcmp(md, "SHA512") ? 0x35
         : !strcmp(md, "SHA384") ? 0x36 : !strcmp(md, "SHA224") ? 0x38 : 0x33;
}

/* ISO/IEC 9796-2 digital signature scheme 1, partial recovery: the chip's
 * nonce M1 is recovered, the terminal's challenge M2 is not.
 * F = 6A || M1 || H(M1 || M2) || BC (SHA-1) or || xx CC; s = F^d mod n. */
static uint16_t aa_rsa(sim_card *c, const uint8_t *m2, size_t m2_len, size_t ne, size_t *rlen)
{
    EVP_PKEY *key = c->chip->aa_key;
    size_t k = (size_t)EVP_PKEY_get_size(key), hl = 0, tl, m1_len, siglen;
    bool sha1 = strcmp(c->chip->aa_md, "SHA1") == 0;
    uint8_t *f = NULL, *m = NULL;
    EVP_MD *md = EVP_MD_fetch(NULL, c->chip->aa_md, NULL);
    EVP_PKEY_CTX *ctx = NULL;
    uint16_t sw = 0x6F00;

    if (ne < k) {
        EVP_MD_free(md);
        return 0x6700;
    }
    tl = sha1 ? 1 : 2;
    hl = md ? (size_t)EVP_MD_get_size(md) : 0;
    EVP_MD_free(md);
    if (!hl || k < hl + tl + 2 || !(f = calloc(1, k)) || !(m = calloc(1, k + m2_len)))
        goto done;
    m1_len = k - hl - tl - 1;
    if (!sim_cc_random(m, m1_len))
        goto done;
    memcpy(m + m1_len, m2, m2_len);
    f[0] = 0x6A;
    memcpy(f + 1, m, m1_len);
    if (!sim_cc_digest(c->chip->aa_md, m, m1_len + m2_len, f + 1 + m1_len, &hl))
        goto done;
    if (sha1) {
        f[k - 1] = 0xBC;
    } else {
        f[k - 2] = hash_id(c->chip->aa_md);
        f[k - 1] = 0xCC;
    }
    siglen = k;
    if (!(ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) || EVP_PKEY_sign_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) != 1 ||
        EVP_PKEY_sign(ctx, c->data, &siglen, f, k) != 1 || siglen != k)
        goto done;
    *rlen = k;
    sw = 0x9000;
done:
    EVP_PKEY_CTX_free(ctx);
    if (f)
        OPENSSL_clear_free(f, k);
    if (m)
        OPENSSL_clear_free(m, k + m2_len);
    return sw;
}

/* ECDSA over the challenge, plain r || s (BSI TR-03111 §5.2.1). */
static uint16_t aa_ecdsa(sim_card *c, const uint8_t *m2, size_t m2_len, size_t ne, size_t *rlen)
{
    EVP_PKEY *key = c->chip->aa_key;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t der[160];
    size_t dlen = sizeof der, olen = 0;
    const uint8_t *p = der;
    ECDSA_SIG *sig = NULL;
    const BIGNUM *r, *s;
    uint16_t sw = 0x6F00;

    if (!md)
        return 0x6F00;
    olen = ((size_t)EVP_PKEY_get_bits(key) + 7) / 8; /* bits of the group order */
    if (ne < 2 * olen) {
        sw = 0x6700;
        goto done;
    }
    if (EVP_DigestSignInit_ex(md, NULL, c->chip->aa_md, NULL, NULL, key, NULL) != 1 ||
        EVP_DigestSign(md, der, &dlen, m2, m2_len) != 1 ||
        !(sig = d2i_ECDSA_SIG(NULL, &p, (long)dlen)))
        goto done;
    ECDSA_SIG_get0(sig, &r, &s);
    if (BN_bn2binpad(r, c->data, (int)olen) != (int)olen ||
        BN_bn2binpad(s, c->data + olen, (int)olen) != (int)olen)
        goto done;
    *rlen = 2 * olen;
    sw = 0x9000;
done:
    ECDSA_SIG_free(sig);
    EVP_MD_CTX_free(md);
    return sw;
}

static uint16_t cmd_internal_authenticate(sim_card *c, const sim_apdu *a, size_t *rlen)
{
    if (!c->chip->aa_key)
        return 0x6D00;
    if (a->p1 || a->p2)
        return 0x6A86;
    if (!c->access)
        return 0x6982;
    if (a->nc != 8 || a->ne == 0)
        return 0x6700;
    return c->chip->aa_rsa ? aa_rsa(c, a->data, a->nc, a->ne, rlen)
                           : aa_ecdsa(c, a->data, a->nc, a->ne, rlen);
}

/* ---- Chip Authentication (9303-11 §6.2), ECDH ------------------------------- */

/* K = x(sk_CA * PK_IFD); new session keys with SSC 0 after this response. */
static uint16_t ca_agree(sim_card *c, const uint8_t *pk, size_t pk_len)
{
    const sim_chip *chip = c->chip;
    EC_GROUP *g = EC_GROUP_new_by_curve_name(chip->ca_curve_nid);
    EC_POINT *peer = NULL;
    BIGNUM *sk = NULL;
    uint8_t k[80], kenc[32], kmac[32], ssc[16] = {0};
    size_t klen = 0;
    uint16_t sw = 0x6F00;

    if (!g)
        return 0x6F00;
    if (!(peer = sim_ec_point_decode(g, pk, pk_len))) {
        sw = 0x6A80;
        goto done;
    }
    if (EVP_PKEY_get_bn_param(chip->ca_key, OSSL_PKEY_PARAM_PRIV_KEY, &sk) != 1 ||
        !sim_ec_shared_x(g, sk, peer, k, &klen) ||
        !sim_cc_kdf(chip->ca_alg, chip->ca_key_len, k, klen, 1, kenc) ||
        !sim_cc_kdf(chip->ca_alg, chip->ca_key_len, k, klen, 2, kmac))
        goto done;
    sim_sm_start(&c->sm_next, chip->ca_alg, kenc, kmac, chip->ca_key_len, ssc);
    c->have_next = true;
    sw = 0x9000;
done:
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(kenc, sizeof kenc);
    OPENSSL_cleanse(kmac, sizeof kmac);
    BN_clear_free(sk);
    EC_POINT_free(peer);
    EC_GROUP_free(g);
    return sw;
}

/* MSE:Set KAT (41A6: 91 PK_IFD [84 key id]) and MSE:Set AT (41A4: 80 OID
 * [84 key id]) of Chip Authentication; both need secure messaging. */
static uint16_t mse_ca(sim_card *c, const sim_apdu *a)
{
    const sim_chip *chip = c->chip;
    const uint8_t *oid = NULL, *pk = NULL, *kid = NULL, *v;
    size_t oid_len = 0, pk_len = 0, kid_len = 0, vlen, pos = 0;
    uint32_t tag;

    if (!chip->ca_key)
        return 0x6A80;
    if (!c->sm.active || !c->access)
        return 0x6982;
    while (pos < a->nc) {
        if (!sim_tlv_next(a->data, a->nc, &pos, &tag, &v, &vlen))
            return 0x6A80;
        switch (tag) {
        case 0x80: oid = v; oid_len = vlen; break;
        case 0x91: pk = v; pk_len = vlen; break;
        case 0x84: kid = v; kid_len = vlen; break;
        default: return 0x6A80;
        }
    }
    if (kid) {
        uint32_t id = 0;
        if (kid_len < 1 || kid_len > 4 || !chip->ca_key_id_set)
            return 0x6A88;
        for (size_t i = 0; i < kid_len; i++)
            id = id << 8 | kid[i];
        if (id != chip->ca_key_id)
            return 0x6A88;
    }
    if (a->p2 == 0xA6) { /* Set KAT: key agreement now (CA with 3DES, §6.2.4.1) */
        if (!pk || oid)
            return 0x6A80;
        c->ca_set = false;
        return ca_agree(c, pk, pk_len);
    }
    if (!oid || pk || oid_len != chip->ca_oid_len || memcmp(oid, chip->ca_oid, oid_len) != 0)
        return 0x6A80;
    c->ca_set = true;
    return 0x9000;
}

/* ---- MSE and GENERAL AUTHENTICATE -------------------------------------------- */

static uint16_t cmd_mse(sim_card *c, const sim_apdu *a)
{
    uint16_t p1p2 = (uint16_t)(a->p1 << 8 | a->p2);
    if (p1p2 == 0xC1A4) {
        c->ca_set = false;
        return sim_pace_set_at(&c->pace, c->host, c->chip, a->data, a->nc);
    }
    if (p1p2 == 0x41A4 || p1p2 == 0x41A6) {
        sim_pace_reset(&c->pace);
        return mse_ca(c, a);
    }
    return 0x6A86;
}

static uint16_t cmd_general_authenticate(sim_card *c, const sim_apdu *a, size_t *rlen)
{
    bool done = false;
    uint16_t sw;

    if (a->p1 || a->p2)
        return 0x6A86;
    if (c->ca_set) { /* CA: 7C { 80 PK_IFD } -> 7C 00 */
        const uint8_t *v, *pk;
        size_t pos = 0, ipos = 0, vlen, pk_len;
        uint32_t tag;
        c->ca_set = false;
        if (!sim_tlv_next(a->data, a->nc, &pos, &tag, &v, &vlen) || tag != 0x7C ||
            pos != a->nc || !sim_tlv_next(v, vlen, &ipos, &tag, &pk, &pk_len) || tag != 0x80 ||
            ipos != vlen)
            return 0x6A80;
        if ((sw = ca_agree(c, pk, pk_len)) != 0x9000)
            return sw;
        c->data[0] = 0x7C;
        c->data[1] = 0x00;
        *rlen = 2;
        return 0x9000;
    }
    if (!c->pace.step)
        return 0x6985;
    sw = sim_pace_general_authenticate(&c->pace, c->host, c->chip, a->data, a->nc, c->data, rlen,
                                       &done, &c->sm_next);
    if (done)
        c->have_next = true;
    return sw;
}

/* ---- dispatch --------------------------------------------------------------- */

static uint16_t dispatch(sim_card *c, const sim_apdu *a, size_t *rlen)
{
    uint16_t sw;

    *rlen = 0;
    if ((a->cla & 0x10) && a->ins != 0x86)
        return 0x6884; /* chaining only for GENERAL AUTHENTICATE (PACE) */
    switch (a->ins) {
    case 0xA4: sw = cmd_select(c, a, rlen); break;
    case 0xB0:
    case 0xB1: sw = cmd_read_binary(c, a, rlen); break;
    case 0x84: sw = cmd_get_challenge(c, a, rlen); break;
    case 0x82: sw = cmd_external_authenticate(c, a, rlen); break;
    case 0x88: sw = cmd_internal_authenticate(c, a, rlen); break;
    case 0x22: sw = cmd_mse(c, a); break;
    case 0x86: sw = cmd_general_authenticate(c, a, rlen); break;
    default: return 0x6D00;
    }
    if (*rlen > a->ne) { /* Le too small for an answer that cannot be cut */
        *rlen = 0;
        sw = 0x6700;
        c->have_next = false;
        sim_sm_end(&c->sm_next);
    }
    return sw;
}

static size_t plain_sw(uint8_t *rsp, uint16_t sw)
{
    rsp[0] = (uint8_t)(sw >> 8);
    rsp[1] = (uint8_t)sw;
    return 2;
}

/* Starts the keys a command just agreed on (BAC, PACE, CA). */
static void install_next(sim_card *c)
{
    if (!c->have_next)
        return;
    c->sm = c->sm_next;
    sim_sm_end(&c->sm_next);
    c->have_next = false;
    c->access = true;
    c->challenge = false;
}

size_t sim_card_process(sim_card *c, const uint8_t *cmd, size_t len, uint8_t *rsp)
{
    sim_apdu outer, inner;
    uint16_t sw;
    size_t rlen = 0, n;

    if ((sw = apdu_parse(cmd, len, &outer)) != 0)
        return plain_sw(rsp, sw);
    if (outer.extended && !c->chip->extended_length)
        return plain_sw(rsp, 0x6700);
    if (outer.cla == 0xFF || (outer.cla & 0xE0))
        return plain_sw(rsp, 0x6E00);
    if (outer.cla & 0x03)
        return plain_sw(rsp, 0x6881);

    if ((outer.cla & 0x0C) == 0) {
        if (c->sm.active) {
            dxp_log(c->host, DXP_LOG_DEBUG, "a plain command ends secure messaging");
            session_end(c);
        }
        sw = dispatch(c, &outer, &rlen);
        memcpy(rsp, c->data, rlen);
        install_next(c);
        return rlen + plain_sw(rsp + rlen, sw);
    }
    if ((outer.cla & 0x0C) != 0x0C)
        return plain_sw(rsp, 0x6882);
    if (!c->sm.active) {
        dxp_log(c->host, DXP_LOG_DEBUG, "a protected command without a session");
        return plain_sw(rsp, 0x6988);
    }
    if ((sw = sim_sm_unwrap(&c->sm, &outer, c->plain, &inner)) != 0x9000) {
        dxp_log(c->host, DXP_LOG_DEBUG, "secure messaging error %04X: session ended", sw);
        session_end(c);
        return plain_sw(rsp, sw);
    }
    sw = dispatch(c, &inner, &rlen);
    if (!outer.extended) {
        /* a short response holds 256 bytes: DO'87' + DO'99' + DO'8E' must fit */
        size_t bs = sim_cc_block(c->sm.alg);
        size_t wrapped = rlen ? (rlen / bs + 1) * bs + 5 + 14 : 14;
        if (wrapped > 256) {
            rlen = 0;
            sw = 0x6700;
            c->have_next = false;
            sim_sm_end(&c->sm_next);
        }
    }
    n = sim_sm_wrap(&c->sm, inner.ins, c->data, rlen, sw, rsp);
    OPENSSL_cleanse(c->plain, inner.nc);
    if (!n) {
        session_end(c);
        return plain_sw(rsp, 0x6F00);
    }
    install_next(c);
    return n;
}
