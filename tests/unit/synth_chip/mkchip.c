/* mkchip — write the fixture's synthetic chip directory (for the shell test).
 *   mkchip --trust DIR --out DIR [--seed N] [--aa none|rsa|ecdsa] [--no-ca]
 *          [--no-pace] [--jpeg2000] [--tamper N] [--untrusted] [--clone] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chip_fixture.h"

int main(int argc, char **argv)
{
    dx_synth_holder h;
    dx_synth_chip_options o;
    const char *trust = NULL, *out = NULL;
    fix_holder(&h);
    fix_options(&o, &h, NULL);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--trust") && v)
            trust = argv[++i];
        else if (!strcmp(a, "--out") && v)
            out = argv[++i];
        else if (!strcmp(a, "--seed") && v)
            o.seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--aa") && v) {
            i++;
            o.aa = !strcmp(v, "rsa") ? DX_SYNTH_AA_RSA : !strcmp(v, "ecdsa") ? DX_SYNTH_AA_ECDSA
                                                                          : DX_SYNTH_AA_NONE;
        } else if (!strcmp(a, "--no-ca"))
            o.chip_auth = false;
        else if (!strcmp(a, "--no-pace"))
            o.pace = false;
        else if (!strcmp(a, "--jpeg2000"))
            o.face_format = DX_SYNTH_FACE_JPEG2000;
        else if (!strcmp(a, "--tamper") && v)
            o.tampered_dg = atoi(argv[++i]);
        else if (!strcmp(a, "--untrusted"))
            o.untrusted_ds = true;
        else if (!strcmp(a, "--clone"))
            o.clone = true;
        else {
            fprintf(stderr, "mkchip: unknown argument %s\n", a);
            return 2;
        }
    }
    if (!trust || !out) {
        fprintf(stderr, "mkchip: --trust DIR and --out DIR are needed\n");
        return 2;
    }
    o.trust_dir = trust;
    dx_error err = {0};
    if (dx_synth_chip_write(&o, out, &err) != DX_OK) {
        fprintf(stderr, "mkchip: %s\n", err.message);
        return 1;
    }
    return 0;
}
