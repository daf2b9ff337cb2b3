/* BER-TLV reader and writer for chip data (ISO/IEC 7816-4 §5.2, ICAO 9303
 * Part 10 §4 and Part 11): the one place where bytes from a chip are split
 * into tag, length and value.
 *
 * Reader rules: tags of 1 to 3 bytes (a first byte 00 or FF is not a tag;
 * a long form must be minimal: its second byte is never 80); definite
 * lengths only, short form or 81..84 followed by 1 to 4 bytes; a value never
 * runs past the end of the buffer.  Every error is DX_ERR_DATA with a message
 * naming the buffer (the reader's `what`), the offset and the reason.
 *
 * Nothing here allocates: a dx_tlv points into the caller's buffer, which
 * must outlive it.  All functions are reentrant. */
#ifndef DOCEX_ICAO_TLV_H
#define DOCEX_ICAO_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docex/docex.h"

#define DX_TLV_MAX_TAG_BYTES 3
#define DX_TLV_MAX_LEN_BYTES 4
/* Longest header the writer makes: 3 tag bytes, 84 and 4 length bytes. */
#define DX_TLV_MAX_HEADER 8

/* One data object. */
typedef struct dx_tlv {
    uint32_t tag;          /* the tag bytes big-endian: 0x86, 0x5F1F, 0x7F49 */
    bool constructed;      /* bit 6 of the first tag byte */
    const uint8_t *value;  /* `len` bytes inside the reader's buffer */
    size_t len;
    const uint8_t *raw;    /* the whole object, tag to end of value */
    size_t raw_len;
    size_t offset;         /* of the tag, from the start of the reader's buffer */
} dx_tlv;

/* Walks the objects that follow each other in a buffer. */
typedef struct dx_tlv_reader {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    size_t base;           /* offset of buf in the outermost buffer (messages) */
    const char *what;      /* name for messages ("EF.CardAccess"), never NULL */
} dx_tlv_reader;

void dx_tlv_reader_init(dx_tlv_reader *r, const uint8_t *buf, size_t len, const char *what);
/* A reader over the value of a constructed object `parent` that `r` read. */
void dx_tlv_reader_enter(dx_tlv_reader *child, const dx_tlv_reader *r, const dx_tlv *parent,
                         const char *what);
/* True when nothing is left to read. */
bool dx_tlv_reader_done(const dx_tlv_reader *r);

/* Read the next object.  DX_ERR_DATA when none is left or it is malformed;
 * on error the reader does not move. */
dx_status dx_tlv_read(dx_tlv_reader *r, dx_tlv *out, dx_error *err);
/* Read the next object, which must have tag `tag` (DX_ERR_DATA otherwise). */
dx_status dx_tlv_read_expect(dx_tlv_reader *r, uint32_t tag, dx_tlv *out, dx_error *err);
/* The first object with tag `tag` among the objects in buf (not descending
 * into constructed ones).  DX_ERR_NOT_FOUND when absent; DX_ERR_DATA when an
 * object before it is malformed. */
dx_status dx_tlv_find(const uint8_t *buf, size_t len, uint32_t tag, dx_tlv *out,
                      const char *what, dx_error *err);
/* buf holds exactly one object, with tag `tag` (0: any tag); a byte after it
 * is an error. */
dx_status dx_tlv_parse_single(const uint8_t *buf, size_t len, uint32_t tag, dx_tlv *out,
                              const char *what, dx_error *err);
/* Decode only the header at the start of buf, of which `avail` bytes are at
 * hand (the first bytes of a file, say): *tag, the header's size and the
 * value's declared length, which need not be in buf.  DX_ERR_DATA when the
 * header is malformed or not complete in `avail` bytes. */
dx_status dx_tlv_peek_header(const uint8_t *buf, size_t avail, uint32_t *tag, size_t *hdr_len,
                             size_t *value_len, const char *what, dx_error *err);
/* A non-negative DER INTEGER value of at most 4 significant bytes
 * (a leading 00 is allowed).  DX_ERR_DATA otherwise. */
dx_status dx_tlv_get_uint(const dx_tlv *t, uint32_t *out, const char *what, dx_error *err);

/* ---- writer --------------------------------------------------------------- */

/* Writes objects into a caller's buffer.  Running out of room sets a sticky
 * `overflow` flag and writes nothing more; dx_tlv_writer_finish() reports it. */
typedef struct dx_tlv_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow;
    bool bad_tag;          /* a tag of more than 3 bytes or 0 was given */
} dx_tlv_writer;

void dx_tlv_writer_init(dx_tlv_writer *w, uint8_t *buf, size_t cap);
/* tag, length and `len` bytes of value (value may be NULL when len is 0). */
void dx_tlv_put(dx_tlv_writer *w, uint32_t tag, const uint8_t *value, size_t len);
/* One byte of value after tag and length (01 in DO87, a password reference). */
void dx_tlv_put_byte(dx_tlv_writer *w, uint32_t tag, uint8_t value);
/* Bytes as they are (an object encoded elsewhere). */
void dx_tlv_put_raw(dx_tlv_writer *w, const uint8_t *bytes, size_t n);
/* Open a constructed object: returns a mark for dx_tlv_end(), which writes
 * the length once the contents are known (moving them if it needs more than
 * one byte).  Objects nest. */
size_t dx_tlv_begin(dx_tlv_writer *w, uint32_t tag);
void dx_tlv_end(dx_tlv_writer *w, size_t mark);
/* DX_OK and the length written, or DX_ERR_INVALID_ARG (buffer too small,
 * bad tag). */
dx_status dx_tlv_writer_finish(const dx_tlv_writer *w, size_t *len, dx_error *err);

/* Bytes of the encoding of a length / of a whole object's header. */
size_t dx_tlv_len_size(size_t len);
size_t dx_tlv_header_size(uint32_t tag, size_t len);

#endif
