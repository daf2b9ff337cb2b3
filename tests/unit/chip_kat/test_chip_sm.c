/* Secure messaging and whole chip reads against a simulated chip (card.c,
 * its own crypto): PACE ECDH-GM on NIST P-256 / P-384, brainpoolP256r1 /
 * P384r1 with 3DES, AES-128, AES-192 and AES-256, MRZ and CAN passwords,
 * EF.CardAccess read in plain, then EF.COM, DG1 and a DG2 of 40000 bytes (READ
 * BINARY with odd INS past offset 32767) in short and extended length.  Then
 * every way a protected response can be wrong, each with its error and the
 * session closed, and the wrapping rules checked without a chip.
 *
 *   test-chip_sm DIR      (DIR: tests/data/icao/part11) */
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "dxtest.h"
#include "icao/bac.h"
#include "icao/chip_file.h"
#include "icao/pace.h"
#include "kat.h"

static uint8_t dg2[40000];
static const char *mrz_info = "L898902C<369080619406236";

/* PACE over the card from EF.CardAccess on; channel.sm set on success. */
static dx_status open_session(card *c, dx_chip_channel *ch, const dx_pace_password *pw,
                              dx_error *err)
{
    uint8_t *ca = NULL;
    size_t n = 0;
    dx_card_access acc;
    dx_pace_info info;
    dx_status st;

    ch->transport = (dx_apdu_transport){card_transmit, c, NULL};
    ch->sm = NULL;
    st = dx_chip_read_file(ch, DX_EF_CARDACCESS, 4096, &ca, &n, err);
    if (st != DX_OK)
        return st;
    st = dx_pace_parse_card_access(ca, n, &acc, err);
    free(ca);
    if (st == DX_OK)
        st = dx_pace_choose(&acc, &info, err);
    if (st == DX_OK)
        st = dx_pace_run(&ch->transport, &info, pw, NULL, &ch->sm, NULL, err);
    return st;
}

static void read_all(int param, int cipher, bool extended, size_t max_read)
{
    card_config cfg = {.parameter_id = param, .cipher = cipher, .password_kind = 1,
                       .password = mrz_info, .dg2 = dg2, .dg2_len = sizeof dg2,
                       .extended = extended};
    card *c = card_new(&cfg);
    dx_chip_channel ch = {.extended = extended, .max_read = max_read};
    dx_pace_password pw = {DX_PACE_MRZ, mrz_info};
    dx_error err = {0};
    uint8_t *f = NULL;
    size_t n = 0;

    CHECK_MSG(open_session(c, &ch, &pw, &err) == DX_OK, "curve %d cipher %d: %s", param, cipher,
              err.message);
    if (!ch.sm) {
        card_free(c);
        return;
    }
    CHECK(card_in_sm(c));
    CHECK(dx_sm_session_cipher(ch.sm) == (dx_chip_cipher)cipher);
    CHECK_MSG(dx_chip_select_aid(&ch, dx_emrtd_aid, DX_EMRTD_AID_LEN, &err) == DX_OK, "%s",
              err.message);
    CHECK_MSG(dx_chip_read_file(&ch, DX_EF_COM, 1 << 16, &f, &n, &err) == DX_OK, "%s",
              err.message);
    CHECK(n == 22 && f && f[0] == 0x60);
    free(f);
    CHECK_MSG(dx_chip_read_file(&ch, DX_EF_DG(1), 1 << 16, &f, &n, &err) == DX_OK, "%s",
              err.message);
    CHECK(n == 93 && f && memcmp(f + 5, "P<UTOERIKSSON", 13) == 0);
    free(f);
    CHECK_MSG(dx_chip_read_file(&ch, DX_EF_DG(2), 1 << 20, &f, &n, &err) == DX_OK,
              "curve %d cipher %d DG2: %s", param, cipher, err.message);
    CHECK(n == sizeof dg2 && f && memcmp(f, dg2, n) == 0);
    free(f);
    /* a file larger than the caller allows */
    CHECK(dx_chip_read_file(&ch, DX_EF_DG(2), 1000, &f, &n, &err) == DX_ERR_DATA && !f);
    CHECK(strstr(err.message, "limit") != NULL);
    /* a file the chip does not have: its own status */
    CHECK(dx_chip_read_file(&ch, DX_EF_DG(3), 1000, &f, &n, &err) == DX_ERR_NOT_FOUND);
    CHECK(dx_sm_session_is_open(ch.sm));
    if (extended)
        CHECK(card_extended_apdus(c) > 0);
    else
        CHECK(card_extended_apdus(c) == 0);
    dx_sm_session_free(ch.sm);
    card_free(c);
}

