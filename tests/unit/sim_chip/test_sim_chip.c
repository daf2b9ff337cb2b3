/* Unit tests of the sim plugin's contactless reader and simulated ePassport
 * chip (plugins/sim/chip*.c), through the vendor ABI only: dlopen the built
 * sim.so, call dxp_plugin_entry and drive the reader "chip0" with a test
 * host whose settings point at chip directories.
 *
 *   known answers   ICAO 9303 Part 11 Appendix D (BAC, 3DES SM) and G.1
 *                   (PACE ECDH-GM brainpoolP256r1, AES SM): the card's
 *                   answers equal the worked examples byte for byte
 *                   (tests/data/sim_chip/, copies of the vectors);
 *   end to end      a small terminal of this file's own (OpenSSL): BAC and
 *                   PACE (MRZ and CAN, P-256/P-384/brainpool, 3DES and AES),
 *                   every file read and compared (B1 beyond 32767), Active
 *                   Authentication verified (RSA ISO 9796-2, ECDSA), Chip
 *                   Authentication, wrong passwords, SM errors;
 *   untrusted input malformed APDUs get their status words, random APDUs
 *                   never crash, broken chip directories are refused;
 *   reader          card removal, no card, cancel, latency, extended length.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "docex/plugin.h"
#include "dxtest.h"

#ifndef DOCEX_SIM_PLUGIN
#define DOCEX_SIM_PLUGIN "lib/docex/1/sim.so"
#endif
#ifndef DOCEX_SIM_CHIP_DATA
#define DOCEX_SIM_CHIP_DATA "tests/data/sim_chip"
#endif

#define CHECK_ST(expr, want)                                                              \
    do {                                                                                 \
        dx_status got_ = (expr);                                                         \
        CHECK_MSG(got_ == (want), "%s: got %s, want %s", #expr, dx_status_name(got_),    \
                  dx_status_name(want));                                                 \
    } while (0)
#define CHECK_SW(expr, want)                                                             \
    do {                                                                                 \
        unsigned got_ = (expr);                                                          \
        CHECK_MSG(got_ == (unsigned)(want), "%s: SW %04X, want %04X", #expr, got_,       \
                  (unsigned)(want));                                                     \
    } while (0)

/* ---- test host ---------------------------------------------------------- */

struct dxp_host_ctx {
    char chip[1024];
    char scene[1024];
    char datadir[1024];
    char devices[16];
    char readers[16];
    char last_error[512];
    int n_errors;
    pthread_mutex_t lock;
};

static void th_log(dxp_host_ctx *ctx, dxp_log_level level, const char *message)
{
    pthread_mutex_lock(&ctx->lock);
    if (level <= DXP_LOG_ERROR) {
        snprintf(ctx->last_error, sizeof ctx->last_error, "%s", message);
        ctx->n_errors++;
    }
    pthread_mutex_unlock(&ctx->lock);
    if (getenv("SIM_TEST_VERBOSE"))
        fprintf(stderr, "  [sim %d] %s\n", (int)level, message);
}

static int th_log_enabled(dxp_host_ctx *ctx, dxp_log_level level)
{
    return 1;
}

static dx_status th_get_setting(dxp_host_ctx *ctx, const char *key, char *buf, size_t size)
{
    const char *v = NULL;
    if (!strcmp(key, "sim.chip"))
        v = ctx->chip;
    else if (!strcmp(key, "sim.scene"))
        v = ctx->scene;
    else if (!strcmp(key, "docex.datadir"))
        v = ctx->datadir;
    else if (!strcmp(key, "sim.devices"))
        v = ctx->devices;
    else if (!strcmp(key, "sim.chip_readers"))
        v = ctx->readers;
    if (!v || !v[0])
        return DX_ERR_NOT_FOUND;
    if (strlen(v) >= size)
        return DX_ERR_INVALID_ARG;
    memcpy(buf, v, strlen(v) + 1);
    return DX_OK;
}

static dxp_host_ctx hctx = {.lock = PTHREAD_MUTEX_INITIALIZER};
static dxp_host host = {DXP_ABI_MAJOR, DXP_ABI_MINOR, sizeof(dxp_host), 0, &hctx,
                        th_log, th_log_enabled, th_get_setting, {0}};
static const dxp_plugin *P;
static dxp_plugin_ctx *pctx;
static char tmpdir[256];

static int errors_now(void)
{
    int n;
    pthread_mutex_lock(&hctx.lock);
    n = hctx.n_errors;
    pthread_mutex_unlock(&hctx.lock);
    return n;
}

/* ---- bytes ---------------------------------------------------------------- */

static int hexv(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
    size_t n = strlen(s);
    REQUIRE(n % 2 == 0 && n / 2 <= max);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexv(s[2 * i]), lo = hexv(s[2 * i + 1]);
        REQUIRE(hi >= 0 && lo >= 0);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return n / 2;
}

static const char *hexs(const uint8_t *b, size_t n)
{
    static char buf[2][4096];
    static int k;
    char *o = buf[k ^= 1];
    size_t i;
    for (i = 0; i < n && i < 2040; i++)
        snprintf(o + 2 * i, 3, "%02X", b[i]);
    o[2 * i] = '\0';
    return o;
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    REQUIRE(fwrite(data, 1, len, f) == len);
    fclose(f);
}

static void write_text(const char *dir, const char *name, const char *text)
{
    write_file(dir, name, text, strlen(text));
}

static char *tmp_path(const char *name)
{
    static char p[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}

static json_t *load_vector(const char *name)
{
    char path[1024];
    json_error_t err;
    json_t *v;
    snprintf(path, sizeof path, "%s/%s", DOCEX_SIM_CHIP_DATA, name);
    v = json_load_file(path, 0, &err);
    if (!v)
        fprintf(stderr, "%s: %s\n", path, err.text);
    REQUIRE(v);
    return v;
}

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    REQUIRE(s);
    return s;
}

/* ---- reader helpers -------------------------------------------------------- */

static dxp_device *open_reader(const char *id)
{
    dxp_device *d = NULL;
    REQUIRE(P->open(pctx, id, &d) == DX_OK && d);
    return d;
}

static dx_status set_opt(dxp_device *d, const char *name, dxp_option_type t, int64_t i,
                         const char *s)
{
    dxp_value v;
    memset(&v, 0, sizeof v);
    v.type = t;
    v.i = i;
    if (s)
        snprintf(v.s, sizeof v.s, "%s", s);
    return P->set_option(d, name, &v);
}

static dx_status connect_to(dxp_device *d, const char *chipdir)
{
    uint8_t atr[64];
    size_t n = 0;
    REQUIRE(set_opt(d, "chip", DXP_OPT_STRING, 0, chipdir) == DX_OK);
    return P->chip->wait_card(d, 0, atr, sizeof atr, &n);
}

static uint8_t rbuf[70000];

/* Transmits; *rlen gets the data length (SW excluded); returns the SW. */
static unsigned xmit(dxp_device *d, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen)
{
    size_t n = 0;
    dx_status st = P->chip->transmit(d, cmd, len, rsp, sizeof rbuf, &n);
    CHECK_MSG(st == DX_OK, "transmit %s: %s", hexs(cmd, len < 40 ? len : 40), dx_status_name(st));
    if (st != DX_OK || n < 2) {
        *rlen = 0;
        return 0;
    }
    *rlen = n - 2;
    return (unsigned)(rsp[n - 2] << 8 | rsp[n - 1]);
}

static unsigned xmit_hex(dxp_device *d, const char *hex)
{
    uint8_t cmd[600];
    size_t n = unhex(hex, cmd, sizeof cmd), rl;
    return xmit(d, cmd, n, rbuf, &rl);
}

/* ---- terminal crypto -------------------------------------------------------- */

enum { T_3DES = 1, T_AES = 2 };

typedef struct term_sm {
    int alg;
    size_t klen;
    uint8_t kenc[32], kmac[32], ssc[16];
} term_sm;

static size_t t_bs(int alg)
{
    return alg == T_AES ? 16 : 8;
}

static const EVP_CIPHER *t_cipher(int alg, size_t klen)
{
    if (alg == T_3DES)
        return EVP_des_ede_cbc();
    return klen == 16 ? EVP_aes_128_cbc() : klen == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
}

static void t_crypt(const EVP_CIPHER *c, const uint8_t *key, const uint8_t *iv, int enc,
                    const uint8_t *in, size_t len, uint8_t *out)
{
    static const uint8_t zero[16];
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int a = 0, b = 0;
    REQUIRE(x);
    REQUIRE(EVP_CipherInit_ex(x, c, NULL, key, iv ? iv : zero, enc) == 1);
    EVP_CIPHER_CTX_set_padding(x, 0);
    REQUIRE(EVP_CipherUpdate(x, out, &a, in, (int)len) == 1);
    REQUIRE(EVP_CipherFinal_ex(x, out + a, &b) == 1);
    REQUIRE((size_t)(a + b) == len);
    EVP_CIPHER_CTX_free(x);
}

static void t_cbc(int alg, const uint8_t *key, size_t klen, const uint8_t *iv, int enc,
                  const uint8_t *in, size_t len, uint8_t *out)
{
    t_crypt(t_cipher(alg, klen), key, iv, enc, in, len, out);
}

/* single DES as DES-EDE-ECB with K || K */
static void t_des(const uint8_t k[8], int enc, const uint8_t in[8], uint8_t out[8])
{
    uint8_t kk[16];
    memcpy(kk, k, 8);
    memcpy(kk + 8, k, 8);
    t_crypt(EVP_des_ede_ecb(), kk, NULL, enc, in, 8, out);
}

/* ISO/IEC 9797-1 MAC algorithm 3 block by block, as the standard writes it:
 * H_i = E_Ka(H_{i-1} xor D_i), then G = E_Ka(D_Kb(H_q)). */
static void t_mac(int alg, const uint8_t *key, size_t klen, const uint8_t *in, size_t len,
                  uint8_t mac[8])
{
    if (alg == T_3DES) {
        uint8_t h[8] = {0}, x[8];
        REQUIRE(len % 8 == 0 && len);
        for (size_t i = 0; i < len; i += 8) {
            for (int j = 0; j < 8; j++)
                x[j] = (uint8_t)(h[j] ^ in[i + j]);
            t_des(key, 1, x, h);
        }
        t_des(key + 8, 0, h, x);
        t_des(key, 1, x, mac);
        return;
    }
    EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(m);
    const char *name = klen == 16 ? "AES-128-CBC" : klen == 24 ? "AES-192-CBC" : "AES-256-CBC";
    OSSL_PARAM p[2] = {OSSL_PARAM_construct_utf8_string("cipher", (char *)name, 0),
                       OSSL_PARAM_construct_end()};
    uint8_t full[16];
    size_t n = 0;
    REQUIRE(m && c && EVP_MAC_init(c, key, klen, p) == 1 && EVP_MAC_update(c, in, len) == 1 &&
            EVP_MAC_final(c, full, &n, sizeof full) == 1);
    memcpy(mac, full, 8);
    EVP_MAC_CTX_free(c);
    EVP_MAC_free(m);
}

static size_t t_pad(uint8_t *b, size_t len, size_t bs)
{
    b[len++] = 0x80;
    while (len % bs)
        b[len++] = 0;
    return len;
}

static void t_kdf(int alg, size_t klen, const uint8_t *secret, size_t slen, uint32_t c,
                  uint8_t *out)
{
    uint8_t in[200], h[32];
    unsigned int hl = 0;
    REQUIRE(slen + 4 <= sizeof in);
    memcpy(in, secret, slen);
    in[slen] = (uint8_t)(c >> 24);
    in[slen + 1] = (uint8_t)(c >> 16);
    in[slen + 2] = (uint8_t)(c >> 8);
    in[slen + 3] = (uint8_t)c;
    REQUIRE(EVP_Digest(in, slen + 4, h, &hl,
                       (alg == T_AES && klen > 16) ? EVP_sha256() : EVP_sha1(), NULL) == 1);
    memcpy(out, h, klen);
}

static void sha1(const void *in, size_t len, uint8_t out[20])
{
    unsigned int n;
    REQUIRE(EVP_Digest(in, len, out, &n, EVP_sha1(), NULL) == 1);
}

static void ssc_inc(term_sm *sm)
{
    for (size_t i = t_bs(sm->alg); i-- > 0;)
        if (++sm->ssc[i])
            break;
}

/* ---- APDUs ------------------------------------------------------------------- */

static size_t apdu(uint8_t *out, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                   const uint8_t *data, size_t nc, size_t ne, bool ext)
{
    size_t n = 0;
    out[n++] = cla;
    out[n++] = ins;
    out[n++] = p1;
    out[n++] = p2;
    if (ext) {
        if (nc) {
            out[n++] = 0;
            out[n++] = (uint8_t)(nc >> 8);
            out[n++] = (uint8_t)nc;
            memcpy(out + n, data, nc);
            n += nc;
        }
        if (ne) {
            if (!nc)
                out[n++] = 0;
            out[n++] = (uint8_t)(ne >> 8);
            out[n++] = (uint8_t)ne;
        }
    } else {
        if (nc) {
            out[n++] = (uint8_t)nc;
            memcpy(out + n, data, nc);
            n += nc;
        }
        if (ne)
            out[n++] = (uint8_t)ne;
    }
    return n;
}

/* TLV with a 1-byte tag and a length of up to 3 bytes. */
static bool t_tlv(const uint8_t *b, size_t len, size_t *pos, uint8_t *tag, const uint8_t **v,
                  size_t *vl)
{
    size_t p = *pos, n;
    if (p + 2 > len)
        return false;
    *tag = b[p++];
    n = b[p++];
    if (n == 0x81 || n == 0x82 || n == 0x83) {
        size_t k = n & 0x7F;
        if (p + k > len)
            return false;
        n = 0;
        while (k--)
            n = n << 8 | b[p++];
    }
    if (n > len - p)
        return false;
    *v = b + p;
    *vl = n;
    *pos = p + n;
    return true;
}

