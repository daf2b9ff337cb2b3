/* Basic Access Control, terminal side (ICAO 9303 Part 11 §4.3, worked
 * example in Appendix D): document basic access keys from the MRZ, GET
 * CHALLENGE, MUTUAL AUTHENTICATE, session keys and the SSC, giving a 3DES
 * secure messaging session.
 *
 * The step functions are named after the steps of §4.3 and Appendix D so
 * that the known-answer test checks each one; dx_bac_run() drives them all
 * over a transport. */
#ifndef DOCEX_ICAO_BAC_H
#define DOCEX_ICAO_BAC_H

#include <stddef.h>
#include <stdint.h>

#include "icao/apdu.h"
#include "icao/sm.h"

/* Document number (any length, '<' padding kept) + 6 + 6 + 3 check digits. */
#define DX_BAC_MRZ_INFO_MAX 48

/* The document basic access keys (§9.7.2 / Appendix D.2). */
typedef struct dx_bac_keys {
    uint8_t k_seed[16];
    uint8_t k_enc[16];
    uint8_t k_mac[16];
} dx_bac_keys;

/* Fixed randomness for known-answer tests; NULL members come from OpenSSL's
 * CSPRNG. */
typedef struct dx_bac_rand {
    const uint8_t *rnd_ifd;     /* 8 bytes */
    const uint8_t *k_ifd;       /* 16 bytes */
} dx_bac_rand;

/* Every value of one run (Appendix D.3 / D.4), for tests and traces; holds
 * key material: wipe it after use. */
typedef struct dx_bac_trace {
    uint8_t rnd_ic[8], rnd_ifd[8], k_ifd[16];
    uint8_t e_ifd[32], m_ifd[8];
    uint8_t r[32];              /* decrypted E_IC: RND.IC || RND.IFD || K.IC */
    uint8_t k_ic[16], k_seed[16];
    uint8_t ks_enc[16], ks_mac[16], ssc[8];
} dx_bac_trace;

/* 9303 Part 11 §9.7.2 (Appendix D.2): the MRZ information, document number
 * (padded with '<' to at least 9 characters) + check digit, date of birth
 * (YYMMDD) + check digit, date of expiry + check digit.  DX_ERR_INVALID_ARG
 * for characters outside the MRZ alphabet or dates that are not 6 digits. */
dx_status dx_bac_mrz_info(const char *document_number, const char *birth_date,
                          const char *expiry_date, char out[DX_BAC_MRZ_INFO_MAX],
                          dx_error *err);
/* Appendix D.2: Kseed = first 16 bytes of SHA-1(MRZ information),
 * Kenc = KDF(Kseed, 1), Kmac = KDF(Kseed, 2). */
dx_status dx_bac_derive_keys(const char *mrz_info, dx_bac_keys *out, dx_error *err);
/* Appendix D.3 step 1: GET CHALLENGE, 8 bytes of RND.IC. */
dx_status dx_bac_get_challenge(const dx_apdu_transport *t, uint8_t rnd_ic[8], dx_error *err);
/* Appendix D.3 steps 2-4: S = RND.IFD || RND.IC || K.IFD, E_IFD = 3DES(Kenc, S),
 * M_IFD = MAC(Kmac, E_IFD); cmd_data = E_IFD || M_IFD (40 bytes). */
dx_status dx_bac_authenticate_ifd(const dx_bac_keys *k, const uint8_t rnd_ifd[8],
                                  const uint8_t rnd_ic[8], const uint8_t k_ifd[16],
                                  uint8_t e_ifd[32], uint8_t m_ifd[8], dx_error *err);
/* Appendix D.3 steps 6-7: check M_IC, decrypt E_IC, check that it holds
 * RND.IC and RND.IFD, and return K.IC (and R, the decrypted block, when r
 * is not NULL).  DX_ERR_PROTOCOL when the response does not verify. */
dx_status dx_bac_verify_ic(const dx_bac_keys *k, const uint8_t rnd_ifd[8],
                           const uint8_t rnd_ic[8], const uint8_t *rsp, size_t n,
                           uint8_t k_ic[16], uint8_t r[32], dx_error *err);
/* Appendix D.3 step 8 / D.4: KSseed = K.IFD xor K.IC, KSenc = KDF(KSseed, 1),
 * KSmac = KDF(KSseed, 2), SSC = last 4 bytes of RND.IC || last 4 of RND.IFD. */
dx_status dx_bac_session_keys(const uint8_t k_ifd[16], const uint8_t k_ic[16],
                              const uint8_t rnd_ic[8], const uint8_t rnd_ifd[8],
                              uint8_t ks_enc[16], uint8_t ks_mac[16], uint8_t ssc[8],
                              uint8_t ks_seed[16], dx_error *err);

/* The whole of §4.3 over t: a new 3DES session in *out.  rand and trace may
 * be NULL.  The chip refusing MUTUAL AUTHENTICATE (6300, 6982, 6988: keys
 * that do not match its MRZ) is DX_ERR_PROTOCOL with a message saying so;
 * transport failures keep their status. */
dx_status dx_bac_run(const dx_apdu_transport *t, const dx_bac_keys *keys,
                     const dx_bac_rand *rand, dx_sm_session **out, dx_bac_trace *trace,
                     dx_error *err);

#endif
