/* sim chip — PACE, card side (ICAO 9303 Part 11 §4.4; BSI TR-03110-2 §3.2):
 * MSE:Set AT, then four GENERAL AUTHENTICATE steps with ECDH generic mapping
 * (§4.4.3.3.1):
 *
 *   1  -> 80 z = E(K_pi, s), the encrypted nonce
 *   2  81 PK_map,IFD -> 82 PK_map,IC;  G^ = s*G + sk_map,IC*PK_map,IFD
 *   3  83 PK_IFD -> 84 PK_IC (on G^);  K = x(sk_IC * PK_IFD)
 *   4  85 T_IFD -> 86 T_IC;  T = MAC(KS_mac, 7F49{06 OID, 86 PK of the other})
 *
 * Any error aborts the run (the terminal starts again with MSE:Set AT).  A
 * wrong password gives a different G^, so T_IFD does not verify: 6300. */
#include "chip.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

void sim_pace_reset(sim_pace *pace)
{
    EC_POINT_clear_free(pace->g_hat);
    EC_GROUP_free(pace->group);
    OPENSSL_cleanse(pace, sizeof *pace);
    pace->step = 0;
    pace->group = NULL;
    pace->g_hat = NULL;
}

EC_POINT *sim_ec_point_decode(const EC_GROUP *group, const uint8_t *buf, size_t len)
{
    EC_POINT *p;
    if (len < 1 || buf[0] != 0x04 || !(p = EC_POINT_new(group)))
        return NULL;
    if (EC_POINT_oct2point(group, p, buf, len, NULL) != 1 || EC_POINT_is_at_infinity(group, p) ||
        EC_POINT_is_on_curve(group, p, NULL) != 1) {
        EC_POINT_free(p);
        return NULL;
    }
    return p;
}

bool sim_ec_shared_x(const EC_GROUP *group, const BIGNUM *scalar, const EC_POINT *point,
                     uint8_t *out, size_t *out_len)
{
    EC_POINT *r = EC_POINT_new(group);
    BIGNUM *x = BN_new();
    int flen = (EC_GROUP_get_degree(group) + 7) / 8;
    bool ok = r && x && EC_POINT_mul(group, r, NULL, point, scalar, NULL) == 1 &&
              !EC_POINT_is_at_infinity(group, r) &&
              EC_POINT_get_affine_coordinates(group, r, x, NULL, NULL) == 1 &&
              BN_bn2binpad(x, out, flen) == flen;
    if (ok)
        *out_len = (size_t)flen;
    EC_POINT_clear_free(r);
    BN_clear_free(x);
    return ok;
}

size_t sim_pace_pubkey_do(const uint8_t *oid, size_t oid_len, const uint8_t *point, size_t plen,
                          uint8_t *out, size_t size)
{
    uint8_t inner[300];
    size_t n = 0, h;
    if (oid_len + plen + 12 > sizeof inner)
        return 0;
    n += sim_tlv_header(inner + n, 0x06, oid_len);
    memcpy(inner + n, oid, oid_len);
    n += oid_len;
    n += sim_tlv_header(inner + n, 0x86, plen);
    memcpy(inner + n, point, plen);
    n += plen;
    if (n + 6 > size)
        return 0;
    h = sim_tlv_header(out, 0x7F49, n);
    memcpy(out + h, inner, n);
    return h + n;
}

/* Scalar in [1, n-1]: the fixed test value, or random. */
static BIGNUM *pace_scalar(const EC_GROUP *group, bool fixed, const uint8_t *v, size_t vlen)
{
    const BIGNUM *order = EC_GROUP_get0_order(group);
    BIGNUM *k = BN_secure_new();
    if (!k)
        return NULL;
    if (fixed) {
        if (!BN_bin2bn(v, (int)vlen, k) || BN_is_zero(k) || BN_cmp(k, order) >= 0)
            goto fail;
        return k;
    }
    do {
        if (BN_priv_rand_range_ex(k, order, 0, NULL) != 1)
            goto fail;
    } while (BN_is_zero(k));
    return k;
fail:
    BN_clear_free(k);
    return NULL;
}

static size_t point_encode(const EC_GROUP *group, const EC_POINT *p, uint8_t *out, size_t size)
{
    return EC_POINT_point2oct(group, p, POINT_CONVERSION_UNCOMPRESSED, out, size, NULL);
}

