/* SELECT and READ BINARY on the chip (ICAO 9303 Part 10; ISO/IEC 7816-4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icao/chip_file.h"
#include "icao/tlv.h"

const uint8_t dx_emrtd_aid[DX_EMRTD_AID_LEN] = {0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01};

/* Bytes of the first READ BINARY of a file: enough for any header the TLV
 * reader takes (3 tag bytes, 84 and 4 length bytes). */
#define FIRST_READ 8

static size_t read_size(const dx_chip_channel *ch)
{
    size_t n = ch->max_read ? ch->max_read : DX_CHIP_READ_DEFAULT;
    size_t cap = ch->extended ? DX_APDU_NE_MAX - 64 : DX_APDU_NE_MAX_SHORT;
    if (ch->sm && !ch->extended)
        cap = DX_CHIP_READ_DEFAULT;  /* room for DO87, DO99 and DO8E in 256 bytes */
    return n < cap ? n : cap;
}

dx_status dx_chip_transmit(dx_chip_channel *ch, const dx_apdu *cmd, uint8_t *rsp, size_t cap,
                           dx_rapdu *out, dx_error *err)
{
    if (ch->sm)
        return dx_sm_transmit(ch->sm, &ch->transport, cmd, rsp, cap, out, err);
    return dx_apdu_transmit(&ch->transport, cmd, rsp, cap, out, err);
}

/* A status word other than 9000 as a status and message. */
static dx_status sw_error(uint16_t sw, const char *what, unsigned id, dx_error *err)
{
    dx_status st = sw == DX_SW_FILE_NOT_FOUND ? DX_ERR_NOT_FOUND
                   : sw == DX_SW_SECURITY_NOT_SATISFIED ? DX_ERR_STATE : DX_ERR_PROTOCOL;
    return dx_error_set(err, st, "%s %04X: the chip answered %04X (%s)%s", what, id, sw,
                        dx_apdu_sw_str(sw),
                        st == DX_ERR_STATE ? "; access control has not granted it" : "");
}

dx_status dx_chip_select_aid(dx_chip_channel *ch, const uint8_t *aid, size_t n, dx_error *err)
{
    uint8_t rsp[256];
    dx_rapdu r;
    const dx_apdu cmd = {.cla = 0x00, .ins = 0xA4, .p1 = 0x04, .p2 = 0x0C, .data = aid, .nc = n};
    dx_status st = dx_chip_transmit(ch, &cmd, rsp, sizeof rsp, &r, err);
    if (st != DX_OK)
        return st;
    if (r.sw != DX_SW_OK)
        return sw_error(r.sw, "SELECT application", n >= 2 ? (aid[n - 2] << 8 | aid[n - 1]) : 0,
                        err);
    return DX_OK;
}

dx_status dx_chip_select_ef(dx_chip_channel *ch, uint16_t fid, dx_error *err)
{
    uint8_t data[2] = {(uint8_t)(fid >> 8), (uint8_t)fid}, rsp[256];
    dx_rapdu r;
    const dx_apdu cmd = {.cla = 0x00, .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C, .data = data, .nc = 2};
    dx_status st = dx_chip_transmit(ch, &cmd, rsp, sizeof rsp, &r, err);
    if (st != DX_OK)
        return st;
    if (r.sw != DX_SW_OK)
        return sw_error(r.sw, "SELECT EF", fid, err);
    return DX_OK;
}