static size_t t_hdr(uint8_t *o, uint8_t tag, size_t len)
{
    size_t n = 0;
    o[n++] = tag;
    if (len < 0x80)
        o[n++] = (uint8_t)len;
    else if (len < 0x100) {
        o[n++] = 0x81;
        o[n++] = (uint8_t)len;
    } else {
        o[n++] = 0x82;
        o[n++] = (uint8_t)(len >> 8);
        o[n++] = (uint8_t)len;
    }
    return n;
}

static bool force_short; /* send even large protected commands as short APDUs */

/* Builds the protected form of a command into out (the SSC is incremented). */
static size_t sm_build(term_sm *sm, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
                       size_t nc, size_t ne, uint8_t *out)
{
    static uint8_t m[70000], body[70000], tmp[70000];
    size_t bs = t_bs(sm->alg), ml, bl = 0, d87 = 0, d97 = 0;
    uint8_t iv[16] = {0}, mac[8];
    bool odd = ins & 1, ext;

    ssc_inc(sm);
    if (sm->alg == T_AES)
        t_cbc(T_AES, sm->kenc, sm->klen, NULL, 1, sm->ssc, 16, iv);
    if (nc) {
        size_t pl;
        memcpy(tmp, data, nc);
        pl = t_pad(tmp, nc, bs);
        bl = t_hdr(body, odd ? 0x85 : 0x87, pl + (odd ? 0 : 1));
        if (!odd)
            body[bl++] = 0x01;
        t_cbc(sm->alg, sm->kenc, sm->klen, iv, 1, tmp, pl, body + bl);
        bl += pl;
        d87 = bl;
    }
    if (ne) {
        body[bl++] = 0x97;
        if (ne <= 256) {
            body[bl++] = 1;
            body[bl++] = (uint8_t)ne;
        } else {
            body[bl++] = 2;
            body[bl++] = (uint8_t)(ne >> 8);
            body[bl++] = (uint8_t)ne;
        }
        d97 = bl - d87;
    }
    memcpy(m, sm->ssc, bs);
    m[bs] = 0x0C;
    m[bs + 1] = ins;
    m[bs + 2] = p1;
    m[bs + 3] = p2;
    ml = t_pad(m, bs + 4, bs);
    memcpy(m + ml, body, d87 + d97);
    ml = t_pad(m, ml + d87 + d97, bs);
    t_mac(sm->alg, sm->kmac, sm->klen, m, ml, mac);
    body[bl++] = 0x8E;
    body[bl++] = 8;
    memcpy(body + bl, mac, 8);
    bl += 8;
    ext = !force_short && (bl > 255 || ne > 223);
    return apdu(out, 0x0C, ins, p1, p2, body, bl, ext ? 65536 : 256, ext);
}

/* Checks and opens a protected response rsp[0..n) (SW included); returns
 * the SW of DO'99' with the data in out (*olen bytes), or 0 when not protected right. */
static unsigned sm_open(term_sm *sm, const uint8_t *rsp, size_t n, uint8_t *out, size_t *olen)
{
    static uint8_t m[70000];
    size_t bs = t_bs(sm->alg), pos = 0, vl, ml, dend = 0;
    const uint8_t *v, *crypt = NULL, *sw = NULL, *mac = NULL;
    size_t clen = 0;
    uint8_t tag, iv[16] = {0}, want[8];
    bool odd = false;

    *olen = 0;
    if (n < 2 + 4 + 10)
        return 0;
    n -= 2;
    while (pos < n) {
        size_t start = pos;
        if (!t_tlv(rsp, n, &pos, &tag, &v, &vl))
            return 0;
        if (tag == 0x87 || tag == 0x85) {
            crypt = v;
            clen = vl;
            odd = tag == 0x85;
        } else if (tag == 0x99 && vl == 2) {
            sw = v;
        } else if (tag == 0x8E && vl == 8) {
            mac = v;
            dend = start;
        } else {
            return 0;
        }
    }
    if (!sw || !mac)
        return 0;
    ssc_inc(sm);
    memcpy(m, sm->ssc, bs);
    memcpy(m + bs, rsp, dend);
    ml = t_pad(m, bs + dend, bs);
    t_mac(sm->alg, sm->kmac, sm->klen, m, ml, want);
    if (memcmp(want, mac, 8) != 0)
        return 0;
    if (rsp[n] != sw[0] || rsp[n + 1] != sw[1])
        return 0;
    if (crypt) {
        if (!odd) {
            if (clen < 1 || crypt[0] != 1)
                return 0;
            crypt++;
            clen--;
        }
        if (sm->alg == T_AES)
            t_cbc(T_AES, sm->kenc, sm->klen, NULL, 1, sm->ssc, 16, iv);
        t_cbc(sm->alg, sm->kenc, sm->klen, iv, 0, crypt, clen, out);
        while (clen && out[clen - 1] == 0)
            clen--;
        if (!clen || out[clen - 1] != 0x80)
            return 0;
        *olen = clen - 1;
    }
    return (unsigned)(sw[0] << 8 | sw[1]);
}

/* One protected command; the SW of the answer (an unprotected SM error is
 * returned as is). */
static unsigned sm_cmd(dxp_device *d, term_sm *sm, uint8_t ins, uint8_t p1, uint8_t p2,
                       const uint8_t *data, size_t nc, size_t ne, uint8_t *out, size_t *olen)
{
    static uint8_t cmd[70100], rsp[70100];
    size_t n = sm_build(sm, ins, p1, p2, data, nc, ne, cmd), rl = 0, dummy;
    unsigned sw = xmit(d, cmd, n, rsp, &rl);
    if (!out)
        out = rsp, olen = &dummy;
    if (rl == 0) {
        *olen = 0;
        return sw; /* SM error: not protected */
    }
    unsigned s2 = sm_open(sm, rsp, rl + 2, out, olen);
    CHECK_MSG(s2 != 0, "response to INS %02X not protected correctly", ins);
    return s2;
}

/* A command, protected when sm is given. */
static unsigned t_cmd(dxp_device *d, term_sm *sm, uint8_t ins, uint8_t p1, uint8_t p2,
                      const uint8_t *data, size_t nc, size_t ne, uint8_t *out, size_t *olen)
{
    static uint8_t cmd[70100], rsp[70100];
    size_t n, rl = 0;
    unsigned sw;
    if (sm)
        return sm_cmd(d, sm, ins, p1, p2, data, nc, ne, out, olen);
    n = apdu(cmd, 0x00, ins, p1, p2, data, nc, ne, nc > 255 || ne > 256);
    sw = xmit(d, cmd, n, rsp, &rl);
    if (out) {
        memcpy(out, rsp, rl);
        *olen = rl;
    }
    return sw;
}

/* ---- terminal protocols -------------------------------------------------------- */

/* BAC, 9303-11 §4.3; mrz_info is document number + CD + birth + CD + expiry + CD. */
static unsigned t_bac(dxp_device *d, const char *mrz_info, term_sm *sm)
{
    uint8_t h[20], kenc[16], kmac[16], rnd_ic[8], s[32], cmd[64], e[40], r[32], mac[8], seed[16];
    size_t rl = 0, n;
    unsigned sw;

    sha1(mrz_info, strlen(mrz_info), h);
    t_kdf(T_3DES, 16, h, 16, 1, kenc);
    t_kdf(T_3DES, 16, h, 16, 2, kmac);
    if ((sw = t_cmd(d, NULL, 0x84, 0, 0, NULL, 0, 8, rnd_ic, &rl)) != 0x9000 || rl != 8)
        return sw ? sw : 1;
    REQUIRE(RAND_bytes(s, 8) == 1 && RAND_bytes(s + 16, 16) == 1);
    memcpy(s + 8, rnd_ic, 8);
    t_cbc(T_3DES, kenc, 16, NULL, 1, s, 32, e);
    n = t_pad(memcpy(cmd, e, 32), 32, 8);
    t_mac(T_3DES, kmac, 16, cmd, n, e + 32);
    if ((sw = t_cmd(d, NULL, 0x82, 0, 0, e, 40, 40, cmd, &rl)) != 0x9000)
        return sw;
    CHECK(rl == 40);
    memcpy(e, cmd, 32);
    n = t_pad(e, 32, 8);
    t_mac(T_3DES, kmac, 16, e, n, mac);
    CHECK_MSG(memcmp(mac, cmd + 32, 8) == 0, "BAC: M_IC does not verify");
    t_cbc(T_3DES, kenc, 16, NULL, 0, cmd, 32, r);
    CHECK(memcmp(r, rnd_ic, 8) == 0 && memcmp(r + 8, s, 8) == 0);
    for (int i = 0; i < 16; i++)
        seed[i] = (uint8_t)(s[16 + i] ^ r[16 + i]);
    memset(sm, 0, sizeof *sm);
    sm->alg = T_3DES;
    sm->klen = 16;
    t_kdf(T_3DES, 16, seed, 16, 1, sm->kenc);
    t_kdf(T_3DES, 16, seed, 16, 2, sm->kmac);
    memcpy(sm->ssc, rnd_ic + 4, 4);
    memcpy(sm->ssc + 4, s + 4, 4);
    return 0x9000;
}

typedef struct pace_suite {
    const char *name;
    uint8_t last_arc; /* id-PACE-ECDH-GM-<1 3DES, 2 AES-128, 3 AES-192, 4 AES-256> */
    int param_id;
    int nid;
} pace_suite;

static size_t pace_oid(uint8_t arc, uint8_t *out)
{
    static const uint8_t base[] = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02};
    memcpy(out, base, sizeof base);
    out[sizeof base] = arc;
    return sizeof base + 1;
}

static size_t pubkey_do(const uint8_t *oid, size_t oid_len, const uint8_t *pt, size_t plen,
                        uint8_t *out)
{
    uint8_t in[300];
    size_t n = 0, h;
    in[n++] = 0x06;
    in[n++] = (uint8_t)oid_len;
    memcpy(in + n, oid, oid_len);
    n += oid_len;
    n += t_hdr(in + n, 0x86, plen);
    memcpy(in + n, pt, plen);
    n += plen;
    out[0] = 0x7F;
    h = 1 + t_hdr(out + 1, 0x49, n);
    memcpy(out + h, in, n);
    return h + n;
}

/* GENERAL AUTHENTICATE with 7C { tag value }; the inner value of the answer
 * into out. */
static unsigned ga(dxp_device *d, bool chain, uint8_t tag, const uint8_t *v, size_t vl,
                   uint8_t want, uint8_t *out, size_t *olen)
{
    uint8_t data[300], cmd[320], rsp[400];
    size_t n = 0, rl = 0, pos = 0, ipos = 0, vl2, cl;
    const uint8_t *c, *iv;
    uint8_t t;
    unsigned sw;

    if (tag) {
        uint8_t inner[300];
        size_t il = t_hdr(inner, tag, vl);
        memcpy(inner + il, v, vl);
        il += vl;
        n = t_hdr(data, 0x7C, il);
        memcpy(data + n, inner, il);
        n += il;
    } else {
        data[n++] = 0x7C;
        data[n++] = 0;
    }
    n = apdu(cmd, chain ? 0x10 : 0x00, 0x86, 0, 0, data, n, 256, false);
    if ((sw = xmit(d, cmd, n, rsp, &rl)) != 0x9000)
        return sw;
    if (!t_tlv(rsp, rl, &pos, &t, &c, &cl) || t != 0x7C || !t_tlv(c, cl, &ipos, &t, &iv, &vl2) ||
        t != want) {
        CHECK_MSG(0, "GENERAL AUTHENTICATE: answer %s is not 7C{%02X ...}", hexs(rsp, rl), want);
        return 1;
    }
    memcpy(out, iv, vl2);
    *olen = vl2;
    return sw;
}