uint16_t sim_pace_set_at(sim_pace *pace, const dxp_host *host, const sim_chip *chip,
                         const uint8_t *data, size_t len)
{
    const uint8_t *oid = NULL, *pw = NULL, *pid = NULL, *v;
    size_t oid_len = 0, pw_len = 0, pid_len = 0, vlen, pos = 0;
    const sim_chip_pace *info = NULL;
    uint32_t tag;
    const uint8_t *secret;
    size_t secret_len;

    sim_pace_reset(pace);
    while (pos < len) {
        if (!sim_tlv_next(data, len, &pos, &tag, &v, &vlen))
            return 0x6A80;
        switch (tag) {
        case 0x80: oid = v; oid_len = vlen; break;
        case 0x83: pw = v; pw_len = vlen; break;
        case 0x84: pid = v; pid_len = vlen; break;
        case 0x7F4C: case 0x67: case 0x91: break; /* CHAT, auxiliary data, ephemeral key */
        default: return 0x6A80;
        }
    }
    if (!oid || !pw || pw_len != 1 || (pid && pid_len != 1))
        return 0x6A80;
    for (size_t i = 0; i < chip->n_pace && !info; i++)
        if (chip->pace[i].oid_len == oid_len && memcmp(chip->pace[i].oid, oid, oid_len) == 0 &&
            (!pid || chip->pace[i].param_id == pid[0]))
            info = &chip->pace[i];
    if (!info) {
        dxp_log(host, DXP_LOG_DEBUG, "PACE: MSE:Set AT names a protocol or parameters the chip "
                "does not offer");
        return 0x6A80;
    }
    if (!info->supported) {
        dxp_log(host, DXP_LOG_INFO, "PACE: the chip lists parameter id %d with a mapping the "
                "simulated chip does not implement", info->param_id);
        return 0x6A80;
    }
    /* 9303-11 §4.4.3.1: K = SHA-1(MRZ information) or the CAN */
    if (pw[0] == 0x01) {
        secret = chip->mrz_key;
        secret_len = sizeof chip->mrz_key;
    } else if (pw[0] == 0x02 && chip->can[0]) {
        secret = (const uint8_t *)chip->can;
        secret_len = strlen(chip->can);
    } else {
        return 0x6A88; /* PIN, PUK or no CAN: reference data not found */
    }
    if (!sim_cc_kdf(info->alg, info->key_len, secret, secret_len, 3, pace->kpi))
        return 0x6F00;
    if (!(pace->group = EC_GROUP_new_by_curve_name(info->curve_nid)))
        return 0x6F00;
    pace->info = info;
    pace->step = 1;
    return 0x9000;
}

/* The one data object of a step's dynamic authentication data (7C). */
static bool ga_object(const uint8_t *data, size_t len, uint32_t want, const uint8_t **v,
                      size_t *vlen)
{
    size_t pos = 0, ipos = 0;
    uint32_t tag;
    const uint8_t *c;
    size_t clen;

    if (!sim_tlv_next(data, len, &pos, &tag, &c, &clen) || tag != 0x7C || pos != len)
        return false;
    if (want == 0) { /* step 1: empty */
        *v = c;
        *vlen = clen;
        return clen == 0;
    }
    return sim_tlv_next(c, clen, &ipos, &tag, v, vlen) && tag == want && ipos == clen;
}

/* Writes 7C { tag value } into out. */
static size_t ga_response(uint32_t tag, const uint8_t *v, size_t vlen, uint8_t *out)
{
    uint8_t h[6];
    size_t hl = sim_tlv_header(h, tag, vlen), n;
    n = sim_tlv_header(out, 0x7C, hl + vlen);
    memcpy(out + n, h, hl);
    memcpy(out + n + hl, v, vlen);
    return n + hl + vlen;
}

