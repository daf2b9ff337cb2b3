/* PACE, terminal side: ICAO 9303 Part 11 §4.4, Appendix G.1. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "icao/pace.h"
#include "icao/tlv.h"

static const uint8_t id_pace[DX_PACE_OID_PREFIX_LEN] = {0x04, 0x00, 0x7F, 0x00,
                                                         0x07, 0x02, 0x02, 0x04};

/* The two last arcs of a PACE protocol OID (9303 Part 11 §9.2). */
static void classify(dx_pace_info *info)
{
    uint8_t map = info->oid[8], ciph = info->oid[9];
    const char *pname;

    info->supported = false;
    info->ka = 0;
    switch (map) {
    case 1: info->ka = DX_CHIP_KA_DH; info->mapping = DX_PACE_GM; break;
    case 2: info->ka = DX_CHIP_KA_ECDH; info->mapping = DX_PACE_GM; break;
    case 3: info->ka = DX_CHIP_KA_DH; info->mapping = DX_PACE_IM; break;
    case 4: info->ka = DX_CHIP_KA_ECDH; info->mapping = DX_PACE_IM; break;
    case 6: info->ka = DX_CHIP_KA_ECDH; info->mapping = DX_PACE_CAM; break;
    default:
        snprintf(info->why, sizeof info->why, "unknown PACE mapping arc %u", map);
        return;
    }
    info->cipher = ciph >= 1 && ciph <= 4 ? (dx_chip_cipher)ciph : 0;
    if (!info->cipher) {
        snprintf(info->why, sizeof info->why, "unknown PACE cipher arc %u", ciph);
        return;
    }
    if (info->version != 2) {
        snprintf(info->why, sizeof info->why, "PACE version %u (2 expected)",
                 (unsigned)info->version);
        return;
    }
    if (info->mapping != DX_PACE_GM) {
        snprintf(info->why, sizeof info->why, "%s is not implemented",
                 info->mapping == DX_PACE_IM ? "integrated mapping" : "chip authentication "
                                                                     "mapping");
        return;
    }
    if (info->parameter_id < 0) {
        snprintf(info->why, sizeof info->why, "no parameterId (proprietary domain parameters "
                 "are not supported)");
        return;
    }
    pname = dx_chip_param_name((uint32_t)info->parameter_id);
    if (!pname) {
        snprintf(info->why, sizeof info->why, "parameterId %d is reserved or unknown",
                 (int)info->parameter_id);
        return;
    }
    if ((info->ka == DX_CHIP_KA_DH) != (info->parameter_id <= 2)) {
        snprintf(info->why, sizeof info->why, "parameterId %d (%s) does not suit %s",
                 (int)info->parameter_id, pname, info->ka == DX_CHIP_KA_DH ? "DH" : "ECDH");
        return;
    }
    info->why[0] = '\0';
    info->supported = true;
}

/* PACEInfo ::= SEQUENCE { protocol OID, version INTEGER, parameterId INTEGER OPTIONAL } */
static dx_status parse_pace_info(dx_tlv_reader *r, const dx_tlv *oid, dx_pace_info *info,
                                 dx_error *err)
{
    dx_tlv t;
    uint32_t v;
    dx_status st;

    memset(info, 0, sizeof *info);
    memcpy(info->oid, oid->value, DX_PACE_OID_LEN);
    info->parameter_id = -1;
    st = dx_tlv_read_expect(r, 0x02, &t, err);
    if (st == DX_OK)
        st = dx_tlv_get_uint(&t, &info->version, "EF.CardAccess: PACEInfo version", err);
    if (st != DX_OK)
        return st;
    if (!dx_tlv_reader_done(r)) {
        st = dx_tlv_read(r, &t, err);
        if (st != DX_OK)
            return st;
        if (t.tag == 0x02) {
            st = dx_tlv_get_uint(&t, &v, "EF.CardAccess: PACEInfo parameterId", err);
            if (st != DX_OK)
                return st;
            info->parameter_id = v > 0x7FFFFFFF ? 0x7FFFFFFF : (int32_t)v;
        }
    }
    classify(info);
    return DX_OK;
}

