/* PACE against ICAO 9303 Part 11 Appendix G.1 (ECDH generic mapping,
 * brainpoolP256r1, AES-128, MRZ password) and the BSI TR-03110 DH worked
 * example (DH generic mapping, 1024-bit MODP group, AES-128, PIN): every
 * intermediate value, then the whole run through a scripted transport, then
 * AES secure messaging under the session keys.  Also EF.CardAccess parsing
 * and the ways a run fails.
 *
 *   test-chip_pace DIR      (DIR: tests/data/icao/part11) */
#include <openssl/evp.h>
#include <string.h>

#include "dxtest.h"
#include "icao/bac.h"
#include "icao/chip_file.h"
#include "icao/pace.h"
#include "kat.h"

static json_t *g1, *dh;

static size_t bytes(json_t *v, const char *key, uint8_t *out, size_t cap)
{
    return kat_bytes(v, key, out, cap);
}

static void card_access_g1(dx_pace_info *info)
{
    uint8_t raw[64], file[66];
    size_t n = bytes(g1, "ef_cardaccess", raw, sizeof raw);
    dx_card_access ca;
    dx_error err = {0};

    /* the vector gives the PACEInfo alone; the file is a SET OF SecurityInfo */
    CHECK(dx_pace_parse_card_access(raw, n, &ca, &err) == DX_ERR_DATA);
    CHECK(strstr(err.message, "expected tag 31") != NULL);
    file[0] = 0x31;
    file[1] = (uint8_t)n;
    memcpy(file + 2, raw, n);
    REQUIRE(dx_pace_parse_card_access(file, n + 2, &ca, &err) == DX_OK);
    REQUIRE(ca.n_pace == 1);
    CHECK(ca.n_other == 0);
    CHECK_HEX(ca.pace[0].oid, DX_PACE_OID_LEN, kat_str(g1, "pace_oid"));
    CHECK(ca.pace[0].version == 2);
    CHECK(ca.pace[0].parameter_id == json_integer_value(json_object_get(g1, "parameter_id")));
    CHECK(ca.pace[0].ka == DX_CHIP_KA_ECDH && ca.pace[0].mapping == DX_PACE_GM);
    CHECK(ca.pace[0].cipher == DX_CHIP_AES128);
    CHECK(ca.pace[0].supported && !ca.pace[0].need_parameter_ref);
    REQUIRE(dx_pace_choose(&ca, info, &err) == DX_OK);
    {
        char d[96];
        CHECK_STR(dx_pace_info_describe(info, d, sizeof d),
                  "ECDH-GM-AES-128, brainpoolP256r1 (13)");
    }
    /* padding after the SET (as some chips have) is ignored */
    memset(file + n + 2, 0, 2);
    CHECK(dx_pace_parse_card_access(file, n + 4, &ca, &err) == DX_OK && ca.n_pace == 1);
}

