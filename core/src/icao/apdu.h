/* Command and response APDUs (ISO/IEC 7816-4 §5.1) over an abstract
 * transport, so that any chip-reader plugin (or a test script) can carry
 * them.
 *
 * A command is described by a dx_apdu; dx_apdu_encode() picks the short or
 * extended form by the Lc/Le rules of 7816-4 §5.1 (cases 1, 2S/2E, 3S/3E,
 * 4S/4E).  Ne is "how many response bytes are expected": 0 means no Le
 * field, 1..256 fit a short Le (256 is coded 00), up to 65536 an extended
 * one (65536 is coded 0000). */
#ifndef DOCEX_ICAO_APDU_H
#define DOCEX_ICAO_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docex/docex.h"

#define DX_APDU_NC_MAX_SHORT 255
#define DX_APDU_NC_MAX 65535
#define DX_APDU_NE_MAX_SHORT 256
#define DX_APDU_NE_MAX 65536
/* Largest encoded command: header, 00 Lc1 Lc2, 65535 bytes, Le1 Le2. */
#define DX_APDU_CMD_MAX (4 + 3 + DX_APDU_NC_MAX + 2)
/* Largest response: 65536 bytes and SW1 SW2. */
#define DX_APDU_RSP_MAX (DX_APDU_NE_MAX + 2)

/* Status words the chip code looks at (7816-4 §5.6). */
#define DX_SW_OK 0x9000
#define DX_SW_END_OF_FILE 0x6282          /* fewer bytes than Le: end of file */
#define DX_SW_AUTH_FAILED 0x6300          /* authentication failed */
#define DX_SW_SECURITY_NOT_SATISFIED 0x6982
#define DX_SW_SM_MISSING 0x6987           /* expected SM data objects missing */
#define DX_SW_SM_INCORRECT 0x6988         /* SM data objects incorrect */
#define DX_SW_FILE_NOT_FOUND 0x6A82
#define DX_SW_WRONG_OFFSET 0x6B00

/* A command APDU.  `data` is borrowed. */
typedef struct dx_apdu {
    uint8_t cla, ins, p1, p2;
    const uint8_t *data;   /* nc bytes (NULL when nc is 0) */
    size_t nc;             /* 0..65535 */
    size_t ne;             /* 0 (no Le) or 1..65536 */
    bool extended;         /* use the extended form even when short would do */
} dx_apdu;

/* A response APDU.  `data` points into the buffer it was parsed from. */
typedef struct dx_rapdu {
    const uint8_t *data;
    size_t len;
    uint16_t sw;
} dx_rapdu;

/* How APDUs reach a chip: one exchange of a whole command for a whole
 * response (SW1 SW2 included), like dxp_chip_ops.transmit.  The callee
 * writes at most `cap` bytes into rsp and sets *rsp_len; it returns DX_OK or
 * a transport status (DX_ERR_CARD_REMOVED, DX_ERR_TIMEOUT, ...).  Called
 * from the thread that runs the protocol, one exchange at a time. */
typedef struct dx_apdu_transport {
    dx_status (*transmit)(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                          size_t *rsp_len);
    void *ctx;
    /* Optional: why the last transmit failed, in the transport's words (the
     * device's message), or NULL; the failure's message quotes it. */
    const char *(*why)(void *ctx);
} dx_apdu_transport;

/* True when `a` needs (or asks for) the extended form. */
bool dx_apdu_is_extended(const dx_apdu *a);
/* Bytes of the encoding of `a`. */
size_t dx_apdu_encoded_size(const dx_apdu *a);
/* Encode `a` into out (cap bytes).  DX_ERR_INVALID_ARG for Nc > 65535,
 * Ne > 65536, data NULL with nc > 0, or too small a buffer. */
dx_status dx_apdu_encode(const dx_apdu *a, uint8_t *out, size_t cap, size_t *out_len,
                         dx_error *err);
/* Decode a command APDU (the card side's view; tests and simulated chips).
 * out->data points into cmd.  DX_ERR_DATA when the bytes fit no case. */
dx_status dx_apdu_decode(const uint8_t *cmd, size_t n, dx_apdu *out, dx_error *err);
/* Split a response into data and SW1 SW2 (DX_ERR_PROTOCOL when shorter than
 * 2 bytes). */
dx_status dx_rapdu_parse(const uint8_t *rsp, size_t n, dx_rapdu *out, dx_error *err);

/* Send already encoded command bytes and receive the response into rsp (cap
 * bytes).  A 61XX answer is followed by GET RESPONSE until the chip is done
 * (the data is joined).  Transport failures come back with their own status
 * and a message naming the INS; a response that does not fit `cap` is
 * DX_ERR_PROTOCOL. */
dx_status dx_apdu_transmit_raw(const dx_apdu_transport *t, const uint8_t *cmd, size_t n,
                               uint8_t *rsp, size_t cap, dx_rapdu *out, dx_error *err);
/* Encode `cmd`, send it, parse the response (as dx_apdu_transmit_raw).  A
 * 6CXX answer (wrong Le, XX is right) is retried once with Ne = XX. */
dx_status dx_apdu_transmit(const dx_apdu_transport *t, const dx_apdu *cmd, uint8_t *rsp,
                           size_t cap, dx_rapdu *out, dx_error *err);

/* Short meaning of a status word for messages ("file not found"). */
const char *dx_apdu_sw_str(uint16_t sw);

#endif
