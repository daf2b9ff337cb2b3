/* pa-tool — passive authentication of a chip directory for the shell tests.
 *   pa-tool verify TRUST CHIP_DIR [AT_UNIX]   report JSON on stdout; exit 0
 *                                              when passed, 1 otherwise, 2 on
 *                                              errors.  TRUST: a directory,
 *                                              or files joined with ':'.
 *   pa-tool resign CHIP_DIR KEY CERT          EF.SOD signed anew by another
 *                                              DS over the same data groups */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "icao/pa.h"
#include "icao/trust.h"
#include "pa_util.h"
#include "synth/chip_build.h"
#include "synth/der.h"

static int verify(const char *trust, const char *dir, int64_t at)
{
    dx_trust_store *ts = NULL;
    dx_error err = {0};
    struct stat sb;
    pa_chip c;
    dx_pa_report r;
    json_t *j;
    int rc;

    if (stat(trust, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        if (dx_trust_store_load(trust, &ts, &err) != DX_OK) {
            fprintf(stderr, "pa-tool: %s\n", err.message);
            return 2;
        }
    } else {
        char *list = strdup(trust), *save = NULL;
        if (!list || dx_trust_store_new(&ts, &err) != DX_OK)
            return 2;
        for (char *f = strtok_r(list, ":", &save); f; f = strtok_r(NULL, ":", &save))
            if (dx_trust_store_add_file(ts, f, &err) != DX_OK)
                fprintf(stderr, "pa-tool: %s\n", err.message);
        free(list);
    }
    if (!pa_chip_read(dir, &c)) {
        fprintf(stderr, "pa-tool: %s: no EF.SOD or data groups\n", dir);
        dx_trust_store_free(ts);
        return 2;
    }
    if (dx_pa_verify(c.sod, c.sod_len, c.dgs, c.n_dgs, ts, at, &r, &err) != DX_OK)
        fprintf(stderr, "pa-tool: %s\n", err.message);
    j = dx_pa_report_to_json(&r);
    json_dumpf(j, stdout, JSON_INDENT(2));
    putchar('\n');
    rc = r.overall == DX_PA_PASSED ? 0 : 1;
    json_decref(j);
    pa_chip_free(&c);
    dx_trust_store_free(ts);
    return rc;
}

static int resign(const char *dir, const char *keyfile, const char *certfile)
{
    pa_chip c;
    dx_synth_dg_hash h[DX_PA_MAX_DG];
    dx_synth_der sod;
    dx_error err = {0};
    FILE *f;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    char path[1024];
    int rc = 2;

    if ((f = fopen(keyfile, "r"))) {
        key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
    }
    if ((f = fopen(certfile, "r"))) {
        cert = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (!key || !cert || !pa_chip_read(dir, &c)) {
        fprintf(stderr, "pa-tool: cannot read the key, certificate or chip\n");
        goto done;
    }
    for (size_t i = 0; i < c.n_dgs; i++) {
        unsigned n = 0;
        h[i].dg = c.dgs[i].number;
        EVP_Digest(c.dgs[i].data, c.dgs[i].len, h[i].sha256, &n, EVP_sha256(), NULL);
    }
    dx_synth_der_init(&sod);
    snprintf(path, sizeof path, "%s/EF.SOD", dir);
    if (dx_synth_chip_build_sod(h, c.n_dgs, key, cert, "20240416", &sod, &err) != DX_OK)
        fprintf(stderr, "pa-tool: %s\n", err.message);
    else if (pa_write(path, sod.data, sod.len))
        rc = 0;
    dx_synth_der_free(&sod);
    pa_chip_free(&c);
done:
    EVP_PKEY_free(key);
    X509_free(cert);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "verify"))
        return verify(argv[2], argv[3], argc > 4 ? strtoll(argv[4], NULL, 10) : 0);
    if (argc == 5 && !strcmp(argv[1], "resign"))
        return resign(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: pa-tool verify TRUST CHIP_DIR [AT_UNIX] | "
                    "resign CHIP_DIR KEY CERT\n");
    return 2;
}