/* 9303 Part 11 §9.2 */
dx_status dx_pace_parse_card_access(const uint8_t *buf, size_t n, dx_card_access *out,
                                    dx_error *err)
{
    dx_tlv_reader r, infos;
    dx_tlv set;
    dx_status st;

    memset(out, 0, sizeof *out);
    dx_tlv_reader_init(&r, buf, n, "EF.CardAccess");
    st = dx_tlv_read_expect(&r, 0x31, &set, err);
    if (st != DX_OK)
        return st;
    dx_tlv_reader_enter(&infos, &r, &set, "EF.CardAccess");
    while (!dx_tlv_reader_done(&infos)) {
        dx_tlv seq, oid;
        dx_tlv_reader fields;
        st = dx_tlv_read(&infos, &seq, err);
        if (st != DX_OK)
            return st;
        if (seq.tag != 0x30)
            return dx_error_set(err, DX_ERR_DATA, "EF.CardAccess: offset %zu: SecurityInfo "
                                "with tag %X (SEQUENCE 30 expected)", seq.offset,
                                (unsigned)seq.tag);
        dx_tlv_reader_enter(&fields, &infos, &seq, "EF.CardAccess");
        st = dx_tlv_read_expect(&fields, 0x06, &oid, err);
        if (st != DX_OK)
            return st;
        if (oid.len != DX_PACE_OID_LEN || memcmp(oid.value, id_pace, sizeof id_pace) != 0) {
            out->n_other++;
            continue;
        }
        if (out->n_pace == DX_PACE_MAX_INFOS)
            return dx_error_set(err, DX_ERR_DATA, "EF.CardAccess: more than %d PACEInfos",
                                DX_PACE_MAX_INFOS);
        st = parse_pace_info(&fields, &oid, &out->pace[out->n_pace], err);
        if (st != DX_OK)
            return st;
        out->n_pace++;
    }
    /* several sets of parameters for one protocol: MSE:Set AT must name one */
    for (size_t i = 0; i < out->n_pace; i++)
        for (size_t j = 0; j < out->n_pace; j++)
            if (i != j && memcmp(out->pace[i].oid, out->pace[j].oid, DX_PACE_OID_LEN) == 0)
                out->pace[i].need_parameter_ref = true;
    return DX_OK;
}

const char *dx_pace_info_describe(const dx_pace_info *info, char *buf, size_t cap)
{
    const char *ka = info->ka == DX_CHIP_KA_DH ? "DH" : info->ka == DX_CHIP_KA_ECDH ? "ECDH"
                                                                                   : "?";
    const char *map = info->mapping == DX_PACE_GM ? "GM" : info->mapping == DX_PACE_IM ? "IM"
                      : info->mapping == DX_PACE_CAM ? "CAM" : "?";
    const char *pname = info->parameter_id >= 0 ? dx_chip_param_name((uint32_t)info->parameter_id)
                                                : NULL;
    snprintf(buf, cap, "%s-%s-%s, %s (%d)", ka, map,
             info->cipher ? dx_chip_cipher_name(info->cipher) : "?",
             pname ? pname : "unknown parameters", (int)info->parameter_id);
    return buf;
}

dx_status dx_pace_choose(const dx_card_access *ca, dx_pace_info *out, dx_error *err)
{
    int best = -1, best_score = -1;
    char why[400] = "";
    size_t used = 0;

    for (size_t i = 0; i < ca->n_pace; i++) {
        const dx_pace_info *p = &ca->pace[i];
        int score;
        if (!p->supported) {
            char d[96];
            int k = snprintf(why + used, sizeof why - used, "%s%s: %s", used ? "; " : "",
                             dx_pace_info_describe(p, d, sizeof d), p->why);
            if (k > 0)
                used = used + (size_t)k < sizeof why ? used + (size_t)k : sizeof why - 1;
            continue;
        }
        score = (p->ka == DX_CHIP_KA_ECDH ? 100 : 0) + 10 * (int)p->cipher;
        if (score > best_score) {
            best = (int)i;
            best_score = score;
        }
    }
    if (best < 0) {
        if (ca->n_pace == 0)
            return dx_error_set(err, DX_ERR_UNSUPPORTED, "PACE: EF.CardAccess offers no "
                                "PACEInfo");
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "PACE: no offered protocol can be run "
                            "(%s)", why);
    }
    *out = ca->pace[best];
    return DX_OK;
}

