/* Basic Access Control and 3DES secure messaging against ICAO 9303 Part 11
 * Appendix D: every intermediate value, then the whole run and the
 * protected SELECT / READ BINARY exchanges through a scripted transport
 * that checks each command byte for byte.
 *
 *   test-chip_bac DIR      (DIR: tests/data/icao/part11) */
#include <string.h>

#include "dxtest.h"
#include "icao/bac.h"
#include "icao/chip_file.h"
#include "kat.h"

static json_t *vec;

static void hexs(const char *key, uint8_t *out, size_t n)
{
    size_t got = kat_bytes(vec, key, out, n);
    REQUIRE(got == n);
}

/* Appendix D.2 and D.3, step by step. */
static void steps(void)
{
    dx_error err = {0};
    char info[DX_BAC_MRZ_INFO_MAX];
    dx_bac_keys k;
    uint8_t rnd_ic[8], rnd_ifd[8], k_ifd[16], e_ifd[32], m_ifd[8], rsp[40], k_ic[16], r[32];
    uint8_t ks_enc[16], ks_mac[16], ssc[8], seed[16];

    REQUIRE(dx_bac_mrz_info(kat_str(vec, "document_number"), kat_str(vec, "birth_date"),
                            kat_str(vec, "expiry_date"), info, &err) == DX_OK);
    CHECK_STR(info, kat_str(vec, "mrz_information"));
    /* the document number without its filler gives the same information */
    REQUIRE(dx_bac_mrz_info("L898902C", "690806", "940623", info, &err) == DX_OK);
    CHECK_STR(info, kat_str(vec, "mrz_information"));

    REQUIRE(dx_bac_derive_keys(kat_str(vec, "mrz_information"), &k, &err) == DX_OK);
    CHECK_HEX(k.k_seed, 16, kat_str(vec, "k_seed"));
    CHECK_HEX(k.k_enc, 16, kat_str(vec, "k_enc"));
    CHECK_HEX(k.k_mac, 16, kat_str(vec, "k_mac"));

    hexs("rnd_ic", rnd_ic, 8);
    hexs("rnd_ifd", rnd_ifd, 8);
    hexs("k_ifd", k_ifd, 16);
    REQUIRE(dx_bac_authenticate_ifd(&k, rnd_ifd, rnd_ic, k_ifd, e_ifd, m_ifd, &err) == DX_OK);
    CHECK_HEX(e_ifd, 32, kat_str(vec, "e_ifd"));
    CHECK_HEX(m_ifd, 8, kat_str(vec, "m_ifd"));

    hexs("mutual_authenticate_response", rsp, 40);
    REQUIRE(dx_bac_verify_ic(&k, rnd_ifd, rnd_ic, rsp, 40, k_ic, r, &err) == DX_OK);
    CHECK_HEX(r, 32, kat_str(vec, "response_decrypted_r"));
    CHECK_HEX(k_ic, 16, kat_str(vec, "k_ic"));

    REQUIRE(dx_bac_session_keys(k_ifd, k_ic, rnd_ic, rnd_ifd, ks_enc, ks_mac, ssc, seed,
                                &err) == DX_OK);
    CHECK_HEX(seed, 16, kat_str(vec, "session_key_seed"));
    CHECK_HEX(ks_enc, 16, kat_str(vec, "ks_enc"));
    CHECK_HEX(ks_mac, 16, kat_str(vec, "ks_mac"));
    CHECK_HEX(ssc, 8, kat_str(vec, "ssc_initial"));

    /* a changed MAC, or a response for other challenges, is refused */
    rsp[39] ^= 0x01;
    CHECK(dx_bac_verify_ic(&k, rnd_ifd, rnd_ic, rsp, 40, k_ic, r, &err) == DX_ERR_PROTOCOL);
    CHECK(strstr(err.message, "M_IC") != NULL);
    rsp[39] ^= 0x01;
    rnd_ifd[7] ^= 0x01;
    CHECK(dx_bac_verify_ic(&k, rnd_ifd, rnd_ic, rsp, 40, k_ic, r, &err) == DX_ERR_PROTOCOL);
    CHECK(strstr(err.message, "challenges") != NULL);
    CHECK(dx_bac_verify_ic(&k, rnd_ifd, rnd_ic, rsp, 39, k_ic, r, &err) == DX_ERR_PROTOCOL);
}