/* Appendix G.1, value by value. */
static void steps_g1(const dx_pace_info *info)
{
    dx_error err = {0};
    char mrz[DX_BAC_MRZ_INFO_MAX];
    json_t *m = json_object_get(g1, "mrz");
    dx_pace_password pw = {DX_PACE_MRZ, mrz};
    uint8_t k[20], kpi[32], z[16], s[16], sk[64], pk[200], out[200], ks_enc[32], ks_mac[32];
    uint8_t tok[8];
    unsigned int kl = 0;
    size_t n, pn, on = 0;
    dx_chip_group *g = NULL, *gm = NULL;
    dx_chip_key *kmap = NULL, *keph = NULL;
    const uint8_t *pub;

    REQUIRE(dx_bac_mrz_info(kat_str(m, "document_number"), kat_str(m, "birth_date"),
                            kat_str(m, "expiry_date"), mrz, &err) == DX_OK);
    CHECK_STR(mrz, kat_str(g1, "mrz_password_input"));
    REQUIRE(EVP_Digest(mrz, strlen(mrz), k, &kl, EVP_sha1(), NULL) == 1);
    CHECK_HEX(k, kl, kat_str(g1, "k"));
    REQUIRE(dx_pace_derive_kpi(&pw, DX_CHIP_AES128, kpi, &err) == DX_OK);
    CHECK_HEX(kpi, 16, kat_str(g1, "k_pi"));

    n = bytes(g1, "encrypted_nonce_z", z, sizeof z);
    REQUIRE(dx_pace_decrypt_nonce(DX_CHIP_AES128, kpi, z, n, s, &err) == DX_OK);
    CHECK_HEX(s, 16, kat_str(g1, "nonce_s"));

    REQUIRE(dx_chip_group_standard(13, &g, &err) == DX_OK);
    CHECK(dx_chip_group_pub_len(g) == 65 && dx_chip_group_secret_len(g) == 32);
    n = bytes(g1, "sk_map_ifd", sk, sizeof sk);
    REQUIRE(dx_chip_key_generate(g, sk, n, &kmap, &err) == DX_OK);
    pub = dx_chip_key_public(kmap, &pn);
    CHECK_HEX(pub, pn, kat_str(g1, "pk_map_ifd"));
    n = bytes(g1, "pk_map_ic", pk, sizeof pk);
    CHECK(dx_chip_group_check_public(g, pk, n, "pk_map_ic", &err) == DX_OK);
    REQUIRE(dx_chip_group_map_generic(g, kmap, pk, n, s, 16, &gm, out, sizeof out, &on, &err) ==
            DX_OK);
    CHECK_HEX(out, on, kat_str(g1, "h"));
    REQUIRE(dx_chip_group_generator(gm, out, sizeof out, &on, &err) == DX_OK);
    CHECK_HEX(out, on, kat_str(g1, "g_hat"));

    n = bytes(g1, "sk_dh_ifd", sk, sizeof sk);
    REQUIRE(dx_chip_key_generate(gm, sk, n, &keph, &err) == DX_OK);
    pub = dx_chip_key_public(keph, &pn);
    CHECK_HEX(pub, pn, kat_str(g1, "pk_dh_ifd"));
    n = bytes(g1, "pk_dh_ic", pk, sizeof pk);
    REQUIRE(dx_chip_key_agree(gm, keph, pk, n, out, sizeof out, &on, &err) == DX_OK);
    CHECK_HEX(out, on, kat_str(g1, "shared_secret"));
    REQUIRE(dx_chip_kdf(DX_CHIP_AES128, out, on, 1, ks_enc, &err) == DX_OK);
    REQUIRE(dx_chip_kdf(DX_CHIP_AES128, out, on, 2, ks_mac, &err) == DX_OK);
    CHECK_HEX(ks_enc, 16, kat_str(g1, "ks_enc"));
    CHECK_HEX(ks_mac, 16, kat_str(g1, "ks_mac"));
    REQUIRE(dx_pace_token(info, ks_mac, pk, n, tok, &err) == DX_OK);
    CHECK_HEX(tok, 8, kat_str(g1, "t_ifd"));
    REQUIRE(dx_pace_token(info, ks_mac, pub, pn, tok, &err) == DX_OK);
    CHECK_HEX(tok, 8, kat_str(g1, "t_ic"));

    /* the chip's points are checked: off the curve, infinity, compressed, short */
    pk[n - 1] ^= 0x01;
    CHECK(dx_chip_group_check_public(g, pk, n, "pk", &err) == DX_ERR_PROTOCOL);
    pk[n - 1] ^= 0x01;
    pk[0] = 0x02;
    CHECK(dx_chip_group_check_public(g, pk, 33, "pk", &err) == DX_ERR_PROTOCOL);
    CHECK(dx_chip_group_check_public(g, pk, 1, "pk", &err) == DX_ERR_PROTOCOL);
    CHECK(dx_chip_group_check_public(g, (const uint8_t *)"\x00", 1, "pk", &err) ==
          DX_ERR_PROTOCOL);
    /* a given private key out of range */
    dx_chip_key_free(kmap);
    memset(sk, 0xFF, 32);
    CHECK(dx_chip_key_generate(g, sk, 32, &kmap, &err) == DX_ERR_INVALID_ARG && !kmap);
    memset(sk, 0, 32);
    CHECK(dx_chip_key_generate(g, sk, 32, &kmap, &err) == DX_ERR_INVALID_ARG && !kmap);
    dx_chip_key_free(keph);
    dx_chip_group_free(gm);
    dx_chip_group_free(g);
}

/* Appendix G.1 as one run through the recorded APDUs, then a first AES
 * protected command under the new session. */
