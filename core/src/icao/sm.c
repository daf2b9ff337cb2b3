/* Secure messaging, terminal side: ICAO 9303 Part 11 §9.8. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icao/sm.h"
#include "icao/tlv.h"

struct dx_sm_session {
    dx_chip_cipher c;
    size_t bl;                          /* block and SSC length */
    uint8_t ks_enc[DX_CHIP_MAX_KEY];
    uint8_t ks_mac[DX_CHIP_MAX_KEY];
    uint8_t ssc[DX_CHIP_MAX_BLOCK];
    bool open;
    uint8_t *cmd_buf;                   /* DX_APDU_CMD_MAX, for dx_sm_transmit */
    uint8_t *rsp_buf;                   /* DX_APDU_RSP_MAX */
};

dx_status dx_sm_session_new(dx_chip_cipher c, const uint8_t *ks_enc, const uint8_t *ks_mac,
                            const uint8_t *ssc, dx_sm_session **out, dx_error *err)
{
    dx_sm_session *s;

    *out = NULL;
    if (!dx_chip_cipher_valid(c) || !ks_enc || !ks_mac)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "secure messaging: unknown cipher %d or "
                            "no keys", (int)c);
    s = calloc(1, sizeof *s);
    if (!s)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "secure messaging: no memory");
    s->c = c;
    s->bl = dx_chip_block_len(c);
    memcpy(s->ks_enc, ks_enc, dx_chip_key_len(c));
    memcpy(s->ks_mac, ks_mac, dx_chip_key_len(c));
    if (ssc)
        memcpy(s->ssc, ssc, s->bl);
    s->open = true;
    *out = s;
    return DX_OK;
}

static void close_session(dx_sm_session *s)
{
    dx_chip_cleanse(s->ks_enc, sizeof s->ks_enc);
    dx_chip_cleanse(s->ks_mac, sizeof s->ks_mac);
    s->open = false;
}

void dx_sm_session_free(dx_sm_session *s)
{
    if (!s)
        return;
    close_session(s);
    if (s->cmd_buf) {
        dx_chip_cleanse(s->cmd_buf, DX_APDU_CMD_MAX);
        free(s->cmd_buf);
    }
    if (s->rsp_buf) {
        dx_chip_cleanse(s->rsp_buf, DX_APDU_RSP_MAX);
        free(s->rsp_buf);
    }
    dx_chip_cleanse(s, sizeof *s);
    free(s);
}

dx_chip_cipher dx_sm_session_cipher(const dx_sm_session *s)
{
    return s->c;
}

bool dx_sm_session_is_open(const dx_sm_session *s)
{
    return s && s->open;
}

void dx_sm_session_ssc(const dx_sm_session *s, uint8_t *out, size_t *len)
{
    memcpy(out, s->ssc, s->bl);
    *len = s->bl;
}

/* 9303 Part 11 §9.8.2: the SSC counts up by one, big-endian. */
static void ssc_increment(dx_sm_session *s)
{
    for (size_t i = s->bl; i-- > 0;)
        if (++s->ssc[i] != 0)
            break;
}

/* 9303 Part 11 §9.8.6: IV 0 for 3DES; E(KSenc, SSC) for AES. */
static dx_status sm_iv(const dx_sm_session *s, uint8_t *iv, dx_error *err)
{
    if (s->c == DX_CHIP_3DES) {
        memset(iv, 0, s->bl);
        return DX_OK;
    }
    return dx_chip_encrypt(s->c, s->ks_enc, NULL, s->ssc, s->bl, iv, err);
}

/* MAC over SSC || data, padded (9303 Part 11 §9.8.3). */
static dx_status sm_mac(const dx_sm_session *s, const uint8_t *data, size_t n, uint8_t *mac,
                        dx_error *err)
{
    uint8_t *buf = malloc(s->bl + n + 1);
    dx_status st;
    if (!buf)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "secure messaging: no memory for the MAC");
    memcpy(buf, s->ssc, s->bl);
    if (n)
        memcpy(buf + s->bl, data, n);
    st = dx_chip_mac(s->c, s->ks_mac, buf, s->bl + n, true, mac, err);
    dx_chip_cleanse(buf, s->bl + n);
    free(buf);
    return st;
}