/* PACE with ECDH generic mapping, 9303-11 §4.4; pw_ref 1 MRZ, 2 CAN. */
static unsigned t_pace(dxp_device *d, const pace_suite *ps, uint8_t pw_ref, const uint8_t *pw,
                       size_t pw_len, term_sm *sm)
{
    uint8_t oid[16], data[64], cmd[80], k[20], kpi[32], buf[300], s[32], tok[8], pk_ic[200],
        pk_ifd[200], mac[8];
    size_t ol = pace_oid(ps->last_arc, oid), n = 0, rl = 0, klen, sl, pl = 0, pkl, mx = 0;
    int alg = ps->last_arc == 1 ? T_3DES : T_AES;
    unsigned sw;
    EC_GROUP *g = EC_GROUP_new_by_curve_name(ps->nid);
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *sk = BN_new(), *bs_ = NULL, *x = BN_new();
    EC_POINT *pk = EC_POINT_new(g), *peer = EC_POINT_new(g), *h = EC_POINT_new(g),
             *gh = EC_POINT_new(g);

    REQUIRE(g && bc && sk && x && pk && peer && h && gh);
    klen = ps->last_arc == 1 ? 16 : ps->last_arc == 2 ? 16 : ps->last_arc == 3 ? 24 : 32;
    data[n++] = 0x80;
    data[n++] = (uint8_t)ol;
    memcpy(data + n, oid, ol);
    n += ol;
    data[n++] = 0x83;
    data[n++] = 1;
    data[n++] = pw_ref;
    data[n++] = 0x84;
    data[n++] = 1;
    data[n++] = (uint8_t)ps->param_id;
    n = apdu(cmd, 0x00, 0x22, 0xC1, 0xA4, data, n, 0, false);
    if ((sw = xmit(d, cmd, n, rbuf, &rl)) != 0x9000)
        goto done;
    /* K_pi */
    if (pw_ref == 1) {
        sha1(pw, pw_len, k);
        t_kdf(alg, klen, k, 20, 3, kpi);
    } else {
        t_kdf(alg, klen, pw, pw_len, 3, kpi);
    }
    /* 1: encrypted nonce */
    if ((sw = ga(d, true, 0, NULL, 0, 0x80, buf, &sl)) != 0x9000)
        goto done;
    CHECK(sl == t_bs(alg));
    t_cbc(alg, kpi, klen, NULL, 0, buf, sl, s);
    /* 2: mapping */
    REQUIRE(BN_rand_range(sk, EC_GROUP_get0_order(g)) == 1);
    REQUIRE(EC_POINT_mul(g, pk, sk, NULL, NULL, bc) == 1);
    pl = EC_POINT_point2oct(g, pk, POINT_CONVERSION_UNCOMPRESSED, buf, sizeof buf, bc);
    if ((sw = ga(d, true, 0x81, buf, pl, 0x82, pk_ic, &pkl)) != 0x9000)
        goto done;
    REQUIRE(EC_POINT_oct2point(g, peer, pk_ic, pkl, bc) == 1);
    REQUIRE(EC_POINT_mul(g, h, NULL, peer, sk, bc) == 1);
    REQUIRE((bs_ = BN_bin2bn(s, (int)sl, NULL)) != NULL);
    REQUIRE(EC_POINT_mul(g, gh, bs_, h, BN_value_one(), bc) == 1);
    /* 3: key agreement */
    REQUIRE(BN_rand_range(sk, EC_GROUP_get0_order(g)) == 1);
    REQUIRE(EC_POINT_mul(g, pk, NULL, gh, sk, bc) == 1);
    pl = EC_POINT_point2oct(g, pk, POINT_CONVERSION_UNCOMPRESSED, pk_ifd, sizeof pk_ifd, bc);
    if ((sw = ga(d, true, 0x83, pk_ifd, pl, 0x84, pk_ic, &pkl)) != 0x9000)
        goto done;
    REQUIRE(EC_POINT_oct2point(g, peer, pk_ic, pkl, bc) == 1);
    REQUIRE(EC_POINT_mul(g, h, NULL, peer, sk, bc) == 1);
    REQUIRE(EC_POINT_get_affine_coordinates(g, h, x, NULL, bc) == 1);
    mx = (size_t)(EC_GROUP_get_degree(g) + 7) / 8;
    REQUIRE(BN_bn2binpad(x, buf, (int)mx) == (int)mx);
    memset(sm, 0, sizeof *sm);
    sm->alg = alg;
    sm->klen = klen;
    t_kdf(alg, klen, buf, mx, 1, sm->kenc);
    t_kdf(alg, klen, buf, mx, 2, sm->kmac);
    /* 4: tokens */
    n = pubkey_do(oid, ol, pk_ic, pkl, buf);
    if (alg == T_3DES)
        n = t_pad(buf, n, 8);
    t_mac(alg, sm->kmac, klen, buf, n, tok);
    if ((sw = ga(d, false, 0x85, tok, 8, 0x86, mac, &rl)) != 0x9000)
        goto done;
    n = pubkey_do(oid, ol, pk_ifd, pl, buf);
    if (alg == T_3DES)
        n = t_pad(buf, n, 8);
    t_mac(alg, sm->kmac, klen, buf, n, tok);
    CHECK_MSG(rl == 8 && memcmp(mac, tok, 8) == 0, "PACE %s: T_IC does not verify", ps->name);
done:
    EC_POINT_free(pk);
    EC_POINT_free(peer);
    EC_POINT_free(h);
    EC_POINT_free(gh);
    BN_free(sk);
    BN_free(bs_);
    BN_free(x);
    BN_CTX_free(bc);
    EC_GROUP_free(g);
    return sw;
}

/* Reads `len` bytes of a file (expected length known) from the current DF:
 * SELECT by FID, READ BINARY B0 in chunks of `chunk`, B1 past offset 32767.
 * Returns a malloc'd buffer or NULL after a failed CHECK. */
static uint8_t *t_read(dxp_device *d, term_sm *sm, uint16_t fid, size_t len, size_t chunk)
{
    uint8_t f[2] = {(uint8_t)(fid >> 8), (uint8_t)fid};
    uint8_t *buf = malloc(len ? len : 1), *tmp = malloc(70000);
    size_t off = 0, rl = 0;
    unsigned sw;

    REQUIRE(buf && tmp);
    sw = t_cmd(d, sm, 0xA4, 0x02, 0x0C, f, 2, 0, NULL, NULL);
    CHECK_MSG(sw == 0x9000, "SELECT %04X: %04X", fid, sw);
    if (sw != 0x9000)
        goto fail;
    while (off < len) {
        size_t n = len - off < chunk ? len - off : chunk;
        if (off <= 32767) {
            if (off + n > 32768 && off < 32768)
                n = 32768 - off; /* B0 for what the 15-bit offset reaches */
            sw = t_cmd(d, sm, 0xB0, (uint8_t)(off >> 8), (uint8_t)off, NULL, 0, n, tmp, &rl);
            if (sw != 0x9000 || rl != n)
                goto bad;
            memcpy(buf + off, tmp, n);
        } else {
            uint8_t do54[6] = {0x54, 3, (uint8_t)(off >> 16), (uint8_t)(off >> 8), (uint8_t)off};
            size_t hl = n < 0x80 ? 2 : n < 0x100 ? 3 : 4, pos = 0, vl;
            const uint8_t *v;
            uint8_t tag;
            sw = t_cmd(d, sm, 0xB1, 0, 0, do54, 5, n + hl, tmp, &rl);
            if (sw != 0x9000 || !t_tlv(tmp, rl, &pos, &tag, &v, &vl) || tag != 0x53 || vl != n ||
                pos != rl)
                goto bad;
            memcpy(buf + off, v, n);
        }
        off += n;
    }
    free(tmp);
    return buf;
bad:
    CHECK_MSG(0, "READ BINARY %04X at %zu: SW %04X, %zu bytes", fid, off, sw, rl);
fail:
    free(tmp);
    free(buf);
    return NULL;
}

/* ---- chip directories ---------------------------------------------------------- */

typedef struct chip_file {
    const char *name;
    const char *fid;
    int sfi;
    bool outside;
    uint8_t *data;
    size_t len;
} chip_file;

#define N_FILES 9
static chip_file files[N_FILES];
static EVP_PKEY *rsa_key, *ec_key, *ca_key;

static const char *MRZ1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
static const char *MRZ2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10";
static const char *MRZ_INFO = "L898902C3674081221204159";
static const char *CAN = "123456";

static uint8_t *fill(size_t len, uint8_t tag_hi, uint32_t seed)
{
    uint8_t *b = malloc(len);
    uint64_t z = seed;
    REQUIRE(b);
    for (size_t i = 0; i < len; i++) {
        z = z * 6364136223846793005ull + 1442695040888963407ull;
        b[i] = (uint8_t)(z >> 33);
    }
    b[0] = tag_hi;
    if (len >= 4) { /* a plausible long-form length */
        b[1] = 0x82;
        b[2] = (uint8_t)((len - 4) >> 8);
        b[3] = (uint8_t)(len - 4);
    }
    return b;
}

static void make_files(size_t dg2_len)
{
    static const uint8_t com[] = {0x60, 0x16, 0x5F, 0x01, 0x04, 0x30, 0x31, 0x30, 0x37, 0x5F,
                                  0x36, 0x06, 0x30, 0x34, 0x30, 0x30, 0x30, 0x30, 0x5C, 0x04,
                                  0x61, 0x75, 0x6B, 0x6C};
    static const uint8_t ca[] = {0x31, 0x14, 0x30, 0x12, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00,
                                 0x07, 0x02, 0x02, 0x04, 0x02, 0x02, 0x02, 0x01, 0x02, 0x02,
                                 0x01, 0x0D};
    uint8_t *dg1 = malloc(93), *der = NULL;
    int dl;
    REQUIRE(dg1);
    memcpy(dg1, "\x61\x5B\x5F\x1F\x58", 5);
    memcpy(dg1 + 5, MRZ1, 44);
    memcpy(dg1 + 49, MRZ2, 44);
    REQUIRE((dl = i2d_PUBKEY(rsa_key, &der)) > 0);
    uint8_t *dg15 = malloc((size_t)dl + 4);
    REQUIRE(dg15);
    dg15[0] = 0x6F;
    dg15[1] = 0x82;
    dg15[2] = (uint8_t)(dl >> 8);
    dg15[3] = (uint8_t)dl;
    memcpy(dg15 + 4, der, (size_t)dl);
    OPENSSL_free(der);

    chip_file f[N_FILES] = {
        {"EF.COM", "011E", 30, false, malloc(sizeof com), sizeof com},
        {"EF.DG1", "0101", 1, false, dg1, 93},
        {"EF.DG2", "0102", 2, false, fill(dg2_len, 0x75, 2), dg2_len},
        {"EF.DG11", "010B", 11, false, fill(140, 0x6B, 11), 140},
        {"EF.DG12", "010C", 12, false, fill(90, 0x6C, 12), 90},
        {"EF.DG14", "010E", 14, false, fill(300, 0x6E, 14), 300},
        {"EF.DG15", "010F", 15, false, dg15, (size_t)dl + 4},
        {"EF.SOD", "011D", 29, false, fill(1700, 0x77, 29), 1700},
        {"EF.CardAccess", "011C", 28, true, malloc(sizeof ca), sizeof ca},
    };
    REQUIRE(f[0].data && f[8].data);
    memcpy(f[0].data, com, sizeof com);
    memcpy(f[8].data, ca, sizeof ca);
    for (int i = 0; i < N_FILES; i++) {
        free(files[i].data);
        files[i] = f[i];
    }
}

static void write_key(const char *dir, const char *name, EVP_PKEY *k)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    BIO *b = BIO_new_file(path, "w");
    REQUIRE(b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1);
    BIO_free(b);
}

/* Writes a chip directory with every file of files[]; `extra` is JSON text
 * added to chip.json ("\"aa\": ..., "), mrz the JSON array text. */
static void make_chip(const char *dir, const char *mrz, const char *extra)
{
    char json[8192];
    size_t n = 0;
    mkdir(dir, 0700);
    for (int i = 0; i < N_FILES; i++)
        write_file(dir, files[i].name, files[i].data, files[i].len);
    write_key(dir, "aa_rsa.pem", rsa_key);
    write_key(dir, "aa_ec.pem", ec_key);
    write_key(dir, "ca.pem", ca_key);
    n += (size_t)snprintf(json + n, sizeof json - n,
                          "{\"format\": \"docex.chip/1\",\n"
                          " \"note\": \"TEST ONLY: synthetic chip of a Utopia specimen\",\n"
                          " \"mrz\": %s, \"can\": \"%s\", %s\n \"files\": [",
                          mrz, CAN, extra);
    for (int i = 0; i < N_FILES; i++)
        n += (size_t)snprintf(json + n, sizeof json - n,
                              "%s\n  {\"name\": \"%s\", \"fid\": \"%s\", \"sfi\": %d%s}",
                              i ? "," : "", files[i].name, files[i].fid, files[i].sfi,
                              files[i].outside ? ", \"outside_application\": true" : "");
    snprintf(json + n, sizeof json - n, "]}\n");
    write_text(dir, "chip.json", json);
}

static char MRZ_TD3[200];

#define PACE_ALL                                                                          \
    "\"pace\": [{\"oid\": \"0.4.0.127.0.7.2.2.4.2.2\", \"parameter_id\": 13},"            \
    " {\"oid\": \"0.4.0.127.0.7.2.2.4.2.2\", \"parameter_id\": 12},"                      \
    " {\"oid\": \"0.4.0.127.0.7.2.2.4.2.4\", \"parameter_id\": 15},"                      \
    " {\"oid\": \"0.4.0.127.0.7.2.2.4.2.3\", \"parameter_id\": 12},"                      \
    " {\"oid\": \"0.4.0.127.0.7.2.2.4.2.1\", \"parameter_id\": 13},"                      \
    " {\"oid\": \"0.4.0.127.0.7.2.2.4.1.2\", \"parameter_id\": 2}],"

/* ---- tests: devices ----------------------------------------------------------- */

