/* pcsc — contactless chip readers through PC/SC (pcsc-lite).
 *
 * Every PC/SC reader is a device.  Its id is the reader's name made
 * id-safe ("Virtual PCD 00 00" -> "virtual-pcd-00-00"), stable while it is
 * plugged; the full name is the model.  Each open device has a PC/SC context
 * of its own, so devices share no state and cancel() (SCardCancel) of one
 * never touches another.
 *
 * wait_card() waits for a card with SCardGetStatusChange, connects (T=1,
 * else T=0; exclusive unless the option says otherwise) and returns the ATR.
 * transmit() sends one APDU, short or extended, as given; on T=0 it follows
 * 61xx with GET RESPONSE and 6Cxx with the corrected Le, so the host always
 * sees the whole answer.  A card gone from the field is DX_ERR_CARD_REMOVED,
 * a reader gone (unplugged, pcscd stopped) DX_ERR_DISCONNECTED.
 *
 * Host settings: pcsc.readers — only readers whose name contains this text
 * (a test uses it to keep to its own virtual reader). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "docex/plugin.h"

#define PCSC_MAX_READERS 64
#define PCSC_NAME_MAX 128

struct dxp_plugin_ctx {
    const dxp_host *host;
};

struct dxp_device {
    dxp_plugin_ctx *ctx;
    SCARDCONTEXT sc;
    SCARDHANDLE card;
    DWORD protocol;
    bool connected;
    bool exclusive;
    char reader[PCSC_NAME_MAX];
    char id[64];
    atomic_bool cancelled;
};

static const dxp_option pcsc_options[] = {
    {"exclusive", DXP_OPT_BOOL, DXP_UNIT_NONE, 0, 1, 0, 0, NULL, "true",
     "connect to the card exclusively (no other application can talk to it meanwhile)", {NULL}},
};

/* pcsc-lite's own text for a status, for the log */
static const char *sc_text(LONG rv)
{
    return pcsc_stringify_error(rv);
}

static dx_status sc_status(LONG rv)
{
    switch (rv) {
    case SCARD_S_SUCCESS: return DX_OK;
    case SCARD_E_TIMEOUT: return DX_ERR_NO_CARD;
    case SCARD_E_CANCELLED: return DX_ERR_CANCELLED;
    case SCARD_E_NO_SMARTCARD:
    case SCARD_W_REMOVED_CARD:
    case SCARD_W_RESET_CARD:
    case SCARD_W_UNPOWERED_CARD:
    case SCARD_E_NOT_TRANSACTED: return DX_ERR_CARD_REMOVED;
    case SCARD_E_UNKNOWN_READER:
    case SCARD_E_READER_UNAVAILABLE:
    case SCARD_E_NO_SERVICE:
    case SCARD_E_SERVICE_STOPPED:
    case SCARD_E_NO_READERS_AVAILABLE: return DX_ERR_DISCONNECTED;
    case SCARD_E_SHARING_VIOLATION: return DX_ERR_BUSY;
    case SCARD_E_INSUFFICIENT_BUFFER: return DX_ERR_INVALID_ARG;
    case SCARD_E_NO_MEMORY: return DX_ERR_NO_MEMORY;
    case SCARD_W_UNRESPONSIVE_CARD:
    case SCARD_E_PROTO_MISMATCH:
    case SCARD_E_INVALID_ATR: return DX_ERR_PROTOCOL;
    default: return DX_ERR_IO;
    }
}

/* "Virtual PCD 00 00" -> "virtual-pcd-00-00" */
static void reader_id(const char *name, char *id, size_t size)
{
    size_t n = 0;
    bool dash = false;
    for (const char *p = name; *p && n + 1 < size; p++) {
        char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            id[n++] = c;
            dash = false;
        } else if (c >= 'A' && c <= 'Z') {
            id[n++] = (char)(c - 'A' + 'a');
            dash = false;
        } else if (!dash && n > 0) {
            id[n++] = '-';
            dash = true;
        }
    }
    while (n > 0 && id[n - 1] == '-')
        n--;
    id[n] = '\0';
    if (!n)
        snprintf(id, size, "reader");
}

