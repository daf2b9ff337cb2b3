/* The pcsc plugin against a real PC/SC stack: pcscd, vsmartcard's virtual
 * reader and its ePassport emulator, started by tests/tools/epass/with-epass
 * (this program runs inside it).  At the ABI boundary, like a host:
 * enumerate, open, wait for the card, ATR, short and extended APDUs, the
 * chip's answers (SELECT of the eMRTD application, READ BINARY refused
 * before BAC, GET CHALLENGE), cancel, and the card and the reader going away.
 *   test-pcsc PCSC_SO   (environment: EPASS_READER, EPASS_EMULATOR_PID,
 *                        EPASS_PCSCD_PID from with-epass) */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "docex/plugin.h"
#include "dxtest.h"

#define CHECK_ST(expr, want)                                                              \
    do {                                                                                  \
        dx_status st_ = (expr);                                                           \
        CHECK_MSG(st_ == (want), "%s: got %s, want %s", #expr, dx_status_str(st_),        \
                  dx_status_str(want));                                                   \
    } while (0)

struct dxp_host_ctx {
    char readers[128];
    char last[512];
};

static void h_log(dxp_host_ctx *c, dxp_log_level level, const char *msg)
{
    snprintf(c->last, sizeof c->last, "%s", msg);
    if (getenv("TEST_VERBOSE"))
        fprintf(stderr, "[pcsc %d] %s\n", (int)level, msg);
}

static int h_log_enabled(dxp_host_ctx *c, dxp_log_level level)
{
    (void)c;
    (void)level;
    return 1;
}

static dx_status h_get(dxp_host_ctx *c, const char *key, char *buf, size_t size)
{
    if (strcmp(key, "pcsc.readers") == 0 && c->readers[0]) {
        if (strlen(c->readers) >= size)
            return DX_ERR_INVALID_ARG;
        snprintf(buf, size, "%s", c->readers);
        return DX_OK;
    }
    return DX_ERR_NOT_FOUND;
}

static dxp_host_ctx hctx;
static dxp_host host = {DXP_ABI_MAJOR, DXP_ABI_MINOR, sizeof(dxp_host), 0, &hctx,
                        h_log, h_log_enabled, h_get, {0}};
static const dxp_plugin *P;
static dxp_plugin_ctx *pctx;

static dx_status apdu(dxp_device *d, const char *hex, uint8_t *rsp, size_t cap, size_t *len)
{
    uint8_t cmd[300];
    size_t n = 0;
    for (const char *p = hex; p[0] && p[1] && n < sizeof cmd; p += 2) {
        unsigned v;
        sscanf(p, "%2x", &v);
        cmd[n++] = (uint8_t)v;
    }
    return P->chip->transmit(d, cmd, n, rsp, cap, len);
}

static unsigned sw(const uint8_t *rsp, size_t len)
{
    return len >= 2 ? (unsigned)rsp[len - 2] << 8 | rsp[len - 1] : 0;
}

typedef struct waiter {
    dxp_device *dev;
    dx_status st;
    double took;
} waiter;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *wait_forever(void *arg)
{
    waiter *w = arg;
    uint8_t atr[64];
    size_t n;
    double t = now();
    w->st = P->chip->wait_card(w->dev, -1, atr, sizeof atr, &n);
    w->took = now() - t;
    return NULL;
}