static void test_devices(void)
{
    dxp_device_info info[8];
    uint32_t n = 0;
    dxp_device_desc desc;
    dxp_device *d, *d2 = NULL, *s = NULL;
    uint8_t buf[64];
    size_t len;

    REQUIRE(P->chip && P->chip->struct_size >= DXP_CHIP_OPS_SIZE_1_0);
    REQUIRE(P->chip->wait_card && P->chip->transmit && P->chip->release_card && P->chip->cancel);
    CHECK_ST(P->enumerate(pctx, info, 8, &n), DX_OK);
    CHECK(n == 2);
    CHECK_STR(info[0].id, "0");
    CHECK(info[0].kinds == DXP_KIND_SCANNER);
    CHECK_STR(info[1].id, "chip0");
    CHECK(info[1].kinds == DXP_KIND_CHIP_READER);
    snprintf(hctx.readers, sizeof hctx.readers, "3");
    snprintf(hctx.devices, sizeof hctx.devices, "2");
    CHECK_ST(P->enumerate(pctx, info, 8, &n), DX_OK);
    CHECK(n == 5);
    CHECK_STR(info[2].id, "chip0");
    CHECK_STR(info[4].id, "chip2");
    CHECK_ST(P->enumerate(pctx, info, 3, &n), DX_OK); /* capacity short of the count */
    CHECK(n == 5);
    snprintf(hctx.readers, sizeof hctx.readers, "0");
    CHECK_ST(P->enumerate(pctx, info, 8, &n), DX_OK);
    CHECK(n == 2 && info[1].kinds == DXP_KIND_SCANNER);
    CHECK_ST(P->open(pctx, "chip0", &d2), DX_ERR_NOT_FOUND);
    snprintf(hctx.readers, sizeof hctx.readers, "2");
    hctx.devices[0] = '\0';

    CHECK_ST(P->open(pctx, "chip2", &d2), DX_ERR_NOT_FOUND);
    CHECK_ST(P->open(pctx, "chip01", &d2), DX_ERR_NOT_FOUND);
    CHECK_ST(P->open(pctx, "chip", &d2), DX_ERR_NOT_FOUND);
    CHECK_ST(P->open(pctx, "chip-1", &d2), DX_ERR_NOT_FOUND);
    d = open_reader("chip1");
    CHECK_ST(P->open(pctx, "chip1", &d2), DX_ERR_BUSY);
    memset(&desc, 0, sizeof desc);
    desc.struct_size = sizeof desc;
    CHECK_ST(P->describe(d, &desc), DX_OK);
    CHECK(desc.kinds == DXP_KIND_CHIP_READER);
    CHECK(desc.n_illuminations == 0 && desc.n_options == 5);
    const char *want[] = {"no_card", "remove_after", "latency_us", "extended_length", "chip"};
    for (uint32_t i = 0; i < desc.n_options && i < 5; i++)
        CHECK_STR(desc.options[i].name, want[i]);
    /* scanner operations on a reader and reader operations on a scanner */
    dxp_frame_format ff;
    CHECK_ST(P->scanner->get_frame_format(d, "white", &ff), DX_ERR_UNSUPPORTED);
    {
        /* a one-light scene for the scanner: a 1x1 grey PNG */
        static const uint8_t png[] = {
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48,
            0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00,
            0x00, 0x3A, 0x7E, 0x9B, 0x55, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78,
            0x9C, 0x63, 0x68, 0x00, 0x00, 0x00, 0x82, 0x00, 0x81, 0x77, 0xCD, 0x72, 0xB6, 0x00,
            0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82};
        char *scene = tmp_path("scene1");
        mkdir(scene, 0700);
        write_file(scene, "white.png", png, sizeof png);
        write_text(scene, "scene.json", "{\"format\": \"docex.scene/1\", \"dpi\": 254}\n");
        snprintf(hctx.scene, sizeof hctx.scene, "%s", scene);
    }
    CHECK_ST(P->open(pctx, "0", &s), DX_OK);
    if (s) {
        memset(&desc, 0, sizeof desc);
        desc.struct_size = sizeof desc;
        CHECK_ST(P->describe(s, &desc), DX_OK);
        CHECK(desc.kinds == DXP_KIND_SCANNER);
        CHECK_ST(P->chip->wait_card(s, 0, buf, sizeof buf, &len), DX_ERR_UNSUPPORTED);
        CHECK_ST(P->chip->transmit(s, buf, 5, buf, sizeof buf, &len), DX_ERR_UNSUPPORTED);
        CHECK_ST(P->chip->release_card(s), DX_ERR_UNSUPPORTED);
        CHECK_ST(P->scanner->cancel(s), DX_OK);
        P->close(s);
    }
    /* a scene without a chip: the field stays empty */
    snprintf(hctx.scene, sizeof hctx.scene, "%s", tmp_path("no-scene"));
    CHECK_ST(P->chip->wait_card(d, 0, buf, sizeof buf, &len), DX_ERR_NO_CARD);
    /* options */
    dxp_value v;
    CHECK_ST(P->get_option(d, "extended_length", &v), DX_OK);
    CHECK(v.type == DXP_OPT_BOOL && v.i == 1);
    CHECK_ST(set_opt(d, "remove_after", DXP_OPT_INT, -1, NULL), DX_ERR_INVALID_ARG);
    CHECK_ST(set_opt(d, "remove_after", DXP_OPT_BOOL, 1, NULL), DX_ERR_INVALID_ARG);
    CHECK_ST(set_opt(d, "nope", DXP_OPT_INT, 1, NULL), DX_ERR_NOT_FOUND);
    CHECK_ST(set_opt(d, "chip", DXP_OPT_STRING, 0, "/x"), DX_OK);
    CHECK_ST(P->get_option(d, "chip", &v), DX_OK);
    CHECK_STR(v.s, "/x");
    P->close(d);
    d = open_reader("chip1"); /* options back to their defaults */
    CHECK_ST(P->get_option(d, "chip", &v), DX_OK);
    CHECK_STR(v.s, "");
    P->close(d);
    hctx.readers[0] = '\0';
    hctx.scene[0] = '\0';
}

/* ---- tests: known answers ------------------------------------------------------- */

/* 9303-11 Appendix D: BAC and 3DES secure messaging, card side. */
static void test_appendix_d(void)
{
    json_t *v = load_vector("icao9303-part11-bac.json"), *sm;
    dxp_device *d = open_reader("chip0");
    uint8_t cmd[300], want[300], atr[64];
    size_t n, wl, rl, al = 0;
    unsigned sw;

    REQUIRE(set_opt(d, "chip", DXP_OPT_STRING, 0, DOCEX_SIM_CHIP_DATA "/appendix-d") == DX_OK);
    CHECK_ST(P->chip->wait_card(d, 0, atr, sizeof atr, &al), DX_OK);
    CHECK(al == 5 && memcmp(atr, "\x3B\x80\x80\x01\x01", 5) == 0);
    /* nothing of the application before BAC */
    CHECK_SW(xmit_hex(d, "00A4040C07A0000002471001"), 0x9000);
    CHECK_SW(xmit_hex(d, "00A4020C02011E"), 0x6982);
    CHECK_SW(xmit_hex(d, "00B09E0004"), 0x6982);
    CHECK_SW(xmit_hex(d, "0082000028" "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76"
                      "ED92F25F1448EEA8AD90A728"), 0x6985); /* no challenge yet */
    /* GET CHALLENGE gives the vector's RND.IC */
    sw = xmit_hex(d, "0084000008");
    CHECK_SW(sw, 0x9000);
    wl = unhex(jstr(v, "rnd_ic"), want, sizeof want);
    CHECK_MSG(memcmp(rbuf, want, wl) == 0, "RND.IC %s", hexs(rbuf, 8));
    /* EXTERNAL AUTHENTICATE: the vector's command gets the vector's answer */
    n = unhex(jstr(v, "mutual_authenticate_command"), cmd, sizeof cmd);
    sw = xmit(d, cmd, n, rbuf, &rl);
    CHECK_SW(sw, 0x9000);
    wl = unhex(jstr(v, "mutual_authenticate_response"), want, sizeof want);
    CHECK_MSG(rl == wl && memcmp(rbuf, want, wl) == 0, "E_IC||M_IC %s", hexs(rbuf, rl));
    /* then the protected SELECT and READ BINARYs, answers byte for byte */
    sm = json_object_get(v, "secure_messaging");
    REQUIRE(json_array_size(sm) == 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *step = json_array_get(sm, i);
        n = unhex(jstr(step, "protected_command"), cmd, sizeof cmd);
        wl = unhex(jstr(step, "protected_response"), want, sizeof want);
        xmit(d, cmd, n, rbuf, &rl);
        CHECK_MSG(rl + 2 == wl && memcmp(rbuf, want, wl) == 0, "%s: got %s", jstr(step, "step"),
                  hexs(rbuf, rl + 2));
    }
    /* a replayed command (old SSC) is an SM error and ends the session */
    n = unhex(jstr(json_array_get(sm, 1), "protected_command"), cmd, sizeof cmd);
    CHECK_SW(xmit(d, cmd, n, rbuf, &rl), 0x6988);
    CHECK(rl == 0);
    CHECK_SW(xmit_hex(d, "00B09E0004"), 0x6982);
    P->chip->release_card(d);
    P->close(d);
    json_decref(v);
}

/* 9303-11 Appendix G.1: PACE ECDH-GM on brainpoolP256r1 with AES-128. */
static void test_appendix_g1(void)
{
    json_t *v = load_vector("icao9303-part11-pace-ecdh-gm.json"), *apdus;
    dxp_device *d = open_reader("chip0");
    uint8_t cmd[300], want[300];
    size_t n, wl, rl;

    CHECK_ST(connect_to(d, DOCEX_SIM_CHIP_DATA "/appendix-g1"), DX_OK);
    /* EF.CardAccess in the MF, readable before anything */
    /* EF.CardAccess is SecurityInfos, a SET (9303-11 §9.2); the vector gives
     * its one PACEInfo, so the file is 31 14 followed by it (22 bytes) */
    CHECK_SW(xmit_hex(d, "00B09C0000"), 0x6282); /* all 22 bytes of the 256 asked */
    want[0] = 0x31;
    want[1] = 0x14;
    wl = 2 + unhex(jstr(v, "ef_cardaccess"), want + 2, sizeof want - 2);
    CHECK(wl == 22);
    CHECK(memcmp(rbuf, want, wl) == 0);
    CHECK_SW(xmit_hex(d, "00A4020C02011C"), 0x9000);
    CHECK_SW(xmit_hex(d, "00B0000016"), 0x9000);
    CHECK(memcmp(rbuf, want, wl) == 0);
    CHECK_SW(xmit_hex(d, "00B0000100"), 0x6282); /* fewer bytes than asked: end of file */
    CHECK_SW(xmit_hex(d, "00B0001600"), 0x6B00);
    /* every APDU of the worked example, answers byte for byte */
    apdus = json_object_get(v, "apdus");
    REQUIRE(json_array_size(apdus) == 5);
    for (size_t i = 0; i < json_array_size(apdus); i++) {
        json_t *a = json_array_get(apdus, i);
        n = unhex(jstr(a, "command"), cmd, sizeof cmd);
        wl = unhex(jstr(a, "response"), want, sizeof want);
        xmit(d, cmd, n, rbuf, &rl);
        CHECK_MSG(rl + 2 == wl && memcmp(rbuf, want, wl) == 0, "G.1 APDU %zu: got %s", i,
                  hexs(rbuf, rl + 2));
    }
    /* the first AES-protected command: SELECT of the application */
    json_t *sm = json_object_get(v, "aes_secure_messaging");
    n = unhex(jstr(sm, "protected_command"), cmd, sizeof cmd);
    wl = unhex(jstr(sm, "protected_response"), want, sizeof want);
    xmit(d, cmd, n, rbuf, &rl);
    CHECK_MSG(rl + 2 == wl && memcmp(rbuf, want, wl) == 0, "AES SM: got %s", hexs(rbuf, rl + 2));
    P->chip->release_card(d);

    /* with the CAN the same nonce s is encrypted under K_pi = KDF("123456", 3) */
    CHECK_ST(connect_to(d, DOCEX_SIM_CHIP_DATA "/appendix-g1"), DX_OK);
    CHECK_SW(xmit_hex(d, "0022C1A40F800A04007F00070202040202830102"), 0x9000);
    CHECK_SW(xmit_hex(d, "10860000027C0000"), 0x9000);
    {
        uint8_t kpi[16], s[16];
        t_kdf(T_AES, 16, (const uint8_t *)"123456", 6, 3, kpi);
        CHECK(rbuf[0] == 0x7C && rbuf[1] == 0x12 && rbuf[2] == 0x80 && rbuf[3] == 0x10);
        t_cbc(T_AES, kpi, 16, NULL, 0, rbuf + 4, 16, s);
        wl = unhex(jstr(v, "nonce_s"), want, sizeof want);
        CHECK_MSG(wl == 16 && memcmp(s, want, 16) == 0, "s under the CAN: %s", hexs(s, 16));
    }
    /* a token that does not verify ends the run: 6300, then 6985 */
    for (size_t i = 2; i < 4; i++) {
        n = unhex(jstr(json_array_get(apdus, i), "command"), cmd, sizeof cmd);
        CHECK_SW(xmit(d, cmd, n, rbuf, &rl), 0x9000);
    }
    CHECK_SW(xmit_hex(d, "008600000C7C0A85080102030405060708" "00"), 0x6300);
    CHECK_SW(xmit_hex(d, "008600000C7C0A85080102030405060708" "00"), 0x6985);
    P->chip->release_card(d);
    P->close(d);
    json_decref(v);
}

/* ---- tests: end to end with the test terminal --------------------------------------- */

static void compare_all_files(dxp_device *d, term_sm *sm, size_t chunk)
{
    for (int i = 0; i < N_FILES; i++) {
        uint16_t fid = (uint16_t)strtol(files[i].fid, NULL, 16);
        uint8_t *b;
        if (files[i].outside)
            continue;
        b = t_read(d, sm, fid, files[i].len, chunk);
        CHECK_MSG(b && memcmp(b, files[i].data, files[i].len) == 0, "%s differs", files[i].name);
        free(b);
    }
}

