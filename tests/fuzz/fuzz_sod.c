/* Fuzz target: passive authentication's parsers of chip and trust-store
 * bytes (core/src/icao/pa.c, trust.c): EF.SOD (the outer tag 77, the CMS
 * SignedData, the LDSSecurityObject), passive authentication as a whole
 * against the Utopia test CSCA and CRL, and trust-store files (PEM and DER
 * certificates, CRLs, CMS master lists).
 *
 * Input: byte 0 picks the parser (modulo 4), the rest is its bytes:
 *   0  dx_pa_sod_parse: a whole EF.SOD
 *   1  dx_pa_lso_parse: an LDSSecurityObject
 *   2  dx_pa_verify: byte 1 = n data groups (at most 4), then for each: its
 *      number (1 byte), length (2 bytes, big-endian), bytes; then EF.SOD
 *   3  dx_trust_store_add_mem on a store holding the Utopia CSCA
 * Promises checked: DX_OK or DX_ERR_DATA with a message (DX_ERR_INVALID_ARG
 * for verify's own argument checks), no read outside the input (ASan); a
 * parsed SOD's hashes have the length of its algorithm and 2..16 distinct DG
 * numbers; a report's results are valid, "passed" only when every needed
 * step passed, and its JSON is made; a store's counts match its JSON.
 *
 * The seeds (corpus/sod/seed-*) come from synthetic Utopia chips:
 * tests/unit/pa/mkseeds_sod.sh writes them. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "icao/pa.h"
#include "icao/trust.h"

#ifndef DOCEX_FUZZ_TRUST
#define DOCEX_FUZZ_TRUST "share/trust/test"
#endif

static dx_trust_store *ts;      /* CSCA + CRL number 2 */
static bool verbose;            /* FUZZ_VERBOSE=1: say what each input gave */
static uint8_t *csca_pem;
static size_t csca_len;

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (b = malloc((size_t)n)) && fread(b, 1, (size_t)n, f) == (size_t)n)
        *len = (size_t)n;
    else {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("DOCEX_FUZZ_TRUST") ? getenv("DOCEX_FUZZ_TRUST") : DOCEX_FUZZ_TRUST;
    char path[1024];
    dx_error err = {0};
    size_t n = 0;
    uint8_t *crl;
    (void)argc;
    (void)argv;
    verbose = getenv("FUZZ_VERBOSE") != NULL;
    snprintf(path, sizeof path, "%s/utopia-csca.cert.pem", dir);
    csca_pem = slurp(path, &csca_len);
    snprintf(path, sizeof path, "%s/utopia-csca-revoked.crl.pem", dir);
    crl = slurp(path, &n);
    if (!csca_pem || !crl || dx_trust_store_new(&ts, &err) != DX_OK ||
        dx_trust_store_add_mem(ts, "csca", csca_pem, csca_len, &err) != DX_OK ||
        dx_trust_store_add_mem(ts, "crl", crl, n, &err) != DX_OK) {
        fprintf(stderr, "fuzz_sod: the trust files of %s cannot be loaded (%s); set "
                "DOCEX_FUZZ_TRUST\n", dir, err.message);
        exit(2);
    }
    free(crl);
    return 0;
}

static void check_lso(const dx_pa_lso *l)
{
    FUZZ_ASSERT(l->version <= 1, "version %u", (unsigned)l->version);
    FUZZ_ASSERT(l->hash_name && l->hash_len >= 20 && l->hash_len <= DX_PA_MAX_HASH,
                "hash %zu", l->hash_len);
    FUZZ_ASSERT(l->n_dg >= 2 && l->n_dg <= DX_PA_MAX_DG, "%zu hashes", l->n_dg);
    for (size_t i = 0; i < l->n_dg; i++) {
        FUZZ_ASSERT(l->dg[i].number >= 1 && l->dg[i].number <= 16, "DG%d", l->dg[i].number);
        for (size_t j = 0; j < i; j++)
            FUZZ_ASSERT(l->dg[i].number != l->dg[j].number, "DG%d twice", l->dg[i].number);
    }
    FUZZ_ASSERT(l->has_version_info == (l->version == 1), "ldsVersionInfo and version");
}

static bool valid(dx_pa_result r)
{
    return r == DX_PA_NOT_CHECKED || r == DX_PA_PASSED || r == DX_PA_FAILED;
}