/* 9303 Part 11 §9.7.3 */
dx_status dx_pace_derive_kpi(const dx_pace_password *pw, dx_chip_cipher c, uint8_t *k_pi,
                             dx_error *err)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    const uint8_t *f;
    size_t f_len;
    dx_status st;

    if (!pw || !pw->value || !*pw->value)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "PACE: no password");
    for (const char *p = pw->value; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7E)
            return dx_error_set(err, DX_ERR_INVALID_ARG, "PACE: the password holds a "
                                "character that is not printable ASCII");
    if (pw->kind == DX_PACE_MRZ) {
        if (EVP_Digest(pw->value, strlen(pw->value), md, &md_len, EVP_sha1(), NULL) != 1) {
            st = dx_error_set(err, DX_ERR_INTERNAL, "PACE: SHA-1 failed");
            goto fail;
        }
        f = md;
        f_len = md_len;
    } else if (pw->kind >= DX_PACE_CAN && pw->kind <= DX_PACE_PUK) {
        f = (const uint8_t *)pw->value;
        f_len = strlen(pw->value);
    } else {
        return dx_error_set(err, DX_ERR_INVALID_ARG, "PACE: unknown password kind %d",
                            (int)pw->kind);
    }
    st = dx_chip_kdf(c, f, f_len, 3, k_pi, err);
fail:
    dx_chip_cleanse(md, sizeof md);
    return st;
}

/* §4.4.3.1 */
dx_status dx_pace_decrypt_nonce(dx_chip_cipher c, const uint8_t *k_pi, const uint8_t *z,
                                size_t z_len, uint8_t *s, dx_error *err)
{
    if (!dx_chip_cipher_valid(c) || z_len != dx_chip_block_len(c))
        return dx_error_set(err, DX_ERR_PROTOCOL, "PACE: encrypted nonce of %zu bytes (%zu "
                            "expected)", z_len, dx_chip_block_len(c));
    return dx_chip_decrypt(c, k_pi, NULL, z, z_len, s, err);
}

/* §9.4 */
dx_status dx_pace_pubkey_do(const dx_pace_info *info, const uint8_t *pub, size_t n,
                            uint8_t *out, size_t cap, size_t *len, dx_error *err)
{
    dx_tlv_writer w;
    size_t mark;

    dx_tlv_writer_init(&w, out, cap);
    mark = dx_tlv_begin(&w, 0x7F49);
    dx_tlv_put(&w, 0x06, info->oid, DX_PACE_OID_LEN);
    dx_tlv_put(&w, info->ka == DX_CHIP_KA_DH ? 0x84 : 0x86, pub, n);
    dx_tlv_end(&w, mark);
    return dx_tlv_writer_finish(&w, len, err);
}

/* §4.4.3.4 */
dx_status dx_pace_token(const dx_pace_info *info, const uint8_t *ks_mac, const uint8_t *pub,
                        size_t n, uint8_t token[DX_CHIP_MAC_LEN], dx_error *err)
{
    uint8_t pkdo[DX_CHIP_MAX_ELEM + 32];
    size_t len = 0;
    dx_status st = dx_pace_pubkey_do(info, pub, n, pkdo, sizeof pkdo, &len, err);
    if (st != DX_OK)
        return st;
    return dx_chip_mac(info->cipher, ks_mac, pkdo, len, info->cipher == DX_CHIP_3DES, token,
                       err);
}

/* §4.4.3.2 / §9.3: MSE:Set AT for PACE. */
static dx_status mse_set_at(const dx_apdu_transport *t, const dx_pace_info *info,
                            dx_pace_password_kind kind, dx_error *err)
{
    uint8_t data[32], rsp[64];
    size_t n = 0;
    dx_tlv_writer w;
    dx_rapdu r;
    dx_apdu cmd = {.cla = 0x00, .ins = 0x22, .p1 = 0xC1, .p2 = 0xA4, .data = data};
    dx_status st;

    dx_tlv_writer_init(&w, data, sizeof data);
    dx_tlv_put(&w, 0x80, info->oid, DX_PACE_OID_LEN);
    dx_tlv_put_byte(&w, 0x83, (uint8_t)kind);
    if (info->need_parameter_ref)
        dx_tlv_put_byte(&w, 0x84, (uint8_t)info->parameter_id);
    st = dx_tlv_writer_finish(&w, &n, err);
    if (st != DX_OK)
        return st;
    cmd.nc = n;
    st = dx_apdu_transmit(t, &cmd, rsp, sizeof rsp, &r, err);
    if (st != DX_OK)
        return st;
    if (r.sw != DX_SW_OK)
        return dx_error_set(err, DX_ERR_PROTOCOL, "PACE: MSE:Set AT answered %04X (%s)", r.sw,
                            dx_apdu_sw_str(r.sw));
    return DX_OK;
}

/* One GENERAL AUTHENTICATE step (§9.3): send 7C { in_tag in } (nothing when
 * in_tag is 0), expect 7C { ... out_tag out ... }. */