/* Secure messaging of Appendix D.4 on a session made from the vector's keys:
 * wrap gives the protected command, unwrap the plain data, and the SSC
 * follows. */
static void sm_steps(void)
{
    dx_error err = {0};
    uint8_t ks_enc[16], ks_mac[16], ssc[8], cmd[300], prot[300], rsp[300], out[300], cur[16];
    size_t n, pn, rn, len;
    dx_sm_session *s = NULL;
    json_t *steps_ = json_object_get(vec, "secure_messaging");
    size_t i;
    json_t *st;

    hexs("ks_enc", ks_enc, 16);
    hexs("ks_mac", ks_mac, 16);
    hexs("ssc_initial", ssc, 8);
    REQUIRE(dx_sm_session_new(DX_CHIP_3DES, ks_enc, ks_mac, ssc, &s, &err) == DX_OK);
    REQUIRE(json_array_size(steps_) == 3);
    json_array_foreach(steps_, i, st) {
        dx_apdu a;
        dx_rapdu r;
        n = kat_bytes(st, "unprotected", cmd, sizeof cmd);
        REQUIRE(dx_apdu_decode(cmd, n, &a, &err) == DX_OK);
        CHECK(dx_sm_wrap(s, &a, prot, sizeof prot, &pn, &err) == DX_OK);
        CHECK_HEX(prot, pn, kat_str(st, "protected_command"));
        dx_sm_session_ssc(s, cur, &len);
        CHECK_HEX(cur, len, kat_str(st, "ssc"));
        rn = kat_bytes(st, "protected_response", rsp, sizeof rsp);
        CHECK_MSG(dx_sm_unwrap(s, rsp, rn, out, sizeof out, &r, &err) == DX_OK, "%s",
                  err.message);
        CHECK(r.sw == 0x9000);
        if (json_object_get(st, "plain_data"))
            CHECK_HEX(r.data, r.len, kat_str(st, "plain_data"));
        else
            CHECK(r.len == 0);
        dx_sm_session_ssc(s, cur, &len);
        CHECK_HEX(cur, len, kat_str(st, "response_ssc"));
    }
    dx_sm_session_free(s);
}

/* The whole run (§4.3) and then the file reads, through the script. */
static void run(void)
{
    dx_error err = {0};
    dx_bac_keys k;
    uint8_t rnd_ifd[8], k_ifd[16], buf[64];
    dx_bac_rand rand = {rnd_ifd, k_ifd};
    dx_bac_trace tr;
    dx_sm_session *sm = NULL;
    kat_script sc;
    dx_apdu_transport t = kat_script_transport(&sc);
    char rsp[200];
    json_t *steps_ = json_object_get(vec, "secure_messaging");
    dx_chip_channel ch;
    size_t got = 0;

    hexs("rnd_ifd", rnd_ifd, 8);
    hexs("k_ifd", k_ifd, 16);
    REQUIRE(dx_bac_derive_keys(kat_str(vec, "mrz_information"), &k, &err) == DX_OK);
    kat_script_init(&sc);
    snprintf(rsp, sizeof rsp, "%s9000", kat_str(vec, "rnd_ic"));
    kat_script_add(&sc, "GET CHALLENGE", "0084000008", rsp);
    snprintf(rsp, sizeof rsp, "%s9000", kat_str(vec, "mutual_authenticate_response"));
    kat_script_add(&sc, "MUTUAL AUTHENTICATE", kat_str(vec, "mutual_authenticate_command"), rsp);
    for (size_t i = 0; i < json_array_size(steps_); i++) {
        json_t *st = json_array_get(steps_, i);
        kat_script_add(&sc, kat_str(st, "step"), kat_str(st, "protected_command"),
                       kat_str(st, "protected_response"));
    }

    CHECK_MSG(dx_bac_run(&t, &k, &rand, &sm, &tr, &err) == DX_OK, "%s", err.message);
    REQUIRE(sm != NULL);
    CHECK_HEX(tr.rnd_ic, 8, kat_str(vec, "rnd_ic"));
    CHECK_HEX(tr.e_ifd, 32, kat_str(vec, "e_ifd"));
    CHECK_HEX(tr.m_ifd, 8, kat_str(vec, "m_ifd"));
    CHECK_HEX(tr.r, 32, kat_str(vec, "response_decrypted_r"));
    CHECK_HEX(tr.k_ic, 16, kat_str(vec, "k_ic"));
    CHECK_HEX(tr.k_seed, 16, kat_str(vec, "session_key_seed"));
    CHECK_HEX(tr.ks_enc, 16, kat_str(vec, "ks_enc"));
    CHECK_HEX(tr.ks_mac, 16, kat_str(vec, "ks_mac"));
    CHECK_HEX(tr.ssc, 8, kat_str(vec, "ssc_initial"));

    /* Appendix D.4 through the file helpers: SELECT EF.COM, READ BINARY 4 bytes
     * at 0, then the remaining 18 bytes at offset 4 */
    ch = (dx_chip_channel){.transport = t, .sm = sm};
    CHECK_MSG(dx_chip_select_ef(&ch, DX_EF_COM, &err) == DX_OK, "%s", err.message);
    CHECK_MSG(dx_chip_read_binary(&ch, 0, 4, buf, &got, &err) == DX_OK, "%s", err.message);
    CHECK_HEX(buf, got, kat_str(json_array_get(steps_, 1), "plain_data"));
    CHECK_MSG(dx_chip_read_binary(&ch, 4, 18, buf + 4, &got, &err) == DX_OK, "%s", err.message);
    CHECK_HEX(buf + 4, got, kat_str(json_array_get(steps_, 2), "plain_data"));
    CHECK(sc.mismatches == 0);
    CHECK(sc.pos == sc.n);
    dx_sm_session_free(sm);
}