static void check_report(const dx_pa_report *r)
{
    const dx_pa_step *s[] = {&r->parse, &r->signature, &r->message_digest, &r->chain,
                             &r->validity, &r->key_usage, &r->crl, &r->dg_hashes};
    bool all = true;
    for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
        FUZZ_ASSERT(valid(s[i]->result), "step %zu result %d", i, (int)s[i]->result);
        FUZZ_ASSERT(memchr(s[i]->detail, 0, sizeof s[i]->detail), "detail not terminated");
        if (s[i] != &r->crl && s[i]->result != DX_PA_PASSED)
            all = false;
    }
    FUZZ_ASSERT(valid(r->overall), "overall %d", (int)r->overall);
    FUZZ_ASSERT(r->overall != DX_PA_PASSED || (all && r->crl.result != DX_PA_FAILED),
                "passed with a step not passed");
    FUZZ_ASSERT(r->n_dgs <= DX_PA_MAX_DG, "%zu DGs", r->n_dgs);
    json_t *j = dx_pa_report_to_json(r);
    FUZZ_ASSERT(j && json_is_string(json_object_get(j, "result")), "no JSON report");
    char *text = json_dumps(j, JSON_COMPACT);
    FUZZ_ASSERT(text, "the JSON report does not dump");
    free(text);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dx_error err = {0};
    dx_status st;
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;

    switch (data[0] % 4) {
    case 0: {
        dx_pa_sod *s = NULL;
        st = dx_pa_sod_parse(p, n, &s, &err);
        if (verbose)
            fprintf(stderr, "fuzz_sod: SOD: %s\n", st == DX_OK ? "parsed" : err.message);
        FUZZ_ASSERT((st == DX_OK) == (s != NULL), "status and result disagree");
        FUZZ_ASSERT(st == DX_OK || (st == DX_ERR_DATA && err.message[0]), "status %d", (int)st);
        if (s) {
            check_lso(&s->lso);
            FUZZ_ASSERT(s->n_signers >= 1 && s->si, "no SignerInfo");
            FUZZ_ASSERT(s->econtent && s->econtent_len > 0, "no content");
        }
        dx_pa_sod_free(s);
        break;
    }
    case 1: {
        dx_pa_lso l;
        st = dx_pa_lso_parse(p, n, &l, &err);
        if (verbose)
            fprintf(stderr, "fuzz_sod: LDSSecurityObject: %s\n", st == DX_OK ? "parsed"
                                                                              : err.message);
        FUZZ_ASSERT(st == DX_OK || (st == DX_ERR_DATA && err.message[0]), "status %d", (int)st);
        if (st == DX_OK)
            check_lso(&l);
        break;
    }
    case 2: {
        dx_pa_dg dgs[4];
        size_t nd = 0, want;
        dx_pa_report r;
        if (n < 1)
            return 0;
        want = p[0] % 5;
        p++, n--;
        while (nd < want && n >= 3) {
            size_t len = (size_t)p[1] << 8 | p[2];
            if (len > n - 3)
                len = n - 3;
            dgs[nd] = (dx_pa_dg){p[0], p + 3, len};
            p += 3 + len;
            n -= 3 + len;
            nd++;
        }
        st = dx_pa_verify(p, n, dgs, nd, ts, 1767225600 /* 2026-01-01 */, &r, &err);
        FUZZ_ASSERT(st == DX_OK || st == DX_ERR_DATA || st == DX_ERR_INVALID_ARG, "status %d",
                    (int)st);
        FUZZ_ASSERT(st == DX_OK || err.message[0], "no message");
        if (st != DX_ERR_INVALID_ARG)
            check_report(&r);
        if (verbose)
            fprintf(stderr, "fuzz_sod: verify: %s: %s\n", dx_pa_result_name(r.overall),
                    r.overall_detail);
        if (st == DX_ERR_DATA)
            FUZZ_ASSERT(r.parse.result == DX_PA_FAILED && r.overall == DX_PA_FAILED,
                        "a malformed SOD did not fail");
        break;
    }
    case 3: {
        dx_trust_store *t = NULL;
        FUZZ_ASSERT(dx_trust_store_new(&t, &err) == DX_OK, "%s", err.message);
        FUZZ_ASSERT(dx_trust_store_add_mem(t, "csca", csca_pem, csca_len, &err) == DX_OK, "%s",
                    err.message);
        st = dx_trust_store_add_mem(t, "fuzz", p, n, &err);
        FUZZ_ASSERT(st == DX_OK || (st == DX_ERR_DATA && err.message[0]), "status %d", (int)st);
        if (verbose)
            fprintf(stderr, "fuzz_sod: trust file: %s, %zu CSCAs, %zu lists\n",
                    st == DX_OK ? "used" : err.message, dx_trust_store_csca_count(t),
                    dx_trust_store_ml_count(t));
        for (size_t i = 0; i < dx_trust_store_ml_count(t); i++) {
            const dx_trust_ml *m = dx_trust_store_ml_at(t, i);
            FUZZ_ASSERT(m->verified || m->n_cscas == 0, "CSCAs from an unverified list");
        }
        json_t *j = dx_trust_store_to_json(t);
        FUZZ_ASSERT(j && json_array_size(json_object_get(j, "cscas")) ==
                             dx_trust_store_csca_count(t), "JSON and store disagree");
        json_decref(j);
        dx_trust_store_free(t);
        break;
    }
    }
    return 0;
}
