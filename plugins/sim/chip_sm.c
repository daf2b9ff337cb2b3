/* sim chip — secure messaging, card side (ICAO 9303 Part 11 §9.8, ISO/IEC
 * 7816-4 §10): unwrap protected commands, wrap responses.
 *
 * A command carries DO'87' (padding indicator 01 and the cryptogram; DO'85',
 * the cryptogram alone, for an odd INS), DO'97' (Le) and DO'8E' (the MAC over
 * SSC || padded header || DO'87'/DO'85' || DO'97', padded).  The response
 * carries DO'87'/DO'85', DO'99' (the status word) and DO'8E'.  3DES uses a
 * zero IV and an 8-byte SSC; AES the IV E(KSenc, SSC) and a 16-byte SSC. */
#include "chip.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void sim_sm_start(sim_sm *sm, sim_cipher alg, const uint8_t *kenc, const uint8_t *kmac,
                  size_t key_len, const uint8_t *ssc)
{
    sim_sm_end(sm);
    sm->active = true;
    sm->alg = alg;
    sm->key_len = key_len;
    memcpy(sm->kenc, kenc, key_len);
    memcpy(sm->kmac, kmac, key_len);
    memcpy(sm->ssc, ssc, sim_cc_block(alg));
}

void sim_sm_end(sim_sm *sm)
{
    OPENSSL_cleanse(sm, sizeof *sm);
    sm->active = false;
}

static void ssc_increment(sim_sm *sm)
{
    size_t n = sim_cc_block(sm->alg);
    for (size_t i = n; i-- > 0;)
        if (++sm->ssc[i] != 0)
            break;
}

/* The IV for this SSC: zeros (3DES) or E(KSenc, SSC) (AES, 9303-11 §9.8.6.1). */
static bool sm_iv(const sim_sm *sm, uint8_t iv[16])
{
    if (sm->alg == SIM_CIPHER_3DES) {
        memset(iv, 0, 8);
        return true;
    }
    return sim_cc_cbc(SIM_CIPHER_AES, sm->kenc, sm->key_len, NULL, true, sm->ssc, 16, iv);
}

/* MAC over pad(SSC || m) into mac. */
static bool sm_mac(const sim_sm *sm, const uint8_t *m, size_t len, uint8_t mac[8])
{
    size_t bs = sim_cc_block(sm->alg), n;
    uint8_t *buf = malloc(bs + len + bs);
    bool ok;
    if (!buf)
        return false;
    memcpy(buf, sm->ssc, bs);
    memcpy(buf + bs, m, len);
    n = sim_cc_pad(buf, bs + len, bs);
    ok = sim_cc_mac(sm->alg, sm->kmac, sm->key_len, buf, n, mac);
    free(buf);
    return ok;
}

