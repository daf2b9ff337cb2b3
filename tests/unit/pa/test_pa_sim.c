/* Passive and Active Authentication end to end against the simulated chip
 * (plugins/sim, through the vendor ABI as a reader plugin is driven):
 * synthetic Utopia chips are served by sim.so, read over BAC secure
 * messaging with the terminal of core/src/icao, passive authentication runs
 * on the files read, and INTERNAL AUTHENTICATE (dx_aa_command) is answered
 * by the sim chip and verified (dx_aa_verify): RSA with trailer BC and 34CC,
 * ECDSA, and clones.
 *   test-pa_sim TRUST_DIR
 * Skipped (77) when sim.so is not there. */
#include <dlfcn.h>
#include <jansson.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docex/plugin.h"
#include "dxtest.h"
#include "icao/aa.h"
#include "icao/bac.h"
#include "icao/chip_file.h"
#include "icao/pa.h"
#include "icao/tlv.h"
#include "icao/trust.h"
#include "pa_util.h"

#ifndef DOCEX_SIM_PLUGIN
#define DOCEX_SIM_PLUGIN "lib/docex/1/sim.so"
#endif

struct dxp_host_ctx {
    int unused;
};

static void h_log(dxp_host_ctx *ctx, dxp_log_level level, const char *message)
{
    (void)ctx;
    if (getenv("PA_VERBOSE"))
        fprintf(stderr, "  [sim %d] %s\n", (int)level, message);
}

static int h_log_enabled(dxp_host_ctx *ctx, dxp_log_level level)
{
    (void)ctx;
    (void)level;
    return 1;
}

static dx_status h_get_setting(dxp_host_ctx *ctx, const char *key, char *buf, size_t size)
{
    (void)ctx, (void)key, (void)buf, (void)size;
    return DX_ERR_NOT_FOUND;
}

static dxp_host_ctx hctx;
static dxp_host host = {DXP_ABI_MAJOR, DXP_ABI_MINOR, sizeof(dxp_host), 0, &hctx,
                        h_log, h_log_enabled, h_get_setting, {0}};
static const dxp_plugin *P;
static dxp_plugin_ctx *pctx;
static const char *trust;
static dx_trust_store *ts;

static dx_status sim_transmit(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                              size_t *len)
{
    return P->chip->transmit(ctx, cmd, n, rsp, cap, len);
}

/* chip.json's aa.hash: the digest the sim chip's RSA AA uses. */
static void set_aa_hash(const char *dir, const char *hash)
{
    char path[1024];
    json_t *j;
    snprintf(path, sizeof path, "%s/chip.json", dir);
    REQUIRE((j = json_load_file(path, 0, NULL)));
    json_object_set_new(json_object_get(j, "aa"), "hash", json_string(hash));
    REQUIRE(json_dump_file(j, path, JSON_INDENT(2)) == 0);
    json_decref(j);
}

typedef struct run {
    dx_pa_report pa;
    dx_aa_result aa;
    dx_status aa_status;
} run;

/* Insert the chip of `dir`, BAC, read every file, PA, AA. */
static void read_chip(const char *dir, const char *aa_oid, run *out)
{
    dxp_device *d = NULL;
    dxp_value v;
    uint8_t atr[64], *files[DX_PA_MAX_DG + 1] = {0}, *sod = NULL;
    size_t n = 0, lens[DX_PA_MAX_DG + 1] = {0}, sod_len = 0, n_dgs = 0;
    dx_pa_dg dgs[DX_PA_MAX_DG];
    dx_chip_channel ch;
    dx_bac_keys k;
    char info[DX_BAC_MRZ_INFO_MAX];
    dx_error err = {0};
    static const int want[] = {1, 2, 11, 12, 14, 15};

    memset(out, 0, sizeof *out);
    REQUIRE(P->open(pctx, "chip0", &d) == DX_OK && d);
    memset(&v, 0, sizeof v);
    v.type = DXP_OPT_STRING;
    snprintf(v.s, sizeof v.s, "%s", dir);
    REQUIRE(P->set_option(d, "chip", &v) == DX_OK);
    REQUIRE(P->chip->wait_card(d, 0, atr, sizeof atr, &n) == DX_OK);
    ch = (dx_chip_channel){.transport = {sim_transmit, d}};
    /* the fixture's MRZ: L898902C3, born 740812, valid until 340415 */
    REQUIRE(dx_bac_mrz_info("L898902C3", "740812", "340415", info, &err) == DX_OK);
    REQUIRE(dx_bac_derive_keys(info, &k, &err) == DX_OK);
    CHECK_MSG(dx_chip_select_aid(&ch, dx_emrtd_aid, DX_EMRTD_AID_LEN, &err) == DX_OK, "%s",
              err.message);
    REQUIRE(dx_bac_run(&ch.transport, &k, NULL, &ch.sm, NULL, &err) == DX_OK);

    CHECK_MSG(dx_chip_read_file(&ch, DX_EF_SOD, 1 << 16, &sod, &sod_len, &err) == DX_OK, "%s",
              err.message);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        int dg = want[i];
        if (dx_chip_read_file(&ch, (uint16_t)DX_EF_DG(dg), 1 << 20, &files[dg], &lens[dg],
                              &err) == DX_OK)
            dgs[n_dgs++] = (dx_pa_dg){dg, files[dg], lens[dg]};
    }
    CHECK(n_dgs == 6);
    CHECK(dx_pa_verify(sod, sod_len, dgs, n_dgs, ts, pa_year(2026), &out->pa, &err) == DX_OK);

    /* Active Authentication with the DG15 key read */
    if (files[15]) {
        dx_tlv t;
        EVP_PKEY *key = NULL;
        if (dx_tlv_parse_single(files[15], lens[15], 0x6F, &t, "EF.DG15", &err) == DX_OK) {
            const unsigned char *p = t.value;
            key = d2i_PUBKEY(NULL, &p, (long)t.len);
        }
        REQUIRE(key);
        uint8_t challenge[DX_AA_CHALLENGE_LEN], rsp[1024];
        dx_apdu cmd;
        dx_rapdu r;
        REQUIRE(dx_aa_command(key, challenge, &cmd, &err) == DX_OK);
        CHECK_MSG(dx_chip_transmit(&ch, &cmd, rsp, sizeof rsp, &r, &err) == DX_OK, "%s",
                  err.message);
        CHECK_MSG(r.sw == 0x9000, "INTERNAL AUTHENTICATE: %04X", r.sw);
        out->aa_status = dx_aa_verify(key, aa_oid, challenge, sizeof challenge, r.data, r.len,
                                      &out->aa, &err);
        EVP_PKEY_free(key);
    }
    for (int i = 0; i <= DX_PA_MAX_DG; i++)
        free(files[i]);
    free(sod);
    dx_sm_session_free(ch.sm);
    P->chip->release_card(d);
    P->close(d);
}

