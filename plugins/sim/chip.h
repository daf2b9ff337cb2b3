/* sim — internal interfaces of the simulated contactless reader and its
 * ePassport chip (the card side of ISO/IEC 7816-4 and ICAO 9303 Part 11).
 *
 *   chip_load.c    a chip directory (chip.json plus the files) -> sim_chip
 *   chip_crypto.c  ciphers, MACs, KDF and padding of 9303-11 §9
 *   chip_sm.c      secure messaging (9303-11 §9.8), card side
 *   chip_pace.c    PACE, ECDH generic mapping (9303-11 §4.4), card side
 *   chip_card.c    the card: APDU parsing, files, BAC, AA, CA, dispatch
 *   chip_reader.c  the reader device behind dxp_chip_ops
 *
 * A sim_chip is what a document carries (files, keys, passwords) and never
 * changes once loaded; a sim_card is one powered-up session with it (selected
 * file, authentication, session keys).  Nothing here is global: every reader
 * device has its own chip and card.  Nothing is exported. */
#ifndef DOCEX_SIM_CHIP_H
#define DOCEX_SIM_CHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "docex/plugin.h"

#define SIM_CHIP_MAX_FILES 32
#define SIM_CHIP_FILE_MAX ((size_t)16 << 20) /* largest file served (B1 reaches it) */
#define SIM_CHIP_MAX_PACE 8
#define SIM_CHIP_ATR_MAX 33
/* Largest command and response APDU, extended length: 65535 data bytes in,
 * 65536 out, plus secure-messaging overhead. */
#define SIM_APDU_MAX (7 + 65535 + 3)
#define SIM_RSP_MAX (65536 + 64)

/* Block ciphers of 9303-11 §9.8 (secure messaging) and §4.4 (PACE). */
typedef enum sim_cipher {
    SIM_CIPHER_3DES = 1, /* two-key 3DES CBC, retail MAC (ISO 9797-1 alg. 3) */
    SIM_CIPHER_AES = 2   /* AES CBC, CMAC truncated to 8 bytes */
} sim_cipher;

/* ---- chip_crypto.c ------------------------------------------------------ */

/* Block size in bytes of `alg` (8 or 16). */
size_t sim_cc_block(sim_cipher alg);

/* Message digest `md` ("SHA1", "SHA256", ...) of in; *out_len set. */
bool sim_cc_digest(const char *md, const uint8_t *in, size_t len, uint8_t *out, size_t *out_len);

/* KDF of 9303-11 §9.7.1: key number `counter` (1 enc, 2 mac, 3 PACE) from the
 * shared secret, `key_len` bytes (16 for 3DES with parity set; 16/24/32 AES). */
bool sim_cc_kdf(sim_cipher alg, size_t key_len, const uint8_t *secret, size_t secret_len,
                uint32_t counter, uint8_t *key);

/* CBC without padding; len a multiple of the block size; iv NULL = zeros. */
bool sim_cc_cbc(sim_cipher alg, const uint8_t *key, size_t key_len, const uint8_t *iv, bool encrypt,
                const uint8_t *in, size_t len, uint8_t *out);

/* The 8-byte MAC of 9303-11 §9.8: retail MAC (3DES; len must be a multiple
 * of 8, pad first) or CMAC truncated to 8 bytes (AES; any len). */
bool sim_cc_mac(sim_cipher alg, const uint8_t *key, size_t key_len, const uint8_t *in, size_t len,
                uint8_t mac[8]);

/* ISO/IEC 9797-1 padding method 2 in place: buf needs room for len + bs
 * bytes; returns the padded length. */
size_t sim_cc_pad(uint8_t *buf, size_t len, size_t bs);
/* Length without the method-2 padding (at most one block of it), or SIZE_MAX
 * when len is not a multiple of bs or the padding is bad. */
size_t sim_cc_unpad(const uint8_t *buf, size_t len, size_t bs);

/* Fills buf with random bytes from the DRBG. */
bool sim_cc_random(uint8_t *buf, size_t len);

/* ---- the chip (chip_load.c) ------------------------------------------- */

typedef struct sim_chip_file {
    char name[32];          /* "EF.DG1" */
    uint16_t fid;
    uint8_t sfi;            /* 0: none */
    bool outside_app;       /* lives in the MF (EF.CardAccess), readable unauthenticated */
    uint8_t *data;
    size_t len;
} sim_chip_file;

/* One PACE entry of chip.json (the same as EF.CardAccess's PACEInfo). */
typedef struct sim_chip_pace {
    uint8_t oid[16];        /* DER content octets of the protocol OID */
    size_t oid_len;
    int param_id;           /* standardized domain parameters (9303-11 §9.5.1) */
    bool supported;         /* ECDH-GM with an EC parameter id the card knows */
    sim_cipher alg;
    size_t key_len;         /* 16, 24, 32 */
    int curve_nid;
} sim_chip_pace;