/* The chip refusing the keys: a clear error, and no session. */
static void wrong_mrz(void)
{
    dx_error err = {0};
    dx_bac_keys k;
    char info[DX_BAC_MRZ_INFO_MAX];
    dx_sm_session *sm = NULL;
    kat_script sc;
    dx_apdu_transport t = kat_script_transport(&sc);

    REQUIRE(dx_bac_mrz_info("L898902C", "690806", "940624", info, &err) == DX_OK);
    REQUIRE(dx_bac_derive_keys(info, &k, &err) == DX_OK);
    kat_script_init(&sc);
    kat_script_add(&sc, "GET CHALLENGE", "0084000008", "46B9342A413961D79000");
    kat_script_add(&sc, "MUTUAL AUTHENTICATE", NULL, "6300");
    CHECK(dx_bac_run(&t, &k, NULL, &sm, NULL, &err) == DX_ERR_ACCESS_DENIED);
    CHECK(sm == NULL);
    CHECK_MSG(strstr(err.message, "6300") && strstr(err.message, "does not match"), "%s",
              err.message);

    /* a chip that answers with garbage of the right size */
    kat_script_init(&sc);
    kat_script_add(&sc, "GET CHALLENGE", "0084000008", "46B9342A413961D79000");
    kat_script_add(&sc, "MUTUAL AUTHENTICATE", NULL,
                   "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
                   "00112233445566779000");
    CHECK(dx_bac_run(&t, &k, NULL, &sm, NULL, &err) == DX_ERR_PROTOCOL);
    CHECK(sm == NULL);

    /* a transport failure keeps its status */
    kat_script_init(&sc);
    CHECK(dx_bac_run(&t, &k, NULL, &sm, NULL, &err) == DX_ERR_IO);

    /* bad MRZ input */
    CHECK(dx_bac_mrz_info("L89 8902C", "690806", "940623", info, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_bac_mrz_info("L898902C", "69086", "940623", info, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_bac_mrz_info("L898902C", "690806", "9406AA", info, &err) == DX_ERR_INVALID_ARG);
    CHECK(dx_bac_mrz_info("", "690806", "940623", info, &err) == DX_ERR_INVALID_ARG);
    /* a long (TD1) document number: its check digit covers every character */
    REQUIRE(dx_bac_mrz_info("D23145890734", "340712", "950712", info, &err) == DX_OK);
    CHECK_STR(info, "D23145890734934071279507122");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR (tests/data/icao/part11)\n", argv[0]);
        return 2;
    }
    vec = kat_load(argv[1], "icao9303-part11-bac.json");
    steps();
    sm_steps();
    run();
    wrong_mrz();
    json_decref(vec);
    return dxtest_done();
}