uint16_t sim_sm_unwrap(sim_sm *sm, const sim_apdu *outer, uint8_t *plain, sim_apdu *inner)
{
    size_t bs = sim_cc_block(sm->alg), pos = 0, mlen = 0, vlen, n;
    const uint8_t *v, *do_crypt = NULL, *do_le = NULL, *do_mac = NULL;
    size_t crypt_len = 0, le_len = 0, crypt_tlv_start = 0, crypt_tlv_end = 0, le_tlv_start = 0,
           le_tlv_end = 0;
    uint32_t tag;
    uint8_t mac[8], iv[16];
    uint8_t *m = NULL;
    uint16_t sw = 0x6988;
    bool odd = outer->ins & 1;

    if (!sm->active)
        return 0x6988;
    ssc_increment(sm);
    /* DO'87'|DO'85', DO'97', DO'8E', in this order, each at most once */
    while (pos < outer->nc) {
        size_t start = pos;
        if (!sim_tlv_next(outer->data, outer->nc, &pos, &tag, &v, &vlen))
            return 0x6988;
        if (do_mac)
            return 0x6988; /* nothing may follow the MAC */
        if ((tag == 0x87 && !odd) || (tag == 0x85 && odd)) {
            if (do_crypt || do_le)
                return 0x6988;
            do_crypt = v;
            crypt_len = vlen;
            crypt_tlv_start = start;
            crypt_tlv_end = pos;
        } else if (tag == 0x97) {
            if (do_le)
                return 0x6988;
            do_le = v;
            le_len = vlen;
            le_tlv_start = start;
            le_tlv_end = pos;
        } else if (tag == 0x8E) {
            if (vlen != 8)
                return 0x6988;
            do_mac = v;
        } else {
            return 0x6988;
        }
    }
    if (!do_mac)
        return 0x6987;

    /* M = pad(header) || DO'87' || DO'97' */
    n = (crypt_tlv_end - crypt_tlv_start) + (le_tlv_end - le_tlv_start);
    if (!(m = malloc(bs + n)))
        return 0x6988;
    m[0] = outer->cla;
    m[1] = outer->ins;
    m[2] = outer->p1;
    m[3] = outer->p2;
    mlen = sim_cc_pad(m, 4, bs);
    if (do_crypt) {
        memcpy(m + mlen, outer->data + crypt_tlv_start, crypt_tlv_end - crypt_tlv_start);
        mlen += crypt_tlv_end - crypt_tlv_start;
    }
    if (do_le) {
        memcpy(m + mlen, outer->data + le_tlv_start, le_tlv_end - le_tlv_start);
        mlen += le_tlv_end - le_tlv_start;
    }
    if (!sm_mac(sm, m, mlen, mac) || CRYPTO_memcmp(mac, do_mac, 8) != 0)
        goto done;

    memset(inner, 0, sizeof *inner);
    inner->cla = (uint8_t)(outer->cla & ~0x0Cu);
    inner->ins = outer->ins;
    inner->p1 = outer->p1;
    inner->p2 = outer->p2;
    inner->extended = outer->extended;
    inner->data = plain;
    if (do_le) {
        if (le_len == 1)
            inner->ne = do_le[0] ? do_le[0] : 256;
        else if (le_len == 2)
            inner->ne = (do_le[0] << 8 | do_le[1]) ? (size_t)(do_le[0] << 8 | do_le[1]) : 65536;
        else
            goto done;
    }
    if (do_crypt) {
        const uint8_t *c = do_crypt;
        size_t clen = crypt_len;
        if (!odd) { /* padding-content indicator 01 */
            if (clen < 1 || c[0] != 0x01)
                goto done;
            c++;
            clen--;
        }
        if (clen == 0 || clen % bs || clen > SIM_APDU_MAX)
            goto done;
        if (!sm_iv(sm, iv) ||
            !sim_cc_cbc(sm->alg, sm->kenc, sm->key_len, iv, false, c, clen, plain))
            goto done;
        if ((n = sim_cc_unpad(plain, clen, bs)) == SIZE_MAX)
            goto done;
        inner->nc = n;
    }
    sw = 0x9000;
done:
    free(m);
    OPENSSL_cleanse(mac, sizeof mac);
    return sw;
}

size_t sim_sm_wrap(sim_sm *sm, uint8_t ins, const uint8_t *data, size_t len, uint16_t sw,
                   uint8_t *out)
{
    size_t bs = sim_cc_block(sm->alg), pos = 0, plen;
    uint8_t iv[16], mac[8];
    uint8_t *padded = NULL;
    bool odd = ins & 1;

    ssc_increment(sm);
    if (len > 65536)
        return 0;
    if (len) {
        if (!(padded = malloc(len + bs)))
            return 0;
        memcpy(padded, data, len);
        plen = sim_cc_pad(padded, len, bs);
        pos = sim_tlv_header(out, odd ? 0x85 : 0x87, plen + (odd ? 0 : 1));
        if (!odd)
            out[pos++] = 0x01;
        if (!sm_iv(sm, iv) ||
            !sim_cc_cbc(sm->alg, sm->kenc, sm->key_len, iv, true, padded, plen, out + pos)) {
            OPENSSL_clear_free(padded, len + bs);
            return 0;
        }
        OPENSSL_clear_free(padded, len + bs);
        pos += plen;
    }
    out[pos++] = 0x99;
    out[pos++] = 0x02;
    out[pos++] = (uint8_t)(sw >> 8);
    out[pos++] = (uint8_t)sw;
    if (!sm_mac(sm, out, pos, mac))
        return 0;
    out[pos++] = 0x8E;
    out[pos++] = 0x08;
    memcpy(out + pos, mac, 8);
    pos += 8;
    out[pos++] = (uint8_t)(sw >> 8);
    out[pos++] = (uint8_t)sw;
    return pos;
}