/* 9303 Part 11 §9.8.4 */
dx_status dx_sm_wrap(dx_sm_session *s, const dx_apdu *cmd, uint8_t *out, size_t cap,
                     size_t *out_len, dx_error *err)
{
    uint8_t iv[DX_CHIP_MAX_BLOCK], mac[DX_CHIP_MAC_LEN], ssc[DX_CHIP_MAX_BLOCK] = {0};
    uint8_t *crypt = NULL, *body = NULL, *mac_in = NULL;
    size_t plen = 0, body_cap, body_len = 0, mac_len;
    uint8_t cla = (uint8_t)(cmd->cla | 0x0C);
    bool ext;
    dx_tlv_writer w;
    dx_apdu prot;
    dx_status st;

    if (!s->open)
        return dx_error_set(err, DX_ERR_STATE, "secure messaging: the session is closed");
    if (cmd->cla & 0x0C)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "secure messaging: CLA %02X already "
                            "indicates secure messaging", cmd->cla);
    if (cmd->nc > DX_APDU_NC_MAX || cmd->ne > DX_APDU_NE_MAX || (cmd->nc && !cmd->data))
        return dx_error_set(err, DX_ERR_INVALID_ARG, "secure messaging: INS %02X: Nc %zu / "
                            "Ne %zu out of range", cmd->ins, cmd->nc, cmd->ne);
    memcpy(ssc, s->ssc, sizeof ssc);
    body_cap = cmd->nc + s->bl + 32 + 16;
    crypt = malloc(1 + cmd->nc + s->bl);
    body = malloc(body_cap);
    mac_in = malloc(s->bl + body_cap);
    if (!crypt || !body || !mac_in) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "secure messaging: no memory");
        goto fail;
    }
    ssc_increment(s);
    dx_tlv_writer_init(&w, body, body_cap);
    if (cmd->nc) {
        /* DO87 = 01 || E(KSenc, padded data); DO85 (odd INS) has no indicator byte */
        bool odd = cmd->ins & 1;
        uint8_t *c = crypt + (odd ? 0 : 1);
        crypt[0] = 0x01;
        plen = dx_chip_pad(cmd->data, cmd->nc, s->bl, c, cmd->nc + s->bl);
        st = sm_iv(s, iv, err);
        if (st == DX_OK)
            st = dx_chip_encrypt(s->c, s->ks_enc, iv, c, plen, c, err);
        if (st != DX_OK)
            goto fail;
        dx_tlv_put(&w, odd ? 0x85 : 0x87, crypt, plen + (odd ? 0 : 1));
    }
    if (cmd->ne) {
        /* DO97: Le as in the plain command (one byte, or two for an extended Le) */
        uint8_t le[2] = {(uint8_t)(cmd->ne >> 8), (uint8_t)cmd->ne};
        if (cmd->ne <= DX_APDU_NE_MAX_SHORT && !cmd->extended)
            dx_tlv_put(&w, 0x97, le + 1, 1);
        else
            dx_tlv_put(&w, 0x97, le, 2);
    }
    st = dx_tlv_writer_finish(&w, &body_len, err);
    if (st != DX_OK)
        goto fail;
    /* MAC input: SSC || padded header || DO87/DO85 || DO97 (sm_mac adds SSC and padding) */
    mac_in[0] = cla;
    mac_in[1] = cmd->ins;
    mac_in[2] = cmd->p1;
    mac_in[3] = cmd->p2;
    mac_len = dx_chip_pad(mac_in, 4, s->bl, mac_in, s->bl);
    memcpy(mac_in + mac_len, body, body_len);
    st = sm_mac(s, mac_in, mac_len + body_len, mac, err);
    if (st != DX_OK)
        goto fail;
    dx_tlv_put(&w, 0x8E, mac, sizeof mac);
    st = dx_tlv_writer_finish(&w, &body_len, err);
    if (st != DX_OK)
        goto fail;
    if (body_len > DX_APDU_NC_MAX) {
        st = dx_error_set(err, DX_ERR_INVALID_ARG, "secure messaging: INS %02X: %zu bytes of "
                          "protected data exceed an APDU", cmd->ins, body_len);
        goto fail;
    }
    ext = cmd->extended || cmd->ne > DX_APDU_NE_MAX_SHORT || body_len > DX_APDU_NC_MAX_SHORT;
    prot = (dx_apdu){.cla = cla, .ins = cmd->ins, .p1 = cmd->p1, .p2 = cmd->p2, .data = body,
                     .nc = body_len, .ne = ext ? DX_APDU_NE_MAX : DX_APDU_NE_MAX_SHORT,
                     .extended = ext};
    st = dx_apdu_encode(&prot, out, cap, out_len, err);