/* The readers present (names in `buf`, `names` pointing into it), those
 * matching the pcsc.readers setting. */
static LONG list_readers(dxp_plugin_ctx *ctx, SCARDCONTEXT sc, char *buf, DWORD size,
                         const char **names, size_t *n)
{
    char filter[PCSC_NAME_MAX] = "";
    DWORD len = size;
    *n = 0;
    if (ctx->host->get_setting)
        ctx->host->get_setting(ctx->host->ctx, "pcsc.readers", filter, sizeof filter);
    LONG rv = SCardListReaders(sc, NULL, buf, &len);
    if (rv == SCARD_E_NO_READERS_AVAILABLE)
        return SCARD_S_SUCCESS;
    if (rv != SCARD_S_SUCCESS)
        return rv;
    for (char *p = buf; p < buf + len && *p && *n < PCSC_MAX_READERS; p += strlen(p) + 1)
        if (!filter[0] || strstr(p, filter))
            names[(*n)++] = p;
    return SCARD_S_SUCCESS;
}

static dx_status pcsc_init(const dxp_host *host, dxp_plugin_ctx **out)
{
    if (!host || !out)
        return DX_ERR_INVALID_ARG;
    dxp_plugin_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return DX_ERR_NO_MEMORY;
    ctx->host = host;
    *out = ctx;
    return DX_OK;
}

static void pcsc_fini(dxp_plugin_ctx *ctx)
{
    free(ctx);
}

static dx_status pcsc_enumerate(dxp_plugin_ctx *ctx, dxp_device_info *out, uint32_t capacity,
                                uint32_t *count)
{
    SCARDCONTEXT sc;
    char buf[8192];
    const char *names[PCSC_MAX_READERS];
    size_t n = 0;
    if (!ctx || !count || (capacity && !out))
        return DX_ERR_INVALID_ARG;
    *count = 0;
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &sc);
    if (rv == SCARD_E_NO_SERVICE) { /* no pcscd: no reader, not an error */
        dxp_log(ctx->host, DXP_LOG_INFO, "no PC/SC service (pcscd): %s", sc_text(rv));
        return DX_OK;
    }
    if (rv != SCARD_S_SUCCESS) {
        dxp_log(ctx->host, DXP_LOG_WARNING, "SCardEstablishContext: %s", sc_text(rv));
        return sc_status(rv);
    }
    rv = list_readers(ctx, sc, buf, sizeof buf, names, &n);
    SCardReleaseContext(sc);
    if (rv != SCARD_S_SUCCESS) {
        dxp_log(ctx->host, DXP_LOG_WARNING, "SCardListReaders: %s", sc_text(rv));
        return sc_status(rv);
    }
    for (size_t i = 0; i < n && i < capacity; i++) {
        memset(&out[i], 0, sizeof out[i]);
        reader_id(names[i], out[i].id, sizeof out[i].id);
        out[i].kinds = DXP_KIND_CHIP_READER;
        snprintf(out[i].model, sizeof out[i].model, "%s", names[i]);
        snprintf(out[i].vendor, sizeof out[i].vendor, "PC/SC");
    }
    *count = (uint32_t)n;
    return DX_OK;
}