uint16_t sim_pace_general_authenticate(sim_pace *pace, const dxp_host *host, const sim_chip *chip,
                                       const uint8_t *data, size_t len, uint8_t *out,
                                       size_t *out_len, bool *done, sim_sm *sm_next)
{
    const sim_chip_pace *info = pace->info;
    const uint8_t *v;
    size_t vlen;
    uint16_t sw = 0x6A80;
    EC_POINT *peer = NULL, *mine = NULL, *h = NULL;
    BIGNUM *sk = NULL, *s = NULL;
    uint8_t buf[300], mac[8];
    size_t n;

    *out_len = 0;
    *done = false;
    switch (pace->step) {
    case 1: { /* encrypted nonce */
        size_t bs = sim_cc_block(info->alg);
        if (!ga_object(data, len, 0, &v, &vlen))
            goto abort;
        pace->s_len = bs;
        if (chip->test.pace_nonce) {
            if (chip->test.pace_nonce_len != bs) {
                dxp_log(host, DXP_LOG_ERROR, "PACE: test.pace_nonce has %zu bytes, the cipher "
                        "wants %zu", chip->test.pace_nonce_len, bs);
                sw = 0x6F00;
                goto abort;
            }
            memcpy(pace->s, chip->test.pace_nonce_v, bs);
        } else if (!sim_cc_random(pace->s, bs)) {
            sw = 0x6F00;
            goto abort;
        }
        if (!sim_cc_cbc(info->alg, pace->kpi, info->key_len, NULL, true, pace->s, bs, buf)) {
            sw = 0x6F00;
            goto abort;
        }
        *out_len = ga_response(0x80, buf, bs, out);
        pace->step = 2;
        return 0x9000;
    }
    case 2: { /* generic mapping: G^ = s*G + sk_map*PK_map,IFD */
        const EC_GROUP *g = pace->group;
        if (!ga_object(data, len, 0x81, &v, &vlen) || !(peer = sim_ec_point_decode(g, v, vlen)))
            goto abort;
        if (!(sk = pace_scalar(g, chip->test.pace_map_sk, chip->test.pace_map_sk_v,
                               chip->test.pace_map_sk_len)) ||
            !(mine = EC_POINT_new(g)) || !(h = EC_POINT_new(g)) ||
            !(pace->g_hat = EC_POINT_new(g)) || !(s = BN_bin2bn(pace->s, (int)pace->s_len, NULL)) ||
            EC_POINT_mul(g, mine, sk, NULL, NULL, NULL) != 1 ||
            EC_POINT_mul(g, h, NULL, peer, sk, NULL) != 1 ||
            EC_POINT_mul(g, pace->g_hat, s, h, BN_value_one(), NULL) != 1 ||
            !(n = point_encode(g, mine, buf, sizeof buf))) {
            sw = 0x6F00;
            goto abort;
        }
        if (EC_POINT_is_at_infinity(g, pace->g_hat))
            goto abort; /* a mapping point made to cancel s*G */
        OPENSSL_cleanse(pace->s, sizeof pace->s);
        *out_len = ga_response(0x82, buf, n, out);
        pace->step = 3;
        sw = 0x9000;
        break;
    }
    case 3: { /* key agreement on G^ */
        const EC_GROUP *g = pace->group;
        uint8_t k[80];
        size_t klen = 0;
        if (!ga_object(data, len, 0x83, &v, &vlen) || !(peer = sim_ec_point_decode(g, v, vlen)) ||
            vlen > sizeof pace->pk_ifd)
            goto abort;
        if (!(sk = pace_scalar(g, chip->test.pace_eph_sk, chip->test.pace_eph_sk_v,
                               chip->test.pace_eph_sk_len)) ||
            !(mine = EC_POINT_new(g)) ||
            EC_POINT_mul(g, mine, NULL, pace->g_hat, sk, NULL) != 1 ||
            !(n = point_encode(g, mine, pace->pk_ic, sizeof pace->pk_ic))) {
            sw = 0x6F00;
            goto abort;
        }
        /* TR-03110-2 §3.2: the chip checks that the terminal's key differs */
        if (n == vlen && memcmp(pace->pk_ic, v, n) == 0)
            goto abort;
        memcpy(pace->pk_ifd, v, vlen);
        pace->pk_len = n;
        if (!sim_ec_shared_x(g, sk, peer, k, &klen) ||
            !sim_cc_kdf(info->alg, info->key_len, k, klen, 1, pace->kenc) ||
            !sim_cc_kdf(info->alg, info->key_len, k, klen, 2, pace->kmac)) {
            OPENSSL_cleanse(k, sizeof k);
            sw = 0x6F00;
            goto abort;
        }
        OPENSSL_cleanse(k, sizeof k);
        *out_len = ga_response(0x84, pace->pk_ic, n, out);
        pace->step = 4;
        sw = 0x9000;
        break;
    }
    case 4: { /* mutual authentication tokens */
        uint8_t zero_ssc[16] = {0};
        if (!ga_object(data, len, 0x85, &v, &vlen) || vlen != 8)
            goto abort;
        n = sim_pace_pubkey_do(info->oid, info->oid_len, pace->pk_ic, pace->pk_len, buf,
                               sizeof buf);
        if (!n || !(n = info->alg == SIM_CIPHER_3DES ? sim_cc_pad(buf, n, 8) : n) ||
            !sim_cc_mac(info->alg, pace->kmac, info->key_len, buf, n, mac)) {
            sw = 0x6F00;
            goto abort;
        }
        if (CRYPTO_memcmp(mac, v, 8) != 0) {
            dxp_log(host, DXP_LOG_DEBUG, "PACE: the terminal's token does not verify (wrong "
                    "password?)");
            sw = 0x6300;
            goto abort;
        }
        n = sim_pace_pubkey_do(info->oid, info->oid_len, pace->pk_ifd, pace->pk_len, buf,
                               sizeof buf);
        if (!n || !(n = info->alg == SIM_CIPHER_3DES ? sim_cc_pad(buf, n, 8) : n) ||
            !sim_cc_mac(info->alg, pace->kmac, info->key_len, buf, n, mac)) {
            sw = 0x6F00;
            goto abort;
        }
        *out_len = ga_response(0x86, mac, 8, out);
        sim_sm_start(sm_next, info->alg, pace->kenc, pace->kmac, info->key_len, zero_ssc);
        *done = true;
        sim_pace_reset(pace);
        OPENSSL_cleanse(mac, sizeof mac);
        return 0x9000;
    }
    default:
        return 0x6985; /* no MSE:Set AT before */
    }
    EC_POINT_free(peer);
    EC_POINT_clear_free(mine);
    EC_POINT_clear_free(h);
    BN_clear_free(sk);
    BN_clear_free(s);
    return sw;

abort:
    EC_POINT_free(peer);
    EC_POINT_clear_free(mine);
    EC_POINT_clear_free(h);
    BN_clear_free(sk);
    BN_clear_free(s);
    OPENSSL_cleanse(mac, sizeof mac);
    sim_pace_reset(pace);
    *out_len = 0;
    return sw;
}
