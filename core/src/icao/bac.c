/* Basic Access Control, terminal side: ICAO 9303 Part 11 §4.3, Appendix D. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "docex/mrz.h"
#include "icao/bac.h"

static bool mrz_chars(const char *s, bool digits_only)
{
    for (; *s; s++) {
        bool ok = (*s >= '0' && *s <= '9') || *s == '<' ||
                  (!digits_only && *s >= 'A' && *s <= 'Z');
        if (!ok)
            return false;
    }
    return true;
}

/* 9303 Part 11 §9.7.2 (Appendix D.2) */
dx_status dx_bac_mrz_info(const char *document_number, const char *birth_date,
                          const char *expiry_date, char out[DX_BAC_MRZ_INFO_MAX],
                          dx_error *err)
{
    char doc[DX_BAC_MRZ_INFO_MAX];
    size_t n;

    if (!document_number || !birth_date || !expiry_date)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "BAC keys: document number and dates are "
                            "needed");
    n = strlen(document_number);
    if (n == 0 || n > DX_BAC_MRZ_INFO_MAX - 1 - 1 - 14 || !mrz_chars(document_number, false))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "BAC keys: document number \"%.40s\" is "
                            "not 1-%d characters of the MRZ alphabet", document_number,
                            DX_BAC_MRZ_INFO_MAX - 16);
    if (strlen(birth_date) != 6 || !mrz_chars(birth_date, true))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "BAC keys: date of birth \"%.10s\" is not "
                            "YYMMDD", birth_date);
    if (strlen(expiry_date) != 6 || !mrz_chars(expiry_date, true))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "BAC keys: date of expiry \"%.10s\" is "
                            "not YYMMDD", expiry_date);
    /* the document number field is at least 9 characters, '<' filled; each
     * part is followed by its check digit (9303 Part 3 §4.9) */
    memcpy(doc, document_number, n);
    for (; n < 9; n++)
        doc[n] = '<';
    memcpy(out, doc, n);
    out[n] = (char)('0' + dx_mrz_check_digit(doc, n));
    n++;
    memcpy(out + n, birth_date, 6);
    n += 6;
    out[n++] = (char)('0' + dx_mrz_check_digit(birth_date, 6));
    memcpy(out + n, expiry_date, 6);
    n += 6;
    out[n++] = (char)('0' + dx_mrz_check_digit(expiry_date, 6));
    out[n] = '\0';
    return DX_OK;
}

/* Appendix D.2 */
dx_status dx_bac_derive_keys(const char *mrz_info, dx_bac_keys *out, dx_error *err)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    dx_status st;

    if (!mrz_info || !*mrz_info)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "BAC keys: empty MRZ information");
    if (EVP_Digest(mrz_info, strlen(mrz_info), md, &md_len, EVP_sha1(), NULL) != 1) {
        st = dx_error_set(err, DX_ERR_INTERNAL, "BAC keys: SHA-1 failed");
        goto fail;
    }
    memcpy(out->k_seed, md, 16);
    st = dx_chip_kdf(DX_CHIP_3DES, out->k_seed, 16, 1, out->k_enc, err);
    if (st == DX_OK)
        st = dx_chip_kdf(DX_CHIP_3DES, out->k_seed, 16, 2, out->k_mac, err);
fail:
    dx_chip_cleanse(md, sizeof md);
    if (st != DX_OK)
        dx_chip_cleanse(out, sizeof *out);
    return st;
}

/* Appendix D.3 step 1 */
dx_status dx_bac_get_challenge(const dx_apdu_transport *t, uint8_t rnd_ic[8], dx_error *err)
{
    uint8_t rsp[64];
    dx_rapdu r;
    const dx_apdu cmd = {.cla = 0x00, .ins = 0x84, .p1 = 0x00, .p2 = 0x00, .ne = 8};
    dx_status st = dx_apdu_transmit(t, &cmd, rsp, sizeof rsp, &r, err);

    if (st != DX_OK)
        return st;
    if (r.sw != DX_SW_OK)
        return dx_error_set(err, DX_ERR_PROTOCOL, "BAC: GET CHALLENGE answered %04X (%s)",
                            r.sw, dx_apdu_sw_str(r.sw));
    if (r.len != 8)
        return dx_error_set(err, DX_ERR_PROTOCOL, "BAC: GET CHALLENGE gave %zu bytes (8 "
                            "expected)", r.len);
    memcpy(rnd_ic, r.data, 8);
    return DX_OK;
}