static void run_g1(const dx_pace_info *info)
{
    dx_error err = {0};
    char mrz[DX_BAC_MRZ_INFO_MAX];
    json_t *m = json_object_get(g1, "mrz"), *apdus = json_object_get(g1, "apdus");
    json_t *sm = json_object_get(g1, "aes_secure_messaging");
    dx_pace_password pw = {DX_PACE_MRZ, mrz};
    uint8_t skm[32], ske[32];
    dx_pace_rand rand = {skm, sizeof skm, ske, sizeof ske};
    dx_pace_trace tr;
    dx_sm_session *s = NULL;
    kat_script sc;
    dx_apdu_transport t = kat_script_transport(&sc);
    dx_chip_channel ch;
    uint8_t ssc[16];
    size_t sl = 0;

    REQUIRE(dx_bac_mrz_info(kat_str(m, "document_number"), kat_str(m, "birth_date"),
                            kat_str(m, "expiry_date"), mrz, &err) == DX_OK);
    REQUIRE(bytes(g1, "sk_map_ifd", skm, sizeof skm) == 32);
    REQUIRE(bytes(g1, "sk_dh_ifd", ske, sizeof ske) == 32);
    kat_script_init(&sc);
    for (size_t i = 0; i < json_array_size(apdus); i++)
        kat_script_add(&sc, "PACE", kat_str(json_array_get(apdus, i), "command"),
                       kat_str(json_array_get(apdus, i), "response"));
    kat_script_add(&sc, "SELECT eMRTD application", kat_str(sm, "protected_command"),
                   kat_str(sm, "protected_response"));

    CHECK_MSG(dx_pace_run(&t, info, &pw, &rand, &s, &tr, &err) == DX_OK, "%s", err.message);
    REQUIRE(s != NULL);
    CHECK_HEX(tr.k_pi, 16, kat_str(g1, "k_pi"));
    CHECK_HEX(tr.z, tr.nonce_len, kat_str(g1, "encrypted_nonce_z"));
    CHECK_HEX(tr.s, tr.nonce_len, kat_str(g1, "nonce_s"));
    CHECK_HEX(tr.pk_map_ifd.v, tr.pk_map_ifd.len, kat_str(g1, "pk_map_ifd"));
    CHECK_HEX(tr.pk_map_ic.v, tr.pk_map_ic.len, kat_str(g1, "pk_map_ic"));
    CHECK_HEX(tr.h.v, tr.h.len, kat_str(g1, "h"));
    CHECK_HEX(tr.g_hat.v, tr.g_hat.len, kat_str(g1, "g_hat"));
    CHECK_HEX(tr.pk_ifd.v, tr.pk_ifd.len, kat_str(g1, "pk_dh_ifd"));
    CHECK_HEX(tr.pk_ic.v, tr.pk_ic.len, kat_str(g1, "pk_dh_ic"));
    CHECK_HEX(tr.shared_secret.v, tr.shared_secret.len, kat_str(g1, "shared_secret"));
    CHECK_HEX(tr.ks_enc, tr.key_len, kat_str(g1, "ks_enc"));
    CHECK_HEX(tr.ks_mac, tr.key_len, kat_str(g1, "ks_mac"));
    CHECK_HEX(tr.t_ifd, 8, kat_str(g1, "t_ifd"));
    CHECK_HEX(tr.t_ic, 8, kat_str(g1, "t_ic"));
    dx_sm_session_ssc(s, ssc, &sl);
    CHECK(sl == 16 && ssc[15] == 0 && ssc[0] == 0);

    ch = (dx_chip_channel){.transport = t, .sm = s};
    CHECK_MSG(dx_chip_select_aid(&ch, dx_emrtd_aid, DX_EMRTD_AID_LEN, &err) == DX_OK, "%s",
              err.message);
    dx_sm_session_ssc(s, ssc, &sl);
    CHECK(ssc[15] == 2);
    CHECK(sc.mismatches == 0 && sc.pos == sc.n);
    dx_sm_session_free(s);
}

