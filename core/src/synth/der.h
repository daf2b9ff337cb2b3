/* docex synth — a small DER / BER-TLV writer for building chip files.
 *
 * A dx_synth_der is a growable byte buffer.  Writes never fail one by one: an
 * allocation failure or a malformed argument makes the buffer "failed", every
 * later write does nothing, and dx_synth_der_ok() says so at the end.  This is
 * a writer of our own bytes only; parsing outside bytes is not its job.
 *
 * Tags are given as their encoded bytes in an unsigned int, most significant
 * byte first: 0x30, 0x5F1F, 0x7F61.  Lengths are definite and minimal (DER). */
#ifndef DOCEX_SYNTH_DER_H
#define DOCEX_SYNTH_DER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dx_synth_der {
    uint8_t *data;
    size_t len;
    size_t cap;
    bool failed;
    size_t depth;         /* open constructed TLVs */
    size_t open[16];      /* offset of each open TLV's content */
} dx_synth_der;

void dx_synth_der_init(dx_synth_der *d);
/* Frees the bytes (wiped first: buffers may hold key material). */
void dx_synth_der_free(dx_synth_der *d);
/* true when every write succeeded and every begin() was ended */
bool dx_synth_der_ok(const dx_synth_der *d);
/* Hand the bytes over (caller frees with free()); d is left empty. */
uint8_t *dx_synth_der_take(dx_synth_der *d, size_t *len);

void dx_synth_der_raw(dx_synth_der *d, const void *bytes, size_t n);
/* tag, length, value */
void dx_synth_der_tlv(dx_synth_der *d, unsigned tag, const void *value, size_t n);
void dx_synth_der_tlv_str(dx_synth_der *d, unsigned tag, const char *s);
/* INTEGER (tag 0x02) of a non-negative value */
void dx_synth_der_uint(dx_synth_der *d, uint64_t v);
/* OBJECT IDENTIFIER (tag 0x06) from dotted text ("2.23.136.1.1.1") */
void dx_synth_der_oid(dx_synth_der *d, const char *dotted);
/* Open a constructed TLV; its length is written by the matching end(). */
void dx_synth_der_begin(dx_synth_der *d, unsigned tag);
void dx_synth_der_end(dx_synth_der *d);
/* SET OF (tag 0x31) of n encoded elements, sorted as DER requires (X.690 11.6). */
void dx_synth_der_set_of(dx_synth_der *d, const dx_synth_der *elems, size_t n);

/* The encoded length octets of n (1 to 5 bytes); returns how many. */
size_t dx_synth_der_length_octets(size_t n, uint8_t out[5]);

#endif