dx_status dx_chip_read_binary(dx_chip_channel *ch, size_t offset, size_t n, uint8_t *buf,
                              size_t *got, dx_error *err)
{
    uint8_t *rsp = NULL, data[5];
    size_t cap = read_size(ch) + 16, k = 0;
    dx_apdu cmd = {.cla = 0x00};
    dx_rapdu r;
    dx_error perr = {0};
    dx_status st;

    *got = 0;
    if (n == 0 || n > read_size(ch))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "READ BINARY: %zu bytes (1 to %zu at a "
                            "time)", n, read_size(ch));
    if (offset > 0xFFFFFF)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "READ BINARY: offset %zu too large",
                            offset);
    if (offset <= 0x7FFF) {
        /* B0: the offset in P1-P2 (bit 8 of P1 clear) */
        cmd.ins = 0xB0;
        cmd.p1 = (uint8_t)(offset >> 8);
        cmd.p2 = (uint8_t)offset;
        cmd.ne = n;
    } else {
        /* B1: the offset in DO54, the data back in DO53 (up to 4 header bytes) */
        for (size_t v = offset; v; v >>= 8)
            k++;
        data[0] = 0x54;
        data[1] = (uint8_t)k;
        for (size_t i = 0; i < k; i++)
            data[2 + i] = (uint8_t)(offset >> (8 * (k - 1 - i)));
        cmd.ins = 0xB1;
        cmd.data = data;
        cmd.nc = 2 + k;
        cmd.ne = n + 4;
        if (cmd.ne > DX_APDU_NE_MAX_SHORT && !ch->extended)
            cmd.ne = DX_APDU_NE_MAX_SHORT;
    }
    cmd.extended = ch->extended && cmd.ne > DX_APDU_NE_MAX_SHORT;
    if (!(rsp = malloc(cap)))
        return dx_error_set(err, DX_ERR_NO_MEMORY, "READ BINARY: no memory");
    st = dx_chip_transmit(ch, &cmd, rsp, cap, &r, err);
    if (st != DX_OK)
        goto fail;
    if (r.sw != DX_SW_OK && r.sw != DX_SW_END_OF_FILE) {
        st = sw_error(r.sw, "READ BINARY at offset", (unsigned)offset, err);
        goto fail;
    }
    if (cmd.ins == 0xB1 && r.len > 0) {
        dx_tlv d53;
        if (dx_tlv_parse_single(r.data, r.len, 0x53, &d53, "READ BINARY (odd INS) answer",
                                &perr) != DX_OK) {
            st = dx_error_set(err, DX_ERR_PROTOCOL, "%s", perr.message);
            goto fail;
        }
        r.data = d53.value;
        r.len = d53.len;
    }
    if (r.len > n) {
        st = dx_error_set(err, DX_ERR_PROTOCOL, "READ BINARY at offset %zu: %zu bytes for %zu "
                          "asked", offset, r.len, n);
        goto fail;
    }
    if (r.len)
        memcpy(buf, r.data, r.len);
    *got = r.len;
fail:
    free(rsp);
    return st;
}

dx_status dx_chip_read_file(dx_chip_channel *ch, uint16_t fid, size_t max_size, uint8_t **out,
                            size_t *len, dx_error *err)
{
    uint8_t first[FIRST_READ];
    uint8_t *buf = NULL;
    size_t got = 0, hdr = 0, vlen = 0, total, have;
    uint32_t tag;
    char what[32];
    dx_status st;

    *out = NULL;
    *len = 0;
    snprintf(what, sizeof what, "EF %04X", fid);
    st = dx_chip_select_ef(ch, fid, err);
    if (st != DX_OK)
        return st;
    st = dx_chip_read_binary(ch, 0, sizeof first, first, &got, err);
    if (st != DX_OK)
        return st;
    st = dx_tlv_peek_header(first, got, &tag, &hdr, &vlen, what, err);
    if (st != DX_OK)
        return st;
    if (vlen > max_size || hdr + vlen > max_size)
        return dx_error_set(err, DX_ERR_DATA, "%s declares %zu bytes, more than the limit of "
                            "%zu", what, hdr + vlen, max_size);
    total = hdr + vlen;
    if (!(buf = malloc(total ? total : 1)))
        return dx_error_set(err, DX_ERR_NO_MEMORY, "%s: no memory for %zu bytes", what, total);
    have = got < total ? got : total;
    memcpy(buf, first, have);
    while (have < total) {
        size_t want = total - have;
        if (want > read_size(ch))
            want = read_size(ch);
        st = dx_chip_read_binary(ch, have, want, buf + have, &got, err);
        if (st != DX_OK)
            goto fail;
        if (got == 0) {
            st = dx_error_set(err, DX_ERR_PROTOCOL, "%s ends at %zu bytes, before its declared "
                              "%zu", what, have, total);
            goto fail;
        }
        have += got;
    }
    *out = buf;
    *len = total;
    return DX_OK;
fail:
    free(buf);
    return st;
}