static dx_status pcsc_open(dxp_plugin_ctx *ctx, const char *id, dxp_device **out)
{
    char buf[8192];
    const char *names[PCSC_MAX_READERS];
    size_t n = 0;
    if (!ctx || !id || !out)
        return DX_ERR_INVALID_ARG;
    *out = NULL;
    dxp_device *dev = calloc(1, sizeof *dev);
    if (!dev)
        return DX_ERR_NO_MEMORY;
    dev->ctx = ctx;
    dev->exclusive = true;
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &dev->sc);
    if (rv != SCARD_S_SUCCESS) {
        dxp_log(ctx->host, DXP_LOG_ERROR, "%s: no PC/SC service: %s", id, sc_text(rv));
        free(dev);
        return rv == SCARD_E_NO_SERVICE ? DX_ERR_NOT_FOUND : sc_status(rv);
    }
    rv = list_readers(ctx, dev->sc, buf, sizeof buf, names, &n);
    for (size_t i = 0; rv == SCARD_S_SUCCESS && i < n; i++) {
        char rid[64];
        reader_id(names[i], rid, sizeof rid);
        if (strcmp(rid, id) == 0) {
            snprintf(dev->reader, sizeof dev->reader, "%s", names[i]);
            snprintf(dev->id, sizeof dev->id, "%s", id);
            *out = dev;
            return DX_OK;
        }
    }
    dxp_log(ctx->host, DXP_LOG_ERROR, "%s: no such reader now", id);
    SCardReleaseContext(dev->sc);
    free(dev);
    return rv == SCARD_S_SUCCESS ? DX_ERR_NOT_FOUND : sc_status(rv);
}

static void pcsc_close(dxp_device *dev)
{
    if (!dev)
        return;
    if (dev->connected)
        SCardDisconnect(dev->card, SCARD_LEAVE_CARD);
    SCardReleaseContext(dev->sc);
    free(dev);
}

static dx_status pcsc_describe(dxp_device *dev, dxp_device_desc *desc)
{
    if (!dev || !desc || desc->struct_size < offsetof(dxp_device_desc, reserved))
        return DX_ERR_INVALID_ARG;
    uint32_t size = desc->struct_size;
    memset(desc, 0, size < sizeof *desc ? size : sizeof *desc);
    desc->struct_size = size;
    desc->kinds = DXP_KIND_CHIP_READER;
    desc->options = pcsc_options;
    desc->n_options = sizeof pcsc_options / sizeof pcsc_options[0];
    return DX_OK;
}

static dx_status pcsc_set_option(dxp_device *dev, const char *name, const dxp_value *value)
{
    if (!dev || !name || !value)
        return DX_ERR_INVALID_ARG;
    if (strcmp(name, "exclusive") != 0)
        return DX_ERR_NOT_FOUND;
    if (dev->connected)
        return DX_ERR_BUSY; /* takes effect on the next connection */
    dev->exclusive = value->i != 0;
    return DX_OK;
}

static dx_status pcsc_get_option(dxp_device *dev, const char *name, dxp_value *value)
{
    if (!dev || !name || !value)
        return DX_ERR_INVALID_ARG;
    if (strcmp(name, "exclusive") != 0)
        return DX_ERR_NOT_FOUND;
    memset(value, 0, sizeof *value);
    value->type = DXP_OPT_BOOL;
    value->i = dev->exclusive;
    return DX_OK;
}