typedef struct sim_chip {
    char *dir;
    sim_chip_file files[SIM_CHIP_MAX_FILES];
    size_t n_files;

    /* BAC (9303-11 §4.3): K_seed-derived keys from the printed MRZ */
    bool bac;
    uint8_t bac_kenc[16], bac_kmac[16];
    /* PACE passwords (9303-11 §4.4.3.1): SHA-1 of the MRZ information; CAN */
    uint8_t mrz_key[20];
    char can[33];
    sim_chip_pace pace[SIM_CHIP_MAX_PACE];
    size_t n_pace;

    /* Active Authentication (9303-11 §6.1) */
    EVP_PKEY *aa_key;       /* NULL: no AA */
    bool aa_rsa;            /* RSA (ISO/IEC 9796-2 DSS1), else ECDSA plain r||s */
    char aa_md[16];         /* digest: "SHA1" (RSA default), "SHA256" (ECDSA default) */

    /* Chip Authentication (9303-11 §6.2), ECDH only */
    EVP_PKEY *ca_key;       /* NULL: no CA */
    uint8_t ca_oid[16];
    size_t ca_oid_len;
    sim_cipher ca_alg;
    size_t ca_key_len;
    int ca_curve_nid;
    bool ca_key_id_set;
    uint32_t ca_key_id;

    uint8_t atr[SIM_CHIP_ATR_MAX];
    size_t atr_len;
    bool extended_length;

    /* TEST ONLY (chip.json "test"): fixed values instead of the card's
     * random numbers, for known-answer tests. */
    struct {
        bool rnd_ic, k_ic, pace_nonce, pace_map_sk, pace_eph_sk;
        uint8_t rnd_ic_v[8];
        uint8_t k_ic_v[16];
        uint8_t pace_nonce_v[32];
        size_t pace_nonce_len;
        uint8_t pace_map_sk_v[66];
        size_t pace_map_sk_len;
        uint8_t pace_eph_sk_v[66];
        size_t pace_eph_sk_len;
    } test;
} sim_chip;

/* Load the chip directory `dir` (chip.json and every file it lists).
 * DX_ERR_NOT_FOUND when there is no chip.json (no card), DX_ERR_DATA for a
 * malformed chip.json, a missing or oversized file, a hash mismatch or a bad
 * key (each logged with the file and the reason), DX_ERR_NO_MEMORY. */
dx_status sim_chip_load(const dxp_host *host, const char *dir, sim_chip **out);
/* Frees the chip, wiping keys and passwords. */
void sim_chip_free(sim_chip *chip);

/* The MRZ information of 9303-11 §4.3.2 (document number, date of birth,
 * date of expiry, each with its check digit) from printed MRZ lines (TD1: 3,
 * TD2/TD3: 2).  Returns its length or 0 when the lines have no known shape. */
size_t sim_chip_mrz_info(const char *const *lines, size_t n_lines, char *out, size_t size);

/* ---- bounded TLV reading (chip_card.c) --------------------------------- */

/* One BER-TLV at *pos within buf[0..len): tag of 1 to 3 bytes, definite
 * length of 1 to 4 bytes.  false, *pos unchanged, when it does not fit. */
bool sim_tlv_next(const uint8_t *buf, size_t len, size_t *pos, uint32_t *tag, const uint8_t **val,
                  size_t *vlen);
/* Writes tag (1 or 2 bytes) and length; returns the header length (at most 6). */
size_t sim_tlv_header(uint8_t *out, uint32_t tag, size_t len);

/* ---- secure messaging (chip_sm.c) ---------------------------------------- */

typedef struct sim_sm {
    bool active;
    sim_cipher alg;
    size_t key_len;
    uint8_t kenc[32], kmac[32];
    uint8_t ssc[16];        /* 8 bytes (3DES) or 16 (AES) used */
} sim_sm;

/* A parsed command APDU (ISO/IEC 7816-4 §5.1).  data points into the caller's
 * bytes; ne is 0 when no response data is expected (Le absent). */
typedef struct sim_apdu {
    uint8_t cla, ins, p1, p2;
    const uint8_t *data;
    size_t nc;
    size_t ne;
    bool extended;
} sim_apdu;

/* Session keys in; ssc of the block size. */
void sim_sm_start(sim_sm *sm, sim_cipher alg, const uint8_t *kenc, const uint8_t *kmac,
                  size_t key_len, const uint8_t *ssc);
/* Wipes the session. */
void sim_sm_end(sim_sm *sm);

/* Unwraps a protected command: verifies DO'8E' over SSC || header || DO'87'/
 * DO'85'/DO'97', decrypts into plain (SIM_APDU_MAX bytes) and fills *inner.
 * Returns 0x9000, or the status word of the SM error (0x6987 objects
 * missing, 0x6988 objects incorrect). */