/* The DH worked example: steps, then the run with the commands it implies. */
static void dh_example(void)
{
    dx_error err = {0};
    uint8_t file[256], skm[128], ske[128], buf[300], out[300], kpi[32], z[16], s[16];
    size_t n, on = 0, pn;
    dx_card_access ca;
    dx_pace_info info;
    dx_pace_password pw = {DX_PACE_PIN, "123456"};
    dx_chip_group *g = NULL, *gm = NULL;
    dx_chip_key *kmap = NULL, *keph = NULL;
    const uint8_t *pub;
    dx_pace_trace tr;
    dx_pace_rand rand = {skm, sizeof skm, ske, sizeof ske};
    dx_sm_session *sm = NULL;
    kat_script sc;
    dx_apdu_transport t = kat_script_transport(&sc);
    char cmd[700], rsp[700];

    n = bytes(dh, "ef_cardaccess", file, sizeof file);
    REQUIRE(dx_pace_parse_card_access(file, n, &ca, &err) == DX_OK);
    CHECK(ca.n_pace == 1 && ca.n_other == 5);
    REQUIRE(dx_pace_choose(&ca, &info, &err) == DX_OK);
    CHECK_HEX(info.oid, DX_PACE_OID_LEN, kat_str(dh, "pace_oid"));
    CHECK(info.ka == DX_CHIP_KA_DH && info.cipher == DX_CHIP_AES128 && info.parameter_id == 0);

    REQUIRE(dx_pace_derive_kpi(&pw, DX_CHIP_AES128, kpi, &err) == DX_OK);
    n = bytes(dh, "encrypted_nonce_z", z, sizeof z);
    REQUIRE(dx_pace_decrypt_nonce(DX_CHIP_AES128, kpi, z, n, s, &err) == DX_OK);
    CHECK_HEX(s, 16, kat_str(dh, "nonce_s"));

    REQUIRE(dx_chip_group_standard(0, &g, &err) == DX_OK);
    CHECK(dx_chip_group_ka(g) == DX_CHIP_KA_DH && dx_chip_group_pub_len(g) == 128);
    REQUIRE(bytes(dh, "sk_map_ifd", skm, sizeof skm) == 128);
    REQUIRE(bytes(dh, "sk_dh_ifd", ske, sizeof ske) == 128);
    REQUIRE(dx_chip_key_generate(g, skm, 128, &kmap, &err) == DX_OK);
    pub = dx_chip_key_public(kmap, &pn);
    CHECK_HEX(pub, pn, kat_str(dh, "pk_map_ifd"));
    n = bytes(dh, "pk_map_ic", buf, sizeof buf);
    REQUIRE(dx_chip_group_map_generic(g, kmap, buf, n, s, 16, &gm, out, sizeof out, &on, &err) ==
            DX_OK);
    CHECK_HEX(out, on, kat_str(dh, "h"));
    REQUIRE(dx_chip_group_generator(gm, out, sizeof out, &on, &err) == DX_OK);
    CHECK_HEX(out, on, kat_str(dh, "g_hat"));
    REQUIRE(dx_chip_key_generate(gm, ske, 128, &keph, &err) == DX_OK);
    pub = dx_chip_key_public(keph, &pn);
    CHECK_HEX(pub, pn, kat_str(dh, "pk_dh_ifd"));
    n = bytes(dh, "pk_dh_ic", buf, sizeof buf);
    REQUIRE(dx_chip_key_agree(gm, keph, buf, n, out, sizeof out, &on, &err) == DX_OK);
    CHECK_HEX(out, on, kat_str(dh, "shared_secret"));
    /* DH values outside the subgroup or 2..p-2 are refused */
    CHECK(dx_chip_group_check_public(g, (const uint8_t *)"\x01", 1, "y", &err) == DX_ERR_PROTOCOL);
    CHECK(dx_chip_group_check_public(g, (const uint8_t *)"\x02", 1, "y", &err) == DX_ERR_PROTOCOL);
    CHECK(strstr(err.message, "subgroup") != NULL);
    buf[0] ^= 0x40;
    CHECK(dx_chip_group_check_public(g, buf, n, "y", &err) == DX_ERR_PROTOCOL);
    dx_chip_key_free(kmap);
    dx_chip_key_free(keph);
    dx_chip_group_free(g);
    dx_chip_group_free(gm);

    /* the run: MSE:Set AT with the PIN (83 03), then 7C objects of 128-byte values */
    kat_script_init(&sc);
    kat_script_add(&sc, "MSE:Set AT", "0022C1A40F800A04007F00070202040102830103", "9000");
    snprintf(rsp, sizeof rsp, "7C1280 10%s9000", kat_str(dh, "encrypted_nonce_z"));
    kat_script_add(&sc, "GA nonce", "10860000027C0000", rsp);
    snprintf(cmd, sizeof cmd, "1086000086 7C8183 818180%s 00", kat_str(dh, "pk_map_ifd"));
    snprintf(rsp, sizeof rsp, "7C8183 828180%s 9000", kat_str(dh, "pk_map_ic"));
    kat_script_add(&sc, "GA map", cmd, rsp);
    snprintf(cmd, sizeof cmd, "1086000086 7C8183 838180%s 00", kat_str(dh, "pk_dh_ifd"));
    snprintf(rsp, sizeof rsp, "7C8183 848180%s 9000", kat_str(dh, "pk_dh_ic"));
    kat_script_add(&sc, "GA key agreement", cmd, rsp);
    snprintf(cmd, sizeof cmd, "008600000C 7C0A 8508%s 00", kat_str(dh, "t_ifd"));
    snprintf(rsp, sizeof rsp, "7C0A 8608%s 9000", kat_str(dh, "t_ic"));
    kat_script_add(&sc, "GA mutual authentication", cmd, rsp);
    CHECK_MSG(dx_pace_run(&t, &info, &pw, &rand, &sm, &tr, &err) == DX_OK, "%s", err.message);
    CHECK(sc.mismatches == 0 && sc.pos == sc.n);
    CHECK_HEX(tr.ks_enc, 16, kat_str(dh, "ks_enc"));
    CHECK_HEX(tr.ks_mac, 16, kat_str(dh, "ks_mac"));
    CHECK_HEX(tr.shared_secret.v, tr.shared_secret.len, kat_str(dh, "shared_secret"));
    REQUIRE(sm != NULL);

    /* the example's secure messaging values: SSC 1 encrypts the command data
     * (an MSE:Set DST naming a CVCA), SSC 2 authenticates 99 02 90 00 */
    {
        json_t *e = json_object_get(dh, "sm_encrypt"), *a = json_object_get(dh, "sm_mac");
        uint8_t data[32], prot[128], r[64];
        size_t dn = bytes(e, "plain", data, sizeof data), plen = 0, rn;
        dx_apdu c = {.cla = 0x00, .ins = 0x22, .p1 = 0x81, .p2 = 0xB6, .data = data, .nc = dn};
        dx_rapdu pr;
        REQUIRE(dx_sm_wrap(sm, &c, prot, sizeof prot, &plen, &err) == DX_OK);
        /* 0C 22 81 B6 Lc 87 21 01 <32 bytes> ... */
        CHECK(prot[5] == 0x87 && prot[6] == 0x21 && prot[7] == 0x01);
        CHECK_HEX(prot + 8, 32, kat_str(e, "cipher"));
        snprintf(rsp, sizeof rsp, "%s8E08%s9000", kat_str(a, "data"), kat_str(a, "mac"));
        rn = kat_hex(rsp, r, sizeof r);
        CHECK_MSG(dx_sm_unwrap(sm, r, rn, out, sizeof out, &pr, &err) == DX_OK, "%s",
                  err.message);
        CHECK(pr.sw == 0x9000 && pr.len == 0);
    }
    dx_sm_session_free(sm);
}