static void test_bac_end_to_end(void)
{
    dxp_device *d = open_reader("chip0");
    const char *dir = tmp_path("chip-bac");
    term_sm sm;
    uint8_t out[300], f[2];
    size_t ol;
    char mrz[200];

    snprintf(mrz, sizeof mrz, "[\"%s\", \"%s\"]", MRZ1, MRZ2);
    make_chip(dir, mrz, "\"pace\": [],");
    CHECK_ST(connect_to(d, dir), DX_OK);
    /* before BAC: the MF's EF.CardAccess only */
    CHECK_SW(xmit_hex(d, "00B09C0004"), 0x9000);
    CHECK_SW(xmit_hex(d, "00A4040C07A0000002471001"), 0x9000);
    CHECK_SW(xmit_hex(d, "00B0810004"), 0x6982);
    CHECK_SW(xmit_hex(d, "00B09C0004"), 0x6A82); /* EF.CardAccess is not in the application */
    /* a wrong MRZ fails, the right one works after it */
    CHECK_SW(t_bac(d, "L898902C3674081221204158", &sm), 0x6300);
    CHECK_SW(t_bac(d, MRZ_INFO, &sm), 0x9000);
    /* every file, short APDUs in 223-byte chunks (B1 past 32767) */
    compare_all_files(d, &sm, 223);
    /* by SFI: first bytes of DG1, then B0 continues in the same EF */
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x81, 0, NULL, 0, 5, out, &ol), 0x9000);
    CHECK(ol == 5 && memcmp(out, files[1].data, 5) == 0);
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x00, 5, NULL, 0, 3, out, &ol), 0x9000);
    CHECK(ol == 3 && memcmp(out, files[1].data + 5, 3) == 0);
    /* B1 by SFI in P1-P2 at a small offset */
    uint8_t do54[] = {0x54, 0x01, 0x02};
    CHECK_SW(sm_cmd(d, &sm, 0xB1, 0x00, 0x01, do54, 3, 10, out, &ol), 0x9000);
    CHECK(ol == 10 && out[0] == 0x53 && out[1] == 8 && memcmp(out + 2, files[1].data + 2, 8) == 0);
    /* errors under SM are protected answers, the session goes on */
    f[0] = 0x01;
    f[1] = 0x77;
    CHECK_SW(sm_cmd(d, &sm, 0xA4, 0x02, 0x0C, f, 2, 0, NULL, NULL), 0x6A82);
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x00, 93, NULL, 0, 1, NULL, NULL), 0x6B00);
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x00, 90, NULL, 0, 10, out, &ol), 0x6282);
    CHECK(ol == 3);
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x9F, 0, NULL, 0, 4, NULL, NULL), 0x6A82); /* SFI 31 */
    /* too long an answer for a short APDU: wrapped 6700, the session goes on */
    force_short = true;
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x82, 0, NULL, 0, 240, NULL, NULL), 0x6700);
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x82, 0, NULL, 0, 231, out, &ol), 0x9000);
    CHECK(ol == 231 && memcmp(out, files[2].data, 231) == 0);
    force_short = false;
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x82, 0, NULL, 0, 240, NULL, NULL), 0x9000); /* extended */
    /* the MF and EF.CardAccess under SM */
    f[0] = 0x3F;
    f[1] = 0x00;
    CHECK_SW(sm_cmd(d, &sm, 0xA4, 0x00, 0x0C, f, 2, 0, NULL, NULL), 0x9000);
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x9C, 0, NULL, 0, 22, out, &ol), 0x9000);
    CHECK(ol == 22 && memcmp(out, files[8].data, 22) == 0);
    /* SELECT with an FCP */
    f[0] = 0x01;
    f[1] = 0x1C;
    CHECK_SW(sm_cmd(d, &sm, 0xA4, 0x02, 0x04, f, 2, 256, out, &ol), 0x9000);
    CHECK(ol >= 4 && out[0] == 0x62 && out[1] == ol - 2);
    /* a bad MAC ends the session; so does the next protected command */
    uint8_t cmd[100];
    size_t cl = sm_build(&sm, 0xB0, 0x9C, 0, NULL, 0, 4, cmd), rl;
    cmd[cl - 2] ^= 1;
    CHECK_SW(xmit(d, cmd, cl, rbuf, &rl), 0x6988);
    CHECK(rl == 0);
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x9C, 0, NULL, 0, 4, NULL, NULL), 0x6988);
    CHECK_SW(xmit_hex(d, "00A4040C07A0000002471001"), 0x9000);
    CHECK_SW(xmit_hex(d, "00B0810004"), 0x6982);
    /* BAC again; a plain command ends SM */
    CHECK_SW(t_bac(d, MRZ_INFO, &sm), 0x9000);
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x81, 0, NULL, 0, 4, NULL, NULL), 0x9000);
    CHECK_SW(xmit_hex(d, "00B0810004"), 0x6982);
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x81, 0, NULL, 0, 4, NULL, NULL), 0x6988);
    /* extended-length reads: the whole DG2 in 4 APDUs of up to 16 KiB */
    CHECK_SW(t_bac(d, MRZ_INFO, &sm), 0x9000);
    uint8_t *b = t_read(d, &sm, 0x0102, files[2].len, 16384);
    CHECK(b && memcmp(b, files[2].data, files[2].len) == 0);
    free(b);
    /* B1 reading past the end */
    uint8_t far[] = {0x54, 0x03, (uint8_t)(files[2].len >> 16), (uint8_t)(files[2].len >> 8),
                     (uint8_t)files[2].len};
    CHECK_SW(sm_cmd(d, &sm, 0xB1, 0, 0, far, 5, 100, NULL, NULL), 0x6B00);
    P->chip->release_card(d);
    P->close(d);
}

/* TD1 with a long document number (9303-3 §4.2.2): BAC keys from all of it. */
static void test_bac_long_document_number(void)
{
    dxp_device *d = open_reader("chip0");
    const char *dir = tmp_path("chip-td1");
    term_sm sm;
    /* D23145890734 with check digit 9, dates 740812-2 and 120415-9 */
    const char *mrz = "[\"I<UTOD23145890<7349<<<<<<<<<<<\", \"7408122F1204159UTO<<<<<<<<<<<6\","
                      " \"ERIKSSON<<ANNA<MARIA<<<<<<<<<<\"]";
    make_chip(dir, mrz, "\"pace\": [],");
    CHECK_ST(connect_to(d, dir), DX_OK);
    CHECK_SW(xmit_hex(d, "00A4040C07A0000002471001"), 0x9000);
    CHECK_SW(t_bac(d, "D23145890<7408122", &sm), 0x6300);
    CHECK_SW(t_bac(d, "D23145890734" "9" "7408122" "1204159", &sm), 0x9000);
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x81, 0, NULL, 0, 4, NULL, NULL), 0x9000);
    P->chip->release_card(d);
    P->close(d);
}

static void test_pace_end_to_end(void)
{
    static const pace_suite suites[] = {
        {"brainpoolP256r1 AES-128", 2, 13, NID_brainpoolP256r1},
        {"P-256 AES-128", 2, 12, NID_X9_62_prime256v1},
        {"P-384 AES-256", 4, 15, NID_secp384r1},
        {"P-256 AES-192", 3, 12, NID_X9_62_prime256v1},
        {"brainpoolP256r1 3DES", 1, 13, NID_brainpoolP256r1},
    };
    dxp_device *d = open_reader("chip0");
    const char *dir = tmp_path("chip-pace");
    term_sm sm;
    uint8_t f[7] = {0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01}, data[16];
    size_t n;
    char extra[2048];

    snprintf(extra, sizeof extra, PACE_ALL " \"bac\": false,");
    make_chip(dir, MRZ_TD3, extra);
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        const pace_suite *ps = &suites[i];
        CHECK_ST(connect_to(d, dir), DX_OK);
        CHECK_SW(t_pace(d, ps, 1, (const uint8_t *)MRZ_INFO, strlen(MRZ_INFO), &sm), 0x9000);
        CHECK_SW(sm_cmd(d, &sm, 0xA4, 0x04, 0x0C, f, 7, 0, NULL, NULL), 0x9000);
        compare_all_files(d, &sm, i % 2 ? 223 : 4096);
        P->chip->release_card(d);
        /* CAN, and a wrong CAN */
        CHECK_ST(connect_to(d, dir), DX_OK);
        CHECK_SW(t_pace(d, ps, 2, (const uint8_t *)"123457", 6, &sm), 0x6300);
        CHECK_SW(t_pace(d, ps, 2, (const uint8_t *)CAN, strlen(CAN), &sm), 0x9000);
        CHECK_SW(sm_cmd(d, &sm, 0xA4, 0x04, 0x0C, f, 7, 0, NULL, NULL), 0x9000);
        CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x81, 0, NULL, 0, 93, NULL, NULL), 0x9000);
        P->chip->release_card(d);
    }
    /* refusals: BAC off, DH-GM listed but not simulated, a suite not listed,
     * PIN, a GENERAL AUTHENTICATE out of turn */
    CHECK_ST(connect_to(d, dir), DX_OK);
    CHECK_SW(xmit_hex(d, "0084000008"), 0x9000);
    CHECK_SW(xmit_hex(d, "0082000028" "00000000000000000000000000000000000000000000000000000000"
                      "000000000000000000000000" "28"), 0x6D00);
    CHECK_SW(xmit_hex(d, "0022C1A412800A04007F00070202040102830101840102"), 0x6A80); /* DH */
    CHECK_SW(xmit_hex(d, "0022C1A412800A04007F00070202040202830101840110"), 0x6A80);
    CHECK_SW(xmit_hex(d, "0022C1A40F800A04007F00070202040202830103"), 0x6A88); /* PIN */
    CHECK_SW(xmit_hex(d, "0022C1A40E800A04007F000702020402028301"), 0x6A80);
    CHECK_SW(xmit_hex(d, "0022C1A40C800A04007F00070202040202"), 0x6A80); /* no 83 */
    CHECK_SW(xmit_hex(d, "10860000027C0000"), 0x6985);
    CHECK_SW(xmit_hex(d, "0022C1A40F800A04007F00070202040202830101"), 0x9000); /* first: id 13 */
    CHECK_SW(xmit_hex(d, "10860000067C048102000000"), 0x6A80); /* mapping data first */
    CHECK_SW(xmit_hex(d, "10860000027C0000"), 0x6985); /* the run was aborted */
    CHECK_SW(xmit_hex(d, "0022C1A40F800A04007F00070202040202830101"), 0x9000);
    CHECK_SW(xmit_hex(d, "10860000027C0000"), 0x9000);
    /* a point not on the curve */
    memset(data, 0x11, sizeof data);
    n = 0;
    {
        uint8_t cmd[100], pt[65];
        size_t rl;
        pt[0] = 0x04;
        memset(pt + 1, 0x42, 64);
        uint8_t body[70] = {0x7C, 0x43, 0x81, 0x41};
        memcpy(body + 4, pt, 65);
        n = apdu(cmd, 0x10, 0x86, 0, 0, body, 69, 256, false);
        CHECK_SW(xmit(d, cmd, n, rbuf, &rl), 0x6A80);
    }
    P->chip->release_card(d);
    P->close(d);
}

static char aa_why[200];

/* Verifies an Active Authentication answer to `chal` with the public key:
 * RSA ISO/IEC 9796-2 scheme 1 (the trailer names the hash: BC SHA-1, 34CC
 * SHA-256, ...), ECDSA plain r || s over SHA-256.  Returns the hash used, or
 * NULL with the reason in aa_why. */
static const char *check_aa(EVP_PKEY *pub, const uint8_t chal[8], const uint8_t *sig, size_t sl)
{
    if (EVP_PKEY_is_a(pub, "RSA")) {
        EVP_PKEY_CTX *x = EVP_PKEY_CTX_new(pub, NULL);
        size_t k = (size_t)EVP_PKEY_get_size(pub), fl, tl = 0, hlen, m1;
        uint8_t f[1100], m[1100], h[64];
        unsigned int hl = 0;
        const char *md = NULL;
        bool ok;
        REQUIRE(k <= sizeof f);
        fl = sizeof f;
        REQUIRE(x && EVP_PKEY_verify_recover_init(x) == 1 &&
                EVP_PKEY_CTX_set_rsa_padding(x, RSA_NO_PADDING) == 1);
        ok = sl == k && EVP_PKEY_verify_recover(x, f, &fl, sig, sl) == 1 && fl == k &&
             f[0] == 0x6A;
        EVP_PKEY_CTX_free(x);
        if (!ok) {
            snprintf(aa_why, sizeof aa_why, "RSA: no 9796-2 message in the %zu-byte signature",
                     sl);
            return NULL;
        }
        if (f[k - 1] == 0xBC) {
            md = "SHA1";
            tl = 1;
        } else if (f[k - 1] == 0xCC) {
            md = f[k - 2] == 0x34 ? "SHA256" : f[k - 2] == 0x36 ? "SHA384"
               : f[k - 2] == 0x35 ? "SHA512" : f[k - 2] == 0x38 ? "SHA224" : NULL;
            tl = 2;
        }
        if (!md) {
            snprintf(aa_why, sizeof aa_why, "RSA: trailer %02X%02X", f[k - 2], f[k - 1]);
            return NULL;
        }
        hlen = (size_t)EVP_MD_get_size(EVP_get_digestbyname(md));
        m1 = k - hlen - tl - 1;
        memcpy(m, f + 1, m1);
        memcpy(m + m1, chal, 8);
        REQUIRE(EVP_Digest(m, m1 + 8, h, &hl, EVP_get_digestbyname(md), NULL) == 1);
        if (hl != hlen || memcmp(h, f + 1 + m1, hlen) != 0) {
            snprintf(aa_why, sizeof aa_why, "RSA %s: H(M1 || challenge) differs", md);
            return NULL;
        }
        return md;
    }
    ECDSA_SIG *es = ECDSA_SIG_new();
    uint8_t *der = NULL;
    int dl, ok;
    size_t half = sl / 2;
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    if (sl != 2 * (((size_t)EVP_PKEY_get_bits(pub) + 7) / 8)) {
        snprintf(aa_why, sizeof aa_why, "ECDSA: a %zu-byte signature", sl);
        ok = 0;
    } else {
        REQUIRE(es && ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)half, NULL),
                                     BN_bin2bn(sig + half, (int)half, NULL)));
        REQUIRE((dl = i2d_ECDSA_SIG(es, &der)) > 0);
        REQUIRE(mc && EVP_DigestVerifyInit(mc, NULL, EVP_sha256(), NULL, pub) == 1);
        ok = EVP_DigestVerify(mc, der, (size_t)dl, chal, 8) == 1;
        if (!ok)
            snprintf(aa_why, sizeof aa_why, "ECDSA: the signature does not verify");
    }
    EVP_MD_CTX_free(mc);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    return ok ? "SHA256" : NULL;
}

static void test_active_authentication(void)
{
    static const struct {
        const char *aa;
        bool rsa;
        const char *md;
    } cases[] = {
        {"\"aa\": {\"algorithm\": \"rsa\", \"private_key\": \"aa_rsa.pem\"},", true, "SHA1"},
        {"\"aa\": {\"algorithm\": \"rsa\", \"private_key\": \"aa_rsa.pem\", \"hash\": \"sha256\"},",
         true, "SHA256"},
        {"\"aa\": {\"algorithm\": \"ecdsa\", \"private_key\": \"aa_ec.pem\"},", false, "SHA256"},
    };
    dxp_device *d = open_reader("chip0");
    const char *dir = tmp_path("chip-aa");
    term_sm sm;
    uint8_t chal[8], sig[600];
    size_t sl = 0;

    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char extra[512];
        const char *md;
        snprintf(extra, sizeof extra, "\"pace\": [], %s", cases[c].aa);
        make_chip(dir, MRZ_TD3, extra);
        CHECK_ST(connect_to(d, dir), DX_OK);
        CHECK_SW(xmit_hex(d, "00A4040C07A0000002471001"), 0x9000);
        CHECK_SW(xmit_hex(d, "0088000008" "0102030405060708" "00"), 0x6982); /* before BAC */
        CHECK_SW(t_bac(d, MRZ_INFO, &sm), 0x9000);
        REQUIRE(RAND_bytes(chal, 8) == 1);
        CHECK_SW(sm_cmd(d, &sm, 0x88, 0, 0, chal, 8, 256, sig, &sl), 0x9000);
        md = check_aa(cases[c].rsa ? rsa_key : ec_key, chal, sig, sl);
        CHECK_MSG(md && !strcmp(md, cases[c].md), "AA %zu: %s", c, md ? md : aa_why);
        /* the signature is of this challenge and by this key */
        chal[0] ^= 1;
        CHECK(check_aa(cases[c].rsa ? rsa_key : ec_key, chal, sig, sl) == NULL);
        chal[0] ^= 1;
        CHECK(check_aa(cases[c].rsa ? ec_key : rsa_key, chal, sig, sl) == NULL);
        /* wrong lengths and P1-P2 */
        CHECK_SW(sm_cmd(d, &sm, 0x88, 0, 0, chal, 7, 256, NULL, NULL), 0x6700);
        CHECK_SW(sm_cmd(d, &sm, 0x88, 1, 0, chal, 8, 256, NULL, NULL), 0x6A86);
        CHECK_SW(sm_cmd(d, &sm, 0x88, 0, 0, chal, 8, 16, NULL, NULL), 0x6700);
        P->chip->release_card(d);
    }
    /* no AA key: INS not supported */
    make_chip(dir, MRZ_TD3, "\"pace\": [],");
    CHECK_ST(connect_to(d, dir), DX_OK);
    CHECK_SW(xmit_hex(d, "00880000080102030405060708" "00"), 0x6D00);
    P->chip->release_card(d);
    P->close(d);
}