fail:
    if (st != DX_OK)
        memcpy(s->ssc, ssc, sizeof ssc);    /* nothing was sent: the SSC stays */
    dx_chip_cleanse(iv, sizeof iv);
    if (crypt) {
        dx_chip_cleanse(crypt, 1 + cmd->nc + s->bl);
        free(crypt);
    }
    free(body);
    if (mac_in) {
        dx_chip_cleanse(mac_in, s->bl + body_cap);
        free(mac_in);
    }
    return st;
}

/* The chip broke the protocol: close the session and say why. */
static dx_status refuse(dx_sm_session *s, dx_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static dx_status refuse(dx_sm_session *s, dx_error *err, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    close_session(s);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dx_error_set(err, DX_ERR_PROTOCOL, "secure messaging response: %s", msg);
}

/* 9303 Part 11 §9.8.5 */
dx_status dx_sm_unwrap(dx_sm_session *s, const uint8_t *rsp, size_t n, uint8_t *out,
                       size_t cap, dx_rapdu *plain, dx_error *err)
{
    dx_tlv_reader r;
    dx_tlv data = {0}, status = {0}, mac = {0}, t;
    bool have_data = false, have_status = false, have_mac = false;
    uint8_t calc[DX_CHIP_MAC_LEN], iv[DX_CHIP_MAX_BLOCK];
    uint8_t *clear = NULL;
    const uint8_t *cg;
    size_t blen, cg_len = 0, len = 0;
    uint16_t sw;
    dx_error perr = {0};
    dx_status st;

    if (!s->open)
        return dx_error_set(err, DX_ERR_STATE, "secure messaging: the session is closed");
    ssc_increment(s);
    if (n < 2)
        return refuse(s, err, "%zu byte(s), no status word", n);
    blen = n - 2;
    sw = (uint16_t)((rsp[n - 2] << 8) | rsp[n - 1]);
    if (blen == 0) {
        /* 9303 Part 11 §9.8: the chip answers an SM error (or any error, some
         * chips) without SM and drops its session keys; so do we. */
        close_session(s);
        if (sw == DX_SW_OK)
            return dx_error_set(err, DX_ERR_PROTOCOL, "secure messaging response: 9000 "
                                "without secure messaging");
        plain->data = out;
        plain->len = 0;
        plain->sw = sw;
        return DX_OK;
    }
    dx_tlv_reader_init(&r, rsp, blen, "secure messaging response");
    while (!dx_tlv_reader_done(&r)) {
        if (dx_tlv_read(&r, &t, &perr) != DX_OK) {
            close_session(s);
            return dx_error_set(err, DX_ERR_PROTOCOL, "%s", perr.message);
        }
        if (have_mac)
            return refuse(s, err, "data object %X after DO8E", (unsigned)t.tag);
        if ((t.tag == 0x87 || t.tag == 0x85) && !have_data) {
            data = t;
            have_data = true;
        } else if (t.tag == 0x99 && !have_status) {
            status = t;
            have_status = true;
        } else if (t.tag == 0x8E) {
            mac = t;
            have_mac = true;
        } else {
            return refuse(s, err, "unexpected or repeated data object %X", (unsigned)t.tag);
        }
    }
    if (!have_mac)
        return refuse(s, err, "no DO8E (MAC)");
    if (mac.len != DX_CHIP_MAC_LEN)
        return refuse(s, err, "DO8E of %zu bytes (8 expected)", mac.len);
    /* the MAC covers SSC || every object before DO8E, padded */
    st = sm_mac(s, rsp, mac.offset, calc, err);
    if (st != DX_OK) {
        close_session(s);
        return st;
    }
    if (!dx_chip_equal(calc, mac.value, DX_CHIP_MAC_LEN))
        return refuse(s, err, "the MAC does not verify (SSC or keys differ, or the response "
                      "was altered)");
    if (!have_status)
        return refuse(s, err, "no DO99 (status)");
    if (status.len != 2)
        return refuse(s, err, "DO99 of %zu bytes (2 expected)", status.len);
    if (((status.value[0] << 8) | status.value[1]) != sw)
        return refuse(s, err, "status word %04X differs from the protected one %04X",
                      (unsigned)sw,
                      (unsigned)((status.value[0] << 8) | status.value[1]));
    plain->data = out;
    plain->len = 0;
    plain->sw = sw;
    if (!have_data)
        return DX_OK;
    cg = data.value;
    cg_len = data.len;
    if (data.tag == 0x87) {
        if (cg_len < 1 || cg[0] != 0x01)
            return refuse(s, err, "DO87 padding indicator %02X (01 expected)",
                          cg_len ? cg[0] : 0u);
        cg++;
        cg_len--;
    }
    if (cg_len == 0 || cg_len % s->bl)
        return refuse(s, err, "cryptogram of %zu bytes is not whole blocks", cg_len);
    clear = malloc(cg_len);
    if (!clear)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "secure messaging: no memory");
    st = sm_iv(s, iv, err);
    if (st == DX_OK)
        st = dx_chip_decrypt(s->c, s->ks_enc, iv, cg, cg_len, clear, err);
    if (st != DX_OK) {
        close_session(s);
        goto fail;
    }
    if (dx_chip_unpad(clear, cg_len, &len, &perr) != DX_OK) {
        st = refuse(s, err, "bad padding in the decrypted DO%X", (unsigned)data.tag);
        goto fail;
    }
    if (len > cap) {
        st = dx_error_set(err, DX_ERR_INVALID_ARG, "secure messaging: %zu bytes of response "
                          "data do not fit a buffer of %zu", len, cap);
        goto fail;
    }
    memcpy(out, clear, len);
    plain->len = len;
    st = DX_OK;
fail:
    dx_chip_cleanse(iv, sizeof iv);
    dx_chip_cleanse(clear, cg_len);
    free(clear);
    return st;
}