/* Run G.1 with the chip's answers from the vector and `fault` applied to
 * one of them; returns the status. */
enum fault { NONE, WRONG_PASSWORD, BAD_TOKEN, OFF_CURVE, REFLECTION, TRUNCATED, SHORT_NONCE,
             MSE_REFUSED, CARD_REMOVED };

static dx_status faulty_g1(enum fault f, const dx_pace_info *info, dx_error *err)
{
    char mrz[DX_BAC_MRZ_INFO_MAX], buf[400];
    json_t *apdus = json_object_get(g1, "apdus");
    dx_pace_password pw = {DX_PACE_MRZ, mrz};
    uint8_t skm[32], ske[32];
    dx_pace_rand rand = {skm, sizeof skm, ske, sizeof ske};
    dx_sm_session *s = NULL;
    kat_script sc;
    dx_apdu_transport t = kat_script_transport(&sc);
    const char *rsp[5];
    dx_status st;

    REQUIRE(dx_bac_mrz_info("T22000129", "640812", f == WRONG_PASSWORD ? "101030" : "101031",
                            mrz, err) == DX_OK);
    bytes(g1, "sk_map_ifd", skm, sizeof skm);
    bytes(g1, "sk_dh_ifd", ske, sizeof ske);
    for (int i = 0; i < 5; i++)
        rsp[i] = kat_str(json_array_get(apdus, (size_t)i), "response");
    kat_script_init(&sc);
    if (f == MSE_REFUSED)
        rsp[0] = "6A80";
    if (f == TRUNCATED)
        rsp[1] = "7C1280109000";
    if (f == SHORT_NONCE)
        rsp[1] = "7C0A80080102030405060708 9000";
    if (f == OFF_CURVE) {
        snprintf(buf, sizeof buf, "%s", rsp[2]);
        buf[strlen(buf) - 5] = buf[strlen(buf) - 5] == '0' ? '1' : '0';   /* last byte of Y */
        rsp[2] = buf;
    }
    if (f == REFLECTION) {
        snprintf(buf, sizeof buf, "7C438441%s9000", kat_str(g1, "pk_dh_ifd"));
        rsp[3] = buf;
    }
    if (f == BAD_TOKEN)
        rsp[4] = "7C0A86083ABB9674BCE93C099000";
    if (f == WRONG_PASSWORD)
        rsp[4] = "6300";
    for (int i = 0; i < 5; i++)
        kat_script_add(&sc, "PACE", NULL, rsp[i]);
    if (f == CARD_REMOVED)
        sc.n = 2;
    st = dx_pace_run(&t, info, &pw, f == WRONG_PASSWORD ? NULL : &rand, &s, NULL, err);
    CHECK(st == DX_OK ? s != NULL : s == NULL);
    dx_sm_session_free(s);
    return st;
}

