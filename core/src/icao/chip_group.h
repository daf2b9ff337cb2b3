/* Groups for the chip's key agreements (ICAO 9303 Part 11 §9.5): the
 * standardized domain parameters of §9.5.1, ephemeral key pairs, public
 * key validation, DH / ECDH key agreement and PACE's generic mapping.
 * PACE uses them now; Chip Authentication can later use the same calls.
 *
 * Encodings (9303 Part 11 §9.4 / BSI TR-03111): an EC public key is the
 * uncompressed point 04 || X || Y with coordinates of the field's length;
 * a DH public key is the big-endian value padded to the length of p; a
 * shared secret is the x-coordinate (ECDH) or the value padded to the
 * length of p (DH).
 *
 * Groups and keys are immutable once made and may be shared between
 * threads; private keys are wiped when freed. */
#ifndef DOCEX_ICAO_CHIP_GROUP_H
#define DOCEX_ICAO_CHIP_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "docex/docex.h"

typedef enum dx_chip_ka {
    DX_CHIP_KA_DH = 1,   /* finite-field Diffie-Hellman (RFC 5114 groups) */
    DX_CHIP_KA_ECDH = 2  /* elliptic-curve Diffie-Hellman over a prime field */
} dx_chip_ka;

/* Longest public key or secret: a 2048-bit DH value is 256 bytes. */
#define DX_CHIP_MAX_ELEM 256

typedef struct dx_chip_group dx_chip_group;
typedef struct dx_chip_key dx_chip_key;

/* 9303 Part 11 §9.5.1: parameter ids 0-2 (RFC 5114 MODP groups 1024/160,
 * 2048/224, 2048/256) and 8-18 (NIST P-192 ... P-521, brainpool curves).
 * DX_ERR_UNSUPPORTED for a reserved or unknown id. */
dx_status dx_chip_group_standard(uint32_t parameter_id, dx_chip_group **out, dx_error *err);
void dx_chip_group_free(dx_chip_group *g);
/* Name of standardized parameters from their id ("brainpoolP256r1"), or NULL. */
const char *dx_chip_param_name(uint32_t parameter_id);

dx_chip_ka dx_chip_group_ka(const dx_chip_group *g);
const char *dx_chip_group_name(const dx_chip_group *g);
size_t dx_chip_group_pub_len(const dx_chip_group *g);
size_t dx_chip_group_secret_len(const dx_chip_group *g);
/* The group's generator, encoded as a public key. */
dx_status dx_chip_group_generator(const dx_chip_group *g, uint8_t *out, size_t cap,
                                  size_t *len, dx_error *err);

/* A key pair.  priv NULL: a random private key in [1, order-1] from
 * OpenSSL's CSPRNG; else the big-endian private key given (known-answer
 * tests), which must be in [1, order-1] (DH: [1, p-1]). */
dx_status dx_chip_key_generate(const dx_chip_group *g, const uint8_t *priv, size_t priv_len,
                               dx_chip_key **out, dx_error *err);
void dx_chip_key_free(dx_chip_key *k);
/* The encoded public key (owned by k). */
const uint8_t *dx_chip_key_public(const dx_chip_key *k, size_t *len);

/* Validate a peer's public key: a point of the curve other than infinity
 * (ECDH, uncompressed only), or 1 < y < p-1 with y^q = 1 (DH).  DX_ERR_PROTOCOL
 * with `what` in the message otherwise. */
dx_status dx_chip_group_check_public(const dx_chip_group *g, const uint8_t *pub, size_t n,
                                     const char *what, dx_error *err);
/* Key agreement of k (made in g) with a validated peer key: the shared
 * secret into secret (cap >= dx_chip_group_secret_len(g)). */
dx_status dx_chip_key_agree(const dx_chip_group *g, const dx_chip_key *k, const uint8_t *peer,
                            size_t n, uint8_t *secret, size_t cap, size_t *len, dx_error *err);
/* 9303 Part 11 §4.4.3.3.1, generic mapping: H = k·peer (the shared point, or
 * peer^k mod p) and the new generator G^ = s·G + H (or g^s · H mod p) for the
 * nonce s.  *mapped gets a new group with generator G^ (same curve / p and
 * order); H is written encoded as a public key into h (may be NULL). */
dx_status dx_chip_group_map_generic(const dx_chip_group *g, const dx_chip_key *k,
                                    const uint8_t *peer, size_t n, const uint8_t *nonce,
                                    size_t nonce_len, dx_chip_group **mapped, uint8_t *h,
                                    size_t h_cap, size_t *h_len, dx_error *err);

#endif