dx_status dx_sm_transmit(dx_sm_session *s, const dx_apdu_transport *t, const dx_apdu *cmd,
                         uint8_t *rsp, size_t cap, dx_rapdu *out, dx_error *err)
{
    size_t len = 0;
    dx_rapdu raw;
    dx_status st;

    if (!s->open)
        return dx_error_set(err, DX_ERR_STATE, "secure messaging: the session is closed");
    if (!s->cmd_buf && !(s->cmd_buf = malloc(DX_APDU_CMD_MAX)))
        return dx_error_set(err, DX_ERR_NO_MEMORY, "secure messaging: no memory");
    if (!s->rsp_buf && !(s->rsp_buf = malloc(DX_APDU_RSP_MAX)))
        return dx_error_set(err, DX_ERR_NO_MEMORY, "secure messaging: no memory");
    st = dx_sm_wrap(s, cmd, s->cmd_buf, DX_APDU_CMD_MAX, &len, err);
    if (st != DX_OK)
        return st;
    st = dx_apdu_transmit_raw(t, s->cmd_buf, len, s->rsp_buf, DX_APDU_RSP_MAX, &raw, err);
    if (st != DX_OK) {
        /* the chip's SSC is unknown now: this session cannot go on */
        close_session(s);
        return st;
    }
    return dx_sm_unwrap(s, s->rsp_buf, raw.len + 2, rsp, cap, out, err);
}
