/* A small simulated ePassport chip for round-trip tests of the terminal
 * side: PACE with ECDH generic mapping (any standardized curve, 3DES or
 * AES), secure messaging, SELECT and READ BINARY (B0 and B1) over a few
 * files, with faults to inject.  Its cryptography is written here, straight
 * on OpenSSL, not with the library under test, so that a round trip checks
 * two implementations against each other.  Not a model of a real chip:
 * the project's simulated chip lives in plugins/sim. */
#ifndef DOCEX_TEST_CARD_H
#define DOCEX_TEST_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docex/docex.h"

typedef enum card_fault {
    CARD_FAULT_NONE = 0,
    CARD_FAULT_BAD_MAC,        /* a bit of DO8E flipped */
    CARD_FAULT_BAD_PADDING,    /* data encrypted with zero padding, MAC right */
    CARD_FAULT_NO_DO99,        /* DO99 left out, MAC right */
    CARD_FAULT_SW_MISMATCH,    /* trailer 6282, DO99 9000 */
    CARD_FAULT_PLAIN_ERROR,    /* 6A82 without secure messaging */
    CARD_FAULT_WRONG_SSC,      /* the card counts one response too many */
    CARD_FAULT_TRUNCATED_TLV,  /* DO87 declares more bytes than follow */
    CARD_FAULT_EXTRA_DO,       /* a DO81 among the protected objects, MAC right */
    CARD_FAULT_BAD_TOKEN       /* PACE: a wrong T_IC */
} card_fault;

typedef struct card_config {
    int parameter_id;          /* standardized curve: 8..18 */
    int cipher;                /* 1 3DES, 2 AES-128, 3 AES-192, 4 AES-256 */
    int password_kind;         /* 1 MRZ (password: MRZ information), 2 CAN */
    const char *password;
    const uint8_t *dg2;        /* DG2's bytes (EF 0102), may be large */
    size_t dg2_len;
    bool extended;             /* takes extended length APDUs */
} card_config;

typedef struct card card;

card *card_new(const card_config *cfg);
void card_free(card *c);
/* Apply `f` to the secure messaging response number `at` (0: the first). */
void card_set_fault(card *c, card_fault f, int at);
/* The dx_apdu_transport transmit function; ctx is the card. */
dx_status card_transmit(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                        size_t *rsp_len);
/* APDUs seen, extended-length ones among them, and the largest Le asked
 * for in a READ BINARY. */
size_t card_apdus(const card *c);
size_t card_extended_apdus(const card *c);
/* True while secure messaging is on. */
bool card_in_sm(const card *c);
/* The EF.CardAccess bytes the card serves. */
const uint8_t *card_card_access(const card *c, size_t *len);

#endif