static dx_status general_authenticate(const dx_apdu_transport *t, const char *step, bool last,
                                      uint32_t in_tag, const uint8_t *in, size_t in_len,
                                      uint32_t out_tag, uint8_t *out, size_t cap,
                                      size_t *out_len, dx_error *err)
{
    uint8_t data[DX_CHIP_MAX_ELEM + 16], rsp[2 * DX_CHIP_MAX_ELEM + 64];
    size_t n = 0, mark;
    dx_tlv_writer w;
    dx_tlv dyn, obj;
    dx_rapdu r;
    dx_apdu cmd = {.cla = last ? 0x00 : 0x10, .ins = 0x86, .p1 = 0x00, .p2 = 0x00,
                   .data = data, .ne = DX_APDU_NE_MAX_SHORT};
    dx_error perr = {0};
    dx_status st;

    dx_tlv_writer_init(&w, data, sizeof data);
    mark = dx_tlv_begin(&w, 0x7C);
    if (in_tag)
        dx_tlv_put(&w, in_tag, in, in_len);
    dx_tlv_end(&w, mark);
    st = dx_tlv_writer_finish(&w, &n, err);
    if (st != DX_OK)
        return st;
    cmd.nc = n;
    st = dx_apdu_transmit(t, &cmd, rsp, sizeof rsp, &r, err);
    if (st != DX_OK)
        return st;
    if (r.sw != DX_SW_OK) {
        bool refused = (r.sw & 0xFF00) == 0x6300 || r.sw == DX_SW_SECURITY_NOT_SATISFIED;
        return dx_error_set(err, last && refused ? DX_ERR_ACCESS_DENIED : DX_ERR_PROTOCOL,
                            "PACE: GENERAL AUTHENTICATE (%s) answered "
                            "%04X (%s)%s", step, r.sw, dx_apdu_sw_str(r.sw),
                            last && refused ? ": the chip refused our token, so the password "
                                              "(MRZ data or CAN) does not match this chip" : "");
    }
    if (dx_tlv_parse_single(r.data, r.len, 0x7C, &dyn, "PACE dynamic authentication data",
                            &perr) != DX_OK ||
        dx_tlv_find(dyn.value, dyn.len, out_tag, &obj, "PACE dynamic authentication data",
                    &perr) != DX_OK)
        return dx_error_set(err, DX_ERR_PROTOCOL, "PACE: GENERAL AUTHENTICATE (%s): %s", step,
                            perr.message);
    if (obj.len > cap)
        return dx_error_set(err, DX_ERR_PROTOCOL, "PACE: GENERAL AUTHENTICATE (%s): data "
                            "object %X of %zu bytes (at most %zu)", step, (unsigned)out_tag,
                            obj.len, cap);
    memcpy(out, obj.value, obj.len);
    *out_len = obj.len;
    return DX_OK;
}

static void keep(dx_pace_value *dst, const uint8_t *src, size_t n)
{
    dst->len = n <= sizeof dst->v ? n : 0;
    if (dst->len)
        memcpy(dst->v, src, n);
}