static void failures(const dx_pace_info *info)
{
    dx_error err = {0};

    CHECK_MSG(faulty_g1(NONE, info, &err) == DX_OK, "%s", err.message);
    CHECK(faulty_g1(WRONG_PASSWORD, info, &err) == DX_ERR_ACCESS_DENIED);
    CHECK_MSG(strstr(err.message, "6300") && strstr(err.message, "password"), "%s", err.message);
    CHECK(faulty_g1(BAD_TOKEN, info, &err) == DX_ERR_PROTOCOL);
    CHECK(strstr(err.message, "token does not verify") != NULL);
    CHECK(faulty_g1(OFF_CURVE, info, &err) == DX_ERR_PROTOCOL);
    CHECK_MSG(strstr(err.message, "not a point") != NULL, "%s", err.message);
    CHECK(faulty_g1(REFLECTION, info, &err) == DX_ERR_PROTOCOL);
    CHECK(strstr(err.message, "reflection") != NULL);
    CHECK(faulty_g1(TRUNCATED, info, &err) == DX_ERR_PROTOCOL);
    CHECK_MSG(strstr(err.message, "declares 18 bytes") != NULL, "%s", err.message);
    CHECK(faulty_g1(SHORT_NONCE, info, &err) == DX_ERR_PROTOCOL);
    CHECK(strstr(err.message, "nonce of 8 bytes") != NULL);
    CHECK(faulty_g1(MSE_REFUSED, info, &err) == DX_ERR_PROTOCOL);
    CHECK(strstr(err.message, "MSE:Set AT answered 6A80") != NULL);
    CHECK(faulty_g1(CARD_REMOVED, info, &err) == DX_ERR_IO);

    {
        dx_pace_password none = {DX_PACE_CAN, ""};
        dx_sm_session *s = NULL;
        kat_script sc;
        dx_apdu_transport t = kat_script_transport(&sc);
        kat_script_init(&sc);
        CHECK(dx_pace_run(&t, info, &none, NULL, &s, NULL, &err) == DX_ERR_INVALID_ARG);
        CHECK(sc.pos == 0);                 /* nothing was sent */
    }
}

