/* Command and response APDUs (ISO/IEC 7816-4 §5.1). */
#include <stdlib.h>
#include <string.h>

#include "icao/apdu.h"

bool dx_apdu_is_extended(const dx_apdu *a)
{
    if (a->nc == 0 && a->ne == 0)
        return false;            /* case 1 has no length fields at all */
    return a->extended || a->nc > DX_APDU_NC_MAX_SHORT || a->ne > DX_APDU_NE_MAX_SHORT;
}

size_t dx_apdu_encoded_size(const dx_apdu *a)
{
    bool ext = dx_apdu_is_extended(a);
    size_t n = 4;
    if (a->nc)
        n += (ext ? 3 : 1) + a->nc;
    if (a->ne)
        n += ext ? (a->nc ? 2 : 3) : 1;
    return n;
}

dx_status dx_apdu_encode(const dx_apdu *a, uint8_t *out, size_t cap, size_t *out_len,
                         dx_error *err)
{
    bool ext = dx_apdu_is_extended(a);
    size_t n, i = 0;

    if (a->nc > DX_APDU_NC_MAX || a->ne > DX_APDU_NE_MAX)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "APDU INS %02X: Nc %zu / Ne %zu out of "
                            "range (at most %d / %d)", a->ins, a->nc, a->ne, DX_APDU_NC_MAX,
                            DX_APDU_NE_MAX);
    if (a->nc && !a->data)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "APDU INS %02X: %zu data bytes but no "
                            "data", a->ins, a->nc);
    n = dx_apdu_encoded_size(a);
    if (n > cap)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "APDU INS %02X: %zu bytes do not fit a "
                            "buffer of %zu", a->ins, n, cap);
    out[i++] = a->cla;
    out[i++] = a->ins;
    out[i++] = a->p1;
    out[i++] = a->p2;
    if (a->nc) {
        if (ext) {
            out[i++] = 0x00;
            out[i++] = (uint8_t)(a->nc >> 8);
        }
        out[i++] = (uint8_t)a->nc;
        memcpy(out + i, a->data, a->nc);
        i += a->nc;
    }
    if (a->ne) {
        /* 256 is coded 00 in a short Le and 65536 is coded 0000 in an extended one */
        if (ext) {
            if (!a->nc)
                out[i++] = 0x00;
            out[i++] = (uint8_t)((a->ne >> 8) & 0xFF);
        }
        out[i++] = (uint8_t)(a->ne & 0xFF);
    }
    *out_len = i;
    return DX_OK;
}

dx_status dx_apdu_decode(const uint8_t *cmd, size_t n, dx_apdu *out, dx_error *err)
{
    memset(out, 0, sizeof *out);
    if (n < 4)
        return dx_error_set(err, DX_ERR_DATA, "command APDU of %zu bytes (at least 4)", n);
    out->cla = cmd[0];
    out->ins = cmd[1];
    out->p1 = cmd[2];
    out->p2 = cmd[3];
    if (n == 4)
        return DX_OK;                                     /* case 1 */
    if (n == 5) {                                         /* case 2S */
        out->ne = cmd[4] ? cmd[4] : 256;
        return DX_OK;
    }
    if (cmd[4] != 0) {                                    /* case 3S or 4S */
        size_t lc = cmd[4];
        if (n != 5 + lc && n != 6 + lc)
            return dx_error_set(err, DX_ERR_DATA, "command APDU INS %02X: Lc %zu does not "
                                "match its %zu bytes", cmd[1], lc, n);
        out->data = cmd + 5;
        out->nc = lc;
        if (n == 6 + lc)
            out->ne = cmd[5 + lc] ? cmd[5 + lc] : 256;
        return DX_OK;
    }
    out->extended = true;
    if (n == 7) {                                         /* case 2E */
        size_t le = ((size_t)cmd[5] << 8) | cmd[6];
        out->ne = le ? le : 65536;
        return DX_OK;
    }
    if (n < 8)
        return dx_error_set(err, DX_ERR_DATA, "command APDU INS %02X: %zu bytes fit no case "
                            "of ISO/IEC 7816-4", cmd[1], n);
    {
        size_t lc = ((size_t)cmd[5] << 8) | cmd[6];
        if (lc == 0 || (n != 7 + lc && n != 9 + lc))
            return dx_error_set(err, DX_ERR_DATA, "command APDU INS %02X: extended Lc %zu "
                                "does not match its %zu bytes", cmd[1], lc, n);
        out->data = cmd + 7;
        out->nc = lc;
        if (n == 9 + lc) {
            size_t le = ((size_t)cmd[7 + lc] << 8) | cmd[8 + lc];
            out->ne = le ? le : 65536;
        }
    }
    return DX_OK;
}

dx_status dx_rapdu_parse(const uint8_t *rsp, size_t n, dx_rapdu *out, dx_error *err)
{
    if (n < 2)
        return dx_error_set(err, DX_ERR_PROTOCOL, "response APDU of %zu byte%s: no status "
                            "word", n, n == 1 ? "" : "s");
    out->data = rsp;
    out->len = n - 2;
    out->sw = (uint16_t)((rsp[n - 2] << 8) | rsp[n - 1]);
    return DX_OK;
}