/* 9303 Part 11 §4.4 */
dx_status dx_pace_run(const dx_apdu_transport *t, const dx_pace_info *info,
                      const dx_pace_password *pw, const dx_pace_rand *rand,
                      dx_sm_session **out, dx_pace_trace *trace, dx_error *err)
{
    dx_pace_trace *v = NULL;
    dx_chip_group *g = NULL, *gm = NULL;
    dx_chip_key *k_map = NULL, *k_eph = NULL;
    const uint8_t *pub;
    size_t pub_len, n = 0, kl;
    uint8_t t_ic[DX_CHIP_MAC_LEN];
    char desc[96];
    dx_status st;

    *out = NULL;
    if (!info->supported)
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "PACE: %s: %s",
                            dx_pace_info_describe(info, desc, sizeof desc), info->why);
    if (!(v = calloc(1, sizeof *v)))
        return dx_error_set(err, DX_ERR_NO_MEMORY, "PACE: no memory");
    kl = dx_chip_key_len(info->cipher);
    v->key_len = kl;
    st = dx_chip_group_standard((uint32_t)info->parameter_id, &g, err);
    if (st != DX_OK)
        goto fail;
    st = dx_pace_derive_kpi(pw, info->cipher, v->k_pi, err);
    if (st != DX_OK)
        goto fail;
    st = mse_set_at(t, info, pw->kind, err);
    if (st != DX_OK)
        goto fail;

    /* §4.4.3.1: encrypted nonce */
    st = general_authenticate(t, "encrypted nonce", false, 0, NULL, 0, 0x80, v->z, sizeof v->z,
                              &v->nonce_len, err);
    if (st == DX_OK)
        st = dx_pace_decrypt_nonce(info->cipher, v->k_pi, v->z, v->nonce_len, v->s, err);
    if (st != DX_OK)
        goto fail;

    /* §4.4.3.3.1: generic mapping */
    st = dx_chip_key_generate(g, rand ? rand->sk_map : NULL, rand ? rand->sk_map_len : 0,
                              &k_map, err);
    if (st != DX_OK)
        goto fail;
    pub = dx_chip_key_public(k_map, &pub_len);
    keep(&v->pk_map_ifd, pub, pub_len);
    st = general_authenticate(t, "map nonce", false, 0x81, pub, pub_len, 0x82,
                              v->pk_map_ic.v, sizeof v->pk_map_ic.v, &v->pk_map_ic.len, err);
    if (st != DX_OK)
        goto fail;
    st = dx_chip_group_map_generic(g, k_map, v->pk_map_ic.v, v->pk_map_ic.len, v->s,
                                   v->nonce_len, &gm, v->h.v, sizeof v->h.v, &v->h.len, err);
    if (st == DX_OK)
        st = dx_chip_group_generator(gm, v->g_hat.v, sizeof v->g_hat.v, &v->g_hat.len, err);
    if (st != DX_OK)
        goto fail;

    /* §4.4.3.3: ephemeral key agreement on the mapped generator */
    st = dx_chip_key_generate(gm, rand ? rand->sk_eph : NULL, rand ? rand->sk_eph_len : 0,
                              &k_eph, err);
    if (st != DX_OK)
        goto fail;
    pub = dx_chip_key_public(k_eph, &pub_len);
    keep(&v->pk_ifd, pub, pub_len);
    st = general_authenticate(t, "key agreement", false, 0x83, pub, pub_len, 0x84,
                              v->pk_ic.v, sizeof v->pk_ic.v, &v->pk_ic.len, err);
    if (st != DX_OK)
        goto fail;
    if (v->pk_ic.len == v->pk_ifd.len && memcmp(v->pk_ic.v, v->pk_ifd.v, v->pk_ic.len) == 0) {
        st = dx_error_set(err, DX_ERR_PROTOCOL, "PACE: the chip's ephemeral public key equals "
                          "ours (a reflection)");
        goto fail;
    }
    st = dx_chip_key_agree(gm, k_eph, v->pk_ic.v, v->pk_ic.len, v->shared_secret.v,
                           sizeof v->shared_secret.v, &v->shared_secret.len, err);
    if (st != DX_OK)
        goto fail;

    /* §4.4.3.4: session keys and mutual authentication */
    st = dx_chip_kdf(info->cipher, v->shared_secret.v, v->shared_secret.len, 1, v->ks_enc, err);
    if (st == DX_OK)
        st = dx_chip_kdf(info->cipher, v->shared_secret.v, v->shared_secret.len, 2, v->ks_mac,
                         err);
    if (st == DX_OK)
        st = dx_pace_token(info, v->ks_mac, v->pk_ic.v, v->pk_ic.len, v->t_ifd, err);
    if (st == DX_OK)
        st = dx_pace_token(info, v->ks_mac, v->pk_ifd.v, v->pk_ifd.len, t_ic, err);
    if (st != DX_OK)
        goto fail;
    st = general_authenticate(t, "mutual authentication", true, 0x85, v->t_ifd,
                              sizeof v->t_ifd, 0x86, v->t_ic, sizeof v->t_ic, &n, err);
    if (st != DX_OK)
        goto fail;
    if (n != DX_CHIP_MAC_LEN || !dx_chip_equal(v->t_ic, t_ic, DX_CHIP_MAC_LEN)) {
        st = dx_error_set(err, DX_ERR_PROTOCOL, "PACE: the chip's authentication token does "
                          "not verify");
        goto fail;
    }
    st = dx_sm_session_new(info->cipher, v->ks_enc, v->ks_mac, NULL, out, err);
    if (st == DX_OK)
        dx_log(DX_CAT_CHIP, DX_LOG_DEBUG, "PACE: %s done, %s secure messaging",
               dx_pace_info_describe(info, desc, sizeof desc), dx_chip_cipher_name(info->cipher));
fail:
    if (trace)
        *trace = *v;
    dx_chip_cleanse(v, sizeof *v);
    free(v);
    dx_chip_cleanse(t_ic, sizeof t_ic);
    dx_chip_key_free(k_map);
    dx_chip_key_free(k_eph);
    dx_chip_group_free(g);
    dx_chip_group_free(gm);
    return st;
}
