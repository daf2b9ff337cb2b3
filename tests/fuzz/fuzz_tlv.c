/* Fuzz target: the chip's BER-TLV reader (core/src/icao/tlv.c) and the
 * parsers built on it: EF.CardAccess (dx_pace_parse_card_access), secure
 * messaging responses (dx_sm_unwrap, 3DES and AES sessions), command APDUs
 * (dx_apdu_decode) and the header peek used for file reads.
 *
 * Input: any bytes; every parser sees all of them.  Promises checked:
 *   - each parser returns DX_OK or its documented error status with a
 *     message, never reads outside the input (ASan), never loops;
 *   - every object the reader yields lies inside its buffer, with
 *     raw_len = header + len, and writing it back with the writer and
 *     reading that gives the same tag and value (walked recursively into
 *     constructed objects, at most 16 levels);
 *   - dx_tlv_peek_header agrees with dx_tlv_read on the first object;
 *   - EF.CardAccess: at most DX_PACE_MAX_INFOS PACEInfos, a supported one is
 *     GM with known cipher and parameters, and dx_pace_choose picks a
 *     supported one or says none is;
 *   - an unwrapped response's data fits the output buffer;
 *   - a command APDU that decodes encodes back to the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "icao/apdu.h"
#include "icao/pace.h"
#include "icao/sm.h"
#include "icao/tlv.h"

static void walk(const uint8_t *buf, size_t len, int depth)
{
    dx_tlv_reader r;
    dx_error err = {0};

    dx_tlv_reader_init(&r, buf, len, "fuzz");
    while (!dx_tlv_reader_done(&r)) {
        dx_tlv t;
        size_t pos = r.pos;
        dx_status st = dx_tlv_read(&r, &t, &err);
        if (st != DX_OK) {
            FUZZ_ASSERT(st == DX_ERR_DATA && err.message[0], "read: status %d", (int)st);
            FUZZ_ASSERT(r.pos == pos, "the reader moved on an error");
            return;
        }
        FUZZ_ASSERT(t.raw == buf + pos && t.raw_len <= len - pos, "object outside the buffer");
        FUZZ_ASSERT(t.value >= t.raw && t.value + t.len == t.raw + t.raw_len,
                    "value not at the end of the object");
        FUZZ_ASSERT(t.value - t.raw <= DX_TLV_MAX_HEADER, "header of %d bytes",
                    (int)(t.value - t.raw));
        FUZZ_ASSERT(r.pos == pos + t.raw_len, "reader did not move past the object");
        {
            /* write it back (minimal length) and read that */
            uint8_t *w = malloc(t.len + DX_TLV_MAX_HEADER);
            dx_tlv_writer wr;
            dx_tlv u;
            size_t n = 0;
            FUZZ_ASSERT(w, "no memory");
            dx_tlv_writer_init(&wr, w, t.len + DX_TLV_MAX_HEADER);
            dx_tlv_put(&wr, t.tag, t.value, t.len);
            FUZZ_ASSERT(dx_tlv_writer_finish(&wr, &n, &err) == DX_OK, "write back: %s",
                        err.message);
            FUZZ_ASSERT(dx_tlv_parse_single(w, n, t.tag, &u, "fuzz", &err) == DX_OK,
                        "read back: %s", err.message);
            FUZZ_ASSERT(u.len == t.len && (t.len == 0 || memcmp(u.value, t.value, t.len) == 0),
                        "read back differs");
            free(w);
        }
        if (t.constructed && depth < 16)
            walk(t.value, t.len, depth + 1);
    }
}

static void card_access(const uint8_t *buf, size_t len)
{
    dx_card_access ca;
    dx_pace_info pick;
    dx_error err = {0};
    dx_status st = dx_pace_parse_card_access(buf, len, &ca, &err);

    if (st != DX_OK) {
        FUZZ_ASSERT(st == DX_ERR_DATA && err.message[0], "card access: status %d", (int)st);
        return;
    }
    FUZZ_ASSERT(ca.n_pace <= DX_PACE_MAX_INFOS, "%zu PACEInfos", ca.n_pace);
    for (size_t i = 0; i < ca.n_pace; i++) {
        const dx_pace_info *p = &ca.pace[i];
        char d[96];
        FUZZ_ASSERT(memchr(p->why, 0, sizeof p->why), "why not terminated");
        dx_pace_info_describe(p, d, sizeof d);
        if (p->supported)
            FUZZ_ASSERT(p->mapping == DX_PACE_GM && dx_chip_cipher_valid(p->cipher) &&
                        p->parameter_id >= 0 && p->version == 2, "supported but odd");
    }
    st = dx_pace_choose(&ca, &pick, &err);
    FUZZ_ASSERT(st == DX_OK ? pick.supported : st == DX_ERR_UNSUPPORTED, "choose: %d", (int)st);
}

static void unwrap(dx_chip_cipher c, const uint8_t *buf, size_t len)
{
    static const uint8_t k[32] = {0x97, 0x9E, 0xC1, 0x3B, 0x1C, 0xBF, 0xE9, 0xDC,
                                  0xD0, 0x1A, 0xB0, 0xFE, 0xD3, 0x07, 0xEA, 0xE5};
    uint8_t out[64];
    dx_sm_session *s = NULL;
    dx_rapdu r;
    dx_error err = {0};
    dx_status st;

    FUZZ_ASSERT(dx_sm_session_new(c, k, k, NULL, &s, &err) == DX_OK, "session");
    st = dx_sm_unwrap(s, buf, len, out, sizeof out, &r, &err);
    if (st == DX_OK)
        FUZZ_ASSERT(r.len <= sizeof out && r.data == out, "data outside the buffer");
    else
        FUZZ_ASSERT((st == DX_ERR_PROTOCOL || st == DX_ERR_INVALID_ARG) && err.message[0],
                    "unwrap: status %d", (int)st);
    dx_sm_session_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dx_error err = {0};
    dx_apdu a;
    uint32_t tag;
    size_t hdr, vlen;

    walk(data, size, 0);
    if (dx_tlv_peek_header(data, size, &tag, &hdr, &vlen, "fuzz", &err) == DX_OK) {
        dx_tlv_reader r;
        dx_tlv t;
        dx_tlv_reader_init(&r, data, size, "fuzz");
        if (dx_tlv_read(&r, &t, &err) == DX_OK)
            FUZZ_ASSERT(t.tag == tag && t.len == vlen && t.raw_len == hdr + vlen,
                        "peek and read disagree");
        else
            FUZZ_ASSERT(vlen > size - hdr, "peek took what read refused");
    }
    card_access(data, size);
    unwrap(DX_CHIP_3DES, data, size);
    unwrap(DX_CHIP_AES128, data, size);
    if (dx_apdu_decode(data, size, &a, &err) == DX_OK) {
        /* encoding what was decoded gives the same bytes */
        uint8_t *b = malloc(size);
        size_t n = 0;
        FUZZ_ASSERT(b, "no memory");
        FUZZ_ASSERT(a.nc <= DX_APDU_NC_MAX && a.ne <= DX_APDU_NE_MAX, "decode ranges");
        FUZZ_ASSERT(dx_apdu_encode(&a, b, size, &n, &err) == DX_OK && n == size &&
                    memcmp(b, data, size) == 0, "APDU decode/encode round trip");
        free(b);
    }
    return 0;
}