static void round_trips(void)
{
    /* DG2: 75 82 9C 3C then a pattern */
    dg2[0] = 0x75;
    dg2[1] = 0x82;
    dg2[2] = (uint8_t)((sizeof dg2 - 4) >> 8);
    dg2[3] = (uint8_t)(sizeof dg2 - 4);
    for (size_t i = 4; i < sizeof dg2; i++)
        dg2[i] = (uint8_t)(i * 7 + (i >> 8));

    read_all(15, DX_CHIP_AES256, false, 0);     /* NIST P-384, AES-256 */
    read_all(15, DX_CHIP_AES192, false, 0);     /* NIST P-384, AES-192 */
    read_all(16, DX_CHIP_AES256, false, 0);     /* brainpoolP384r1 */
    read_all(12, DX_CHIP_AES128, false, 0);     /* NIST P-256 */
    read_all(13, DX_CHIP_3DES, false, 0);       /* brainpoolP256r1, 3DES tokens and SM */
    read_all(18, DX_CHIP_AES256, false, 100);   /* NIST P-521, small reads */
    read_all(15, DX_CHIP_AES256, true, 4096);   /* extended length */

    /* CAN as the password */
    {
        card_config cfg = {.parameter_id = 13, .cipher = DX_CHIP_AES128, .password_kind = 2,
                           .password = "123456", .dg2 = dg2, .dg2_len = 100};
        card *c = card_new(&cfg);
        dx_chip_channel ch = {0};
        dx_pace_password pw = {DX_PACE_CAN, "123456"};
        dx_error err = {0};
        CHECK_MSG(open_session(c, &ch, &pw, &err) == DX_OK, "%s", err.message);
        dx_sm_session_free(ch.sm);
        card_free(c);
    }
}

static void wrong_passwords(void)
{
    card_config cfg = {.parameter_id = 15, .cipher = DX_CHIP_AES256, .password_kind = 1,
                       .password = mrz_info, .dg2 = dg2, .dg2_len = 100};
    card *c = card_new(&cfg);
    dx_chip_channel ch = {0};
    dx_pace_password pw = {DX_PACE_MRZ, "L898902C<369080619406247"};
    dx_error err = {0};

    CHECK(open_session(c, &ch, &pw, &err) == DX_ERR_ACCESS_DENIED && !ch.sm);
    CHECK_MSG(strstr(err.message, "6300") && strstr(err.message, "does not match"), "%s",
              err.message);
    /* the MRZ password where the card expects the CAN: MSE:Set AT refused */
    pw = (dx_pace_password){DX_PACE_CAN, "123456"};
    CHECK(open_session(c, &ch, &pw, &err) == DX_ERR_PROTOCOL && !ch.sm);
    CHECK(strstr(err.message, "MSE:Set AT answered 6A80") != NULL);
    /* a chip whose token is wrong */
    pw = (dx_pace_password){DX_PACE_MRZ, mrz_info};
    card_set_fault(c, CARD_FAULT_BAD_TOKEN, 0);
    CHECK(open_session(c, &ch, &pw, &err) == DX_ERR_PROTOCOL && !ch.sm);
    CHECK(strstr(err.message, "token does not verify") != NULL);
    card_free(c);
}

/* One fault on the response to the SELECT of the application (response 0)
 * or to READ BINARY (response 2 is the first one with data). */