int main(int argc, char **argv)
{
    const char *reader = getenv("EPASS_READER");
    const char *emu = getenv("EPASS_EMULATOR_PID"), *pcscd = getenv("EPASS_PCSCD_PID");
    if (argc < 2 || !reader || !emu || !pcscd) {
        fprintf(stderr, "usage: with-epass -- test-pcsc PCSC_SO\n");
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    REQUIRE(h);
    dxp_entry_fn entry = (dxp_entry_fn)dlsym(h, DXP_ENTRY_SYMBOL);
    REQUIRE(entry && (P = entry()));
    CHECK(P->chip && !P->scanner && !P->camera && !P->light);
    snprintf(hctx.readers, sizeof hctx.readers, "Virtual PCD");
    REQUIRE(P->init(&host, &pctx) == DX_OK);

    /* enumerate: the virtual readers, ids made from their names */
    dxp_device_info info[8];
    uint32_t n = 0;
    CHECK_ST(P->enumerate(pctx, info, 8, &n), DX_OK);
    CHECK(n >= 1);
    const char *id = NULL;
    for (uint32_t i = 0; i < n && i < 8; i++)
        if (strcmp(info[i].model, reader) == 0)
            id = info[i].id;
    REQUIRE(id);
    CHECK_STR(id, "virtual-pcd-00-00");
    CHECK(info[0].kinds == DXP_KIND_CHIP_READER);
    snprintf(hctx.readers, sizeof hctx.readers, "no reader has this name");
    CHECK_ST(P->enumerate(pctx, info, 8, &n), DX_OK);
    CHECK(n == 0);
    snprintf(hctx.readers, sizeof hctx.readers, "Virtual PCD");

    dxp_device *d = NULL, *d2 = NULL;
    CHECK_ST(P->open(pctx, "no-such-reader", &d), DX_ERR_NOT_FOUND);
    REQUIRE(P->open(pctx, "virtual-pcd-00-00", &d) == DX_OK);
    dxp_device_desc desc = {.struct_size = sizeof desc};
    CHECK_ST(P->describe(d, &desc), DX_OK);
    CHECK(desc.kinds == DXP_KIND_CHIP_READER && desc.n_options == 1);

    /* no connection yet */
    uint8_t rsp[65538];
    size_t len = 0;
    CHECK_ST(apdu(d, "00A4040C07A0000002471001", rsp, sizeof rsp, &len), DX_ERR_NO_CARD);

    /* the card: ATR, then the chip's own answers */
    uint8_t atr[64];
    size_t atr_len = 0;
    CHECK_ST(P->chip->wait_card(d, 2000, atr, sizeof atr, &atr_len), DX_OK);
    CHECK(atr_len >= 2 && atr[0] == 0x3B);
    CHECK_ST(apdu(d, "00A4040C07A0000002471001", rsp, sizeof rsp, &len), DX_OK);
    CHECK_MSG(sw(rsp, len) == 0x9000, "SELECT eMRTD: %04X", sw(rsp, len));
    CHECK_ST(apdu(d, "00A4020C02011E", rsp, sizeof rsp, &len), DX_OK);
    CHECK(sw(rsp, len) == 0x9000);
    CHECK_ST(apdu(d, "00B0000004", rsp, sizeof rsp, &len), DX_OK);
    CHECK_MSG(sw(rsp, len) == 0x6982, "READ BINARY before BAC: %04X", sw(rsp, len));
    CHECK_ST(apdu(d, "0084000008", rsp, sizeof rsp, &len), DX_OK);
    CHECK(len == 10 && sw(rsp, len) == 0x9000);
    uint8_t first[8];
    memcpy(first, rsp, 8);
    CHECK_ST(apdu(d, "0084000008", rsp, sizeof rsp, &len), DX_OK);
    CHECK(len == 10 && memcmp(first, rsp, 8) != 0); /* a fresh challenge each time */
    /* a response buffer too small for the answer */
    CHECK_ST(apdu(d, "0084000008", rsp, 4, &len), DX_ERR_INVALID_ARG);
    /* an extended-length APDU reaches the card (which refuses it as it likes) */
    dx_status ext = apdu(d, "00B00000000004", rsp, sizeof rsp, &len);
    CHECK(ext == DX_OK || ext == DX_ERR_UNSUPPORTED);

    /* exclusive: a second open of the same reader cannot connect meanwhile */
    REQUIRE(P->open(pctx, "virtual-pcd-00-00", &d2) == DX_OK);
    CHECK_ST(P->chip->wait_card(d2, 500, atr, sizeof atr, &atr_len), DX_ERR_BUSY);
    P->close(d2);

    /* release and connect again */
    CHECK_ST(P->chip->release_card(d), DX_OK);
    CHECK_ST(apdu(d, "0084000008", rsp, sizeof rsp, &len), DX_ERR_NO_CARD);
    CHECK_ST(P->chip->wait_card(d, 0, atr, sizeof atr, &atr_len), DX_OK);
    CHECK_ST(apdu(d, "0084000008", rsp, sizeof rsp, &len), DX_OK);

    /* the card leaves the field: the emulator stops */
    kill((pid_t)atoi(emu), SIGTERM);
    dx_status st = DX_OK;
    for (int i = 0; i < 50 && st == DX_OK; i++) {
        st = apdu(d, "0084000008", rsp, sizeof rsp, &len);
        if (st == DX_OK)
            usleep(100 * 1000);
    }
    CHECK_MSG(st == DX_ERR_CARD_REMOVED, "after removal: %s", dx_status_str(st));
    CHECK_ST(apdu(d, "0084000008", rsp, sizeof rsp, &len), DX_ERR_NO_CARD);
    /* pcscd polls the reader: the field is seen empty within a few hundred ms */
    for (int i = 0; i < 50; i++) {
        st = P->chip->wait_card(d, 0, atr, sizeof atr, &atr_len);
        if (st == DX_ERR_NO_CARD)
            break;
        P->chip->release_card(d);
        usleep(100 * 1000);
    }
    CHECK_MSG(st == DX_ERR_NO_CARD, "the field never empties: %s", dx_status_str(st));
    double t = now();
    CHECK_ST(P->chip->wait_card(d, 300, atr, sizeof atr, &atr_len), DX_ERR_NO_CARD);
    CHECK(now() - t >= 0.25);

    /* cancel a wait with no card, from another thread */
    waiter w = {d, DX_OK, 0};
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, wait_forever, &w) == 0);
    usleep(200 * 1000);
    CHECK_ST(P->chip->cancel(d), DX_OK);
    pthread_join(th, NULL);
    CHECK_MSG(w.st == DX_ERR_CANCELLED, "cancelled wait: %s", dx_status_str(w.st));
    CHECK(w.took < 5);
    CHECK_ST(P->chip->cancel(d), DX_OK); /* idle: nothing to do */

    /* the reader goes away: pcscd stops */
    kill((pid_t)atoi(pcscd), SIGTERM);
    usleep(500 * 1000);
    st = P->chip->wait_card(d, 200, atr, sizeof atr, &atr_len);
    CHECK_MSG(st == DX_ERR_DISCONNECTED, "pcscd gone: %s", dx_status_str(st));
    P->close(d);
    CHECK_ST(P->enumerate(pctx, info, 8, &n), DX_OK); /* no service: no reader */
    CHECK(n == 0);
    CHECK_ST(P->open(pctx, "virtual-pcd-00-00", &d), DX_ERR_NOT_FOUND);
    P->fini(pctx);
    dlclose(h);
    return dxtest_done();
}