static dx_status pcsc_wait_card(dxp_device *dev, int32_t timeout_ms, uint8_t *atr,
                                size_t atr_size, size_t *atr_len)
{
    if (!dev || !atr_len || (atr_size && !atr))
        return DX_ERR_INVALID_ARG;
    *atr_len = 0;
    atomic_store(&dev->cancelled, false);
    if (dev->connected) { /* a new card: drop the old connection */
        SCardDisconnect(dev->card, SCARD_LEAVE_CARD);
        dev->connected = false;
    }
    SCARD_READERSTATE st = {.szReader = dev->reader, .dwCurrentState = SCARD_STATE_UNAWARE};
    DWORD wait = timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms;
    LONG rv = SCardGetStatusChange(dev->sc, 0, &st, 1);
    while (rv == SCARD_S_SUCCESS && !(st.dwEventState & SCARD_STATE_PRESENT)) {
        if (st.dwEventState & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE)) {
            dxp_log(dev->ctx->host, DXP_LOG_WARNING, "%s: the reader is gone", dev->reader);
            return DX_ERR_DISCONNECTED;
        }
        if (timeout_ms == 0 || atomic_load(&dev->cancelled))
            return atomic_load(&dev->cancelled) ? DX_ERR_CANCELLED : DX_ERR_NO_CARD;
        st.dwCurrentState = st.dwEventState & ~SCARD_STATE_CHANGED;
        rv = SCardGetStatusChange(dev->sc, wait, &st, 1);
    }
    if (rv != SCARD_S_SUCCESS) {
        dx_status s = sc_status(rv);
        if (s != DX_ERR_NO_CARD && s != DX_ERR_CANCELLED)
            dxp_log(dev->ctx->host, DXP_LOG_WARNING, "%s: waiting for a card: %s", dev->reader,
                    sc_text(rv));
        return s == DX_ERR_CARD_REMOVED ? DX_ERR_NO_CARD : s;
    }
    rv = SCardConnect(dev->sc, dev->reader, dev->exclusive ? SCARD_SHARE_EXCLUSIVE : SCARD_SHARE_SHARED,
                      SCARD_PROTOCOL_T1 | SCARD_PROTOCOL_T0, &dev->card, &dev->protocol);
    if (rv != SCARD_S_SUCCESS) {
        dxp_log(dev->ctx->host, DXP_LOG_WARNING, "%s: connecting to the card: %s", dev->reader,
                sc_text(rv));
        dx_status s = sc_status(rv);
        return s == DX_ERR_CARD_REMOVED ? DX_ERR_NO_CARD : s;
    }
    dev->connected = true;
    BYTE a[MAX_ATR_SIZE];
    DWORD alen = sizeof a, state, proto, rlen = 0;
    rv = SCardStatus(dev->card, NULL, &rlen, &state, &proto, a, &alen);
    if (rv != SCARD_S_SUCCESS) {
        SCardDisconnect(dev->card, SCARD_LEAVE_CARD);
        dev->connected = false;
        return sc_status(rv) == DX_ERR_CARD_REMOVED ? DX_ERR_NO_CARD : sc_status(rv);
    }
    if (alen > atr_size) {
        *atr_len = alen;
        return DX_ERR_INVALID_ARG;
    }
    memcpy(atr, a, alen);
    *atr_len = alen;
    dxp_log(dev->ctx->host, DXP_LOG_DEBUG, "%s: card present, T=%d, ATR of %lu bytes",
            dev->reader, dev->protocol == SCARD_PROTOCOL_T1 ? 1 : 0, (unsigned long)alen);
    return DX_OK;
}

static dx_status transmit_once(dxp_device *dev, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                               size_t rsp_size, size_t *rsp_len)
{
    const SCARD_IO_REQUEST *pci =
        dev->protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
    DWORD len = (DWORD)rsp_size;
    LONG rv = SCardTransmit(dev->card, pci, cmd, (DWORD)cmd_len, NULL, rsp, &len);
    if (rv != SCARD_S_SUCCESS) {
        dx_status s = sc_status(rv);
        dxp_log(dev->ctx->host, s == DX_ERR_CARD_REMOVED ? DXP_LOG_INFO : DXP_LOG_WARNING,
                "%s: transmit: %s", dev->reader, sc_text(rv));
        if (s == DX_ERR_CARD_REMOVED) {
            SCardDisconnect(dev->card, SCARD_LEAVE_CARD);
            dev->connected = false;
        }
        /* an extended APDU the reader cannot carry */
        if (s == DX_ERR_IO && cmd_len > 5 && cmd[4] == 0 && cmd_len >= 7)
            return DX_ERR_UNSUPPORTED;
        return s;
    }
    if (len < 2) { /* no status word: the card did not answer (left the field) */
        dxp_log(dev->ctx->host, DXP_LOG_INFO, "%s: no answer from the card", dev->reader);
        SCardDisconnect(dev->card, SCARD_LEAVE_CARD);
        dev->connected = false;
        return DX_ERR_CARD_REMOVED;
    }
    *rsp_len = len;
    return DX_OK;
}