static void test_chips(void)
{
    static const struct {
        const char *name, *hash;
        dx_synth_aa aa;
        bool clone, tampered;
        const char *want_hash;
        dx_aa_outcome want;
    } cs[] = {
        {"sim-rsa", NULL, DX_SYNTH_AA_RSA, false, false, "SHA-1", DX_AA_PASSED},
        {"sim-rsa-256", "sha256", DX_SYNTH_AA_RSA, false, false, "SHA-256", DX_AA_PASSED},
        {"sim-rsa-512", "sha512", DX_SYNTH_AA_RSA, false, false, "SHA-512", DX_AA_PASSED},
        {"sim-ec", NULL, DX_SYNTH_AA_ECDSA, false, false, "SHA-256", DX_AA_PASSED},
        {"sim-rsa-clone", NULL, DX_SYNTH_AA_RSA, true, false, "SHA-1", DX_AA_FAILED},
        {"sim-ec-clone", NULL, DX_SYNTH_AA_ECDSA, true, false, "SHA-256", DX_AA_FAILED},
        {"sim-tampered", NULL, DX_SYNTH_AA_RSA, false, true, "SHA-1", DX_AA_PASSED},
    };
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i++) {
        dx_synth_holder h;
        dx_synth_chip_options o;
        pa_chip c;
        run r;
        pa_chip_options(&o, &h, trust);
        o.aa = cs[i].aa;
        o.clone = cs[i].clone;
        o.tampered_dg = cs[i].tampered ? 11 : 0;
        o.seed = i;
        REQUIRE(pa_chip_build(&o, cs[i].name, &c));
        pa_chip_free(&c);
        if (cs[i].hash)
            set_aa_hash(pa_tmp(cs[i].name), cs[i].hash);
        read_chip(pa_tmp(cs[i].name),
                  cs[i].aa == DX_SYNTH_AA_ECDSA ? "0.4.0.127.0.7.1.1.4.1.3" : NULL, &r);
        if (cs[i].tampered) {
            CHECK(r.pa.overall == DX_PA_FAILED && r.pa.dg_hashes.result == DX_PA_FAILED);
            CHECK(r.pa.signature.result == DX_PA_PASSED && r.pa.chain.result == DX_PA_PASSED);
        } else {
            CHECK_MSG(r.pa.overall == DX_PA_PASSED, "%s: PA %s: %s", cs[i].name,
                      dx_pa_result_name(r.pa.overall), r.pa.overall_detail);
        }
        CHECK(r.aa_status == DX_OK);
        CHECK_MSG(r.aa.result == cs[i].want, "%s: AA %s: %s", cs[i].name,
                  dx_aa_outcome_name(r.aa.result), r.aa.detail);
        if (cs[i].want == DX_AA_PASSED || cs[i].aa == DX_SYNTH_AA_ECDSA)
            CHECK_STR(r.aa.hash, cs[i].want_hash);
        if (cs[i].hash && !strcmp(cs[i].hash, "sha256"))
            CHECK_MSG(strstr(r.aa.detail, "trailer 34CC") != NULL, "%s", r.aa.detail);
    }
}

int main(int argc, char **argv)
{
    const char *so = DOCEX_SIM_PLUGIN;
    void *h;
    dxp_entry_fn entry;
    dx_error err = {0};
    char path[1024];

    if (argc != 2) {
        fprintf(stderr, "usage: %s TRUST_DIR\n", argv[0]);
        return 2;
    }
    trust = argv[1];
    if (access(so, R_OK) != 0) {
        fprintf(stderr, "skipped: %s missing\n", so);
        return 77;
    }
    if (!(h = dlopen(so, RTLD_NOW | RTLD_LOCAL))) {
        fprintf(stderr, "cannot load %s: %s\n", so, dlerror());
        return 1;
    }
    *(void **)&entry = dlsym(h, DXP_ENTRY_SYMBOL);
    REQUIRE(entry);
    P = entry();
    REQUIRE(P && P->chip && P->init(&host, &pctx) == DX_OK);
    REQUIRE(dx_trust_store_new(&ts, &err) == DX_OK);
    snprintf(path, sizeof path, "%s/utopia.ml", trust);
    REQUIRE(dx_trust_store_add_file(ts, path, &err) == DX_OK);
    snprintf(path, sizeof path, "%s/utopia-csca.crl.pem", trust);
    REQUIRE(dx_trust_store_add_file(ts, path, &err) == DX_OK);

    test_chips();

    dx_trust_store_free(ts);
    P->fini(pctx);
    dlclose(h);
    pa_tmp_cleanup();
    return dxtest_done();
}