/* Appendix D.3 steps 2-4 */
dx_status dx_bac_authenticate_ifd(const dx_bac_keys *k, const uint8_t rnd_ifd[8],
                                  const uint8_t rnd_ic[8], const uint8_t k_ifd[16],
                                  uint8_t e_ifd[32], uint8_t m_ifd[8], dx_error *err)
{
    uint8_t s[32];
    dx_status st;

    memcpy(s, rnd_ifd, 8);
    memcpy(s + 8, rnd_ic, 8);
    memcpy(s + 16, k_ifd, 16);
    st = dx_chip_encrypt(DX_CHIP_3DES, k->k_enc, NULL, s, sizeof s, e_ifd, err);
    if (st == DX_OK)
        st = dx_chip_mac(DX_CHIP_3DES, k->k_mac, e_ifd, 32, true, m_ifd, err);
    dx_chip_cleanse(s, sizeof s);
    return st;
}

/* Appendix D.3 steps 6-7 */
dx_status dx_bac_verify_ic(const dx_bac_keys *k, const uint8_t rnd_ifd[8],
                           const uint8_t rnd_ic[8], const uint8_t *rsp, size_t n,
                           uint8_t k_ic[16], uint8_t r[32], dx_error *err)
{
    uint8_t mac[DX_CHIP_MAC_LEN], dec[32];
    dx_status st;

    if (n != 40)
        return dx_error_set(err, DX_ERR_PROTOCOL, "BAC: MUTUAL AUTHENTICATE gave %zu bytes "
                            "(40 expected)", n);
    st = dx_chip_mac(DX_CHIP_3DES, k->k_mac, rsp, 32, true, mac, err);
    if (st != DX_OK)
        goto fail;
    if (!dx_chip_equal(mac, rsp + 32, 8)) {
        st = dx_error_set(err, DX_ERR_PROTOCOL, "BAC: the chip's MAC M_IC does not verify");
        goto fail;
    }
    st = dx_chip_decrypt(DX_CHIP_3DES, k->k_enc, NULL, rsp, 32, dec, err);
    if (st != DX_OK)
        goto fail;
    /* R = RND.IC || RND.IFD || K.IC */
    if (!dx_chip_equal(dec, rnd_ic, 8) || !dx_chip_equal(dec + 8, rnd_ifd, 8)) {
        st = dx_error_set(err, DX_ERR_PROTOCOL, "BAC: the chip's answer does not hold our "
                          "challenges (RND.IC / RND.IFD)");
        goto fail;
    }
    memcpy(k_ic, dec + 16, 16);
    if (r)
        memcpy(r, dec, 32);
fail:
    dx_chip_cleanse(dec, sizeof dec);
    return st;
}

/* Appendix D.3 step 8, D.4 */
dx_status dx_bac_session_keys(const uint8_t k_ifd[16], const uint8_t k_ic[16],
                              const uint8_t rnd_ic[8], const uint8_t rnd_ifd[8],
                              uint8_t ks_enc[16], uint8_t ks_mac[16], uint8_t ssc[8],
                              uint8_t ks_seed[16], dx_error *err)
{
    uint8_t seed[16], key[DX_CHIP_MAX_KEY];
    dx_status st;

    for (int i = 0; i < 16; i++)
        seed[i] = k_ifd[i] ^ k_ic[i];
    st = dx_chip_kdf(DX_CHIP_3DES, seed, 16, 1, key, err);
    if (st != DX_OK)
        goto fail;
    memcpy(ks_enc, key, 16);
    st = dx_chip_kdf(DX_CHIP_3DES, seed, 16, 2, key, err);
    if (st != DX_OK)
        goto fail;
    memcpy(ks_mac, key, 16);
    memcpy(ssc, rnd_ic + 4, 4);
    memcpy(ssc + 4, rnd_ifd + 4, 4);
    if (ks_seed)
        memcpy(ks_seed, seed, 16);
fail:
    dx_chip_cleanse(seed, sizeof seed);
    dx_chip_cleanse(key, sizeof key);
    return st;
}