static void fault(card_fault f, int at, dx_status want, const char *msg)
{
    card_config cfg = {.parameter_id = 12, .cipher = DX_CHIP_AES128, .password_kind = 1,
                       .password = mrz_info, .dg2 = dg2, .dg2_len = sizeof dg2};
    card *c = card_new(&cfg);
    dx_chip_channel ch = {0};
    dx_pace_password pw = {DX_PACE_MRZ, mrz_info};
    dx_error err = {0};
    uint8_t *file = NULL;
    size_t n = 0;
    dx_status st;

    REQUIRE(open_session(c, &ch, &pw, &err) == DX_OK);
    card_set_fault(c, f, at);
    st = dx_chip_select_aid(&ch, dx_emrtd_aid, DX_EMRTD_AID_LEN, &err);
    if (st == DX_OK)
        st = dx_chip_read_file(&ch, DX_EF_COM, 4096, &file, &n, &err);
    CHECK_MSG(st == want, "fault %d: status %d: %s", (int)f, (int)st, err.message);
    CHECK_MSG(!msg || strstr(err.message, msg), "fault %d: \"%s\" lacks \"%s\"", (int)f,
              err.message, msg ? msg : "");
    CHECK(!dx_sm_session_is_open(ch.sm));
    /* the session is over: no further command goes out */
    n = card_apdus(c);
    CHECK(dx_chip_select_ef(&ch, DX_EF_COM, &err) == DX_ERR_STATE);
    CHECK(card_apdus(c) == n);
    free(file);
    dx_sm_session_free(ch.sm);
    card_free(c);
}

static void faults(void)
{
    fault(CARD_FAULT_BAD_MAC, 0, DX_ERR_PROTOCOL, "MAC does not verify");
    fault(CARD_FAULT_BAD_MAC, 2, DX_ERR_PROTOCOL, "MAC does not verify");
    fault(CARD_FAULT_WRONG_SSC, 2, DX_ERR_PROTOCOL, "MAC does not verify");
    fault(CARD_FAULT_BAD_PADDING, 2, DX_ERR_PROTOCOL, "bad padding");
    fault(CARD_FAULT_NO_DO99, 0, DX_ERR_PROTOCOL, "no DO99");
    fault(CARD_FAULT_SW_MISMATCH, 0, DX_ERR_PROTOCOL, "differs from the protected");
    fault(CARD_FAULT_TRUNCATED_TLV, 2, DX_ERR_PROTOCOL, "declares");
    fault(CARD_FAULT_EXTRA_DO, 0, DX_ERR_PROTOCOL, "data object 81");
    /* an unprotected error status: passed on (file not found), session closed */
    fault(CARD_FAULT_PLAIN_ERROR, 1, DX_ERR_NOT_FOUND, "6A82");
}

