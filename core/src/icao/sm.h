/* Secure messaging, terminal side (ICAO 9303 Part 11 §9.8; ISO/IEC 7816-4
 * §10): commands are wrapped into DO85/DO87 (encrypted data), DO97 (Le) and
 * DO8E (MAC); responses are checked and unwrapped from DO85/DO87, DO99
 * (status) and DO8E.
 *
 *   3DES:   2-key 3DES CBC with IV 0, retail MAC, SSC of 8 bytes;
 *   AES:    AES CBC with IV = E(KSenc, SSC), CMAC truncated to 8 bytes,
 *           SSC of 16 bytes.
 * Data and MAC input are padded with ISO/IEC 9797-1 method 2.  The SSC is
 * incremented before each command is protected and before each response is
 * checked.
 *
 * A session is used by one thread at a time.  It closes itself (keys wiped;
 * every later call is DX_ERR_STATE) when a response fails verification or
 * the chip answers without secure messaging, since 9303 then has the chip
 * drop its session keys too.  A new BAC or PACE run makes a new session. */
#ifndef DOCEX_ICAO_SM_H
#define DOCEX_ICAO_SM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "icao/apdu.h"
#include "icao/chip_crypto.h"

/* Log category of the chip code (BAC, PACE, secure messaging, files). */
#define DX_CAT_CHIP "chip"

typedef struct dx_sm_session dx_sm_session;

/* A session with KSenc and KSmac (dx_chip_key_len(c) bytes each, copied)
 * and the initial SSC (dx_chip_block_len(c) bytes; NULL: zeros, as PACE
 * starts). */
dx_status dx_sm_session_new(dx_chip_cipher c, const uint8_t *ks_enc, const uint8_t *ks_mac,
                            const uint8_t *ssc, dx_sm_session **out, dx_error *err);
/* Wipe the keys and free (NULL is fine). */
void dx_sm_session_free(dx_sm_session *s);

dx_chip_cipher dx_sm_session_cipher(const dx_sm_session *s);
/* False once the session closed itself (see above). */
bool dx_sm_session_is_open(const dx_sm_session *s);
/* The current SSC into out (dx_chip_block_len bytes); *len set. */
void dx_sm_session_ssc(const dx_sm_session *s, uint8_t *out, size_t *len);

/* 9303 Part 11 §9.8.4: protect `cmd` (CLA must carry no SM bits; its chaining
 * bit is kept).  Increments the SSC.  The protected APDU goes into out (cap
 * bytes): extended length when cmd->extended is set, when cmd->ne > 256 or
 * when the protected data exceeds 255 bytes.  DO85 carries the data for an
 * odd INS, DO87 for an even one. */
dx_status dx_sm_wrap(dx_sm_session *s, const dx_apdu *cmd, uint8_t *out, size_t cap,
                     size_t *out_len, dx_error *err);
/* 9303 Part 11 §9.8.5: check and unwrap a protected response (SW1 SW2
 * included).  Increments the SSC.  The plain data goes into out (cap bytes)
 * and *plain points at it, with the status word from DO99.  A response of
 * only a status word other than 9000 is passed on (plain->len 0), closing
 * the session; a missing or wrong MAC, a status word that differs from
 * DO99, bad padding or any other object is DX_ERR_PROTOCOL (closing it). */
dx_status dx_sm_unwrap(dx_sm_session *s, const uint8_t *rsp, size_t n, uint8_t *out,
                       size_t cap, dx_rapdu *plain, dx_error *err);
/* Wrap `cmd`, send it over t, unwrap the answer into rsp (cap bytes). */
dx_status dx_sm_transmit(dx_sm_session *s, const dx_apdu_transport *t, const dx_apdu *cmd,
                         uint8_t *rsp, size_t cap, dx_rapdu *out, dx_error *err);

#endif