static void card_access_cases(void)
{
    dx_error err = {0};
    dx_card_access ca;
    dx_pace_info info;
    uint8_t b[200];
    size_t n;
    kat_script sc;
    dx_apdu_transport t = kat_script_transport(&sc);
    dx_sm_session *s = NULL;
    dx_pace_password pw = {DX_PACE_CAN, "123456"};

    /* IM and CAM, DH with a curve id, a reserved id, no parameterId, version 1,
     * then ECDH-GM AES-256 on P-384 and AES-128 on P-256: the AES-256 one wins */
    n = kat_hex("31819D"
                "3012060A04007F00070202040402020102020112"     /* ECDH-IM */
                "3012060A04007F00070202040602020102020112"     /* ECDH-CAM */
                "3012060A04007F0007020204010202010202010D"     /* DH-GM, curve */
                "3012060A04007F00070202040202020102020113"     /* reserved 19 */
                "300F060A04007F00070202040202020102"           /* no parameterId */
                "3012060A04007F0007020204020202010102010D"     /* version 1 */
                "3012060A04007F0007020204020402010202010F"     /* ECDH-GM-AES-256 P-384 */
                "3012060A04007F0007020204020202010202010C",    /* ECDH-GM-AES-128 P-256 */
                b, sizeof b);
    REQUIRE(dx_pace_parse_card_access(b, n, &ca, &err) == DX_OK);
    CHECK(ca.n_pace == 8);
    CHECK(!ca.pace[0].supported && strstr(ca.pace[0].why, "integrated") != NULL);
    CHECK(!ca.pace[1].supported && strstr(ca.pace[1].why, "chip authentication") != NULL);
    CHECK(!ca.pace[2].supported && strstr(ca.pace[2].why, "does not suit DH") != NULL);
    CHECK(!ca.pace[3].supported && strstr(ca.pace[3].why, "reserved") != NULL);
    CHECK(!ca.pace[4].supported && strstr(ca.pace[4].why, "proprietary") != NULL);
    CHECK(!ca.pace[5].supported && strstr(ca.pace[5].why, "version 1") != NULL);
    REQUIRE(dx_pace_choose(&ca, &info, &err) == DX_OK);
    CHECK(info.cipher == DX_CHIP_AES256 && info.parameter_id == 15);
    CHECK(dx_pace_run(&t, &ca.pace[0], &pw, NULL, &s, NULL, &err) == DX_ERR_UNSUPPORTED);

    /* nothing runnable: the error lists why */
    ca.n_pace = 2;
    CHECK(dx_pace_choose(&ca, &info, &err) == DX_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(err.message, "ECDH-IM-AES-128") && strstr(err.message, "ECDH-CAM"), "%s",
              err.message);
    ca.n_pace = 0;
    CHECK(dx_pace_choose(&ca, &info, &err) == DX_ERR_UNSUPPORTED);

    /* two parameter sets for one protocol: MSE:Set AT names the one chosen */
    n = kat_hex("3128"
                "3012060A04007F0007020204020202010202010C"
                "3012060A04007F0007020204020202010202010D", b, sizeof b);
    REQUIRE(dx_pace_parse_card_access(b, n, &ca, &err) == DX_OK);
    CHECK(ca.pace[0].need_parameter_ref && ca.pace[1].need_parameter_ref);
    kat_script_init(&sc);
    kat_script_add(&sc, "MSE:Set AT", "0022C1A412800A04007F00070202040202830102 84010C", "6A88");
    CHECK(dx_pace_run(&t, &ca.pace[0], &pw, NULL, &s, NULL, &err) == DX_ERR_PROTOCOL);
    CHECK(sc.mismatches == 0 && sc.pos == 1);

    /* other SecurityInfos are counted and skipped; malformed ones are errors */
    n = kat_hex("310F 300D06080400 7F000702020202 020102", b, sizeof b);
    CHECK(dx_pace_parse_card_access(b, n, &ca, &err) == DX_OK && ca.n_pace == 0 &&
          ca.n_other == 1);
    n = kat_hex("3103 020100", b, sizeof b);
    CHECK(dx_pace_parse_card_access(b, n, &ca, &err) == DX_ERR_DATA);
    CHECK(strstr(err.message, "SEQUENCE") != NULL);
    n = kat_hex("3104 30020500", b, sizeof b);
    CHECK(dx_pace_parse_card_access(b, n, &ca, &err) == DX_ERR_DATA);
    n = kat_hex("310E 300C060A04007F00070202040202", b, sizeof b);   /* no version */
    CHECK(dx_pace_parse_card_access(b, n, &ca, &err) == DX_ERR_DATA);
    n = kat_hex("3114 3012060A04007F00070202040202020102020180", b, sizeof b);
    CHECK(dx_pace_parse_card_access(b, n, &ca, &err) == DX_ERR_DATA);   /* negative id */
    n = kat_hex("3115 3012060A04007F0007020204020202010202010D", b, sizeof b);
    CHECK(dx_pace_parse_card_access(b, n, &ca, &err) == DX_ERR_DATA);   /* SET too long */
}