/* Chip Authentication, 9303-11 §6.2.4.2 (MSE:Set AT + GENERAL
 * AUTHENTICATE) with a fresh ephemeral key on the chip key's curve, under
 * the session in *sm; on success *sm holds the new keys (SSC 0).  oid is
 * the DER content of the id-CA-ECDH-* OID. */
static unsigned t_ca(dxp_device *d, term_sm *sm, const uint8_t *oid, size_t ol,
                     EVP_PKEY *chip_key)
{
    EVP_PKEY_CTX *x = EVP_PKEY_CTX_new_from_pkey(NULL, chip_key, NULL);
    EVP_PKEY *eph = NULL;
    uint8_t data[200], out[200], pt[140], k[80];
    size_t n = 0, olen = 0, pl = 0, kl = sizeof k;
    int arc = oid[ol - 1];
    unsigned sw;

    REQUIRE(x && EVP_PKEY_keygen_init(x) == 1 && EVP_PKEY_keygen(x, &eph) == 1);
    EVP_PKEY_CTX_free(x);
    REQUIRE(EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
                                            sizeof pt, &pl) == 1);
    x = EVP_PKEY_CTX_new(eph, NULL);
    REQUIRE(x && EVP_PKEY_derive_init(x) == 1 && EVP_PKEY_derive_set_peer(x, chip_key) == 1 &&
            EVP_PKEY_derive(x, k, &kl) == 1);
    EVP_PKEY_CTX_free(x);
    EVP_PKEY_free(eph);

    data[n++] = 0x80;
    data[n++] = (uint8_t)ol;
    memcpy(data + n, oid, ol);
    n += ol;
    if ((sw = sm_cmd(d, sm, 0x22, 0x41, 0xA4, data, n, 0, NULL, NULL)) != 0x9000)
        return sw;
    n = t_hdr(data, 0x7C, t_hdr(out, 0x80, pl) + pl);
    n += t_hdr(data + n, 0x80, pl);
    memcpy(data + n, pt, pl);
    n += pl;
    if ((sw = sm_cmd(d, sm, 0x86, 0, 0, data, n, 256, out, &olen)) != 0x9000)
        return sw;
    CHECK_MSG(olen == 2 && out[0] == 0x7C && out[1] == 0, "CA: answer %s", hexs(out, olen));
    memset(sm, 0, sizeof *sm);
    sm->alg = arc == 1 ? T_3DES : T_AES;
    sm->klen = arc == 1 || arc == 2 ? 16 : arc == 3 ? 24 : 32;
    t_kdf(sm->alg, sm->klen, k, kl, 1, sm->kenc);
    t_kdf(sm->alg, sm->klen, k, kl, 2, sm->kmac);
    return sw;
}

/* Chip Authentication with ECDH after BAC: new AES keys. */
static void test_chip_authentication(void)
{
    dxp_device *d = open_reader("chip0");
    const char *dir = tmp_path("chip-ca");
    term_sm sm, keep;
    uint8_t oid[] = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02};
    uint8_t data[200], out[200], pt[100];
    size_t n = 0, ol = 0, pl;

    make_chip(dir, MRZ_TD3, "\"pace\": [], \"ca\": {\"oid\": \"0.4.0.127.0.7.2.2.3.2.2\","
                            " \"private_key\": \"ca.pem\", \"key_id\": null},");
    CHECK_ST(connect_to(d, dir), DX_OK);
    CHECK_SW(xmit_hex(d, "0022C1A40F800A04007F00070202030202830101"), 0x6A80); /* not PACE */
    CHECK_SW(xmit_hex(d, "002241A40C800A04007F00070202030202"), 0x6982); /* needs SM */
    CHECK_SW(xmit_hex(d, "00A4040C07A0000002471001"), 0x9000);
    CHECK_SW(t_bac(d, MRZ_INFO, &sm), 0x9000);
    CHECK_SW(t_ca(d, &sm, oid, sizeof oid, ca_key), 0x9000);
    /* from now on AES-128 with keys from K and SSC 0 */
    CHECK(sm.alg == T_AES);
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x81, 0, NULL, 0, 93, out, &ol), 0x9000);
    CHECK(ol == 93 && memcmp(out, files[1].data, 93) == 0);
    /* CA again under the CA session; then MSE:Set KAT with the key in 91 */
    CHECK_SW(t_ca(d, &sm, oid, sizeof oid, ca_key), 0x9000);
    keep = sm;
    {
        EVP_PKEY_CTX *x = EVP_PKEY_CTX_new_from_pkey(NULL, ca_key, NULL);
        EVP_PKEY *eph = NULL;
        uint8_t k[32];
        size_t kl = sizeof k;
        REQUIRE(x && EVP_PKEY_keygen_init(x) == 1 && EVP_PKEY_keygen(x, &eph) == 1);
        EVP_PKEY_CTX_free(x);
        REQUIRE(EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
                                                sizeof pt, &pl) == 1);
        x = EVP_PKEY_CTX_new(eph, NULL);
        REQUIRE(x && EVP_PKEY_derive_init(x) == 1 && EVP_PKEY_derive_set_peer(x, ca_key) == 1 &&
                EVP_PKEY_derive(x, k, &kl) == 1);
        EVP_PKEY_CTX_free(x);
        EVP_PKEY_free(eph);
        n = 0;
        data[n++] = 0x91;
        data[n++] = (uint8_t)pl;
        memcpy(data + n, pt, pl);
        n += pl;
        CHECK_SW(sm_cmd(d, &sm, 0x22, 0x41, 0xA6, data, n, 0, NULL, NULL), 0x9000);
        memset(sm.ssc, 0, sizeof sm.ssc);
        t_kdf(T_AES, 16, k, kl, 1, sm.kenc);
        t_kdf(T_AES, 16, k, kl, 2, sm.kmac);
    }
    CHECK(memcmp(keep.kenc, sm.kenc, 16) != 0);
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x81, 0, NULL, 0, 93, out, &ol), 0x9000);
    CHECK(ol == 93 && memcmp(out, files[1].data, 93) == 0);
    /* a key id the chip does not have; a bad point; GENERAL AUTHENTICATE alone */
    uint8_t kid[] = {0x80, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02,
                     0x84, 0x01, 0x07};
    CHECK_SW(sm_cmd(d, &sm, 0x22, 0x41, 0xA4, kid, sizeof kid, 0, NULL, NULL), 0x6A88);
    data[4] ^= 0x55;
    CHECK_SW(sm_cmd(d, &sm, 0x22, 0x41, 0xA6, data, n, 0, NULL, NULL), 0x6A80);
    CHECK_SW(sm_cmd(d, &sm, 0x86, 0, 0, (const uint8_t *)"\x7C\x00", 2, 256, NULL, NULL),
             0x6985);
    P->chip->release_card(d);
    P->close(d);
}

/* ---- tests: malformed APDUs and random bytes ----------------------------------------- */

static void test_malformed(void)
{
    static const struct {
        const char *cmd;
        unsigned sw;
    } cases[] = {
        {"00A404", 0x6700},                  /* shorter than a header */
        {"00A4040C08A0000002471001", 0x6700}, /* Lc says 8, 7 follow */
        {"00A4040C07A000000247100100FF", 0x6700},
        {"00A4040C00", 0x6700},               /* no AID */
        {"00A4040C000007A0000002471001", 0x9000}, /* extended case 3 */
        {"00A40C0C", 0x6A86},
        {"00A4040107A0000002471001", 0x6A86},
        {"00A4040C07A0000002471002", 0x6A82},
        {"00A4020C0101", 0x6700},
        {"00A4020C020101", 0x6A82},        /* DG1 is not in the MF */
        {"00A4020C02ABCD", 0x6A82},
        {"00A4000C023F00", 0x9000},
        {"00A4020C02011E", 0x6A82},        /* EF.COM is not in the MF */
        {"00B0000004", 0x6986},            /* no current EF */
        {"00B0A00004", 0x6A86},            /* bad SFI bits */
        {"00B0800004", 0x6A86},            /* SFI 0 */
        {"00B09C00", 0x6700},              /* no Le */
        {"00B09C000101", 0x6700},          /* data with B0 */
        {"00B1000003540100", 0x6986},
        {"00B1001C04530100" "00", 0x6A80},
        {"00B1001C055402000000", 0x6A80},
        {"00B1001C02540000", 0x6A80},
        {"00B1001C0354010000", 0x6282},
        {"00B1001C035401000C", 0x9000},
        {"00B1001C0554030000FF00", 0x6B00},
        {"00840000", 0x6700},
        {"0084000004", 0x6700},
        {"0084010008", 0x6A86},
        {"00820000080102030405060708", 0x6700},
        {"0022C1A400", 0x6A80},
        {"0022FFFF", 0x6A86},
        {"0022C1A4", 0x6A80},
        {"0022C1A4037C0100", 0x6A80},
        {"00860001027C00", 0x6A86},
        {"00CA010100", 0x6D00},
        {"00C0000000", 0x6D00},
        {"80A4040C07A0000002471001", 0x6E00},
        {"FFA4040C07A0000002471001", 0x6E00},
        {"01A4040C07A0000002471001", 0x6881},
        {"04A4040C07A0000002471001", 0x6882},
        {"10B0000004", 0x6884},
        {"0CB0000004", 0x6988},            /* protected without a session */
        {"0CB000000D9701048E08000000000000000000", 0x6988},
        {"00B09C00000004", 0x9000},        /* extended Le */
        {"00B09C00000000", 0x6282},        /* extended Le 65536 */
        {"00B09C0000", 0x6282},
    };
    dxp_device *d = open_reader("chip0");
    const char *dir = tmp_path("chip-bac");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_ST(connect_to(d, dir), DX_OK); /* a fresh session for each */
        unsigned sw = xmit_hex(d, cases[i].cmd);
        CHECK_MSG(sw == cases[i].sw, "%s: SW %04X, want %04X", cases[i].cmd, sw, cases[i].sw);
        P->chip->release_card(d);
    }
    P->close(d);
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

/* Random and mutated APDUs in every state: an answer of at least a status
 * word every time, never a crash (the sanitizer build watches the rest). */