static dx_status pcsc_transmit(dxp_device *dev, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                               size_t rsp_size, size_t *rsp_len)
{
    if (!dev || !cmd || cmd_len < 4 || cmd_len > 65544 || !rsp || !rsp_len || rsp_size < 2)
        return DX_ERR_INVALID_ARG;
    *rsp_len = 0;
    if (!dev->connected)
        return DX_ERR_NO_CARD;
    if (atomic_load(&dev->cancelled)) {
        atomic_store(&dev->cancelled, false);
        return DX_ERR_CANCELLED;
    }
    dx_status s = transmit_once(dev, cmd, cmd_len, rsp, rsp_size, rsp_len);
    if (s != DX_OK || dev->protocol != SCARD_PROTOCOL_T0)
        return s;
    /* T=0: 6Cxx asks for the command again with Le = xx; 61xx says xx more
     * bytes wait for GET RESPONSE (ISO/IEC 7816-3, 7816-4 §5.3.4) */
    if (rsp[*rsp_len - 2] == 0x6C && cmd_len == 5) {
        uint8_t again[5];
        memcpy(again, cmd, 4);
        again[4] = rsp[*rsp_len - 1];
        s = transmit_once(dev, again, 5, rsp, rsp_size, rsp_len);
    }
    size_t have = *rsp_len - 2;
    for (int round = 0; s == DX_OK && rsp[have] == 0x61; round++) {
        if (round == 256 || atomic_load(&dev->cancelled))
            return round == 256 ? DX_ERR_PROTOCOL : DX_ERR_CANCELLED;
        uint8_t get[5] = {(uint8_t)(cmd[0] & 0x03), 0xC0, 0, 0, rsp[have + 1]};
        size_t more = 0;
        if (rsp_size - have < (size_t)(get[4] ? get[4] : 256) + 2)
            return DX_ERR_INVALID_ARG;
        s = transmit_once(dev, get, 5, rsp + have, rsp_size - have, &more);
        if (s == DX_OK && more == 2 && rsp[have] == 0x61) /* no data yet more promised */
            return DX_ERR_PROTOCOL;
        if (s == DX_OK) {
            have += more - 2;
            *rsp_len = have + 2;
        }
    }
    return s;
}

static dx_status pcsc_release_card(dxp_device *dev)
{
    if (!dev)
        return DX_ERR_INVALID_ARG;
    if (dev->connected) { /* reset: the next connection starts afresh, in the MF */
        SCardDisconnect(dev->card, SCARD_RESET_CARD);
        dev->connected = false;
    }
    return DX_OK;
}

static dx_status pcsc_cancel(dxp_device *dev)
{
    if (!dev)
        return DX_ERR_INVALID_ARG;
    atomic_store(&dev->cancelled, true);
    LONG rv = SCardCancel(dev->sc); /* wakes SCardGetStatusChange */
    (void)rv;
    return DX_OK;
}

static const dxp_chip_ops pcsc_chip_ops = {
    .struct_size = sizeof(dxp_chip_ops),
    .wait_card = pcsc_wait_card,
    .transmit = pcsc_transmit,
    .release_card = pcsc_release_card,
    .cancel = pcsc_cancel,
};

static const dxp_plugin pcsc_plugin = {
    .abi_major = DXP_ABI_MAJOR,
    .abi_minor = DXP_ABI_MINOR,
    .struct_size = sizeof(dxp_plugin),
    .name = "pcsc",
    .version = "0.1.0",
    .vendor = "docex",
    .license = "LGPL-2.1-or-later",
    .description = "contactless chip readers through PC/SC (pcsc-lite)",
    .init = pcsc_init,
    .fini = pcsc_fini,
    .enumerate = pcsc_enumerate,
    .open = pcsc_open,
    .close = pcsc_close,
    .describe = pcsc_describe,
    .set_option = pcsc_set_option,
    .get_option = pcsc_get_option,
    .chip = &pcsc_chip_ops,
};

DXP_PLUGIN_ENTRY(pcsc_plugin)