static void passwords(void)
{
    dx_error err = {0};
    uint8_t k1[32], k2[32];
    dx_pace_password can = {DX_PACE_CAN, "123456"}, pin = {DX_PACE_PIN, "123456"};
    dx_pace_password bad = {DX_PACE_CAN, "12\t456"}, kind = {9, "1"};

    /* CAN and PIN share f(pi); the cipher picks the hash and key length */
    CHECK(dx_pace_derive_kpi(&can, DX_CHIP_AES256, k1, &err) == DX_OK);
    CHECK(dx_pace_derive_kpi(&pin, DX_CHIP_AES256, k2, &err) == DX_OK);
    CHECK(memcmp(k1, k2, 32) == 0);
    CHECK(dx_pace_derive_kpi(&can, DX_CHIP_AES128, k2, &err) == DX_OK);
    CHECK(memcmp(k1, k2, 16) != 0);
    CHECK(dx_pace_derive_kpi(&bad, DX_CHIP_AES128, k1, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_pace_derive_kpi(&kind, DX_CHIP_AES128, k1, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_pace_derive_kpi(NULL, DX_CHIP_AES128, k1, &err) == DX_ERR_INVALID_ARG);
}

/* Every standardized group loads; key agreement and generic mapping agree
 * on both sides (the DH groups 1 and 2 and most curves have no worked
 * example here: this checks that each side computes the same). */
static void groups(void)
{
    static const uint32_t ids[] = {0, 1, 2, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18};
    static const uint8_t nonce[16] = {0x3F, 0x00, 0xC4, 0xD3, 0x9D, 0x15, 0x3F, 0x2B,
                                      0x2A, 0x21, 0x4A, 0x07, 0x8D, 0x89, 0x9B, 0x22};
    dx_error err = {0};

    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        dx_chip_group *g = NULL, *ga = NULL, *gb = NULL;
        dx_chip_key *a = NULL, *b = NULL;
        const uint8_t *pa, *pb;
        size_t la, lb, n1 = 0, n2 = 0;
        uint8_t s1[DX_CHIP_MAX_ELEM], s2[DX_CHIP_MAX_ELEM];

        CHECK_MSG(dx_chip_group_standard(ids[i], &g, &err) == DX_OK, "%u: %s", (unsigned)ids[i],
                  err.message);
        if (!g)
            continue;
        CHECK(dx_chip_param_name(ids[i]) != NULL);
        REQUIRE(dx_chip_key_generate(g, NULL, 0, &a, &err) == DX_OK);
        REQUIRE(dx_chip_key_generate(g, NULL, 0, &b, &err) == DX_OK);
        pa = dx_chip_key_public(a, &la);
        pb = dx_chip_key_public(b, &lb);
        CHECK(la == dx_chip_group_pub_len(g) && lb == la);
        CHECK(dx_chip_group_check_public(g, pa, la, "a", &err) == DX_OK);
        CHECK(dx_chip_key_agree(g, a, pb, lb, s1, sizeof s1, &n1, &err) == DX_OK);
        CHECK(dx_chip_key_agree(g, b, pa, la, s2, sizeof s2, &n2, &err) == DX_OK);
        CHECK_MSG(n1 == dx_chip_group_secret_len(g) && n1 == n2 && memcmp(s1, s2, n1) == 0,
                  "%s: the two sides disagree", dx_chip_group_name(g));
        CHECK(dx_chip_group_map_generic(g, a, pb, lb, nonce, 16, &ga, NULL, 0, NULL, &err) ==
              DX_OK);
        CHECK(dx_chip_group_map_generic(g, b, pa, la, nonce, 16, &gb, NULL, 0, NULL, &err) ==
              DX_OK);
        if (ga && gb) {
            CHECK(dx_chip_group_generator(ga, s1, sizeof s1, &n1, &err) == DX_OK);
            CHECK(dx_chip_group_generator(gb, s2, sizeof s2, &n2, &err) == DX_OK);
            CHECK_MSG(n1 == n2 && memcmp(s1, s2, n1) == 0, "%s: mapped generators differ",
                      dx_chip_group_name(g));
        }
        dx_chip_key_free(a);
        dx_chip_key_free(b);
        dx_chip_group_free(g);
        dx_chip_group_free(ga);
        dx_chip_group_free(gb);
    }
    {
        dx_chip_group *g = NULL;
        CHECK(dx_chip_group_standard(3, &g, &err) == DX_ERR_UNSUPPORTED && !g);
        CHECK(dx_chip_group_standard(19, &g, &err) == DX_ERR_UNSUPPORTED && !g);
        CHECK(strstr(err.message, "reserved") != NULL);
    }
}

int main(int argc, char **argv)
{
    dx_pace_info info;

    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR (tests/data/icao/part11)\n", argv[0]);
        return 2;
    }
    g1 = kat_load(argv[1], "icao9303-part11-pace-ecdh-gm.json");
    dh = kat_load(argv[1], "tr03110-pace-dh-gm-worked-example.json");
    card_access_g1(&info);
    steps_g1(&info);
    run_g1(&info);
    dh_example();
    failures(&info);
    card_access_cases();
    passwords();
    groups();
    json_decref(g1);
    json_decref(dh);
    return dxtest_done();
}