/* Wrapping rules and unwrap refusals on sessions with fixed keys. */
static void wrapping(void)
{
    static const uint8_t k[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    uint8_t ssc[16], data[300], out[400], cur[16];
    size_t n = 0, len = 0;
    dx_sm_session *s = NULL;
    dx_error err = {0};
    dx_rapdu r;

    memset(ssc, 0xFF, sizeof ssc);
    memset(data, 0x5A, sizeof data);
    REQUIRE(dx_sm_session_new(DX_CHIP_AES192, k, k, ssc, &s, &err) == DX_OK);
    /* SM bits already in CLA */
    CHECK(dx_sm_wrap(s, &(dx_apdu){.cla = 0x0C, .ins = 0xB0, .ne = 1}, out, sizeof out, &n,
                     &err) == DX_ERR_INVALID_ARG);
    /* odd INS: DO85 (no padding indicator), the SSC wraps around */
    CHECK(dx_sm_wrap(s, &(dx_apdu){.ins = 0xB1, .data = data, .nc = 4, .ne = 200}, out,
                     sizeof out, &n, &err) == DX_OK);
    CHECK(out[0] == 0x0C && out[1] == 0xB1 && out[5] == 0x85 && out[6] == 16);
    CHECK(out[23] == 0x97 && out[24] == 1 && out[25] == 200 && out[26] == 0x8E);
    CHECK(n == 5 + 18 + 3 + 10 + 1 && out[n - 1] == 0x00);
    dx_sm_session_ssc(s, cur, &len);
    CHECK(len == 16 && cur[0] == 0 && cur[15] == 0);
    /* Ne over 256: extended, DO97 of two bytes, Le 0000 */
    CHECK(dx_sm_wrap(s, &(dx_apdu){.ins = 0xB0, .ne = 65536}, out, sizeof out, &n, &err) ==
          DX_OK);
    CHECK(out[4] == 0x00 && out[5] == 0x00 && out[6] == 4 + 10);
    CHECK(memcmp(out + 7, "\x97\x02\x00\x00\x8E\x08", 6) == 0);
    CHECK(n == 7 + 14 + 2 && out[n - 2] == 0 && out[n - 1] == 0);
    /* 300 bytes of data: extended Lc */
    CHECK(dx_sm_wrap(s, &(dx_apdu){.ins = 0xD6, .data = data, .nc = 300}, out, sizeof out, &n,
                     &err) == DX_OK);
    CHECK(out[4] == 0x00 && out[7] == 0x87 && out[8] == 0x82 && out[9] == 0x01 && out[10] == 0x31);
    /* a buffer too small: nothing sent, so the SSC does not move */
    dx_sm_session_ssc(s, ssc, &len);
    CHECK(dx_sm_wrap(s, &(dx_apdu){.ins = 0xB0, .ne = 1}, out, 10, &n, &err) ==
          DX_ERR_INVALID_ARG);
    dx_sm_session_ssc(s, cur, &len);
    CHECK(memcmp(ssc, cur, len) == 0 && dx_sm_session_is_open(s));
    /* unwrap: too short, 9000 without SM; each closes the session */
    CHECK(dx_sm_unwrap(s, (const uint8_t *)"\x90", 1, out, sizeof out, &r, &err) ==
          DX_ERR_PROTOCOL);
    CHECK(!dx_sm_session_is_open(s));
    CHECK(dx_sm_wrap(s, &(dx_apdu){.ins = 0xB0, .ne = 1}, out, sizeof out, &n, &err) ==
          DX_ERR_STATE);
    dx_sm_session_free(s);
    REQUIRE(dx_sm_session_new(DX_CHIP_AES256, k, k, NULL, &s, &err) == DX_OK);
    CHECK(dx_sm_unwrap(s, (const uint8_t *)"\x90\x00", 2, out, sizeof out, &r, &err) ==
          DX_ERR_PROTOCOL);
    CHECK(strstr(err.message, "9000 without") != NULL);
    dx_sm_session_free(s);
    REQUIRE(dx_sm_session_new(DX_CHIP_3DES, k, k, NULL, &s, &err) == DX_OK);
    CHECK(dx_sm_unwrap(s, (const uint8_t *)"\x8E\x08\x01\x02", 4, out, sizeof out, &r, &err) ==
          DX_ERR_PROTOCOL);
    dx_sm_session_free(s);
    CHECK(dx_sm_session_new(7, k, k, NULL, &s, &err) == DX_ERR_INVALID_ARG && !s);
}

/* Plain reads before access control, and a chip that refuses them. */
static void plain(void)
{
    card_config cfg = {.parameter_id = 12, .cipher = DX_CHIP_AES128, .password_kind = 1,
                       .password = mrz_info, .dg2 = dg2, .dg2_len = 100};
    card *c = card_new(&cfg);
    dx_chip_channel ch = {.transport = {card_transmit, c}};
    dx_error err = {0};
    uint8_t *f = NULL;
    size_t n = 0, want = 0;
    const uint8_t *ca = card_card_access(c, &want);

    CHECK(dx_chip_read_file(&ch, DX_EF_CARDACCESS, 4096, &f, &n, &err) == DX_OK);
    CHECK(n == want && f && memcmp(f, ca, n) == 0);
    free(f);
    CHECK(dx_chip_read_file(&ch, DX_EF_COM, 4096, &f, &n, &err) == DX_ERR_STATE);
    CHECK(strstr(err.message, "6982") != NULL);
    CHECK(dx_chip_read_binary(&ch, 0, 0, NULL, &n, &err) == DX_ERR_INVALID_ARG);
    card_free(c);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    round_trips();
    wrong_passwords();
    faults();
    wrapping();
    plain();
    return dxtest_done();
}