static void test_random_apdus(void)
{
    static const uint8_t ins[] = {0xA4, 0xB0, 0xB1, 0x84, 0x82, 0x88, 0x22, 0x86, 0x00, 0xFF};
    static const uint8_t cla[] = {0x00, 0x0C, 0x10, 0x1C, 0x80, 0x04, 0x03};
    dxp_device *d = open_reader("chip0");
    const char *dir = tmp_path("chip-fuzz");
    static uint8_t cmd[70100], rsp[70100];
    term_sm sm = {.alg = T_3DES, .klen = 16};
    int bad = 0;
    char extra[1024];

    snprintf(extra, sizeof extra,
             PACE_ALL " \"aa\": {\"algorithm\": \"ecdsa\", \"private_key\": \"aa_ec.pem\"},"
                      " \"ca\": {\"oid\": \"0.4.0.127.0.7.2.2.3.2.2\", \"private_key\": "
                      "\"ca.pem\"},");
    make_chip(dir, MRZ_TD3, extra);
    for (int round = 0; round < 3000; round++) {
        size_t n, rl = 0;
        dx_status st;
        if (round % 100 == 0) {
            P->chip->release_card(d);
            REQUIRE(connect_to(d, dir) == DX_OK);
            if (round % 300 == 100) {
                xmit_hex(d, "00A4040C07A0000002471001");
                t_bac(d, MRZ_INFO, &sm);
            } else if (round % 300 == 200) {
                t_pace(d, &(pace_suite){"bp", 2, 13, NID_brainpoolP256r1}, 2,
                       (const uint8_t *)CAN, 6, &sm);
            }
        }
        switch (rnd() % 3) {
        case 0: /* random bytes */
            n = rnd() % 300;
            for (size_t i = 0; i < n; i++)
                cmd[i] = (uint8_t)rnd();
            if (n > 1) {
                cmd[0] = cla[rnd() % sizeof cla];
                cmd[1] = ins[rnd() % sizeof ins];
            }
            break;
        case 1: { /* well-formed header, random data and lengths */
            size_t nc = rnd() % 2 ? rnd() % 260 : 0, ne = rnd() % 3 ? rnd() % 300 : 0;
            uint8_t data[300];
            for (size_t i = 0; i < nc; i++)
                data[i] = (uint8_t)rnd();
            if (nc > 2 && rnd() % 2) { /* look like TLVs */
                data[0] = (uint8_t)(rnd() % 2 ? 0x7C : 0x87);
                data[1] = (uint8_t)(nc - 2);
            }
            n = apdu(cmd, cla[rnd() % sizeof cla], ins[rnd() % sizeof ins], (uint8_t)rnd(),
                     (uint8_t)rnd(), data, nc > 255 ? 255 : nc, ne > 256 ? 256 : ne,
                     rnd() % 4 == 0);
            break;
        }
        default: { /* a protected command, then one byte flipped */
            uint8_t p[3] = {0x54, 0x01, (uint8_t)rnd()};
            n = sm_build(&sm, rnd() % 2 ? 0xB0 : 0xB1, (uint8_t)(rnd() % 2 ? 0x81 : 0),
                         (uint8_t)rnd(), p, rnd() % 2 ? 3 : 0, rnd() % 300, cmd);
            cmd[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
            break;
        }
        }
        st = P->chip->transmit(d, cmd, n, rsp, sizeof rsp, &rl);
        if (st != DX_OK || rl < 2 || rl > sizeof rsp)
            bad++;
    }
    CHECK_MSG(bad == 0, "%d random APDUs without a proper answer", bad);
    P->chip->release_card(d);
    P->close(d);
}

/* ---- tests: the reader --------------------------------------------------------------- */

typedef struct waiter {
    dxp_device *d;
    int32_t timeout;
    bool transmit;
    dx_status st;
} waiter;

static void *wait_thread(void *arg)
{
    waiter *w = arg;
    uint8_t atr[64], rsp[300];
    size_t n;
    if (w->transmit)
        w->st = P->chip->transmit(w->d, (const uint8_t *)"\x00\x84\x00\x00\x08", 5, rsp,
                                  sizeof rsp, &n);
    else
        w->st = P->chip->wait_card(w->d, w->timeout, atr, sizeof atr, &n);
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void cancel_during(dxp_device *d, waiter *w)
{
    pthread_t th;
    double t0 = now_s();
    REQUIRE(pthread_create(&th, NULL, wait_thread, w) == 0);
    usleep(50000);
    for (int i = 0; i < 3; i++)
        CHECK_ST(P->chip->cancel(d), DX_OK);
    pthread_join(th, NULL);
    CHECK_ST(w->st, DX_ERR_CANCELLED);
    CHECK(now_s() - t0 < 5.0);
}

static void test_reader(void)
{
    dxp_device *d = open_reader("chip0");
    char dir[1024];
    uint8_t atr[64], rsp[300];
    size_t n = 0;
    term_sm sm;
    double t0;

    snprintf(dir, sizeof dir, "%s", tmp_path("chip-bac"));
    /* transmit without a card, after release */
    CHECK_ST(P->chip->transmit(d, (const uint8_t *)"\x00\x84\x00\x00\x08", 5, rsp, sizeof rsp,
                               &n), DX_ERR_NO_CARD);
    CHECK_ST(connect_to(d, dir), DX_OK);
    CHECK_ST(P->chip->release_card(d), DX_OK);
    CHECK_ST(P->chip->release_card(d), DX_OK);
    CHECK_ST(P->chip->transmit(d, (const uint8_t *)"\x00\x84\x00\x00\x08", 5, rsp, sizeof rsp,
                               &n), DX_ERR_NO_CARD);
    CHECK_ST(P->chip->cancel(d), DX_OK);
    /* bad arguments; the ATR buffer too small */
    CHECK_ST(P->chip->wait_card(d, 0, NULL, 0, &n), DX_ERR_INVALID_ARG);
    CHECK_ST(P->chip->wait_card(d, -2, atr, sizeof atr, &n), DX_ERR_INVALID_ARG);
    CHECK_ST(P->chip->wait_card(d, 0, atr, 3, &n), DX_ERR_INVALID_ARG);
    CHECK_ST(P->chip->wait_card(d, 0, atr, sizeof atr, &n), DX_OK);
    CHECK_ST(P->chip->transmit(d, NULL, 5, rsp, sizeof rsp, &n), DX_ERR_INVALID_ARG);
    CHECK_ST(P->chip->transmit(d, (const uint8_t *)"\x00\x84\x00\x00\x08", 5, rsp, 1, &n),
             DX_ERR_INVALID_ARG);
    CHECK_ST(P->chip->transmit(d, (const uint8_t *)"\x00\x84\x00\x00\x08", 5, rsp, 9, &n),
             DX_ERR_INVALID_ARG); /* 10 bytes do not fit */
    CHECK_ST(P->chip->transmit(d, (const uint8_t *)"\x00\x84\x00\x00\x08", 5, rsp, 10, &n), DX_OK);
    CHECK(n == 10);

    /* the card leaves after 3 APDUs; a new wait_card brings it back, fresh */
    CHECK_ST(set_opt(d, "remove_after", DXP_OPT_INT, 3, NULL), DX_OK);
    CHECK_ST(connect_to(d, dir), DX_OK);
    CHECK_SW(xmit_hex(d, "00A4040C07A0000002471001"), 0x9000);
    CHECK_SW(t_bac(d, MRZ_INFO, &sm), 0x9000);
    CHECK_ST(P->chip->transmit(d, (const uint8_t *)"\x00\x84\x00\x00\x08", 5, rsp, sizeof rsp,
                               &n), DX_ERR_CARD_REMOVED);
    CHECK_ST(P->chip->transmit(d, (const uint8_t *)"\x00\x84\x00\x00\x08", 5, rsp, sizeof rsp,
                               &n), DX_ERR_CARD_REMOVED);
    CHECK_ST(set_opt(d, "remove_after", DXP_OPT_INT, 0, NULL), DX_OK);
    CHECK_ST(connect_to(d, dir), DX_OK);
    CHECK_SW(xmit_hex(d, "00A4040C07A0000002471001"), 0x9000);
    CHECK_SW(xmit_hex(d, "00B0810004"), 0x6982); /* a new session: BAC again */
    /* taking the card away while connected */
    CHECK_ST(set_opt(d, "no_card", DXP_OPT_BOOL, 1, NULL), DX_OK);
    CHECK_ST(P->chip->transmit(d, (const uint8_t *)"\x00\x84\x00\x00\x08", 5, rsp, sizeof rsp,
                               &n), DX_ERR_CARD_REMOVED);
    /* no card: poll, a timeout, a cancelled wait */
    t0 = now_s();
    CHECK_ST(P->chip->wait_card(d, 0, atr, sizeof atr, &n), DX_ERR_NO_CARD);
    CHECK_ST(P->chip->wait_card(d, 80, atr, sizeof atr, &n), DX_ERR_NO_CARD);
    CHECK(now_s() - t0 >= 0.075);
    waiter w = {d, -1, false, DX_OK};
    cancel_during(d, &w);
    w.timeout = 60000;
    cancel_during(d, &w);
    CHECK_ST(set_opt(d, "no_card", DXP_OPT_BOOL, 0, NULL), DX_OK);
    /* latency, and a cancelled transmit */
    CHECK_ST(set_opt(d, "latency_us", DXP_OPT_INT, 20000, NULL), DX_OK);
    CHECK_ST(connect_to(d, dir), DX_OK);
    t0 = now_s();
    CHECK_SW(xmit_hex(d, "0084000008"), 0x9000);
    CHECK(now_s() - t0 >= 0.019);
    CHECK_ST(set_opt(d, "latency_us", DXP_OPT_INT, 10000000, NULL), DX_OK);
    waiter w2 = {d, 0, true, DX_OK};
    cancel_during(d, &w2);
    CHECK_ST(set_opt(d, "latency_us", DXP_OPT_INT, 0, NULL), DX_OK);
    CHECK_SW(xmit_hex(d, "0084000008"), 0x9000); /* the card is still there */
    /* a reader without extended length */
    CHECK_ST(set_opt(d, "extended_length", DXP_OPT_BOOL, 0, NULL), DX_OK);
    CHECK_ST(P->chip->transmit(d, (const uint8_t *)"\x00\xB0\x9C\x00\x00\x00\x04", 7, rsp,
                               sizeof rsp, &n), DX_ERR_UNSUPPORTED);
    CHECK_ST(set_opt(d, "extended_length", DXP_OPT_BOOL, 1, NULL), DX_OK);
    P->chip->release_card(d);

    /* where the chip comes from: option, sim.chip, <sim.scene>/chip, datadir */
    CHECK_ST(set_opt(d, "chip", DXP_OPT_STRING, 0, ""), DX_OK);
    CHECK_ST(P->chip->wait_card(d, 0, atr, sizeof atr, &n), DX_ERR_NO_CARD);
    snprintf(hctx.chip, sizeof hctx.chip, "%s", dir);
    CHECK_ST(P->chip->wait_card(d, 0, atr, sizeof atr, &n), DX_OK);
    hctx.chip[0] = '\0';
    mkdir(tmp_path("scene"), 0700);
    make_chip(tmp_path("scene/chip"), MRZ_TD3, "\"pace\": [],");
    snprintf(hctx.scene, sizeof hctx.scene, "%s", tmp_path("scene"));
    CHECK_ST(P->chip->wait_card(d, 0, atr, sizeof atr, &n), DX_OK);
    hctx.scene[0] = '\0';
    mkdir(tmp_path("data"), 0700);
    mkdir(tmp_path("data/scenes"), 0700);
    mkdir(tmp_path("data/scenes/default"), 0700);
    make_chip(tmp_path("data/scenes/default/chip"), MRZ_TD3, "\"pace\": [],");
    snprintf(hctx.datadir, sizeof hctx.datadir, "%s", tmp_path("data"));
    CHECK_ST(P->chip->wait_card(d, 0, atr, sizeof atr, &n), DX_OK);
    hctx.datadir[0] = '\0';
    CHECK_ST(P->chip->wait_card(d, 0, atr, sizeof atr, &n), DX_ERR_NO_CARD);

    /* two readers with two chips at once, from two threads' worth of state */
    dxp_device *d2;
    snprintf(hctx.readers, sizeof hctx.readers, "2");
    d2 = open_reader("chip1");
    CHECK_ST(connect_to(d, dir), DX_OK);
    CHECK_ST(connect_to(d2, DOCEX_SIM_CHIP_DATA "/appendix-d"), DX_OK);
    CHECK_SW(xmit_hex(d, "00A4040C07A0000002471001"), 0x9000);
    CHECK_SW(t_bac(d, MRZ_INFO, &sm), 0x9000);
    CHECK_SW(xmit_hex(d2, "0084000008"), 0x9000);
    CHECK(memcmp(rbuf, "\x46\x08\xF9\x19\x88\x70\x22\x12", 8) == 0);
    CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x81, 0, NULL, 0, 4, NULL, NULL), 0x9000);
    P->close(d2);
    hctx.readers[0] = '\0';
    P->chip->release_card(d);
    P->close(d); /* close while connected frees the card */
}

/* Broken chip directories: a clear log line and no card, never a crash. */
static void test_bad_chips(void)
{
    static const struct {
        const char *name;
        const char *json; /* NULL: no chip.json */
        dx_status want;
    } cases[] = {
        {"none", NULL, DX_ERR_NO_CARD},
        {"notjson", "{\"format\": ", DX_ERR_DATA},
        {"format", "{\"format\": \"docex.chip/2\"}", DX_ERR_DATA},
        {"array", "[1, 2]", DX_ERR_DATA},
        {"dup", "{\"format\": \"docex.chip/1\", \"format\": \"docex.chip/1\"}", DX_ERR_DATA},
        {"nomrz", "{\"format\": \"docex.chip/1\", \"files\": []}", DX_ERR_DATA},
        {"badmrz", "{\"format\": \"docex.chip/1\", \"mrz\": [\"abc\", \"def\"], \"files\": []}",
         DX_ERR_DATA},
        {"nofiles", "{\"format\": \"docex.chip/1\", \"mrz\": %s}", DX_ERR_DATA},
        {"escape", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"files\": [{\"name\": "
                   "\"../EF.COM\", \"fid\": \"011E\", \"sfi\": 30}]}", DX_ERR_DATA},
        {"missing", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"files\": [{\"name\": "
                    "\"EF.DG9\", \"fid\": \"0109\", \"sfi\": 9}]}", DX_ERR_DATA},
        {"fid", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"files\": [{\"name\": "
                "\"EF.COM\", \"fid\": \"3F00\", \"sfi\": 30}]}", DX_ERR_DATA},
        {"fidhex", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"files\": [{\"name\": "
                   "\"EF.COM\", \"fid\": \"01G1\", \"sfi\": 30}]}", DX_ERR_DATA},
        {"sfi", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"files\": [{\"name\": "
                "\"EF.COM\", \"fid\": \"011E\", \"sfi\": 31}]}", DX_ERR_DATA},
        {"twice", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"files\": [{\"name\": "
                  "\"EF.COM\", \"fid\": \"011E\", \"sfi\": 30}, {\"name\": \"EF.DG1\", "
                  "\"fid\": \"011E\", \"sfi\": 1}]}", DX_ERR_DATA},
        {"hash", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"files\": [{\"name\": "
                 "\"EF.COM\", \"fid\": \"011E\", \"sfi\": 30}], \"sha256\": {\"EF.COM\": "
                 "\"00000000000000000000000000000000000000000000000000000000000000000\"}}",
         DX_ERR_DATA},
        {"hash2", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"files\": [{\"name\": "
                  "\"EF.COM\", \"fid\": \"011E\", \"sfi\": 30}], \"sha256\": {\"EF.COM\": "
                  "\"0000000000000000000000000000000000000000000000000000000000000000\"}}",
         DX_ERR_DATA},
        {"pace", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"pace\": [{\"oid\": \"1.2.3\", "
                 "\"parameter_id\": 13}], \"files\": [{\"name\": \"EF.COM\", \"fid\": \"011E\"}]}",
         DX_ERR_DATA},
        {"pace2", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"pace\": [{\"oid\": "
                  "\"0.4.0.127.0.7.2.2.4.2.2\"}], \"files\": [{\"name\": \"EF.COM\", \"fid\": "
                  "\"011E\"}]}", DX_ERR_DATA},
        {"aa", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"aa\": {\"algorithm\": \"dsa\", "
               "\"private_key\": \"aa_rsa.pem\"}, \"files\": [{\"name\": \"EF.COM\", \"fid\": "
               "\"011E\"}]}", DX_ERR_DATA},
        {"aakey", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"aa\": {\"algorithm\": \"rsa\", "
                  "\"private_key\": \"EF.COM\"}, \"files\": [{\"name\": \"EF.COM\", \"fid\": "
                  "\"011E\"}]}", DX_ERR_DATA},
        {"aatype", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"aa\": {\"algorithm\": \"rsa\", "
                   "\"private_key\": \"aa_ec.pem\"}, \"files\": [{\"name\": \"EF.COM\", \"fid\": "
                   "\"011E\"}]}", DX_ERR_DATA},
        {"test", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"test\": {\"rnd_ic\": \"0102\"}, "
                 "\"files\": [{\"name\": \"EF.COM\", \"fid\": \"011E\"}]}", DX_ERR_DATA},
        {"atr", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"atr\": \"3B8\", "
                "\"files\": [{\"name\": \"EF.COM\", \"fid\": \"011E\"}]}", DX_ERR_DATA},
        {"good", "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"atr\": \"3B8F8001\", "
                 "\"files\": [{\"name\": \"EF.COM\", \"fid\": \"011E\"}], \"future\": {}}",
         DX_OK},
    };
    dxp_device *d = open_reader("chip0");
    char mrz[200], json[2048];
    uint8_t atr[64];
    size_t n = 0;

    snprintf(mrz, sizeof mrz, "[\"%s\", \"%s\"]", MRZ1, MRZ2);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *dir = tmp_path(cases[i].name);
        int e0 = errors_now();
        mkdir(dir, 0700);
        write_file(dir, "EF.COM", files[0].data, files[0].len);
        write_key(dir, "aa_rsa.pem", rsa_key);
        write_key(dir, "aa_ec.pem", ec_key);
        if (cases[i].json) {
            const char *at = strstr(cases[i].json, "%s");
            if (at)
                snprintf(json, sizeof json, "%.*s%s%s", (int)(at - cases[i].json), cases[i].json,
                         mrz, at + 2);
            else
                snprintf(json, sizeof json, "%s", cases[i].json);
            write_text(dir, "chip.json", json);
        }
        REQUIRE(set_opt(d, "chip", DXP_OPT_STRING, 0, dir) == DX_OK);
        dx_status st = P->chip->wait_card(d, 0, atr, sizeof atr, &n);
        CHECK_MSG(st == cases[i].want, "chip %s: %s, want %s", cases[i].name,
                  dx_status_name(st), dx_status_name(cases[i].want));
        if (cases[i].want == DX_ERR_DATA) {
            CHECK_MSG(errors_now() > e0, "chip %s: no error logged", cases[i].name);
            CHECK_ST(P->chip->transmit(d, (const uint8_t *)"\x00\x84\x00\x00\x08", 5, rbuf,
                                       sizeof rbuf, &n), DX_ERR_NO_CARD);
        }
        if (st == DX_OK)
            CHECK(n == 4 && atr[1] == 0x8F);
    }
    /* a truncated PEM key */
    {
        char *dir = tmp_path("halfkey");
        mkdir(dir, 0700);
        write_file(dir, "EF.COM", files[0].data, files[0].len);
        write_text(dir, "k.pem", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n");
        snprintf(json, sizeof json, "{\"format\": \"docex.chip/1\", \"mrz\": %s, \"aa\": "
                 "{\"algorithm\": \"rsa\", \"private_key\": \"k.pem\"}, \"files\": [{\"name\": "
                 "\"EF.COM\", \"fid\": \"011E\"}]}", mrz);
        write_text(dir, "chip.json", json);
        REQUIRE(set_opt(d, "chip", DXP_OPT_STRING, 0, dir) == DX_OK);
        CHECK_ST(P->chip->wait_card(d, 0, atr, sizeof atr, &n), DX_ERR_DATA);
    }
    P->close(d);
}