uint16_t sim_sm_unwrap(sim_sm *sm, const sim_apdu *outer, uint8_t *plain, sim_apdu *inner);

/* Wraps a response (data, sw) for the command with instruction `ins` into
 * out (SIM_RSP_MAX bytes): DO'87' (DO'85' for odd INS) if data, DO'99',
 * DO'8E', SW.  Returns the length, or 0 on a crypto failure. */
size_t sim_sm_wrap(sim_sm *sm, uint8_t ins, const uint8_t *data, size_t len, uint16_t sw,
                   uint8_t *out);

/* ---- PACE (chip_pace.c) --------------------------------------------------- */

typedef struct sim_pace {
    int step;               /* 0 idle; 1..4 the next GENERAL AUTHENTICATE expected */
    const sim_chip_pace *info;
    uint8_t kpi[32];        /* K_pi, the password key */
    uint8_t s[32];          /* the nonce */
    size_t s_len;
    EC_GROUP *group;
    EC_POINT *g_hat;        /* the mapped generator */
    uint8_t pk_ifd[133], pk_ic[133]; /* ephemeral public keys, uncompressed */
    size_t pk_len;
    uint8_t kenc[32], kmac[32];
} sim_pace;

/* MSE:Set AT for PACE (P1P2 C1A4): the data field's 80/83/84 objects. */
uint16_t sim_pace_set_at(sim_pace *pace, const dxp_host *host, const sim_chip *chip,
                         const uint8_t *data, size_t len);
/* One GENERAL AUTHENTICATE step: dynamic authentication data in `data`,
 * response data into out (*out_len).  On success of the last step sets
 * *done and the session keys in *sm_next (to start after this response). */
uint16_t sim_pace_general_authenticate(sim_pace *pace, const dxp_host *host, const sim_chip *chip,
                                       const uint8_t *data, size_t len, uint8_t *out,
                                       size_t *out_len, bool *done, sim_sm *sm_next);
/* Forgets a PACE run, wiping its secrets. */
void sim_pace_reset(sim_pace *pace);

/* Public key data object for the authentication token (TR-03110-3 D.3.4,
 * 9303-11 §4.4.3.4): 7F49 { 06 oid, 86 point }.  Returns the length. */
size_t sim_pace_pubkey_do(const uint8_t *oid, size_t oid_len, const uint8_t *point, size_t plen,
                          uint8_t *out, size_t size);

/* EC helpers shared with Chip Authentication. */
/* Decodes an uncompressed point on `group`; NULL when invalid or infinity. */
EC_POINT *sim_ec_point_decode(const EC_GROUP *group, const uint8_t *buf, size_t len);
/* x-coordinate of scalar*point, field-size bytes, into out (*out_len). */
bool sim_ec_shared_x(const EC_GROUP *group, const BIGNUM *scalar, const EC_POINT *point,
                     uint8_t *out, size_t *out_len);

/* ---- the card (chip_card.c) ---------------------------------------------- */

typedef struct sim_card sim_card;

/* Powers the chip up: MF selected, nothing authenticated. */
dx_status sim_card_new(const dxp_host *host, const sim_chip *chip, sim_card **out);
void sim_card_free(sim_card *card);

/* Processes one command APDU and writes the whole response (data, SW1 SW2)
 * into rsp (SIM_RSP_MAX bytes).  Every input gives a response of at least
 * two bytes.  Returns its length. */
size_t sim_card_process(sim_card *card, const uint8_t *cmd, size_t len, uint8_t *rsp);

/* ---- the reader device (chip_reader.c) -------------------------------------- */

typedef struct sim_reader sim_reader;

dx_status sim_reader_new(const dxp_host *host, unsigned index, sim_reader **out);
void sim_reader_free(sim_reader *r);
const dxp_option *sim_reader_options(uint32_t *n);
dx_status sim_reader_set_option(sim_reader *r, const char *name, const dxp_value *value);
dx_status sim_reader_get_option(sim_reader *r, const char *name, dxp_value *value);
/* The directory given by the reader's "chip" option ("" when unset). */
const char *sim_reader_chip_option(const sim_reader *r);

/* The dxp_chip_ops contract (plugin.h); chip_dir is where the card's files
 * are (NULL: no chip anywhere, the field stays empty). */
dx_status sim_reader_wait_card(sim_reader *r, const char *chip_dir, int32_t timeout_ms,
                               uint8_t *atr, size_t atr_size, size_t *atr_len);
dx_status sim_reader_transmit(sim_reader *r, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                              size_t rsp_size, size_t *rsp_len);
dx_status sim_reader_release_card(sim_reader *r);
dx_status sim_reader_cancel(sim_reader *r);

#endif