/* 9303 Part 11 §4.3 */
dx_status dx_bac_run(const dx_apdu_transport *t, const dx_bac_keys *keys,
                     const dx_bac_rand *rand, dx_sm_session **out, dx_bac_trace *trace,
                     dx_error *err)
{
    dx_bac_trace v;
    uint8_t data[40], rsp[64];
    dx_apdu cmd = {.cla = 0x00, .ins = 0x82, .p1 = 0x00, .p2 = 0x00, .data = data,
                   .nc = sizeof data, .ne = 40};
    dx_rapdu r;
    dx_status st;

    *out = NULL;
    memset(&v, 0, sizeof v);
    st = dx_bac_get_challenge(t, v.rnd_ic, err);
    if (st != DX_OK)
        goto fail;
    if (rand && rand->rnd_ifd)
        memcpy(v.rnd_ifd, rand->rnd_ifd, 8);
    else if ((st = dx_chip_random(v.rnd_ifd, 8, err)) != DX_OK)
        goto fail;
    if (rand && rand->k_ifd)
        memcpy(v.k_ifd, rand->k_ifd, 16);
    else if ((st = dx_chip_random(v.k_ifd, 16, err)) != DX_OK)
        goto fail;
    st = dx_bac_authenticate_ifd(keys, v.rnd_ifd, v.rnd_ic, v.k_ifd, v.e_ifd, v.m_ifd, err);
    if (st != DX_OK)
        goto fail;
    /* Appendix D.3 step 5: MUTUAL AUTHENTICATE with E_IFD || M_IFD */
    memcpy(data, v.e_ifd, 32);
    memcpy(data + 32, v.m_ifd, 8);
    st = dx_apdu_transmit(t, &cmd, rsp, sizeof rsp, &r, err);
    if (st != DX_OK)
        goto fail;
    if (r.sw != DX_SW_OK) {
        bool refused = r.sw == DX_SW_AUTH_FAILED || r.sw == DX_SW_SECURITY_NOT_SATISFIED ||
                       r.sw == DX_SW_SM_INCORRECT || r.sw == DX_SW_SM_MISSING;
        st = dx_error_set(err, refused ? DX_ERR_ACCESS_DENIED : DX_ERR_PROTOCOL,
                          "BAC: MUTUAL AUTHENTICATE answered %04X (%s)%s",
                          r.sw, dx_apdu_sw_str(r.sw),
                          refused ? ": the chip refused the keys, so the MRZ data (document "
                                    "number, dates) does not match this chip" : "");
        goto fail;
    }
    st = dx_bac_verify_ic(keys, v.rnd_ifd, v.rnd_ic, r.data, r.len, v.k_ic, v.r, err);
    if (st != DX_OK)
        goto fail;
    st = dx_bac_session_keys(v.k_ifd, v.k_ic, v.rnd_ic, v.rnd_ifd, v.ks_enc, v.ks_mac, v.ssc,
                             v.k_seed, err);
    if (st != DX_OK)
        goto fail;
    st = dx_sm_session_new(DX_CHIP_3DES, v.ks_enc, v.ks_mac, v.ssc, out, err);
    if (st == DX_OK)
        dx_log(DX_CAT_CHIP, DX_LOG_DEBUG, "BAC: mutual authentication done, 3DES secure "
               "messaging");
fail:
    if (trace)
        *trace = v;
    dx_chip_cleanse(&v, sizeof v);
    dx_chip_cleanse(data, sizeof data);
    dx_chip_cleanse(rsp, sizeof rsp);
    return st;
}