/* ---- a chip directory made elsewhere --------------------------------------------- */

static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    FILE *f;
    long n;
    uint8_t *b;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    REQUIRE((f = fopen(path, "rb")) != NULL);
    REQUIRE(fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0);
    REQUIRE((b = malloc((size_t)n + 1)) != NULL);
    REQUIRE(fread(b, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Dotted OID text into DER content octets (arcs below 2^28). */
static size_t oid_der(const char *text, uint8_t *out)
{
    unsigned long a[20];
    size_t n = 0, pos = 0;
    for (const char *p = text; *p;) {
        char *end;
        a[n++] = strtoul(p, &end, 10);
        p = *end ? end + 1 : end;
    }
    for (size_t i = 1; i < n; i++) {
        unsigned long v = i == 1 ? a[0] * 40 + a[1] : a[i];
        uint8_t t[5];
        int k = 0;
        do {
            t[k++] = (uint8_t)(v & 0x7F);
            v >>= 7;
        } while (v);
        while (k--)
            out[pos++] = (uint8_t)(t[k] | (k ? 0x80 : 0));
    }
    return pos;
}

static int param_nid(int id)
{
    static const int nids[] = {NID_X9_62_prime192v1, NID_brainpoolP192r1, NID_secp224r1,
                               NID_brainpoolP224r1,  NID_X9_62_prime256v1, NID_brainpoolP256r1,
                               NID_brainpoolP320r1,  NID_secp384r1,        NID_brainpoolP384r1,
                               NID_brainpoolP512r1,  NID_secp521r1};
    return id >= 8 && id <= 18 ? nids[id - 8] : 0;
}

/* AA with the key of EF.DG15, under the session in *sm. */
static void chip_dir_aa(dxp_device *d, term_sm *sm, const uint8_t *dg15, size_t len)
{
    size_t pos = 0, vl, sl = 0;
    const uint8_t *v, *p;
    uint8_t tag, chal[8], sig[1100];
    EVP_PKEY *pub;
    const char *md;

    REQUIRE(t_tlv(dg15, len, &pos, &tag, &v, &vl) && tag == 0x6F);
    p = v;
    REQUIRE((pub = d2i_PUBKEY(NULL, &p, (long)vl)) != NULL);
    REQUIRE(RAND_bytes(chal, 8) == 1);
    CHECK_SW(sm_cmd(d, sm, 0x88, 0, 0, chal, 8, 65536, sig, &sl), 0x9000);
    md = check_aa(pub, chal, sig, sl);
    CHECK_MSG(md, "AA with EF.DG15's key: %s", aa_why);
    printf("  AA %s (%s) verified with EF.DG15's key\n", EVP_PKEY_is_a(pub, "RSA") ? "RSA" : "ECDSA",
           md ? md : "-");
    EVP_PKEY_free(pub);
}

/* test-sim_chip --chip DIR: serve DIR (made by the synthetic chip builder,
 * say) and check it end to end: BAC, each PACE entry with the MRZ and the
 * CAN, every file read and compared with DIR's, AA with EF.DG15's key, CA
 * with the chip's CA key. */
static void run_chip_dir(const char *dir)
{
    json_t *root, *fl, *e, *pace;
    json_error_t jerr;
    char path[1024], mrz_info[40] = "";
    const char *l1, *l2;
    uint8_t *dg15 = NULL, app[7] = {0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01};
    size_t dg15_len = 0, i;
    dxp_device *d = open_reader("chip0");
    term_sm sm;
    const char *can;
    EVP_PKEY *ca_pub = NULL;
    uint8_t ca_oid[20];
    size_t ca_ol = 0;

    snprintf(path, sizeof path, "%s/chip.json", dir);
    root = json_load_file(path, 0, &jerr);
    REQUIRE(root);
    l1 = json_string_value(json_array_get(json_object_get(root, "mrz"), 0));
    l2 = json_string_value(json_array_get(json_object_get(root, "mrz"), 1));
    REQUIRE(l1 && l2);
    if (strlen(l1) == 30) /* TD1 */
        snprintf(mrz_info, sizeof mrz_info, "%.10s%.7s%.7s", l1 + 5, l2, l2 + 8);
    else
        snprintf(mrz_info, sizeof mrz_info, "%.10s%.7s%.7s", l2, l2 + 13, l2 + 21);
    can = json_string_value(json_object_get(root, "can"));
    fl = json_object_get(root, "files");
    json_t *ca = json_object_get(root, "ca");
    if (json_is_object(ca)) {
        BIO *b;
        snprintf(path, sizeof path, "%s/%s", dir, json_string_value(json_object_get(ca, "private_key")));
        REQUIRE((b = BIO_new_file(path, "r")) != NULL);
        REQUIRE((ca_pub = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) != NULL);
        BIO_free(b);
        ca_ol = oid_der(json_string_value(json_object_get(ca, "oid")), ca_oid);
    }

    /* files: the MF's without authentication, the application's after BAC */
    CHECK_ST(connect_to(d, dir), DX_OK);
    json_array_foreach(fl, i, e) {
        if (!json_is_true(json_object_get(e, "outside_application")))
            continue;
        size_t len;
        const char *name = json_string_value(json_object_get(e, "name"));
        uint8_t *want = slurp(dir, name, &len), *got;
        got = t_read(d, NULL, (uint16_t)strtol(json_string_value(json_object_get(e, "fid")),
                                                NULL, 16), len, 223);
        CHECK_MSG(got && !memcmp(got, want, len), "%s differs", name);
        printf("  %s: %zu bytes, read without authentication\n", name, len);
        free(got);
        free(want);
    }
    if (json_is_true(json_object_get(root, "bac"))) {
        CHECK_SW(xmit_hex(d, "00A4040C07A0000002471001"), 0x9000);
        CHECK_SW(t_bac(d, mrz_info, &sm), 0x9000);
        json_array_foreach(fl, i, e) {
            size_t len;
            const char *name = json_string_value(json_object_get(e, "name"));
            uint8_t *want, *got;
            if (json_is_true(json_object_get(e, "outside_application")))
                continue;
            want = slurp(dir, name, &len);
            got = t_read(d, &sm, (uint16_t)strtol(json_string_value(json_object_get(e, "fid")),
                                                   NULL, 16), len, 223);
            CHECK_MSG(got && !memcmp(got, want, len), "%s differs", name);
            printf("  %s: %zu bytes, read after BAC\n", name, len);
            if (!strcmp(name, "EF.DG15")) {
                dg15 = want;
                dg15_len = len;
            } else {
                free(want);
            }
            free(got);
        }
        if (dg15 && json_is_object(json_object_get(root, "aa")))
            chip_dir_aa(d, &sm, dg15, dg15_len);
        if (ca_pub) {
            CHECK_SW(t_ca(d, &sm, ca_oid, ca_ol, ca_pub), 0x9000);
            CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x81, 0, NULL, 0, 4, NULL, NULL), 0x9000);
            printf("  CA after BAC\n");
        }
    }
    P->chip->release_card(d);

    /* PACE with every entry, MRZ and CAN */
    pace = json_object_get(root, "pace");
    json_array_foreach(pace, i, e) {
        uint8_t oid[20];
        size_t ol = oid_der(json_string_value(json_object_get(e, "oid")), oid);
        int pid = (int)json_integer_value(json_object_get(e, "parameter_id"));
        pace_suite ps = {json_string_value(json_object_get(e, "oid")), oid[ol - 1], pid,
                         param_nid(pid)};
        if (ol != 10 || oid[8] != 2 || !ps.nid) {
            printf("  PACE %s parameter id %d: not ECDH-GM, skipped\n", ps.name, pid);
            continue;
        }
        for (int pw = 1; pw <= 2; pw++) {
            if (pw == 2 && (!can || !*can))
                break;
            CHECK_ST(connect_to(d, dir), DX_OK);
            CHECK_SW(pw == 1 ? t_pace(d, &ps, 1, (const uint8_t *)mrz_info, strlen(mrz_info), &sm)
                             : t_pace(d, &ps, 2, (const uint8_t *)can, strlen(can), &sm),
                     0x9000);
            CHECK_SW(sm_cmd(d, &sm, 0xA4, 0x04, 0x0C, app, 7, 0, NULL, NULL), 0x9000);
            CHECK_SW(sm_cmd(d, &sm, 0xB0, 0x81, 0, NULL, 0, 4, NULL, NULL), 0x9000);
            if (dg15 && json_is_object(json_object_get(root, "aa")))
                chip_dir_aa(d, &sm, dg15, dg15_len);
            if (ca_pub)
                CHECK_SW(t_ca(d, &sm, ca_oid, ca_ol, ca_pub), 0x9000);
            printf("  PACE %s parameter id %d with the %s\n", ps.name, pid, pw == 1 ? "MRZ" : "CAN");
            P->chip->release_card(d);
        }
    }
    free(dg15);
    EVP_PKEY_free(ca_pub);
    json_decref(root);
    P->close(d);
}

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
    const char *so = DOCEX_SIM_PLUGIN;
    char path[1024];
    const char *build = getenv("DOCEX_BUILD");
    const char *t = getenv("TMPDIR");

    if (build && access(so, R_OK) != 0) {
        snprintf(path, sizeof path, "%s/lib/docex/1/sim.so", build);
        so = path;
    }
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "cannot load %s: %s\n", so, dlerror());
        return 1;
    }
    dxp_entry_fn entry = (dxp_entry_fn)dlsym(h, DXP_ENTRY_SYMBOL);
    REQUIRE(entry);
    P = entry();
    REQUIRE(P);
    REQUIRE(P->init(&host, &pctx) == DX_OK);

    if (argc == 3 && !strcmp(argv[1], "--chip")) {
        run_chip_dir(argv[2]);
        P->fini(pctx);
        dlclose(h);
        return dxtest_done();
    }
    snprintf(tmpdir, sizeof tmpdir, "%s/docex-sim-chip-test-XXXXXX", t && *t ? t : "/tmp");
    REQUIRE(mkdtemp(tmpdir));
    rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    REQUIRE(rsa_key && ec_key && ca_key);
    snprintf(MRZ_TD3, sizeof MRZ_TD3, "[\"%s\", \"%s\"]", MRZ1, MRZ2);
    make_files(40000); /* DG2 beyond 32 KiB: B1 reads */

    test_devices();
    test_appendix_d();
    test_appendix_g1();
    test_bac_end_to_end();
    test_bac_long_document_number();
    test_pace_end_to_end();
    test_active_authentication();
    test_chip_authentication();
    test_malformed();
    test_random_apdus();
    test_reader();
    test_bad_chips();

    for (int i = 0; i < N_FILES; i++)
        free(files[i].data);
    EVP_PKEY_free(rsa_key);
    EVP_PKEY_free(ec_key);
    EVP_PKEY_free(ca_key);
    rm_rf(tmpdir);
    P->fini(pctx);
    dlclose(h);
    return dxtest_done();
}