/* One exchange, with the transport's failures turned into messages. */
static dx_status exchange(const dx_apdu_transport *t, const uint8_t *cmd, size_t n,
                          uint8_t *rsp, size_t cap, size_t *got, dx_error *err)
{
    dx_status st;
    unsigned ins = n >= 2 ? cmd[1] : 0;

    if (!t || !t->transmit)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "APDU INS %02X: no transport", ins);
    *got = 0;
    st = t->transmit(t->ctx, cmd, n, rsp, cap, got);
    if (st != DX_OK) {
        const char *why = t->why ? t->why(t->ctx) : NULL;
        return dx_error_set(err, st, "APDU INS %02X: transmit failed: %s", ins,
                            why && *why ? why : dx_status_str(st));
    }
    if (*got > cap)
        return dx_error_set(err, DX_ERR_INTERNAL, "APDU INS %02X: the transport reports %zu "
                            "bytes in a buffer of %zu", ins, *got, cap);
    if (*got < 2)
        return dx_error_set(err, DX_ERR_PROTOCOL, "APDU INS %02X: response of %zu byte%s, "
                            "no status word", ins, *got, *got == 1 ? "" : "s");
    return DX_OK;
}

dx_status dx_apdu_transmit_raw(const dx_apdu_transport *t, const uint8_t *cmd, size_t n,
                               uint8_t *rsp, size_t cap, dx_rapdu *out, dx_error *err)
{
    size_t got = 0, have;
    dx_status st = exchange(t, cmd, n, rsp, cap, &got, err);

    if (st != DX_OK)
        return st;
    /* 7816-4 §5.3.4: 61XX, more bytes available through GET RESPONSE */
    for (int rounds = 0; rsp[got - 2] == 0x61; rounds++) {
        uint8_t get[5] = {0x00, 0xC0, 0x00, 0x00, rsp[got - 1]};
        size_t more = 0;
        have = got - 2;
        if (rounds >= 256)
            return dx_error_set(err, DX_ERR_PROTOCOL, "APDU INS %02X: more than 256 GET "
                                "RESPONSE rounds", n >= 2 ? cmd[1] : 0);
        st = exchange(t, get, sizeof get, rsp + have, cap - have, &more, err);
        if (st != DX_OK)
            return st;
        got = have + more;
    }
    return dx_rapdu_parse(rsp, got, out, err);
}

dx_status dx_apdu_transmit(const dx_apdu_transport *t, const dx_apdu *cmd, uint8_t *rsp,
                           size_t cap, dx_rapdu *out, dx_error *err)
{
    uint8_t small[4 + 1 + DX_APDU_NC_MAX_SHORT + 1];
    uint8_t *buf = small;
    size_t n = dx_apdu_encoded_size(cmd), len = 0;
    dx_status st;
    dx_apdu again;

    if (n > sizeof small && !(buf = malloc(n)))
        return dx_error_set(err, DX_ERR_NO_MEMORY, "APDU INS %02X: no memory for %zu bytes",
                            cmd->ins, n);
    st = dx_apdu_encode(cmd, buf, n, &len, err);
    if (st != DX_OK)
        goto fail;
    st = dx_apdu_transmit_raw(t, buf, len, rsp, cap, out, err);
    if (st != DX_OK)
        goto fail;
    /* 7816-4 §5.3.4: 6CXX, wrong Le field; XX is the exact length */
    if ((out->sw >> 8) == 0x6C && cmd->ne) {
        again = *cmd;
        again.ne = (out->sw & 0xFF) ? (out->sw & 0xFF) : 256;
        st = dx_apdu_encode(&again, buf, n, &len, err);
        if (st == DX_OK)
            st = dx_apdu_transmit_raw(t, buf, len, rsp, cap, out, err);
    }
fail:
    if (buf != small)
        free(buf);
    return st;
}

const char *dx_apdu_sw_str(uint16_t sw)
{
    switch (sw) {
    case 0x9000: return "success";
    case 0x6282: return "end of file reached before Le bytes";
    case 0x6300: return "authentication failed";
    case 0x6581: return "memory failure";
    case 0x6700: return "wrong length";
    case 0x6882: return "secure messaging not supported";
    case 0x6982: return "security status not satisfied";
    case 0x6983: return "authentication method blocked";
    case 0x6984: return "reference data not usable";
    case 0x6985: return "conditions of use not satisfied";
    case 0x6986: return "command not allowed (no current EF)";
    case 0x6987: return "expected secure messaging data objects missing";
    case 0x6988: return "incorrect secure messaging data objects";
    case 0x6A80: return "incorrect parameters in the data field";
    case 0x6A82: return "file or application not found";
    case 0x6A86: return "incorrect parameters P1-P2";
    case 0x6A88: return "referenced data not found";
    case 0x6B00: return "wrong parameters (offset outside the EF)";
    case 0x6D00: return "instruction not supported";
    case 0x6E00: return "class not supported";
    case 0x6F00: return "no precise diagnosis";
    default: break;
    }
    if ((sw & 0xFFF0) == 0x63C0)
        return "verification failed, retries left in the last digit";
    if ((sw >> 8) == 0x61)
        return "more response bytes available";
    if ((sw >> 8) == 0x6C)
        return "wrong Le";
    return "unknown status";
}
