/* PACE, terminal side (ICAO 9303 Part 11 §4.4; worked example in
 * Appendix G.1): EF.CardAccess SecurityInfos, protocol choice, MSE:Set AT,
 * the four GENERAL AUTHENTICATE steps with generic mapping (DH and ECDH),
 * session keys, authentication tokens, and the secure messaging session
 * that follows (SSC 0).
 *
 * Integrated mapping (IM) and Chip Authentication Mapping (CAM) are parsed
 * and reported but not run: dx_pace_choose() passes them over.
 *
 * The step functions are named after the steps of §4.4.3 so that the
 * known-answer tests check each one; dx_pace_run() drives them all over a
 * transport. */
#ifndef DOCEX_ICAO_PACE_H
#define DOCEX_ICAO_PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "icao/apdu.h"
#include "icao/chip_crypto.h"
#include "icao/chip_group.h"
#include "icao/sm.h"

typedef enum dx_pace_mapping {
    DX_PACE_GM = 1,   /* generic mapping */
    DX_PACE_IM = 2,   /* integrated mapping (not run) */
    DX_PACE_CAM = 3   /* chip authentication mapping (not run) */
} dx_pace_mapping;

/* id-PACE = 0.4.0.127.0.7.2.2.4, DER value bytes; a protocol OID adds two
 * arcs (mapping, cipher). */
#define DX_PACE_OID_PREFIX_LEN 8
#define DX_PACE_OID_LEN 10

/* One PACEInfo (9303 Part 11 §9.2), a SecurityInfo of EF.CardAccess. */
typedef struct dx_pace_info {
    uint8_t oid[DX_PACE_OID_LEN];  /* DER value of the protocol OID */
    dx_chip_ka ka;                 /* DH or ECDH; 0 when the OID is unknown */
    dx_pace_mapping mapping;
    dx_chip_cipher cipher;
    uint32_t version;
    int32_t parameter_id;          /* -1: absent (proprietary domain parameters) */
    bool need_parameter_ref;       /* several PACEInfos share the OID: MSE:Set AT names
                                      the parameters (tag 84) */
    bool supported;                /* this implementation can run it */
    char why[80];                  /* when not supported: why */
} dx_pace_info;

#define DX_PACE_MAX_INFOS 16

/* What EF.CardAccess offers. */
typedef struct dx_card_access {
    dx_pace_info pace[DX_PACE_MAX_INFOS];
    size_t n_pace;
    size_t n_other;                /* SecurityInfos other than PACEInfo (skipped) */
} dx_card_access;

/* 9303 Part 11 §9.2: parse EF.CardAccess (SecurityInfos, a SET OF
 * SEQUENCE { OID, ... }); bytes after the SET (file padding) are ignored.
 * DX_ERR_DATA when the bytes are not SecurityInfos; more than
 * DX_PACE_MAX_INFOS PACEInfos is DX_ERR_DATA too. */
dx_status dx_pace_parse_card_access(const uint8_t *buf, size_t n, dx_card_access *out,
                                    dx_error *err);
/* Choose the PACEInfo to run: supported ones only, ECDH before DH, then the
 * stronger cipher, then file order.  DX_ERR_UNSUPPORTED (saying why each
 * was passed over) when none is. */
dx_status dx_pace_choose(const dx_card_access *ca, dx_pace_info *out, dx_error *err);
/* "ECDH-GM-AES-128, brainpoolP256r1 (13)" into buf; returns buf. */
const char *dx_pace_info_describe(const dx_pace_info *info, char *buf, size_t cap);

/* The password of §9.7.3 and its reference in MSE:Set AT (tag 83). */
typedef enum dx_pace_password_kind {
    DX_PACE_MRZ = 1,  /* value: the MRZ information, as dx_bac_mrz_info() makes it */
    DX_PACE_CAN = 2,  /* value: the card access number, digits */
    DX_PACE_PIN = 3,
    DX_PACE_PUK = 4
} dx_pace_password_kind;

typedef struct dx_pace_password {
    dx_pace_password_kind kind;
    const char *value;
} dx_pace_password;

/* Fixed private keys for known-answer tests (big-endian); NULL members are
 * drawn from OpenSSL's CSPRNG. */
typedef struct dx_pace_rand {
    const uint8_t *sk_map;
    size_t sk_map_len;
    const uint8_t *sk_eph;
    size_t sk_eph_len;
} dx_pace_rand;

typedef struct dx_pace_value {
    uint8_t v[DX_CHIP_MAX_ELEM];
    size_t len;
} dx_pace_value;

/* Every value of one run (Appendix G.1), for tests and traces; holds key
 * material: wipe it after use. */
typedef struct dx_pace_trace {
    uint8_t k_pi[DX_CHIP_MAX_KEY];
    uint8_t z[DX_CHIP_MAX_BLOCK], s[DX_CHIP_MAX_BLOCK];
    size_t nonce_len;
    dx_pace_value pk_map_ifd, pk_map_ic, h, g_hat;
    dx_pace_value pk_ifd, pk_ic, shared_secret;
    uint8_t ks_enc[DX_CHIP_MAX_KEY], ks_mac[DX_CHIP_MAX_KEY];
    size_t key_len;
    uint8_t t_ifd[DX_CHIP_MAC_LEN], t_ic[DX_CHIP_MAC_LEN];
} dx_pace_trace;

/* 9303 Part 11 §9.7.3: K_pi = KDF(f(pi), 3) with f(pi) = SHA-1(MRZ
 * information) for the MRZ, the characters themselves for CAN, PIN, PUK.
 * k_pi holds DX_CHIP_MAX_KEY bytes; dx_chip_key_len(c) are set. */
dx_status dx_pace_derive_kpi(const dx_pace_password *pw, dx_chip_cipher c, uint8_t *k_pi,
                             dx_error *err);
/* §4.4.3.1: s = D(K_pi, z) (CBC, IV 0); z is one block. */
dx_status dx_pace_decrypt_nonce(dx_chip_cipher c, const uint8_t *k_pi, const uint8_t *z,
                                size_t z_len, uint8_t *s, dx_error *err);
/* §9.4: the public key data object 7F49 { 06 OID, 86 point } (ECDH) or
 * 7F49 { 06 OID, 84 value } (DH) into out (cap bytes). */
dx_status dx_pace_pubkey_do(const dx_pace_info *info, const uint8_t *pub, size_t n,
                            uint8_t *out, size_t cap, size_t *len, dx_error *err);
/* §4.4.3.4: the authentication token, MAC(KSmac, public key data object of
 * pub): CMAC over the object as it is (AES), retail MAC over it padded
 * (3DES). */
dx_status dx_pace_token(const dx_pace_info *info, const uint8_t *ks_mac, const uint8_t *pub,
                        size_t n, uint8_t token[DX_CHIP_MAC_LEN], dx_error *err);

/* The whole of §4.4 over t with `info` (from dx_pace_choose()): a new
 * secure messaging session in *out, SSC 0.  rand and trace may be NULL.
 * The chip refusing the last step (63XX: a password it does not share) is
 * DX_ERR_PROTOCOL saying so; a chip token that does not verify, a bad
 * public key or malformed data objects are DX_ERR_PROTOCOL; transport
 * failures keep their status. */
dx_status dx_pace_run(const dx_apdu_transport *t, const dx_pace_info *info,
                      const dx_pace_password *pw, const dx_pace_rand *rand,
                      dx_sm_session **out, dx_pace_trace *trace, dx_error *err);

#endif
