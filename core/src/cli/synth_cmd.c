/* docex synth --specimen ID --out DIR [--seed N] [--holder FILE.json]
 *             [--defect NAME[:PARAMS]]... [--dpi N] [realism options] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "docex/synth.h"

static const char synth_help[] =
    "usage: docex synth --specimen ID --out DIR [--seed N] [--holder FILE.json]\n"
    "                   [--defect NAME[:KEY=VALUE,...]]... [--dpi N] [--illum LIST]\n"
    "                   [--noise SIGMA] [--blur PX] [--vignetting K] [--glass MM]\n"
    "                   [--shift-x MM] [--shift-y MM] [--rotate DEG] [--no-chip]\n"
    "                   [--face jpeg|jpeg2000] [--chip-aa none|rsa|ecdsa] [--today YYYYMMDD]\n"
    "       docex synth --list-defects\n"
    "\n"
    "Makes a synthetic document of the specimen state Utopia as a scene the\n"
    "simulated scanner serves: DIR/<illumination>.png for every light the\n"
    "specimen uses (IR lights as 16-bit grey), DIR/scene.json with the ground\n"
    "truth (holder, MRZ, each defect and the region it changed), and the chip's\n"
    "files in DIR/chip/.  A second side (an ID card's back) goes to DIR/<side>/.\n"
    "The same options and seed give the same bytes.\n"
    "  --specimen ID   UTO-P-2024 (TD3 passport page), UTO-ID-2021 (TD1 card)\n"
    "  --seed N        fibres, sensor noise, chip keys (default 1)\n"
    "  --holder F      the holder's data (JSON; fields as in scene.json's holder)\n"
    "  --defect D      a defect from the catalogue (--list-defects), repeatable\n"
    "  --dpi N         resolution (default 300)\n"
    "  --illum LIST    only these lights (default: the specimen's)\n"
    "  --noise, --blur, --vignetting   scanner realism (default none)\n"
    "  --glass MM      glass around the page; --shift-x/-y and --rotate place\n"
    "                  the page on it\n"
    "Exit status 0 when the scene was written, 2 otherwise.\n";

static void progress(const char *line, void *user)
{
    (void)user;
    printf("wrote %s\n", line);
}

static bool num(const char *cmd, const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    double d = strtod(v, &end);
    if (!v[0] || *end || !(d >= lo && d <= hi)) {
        dx_cli_error(cmd, "%s %s: expected a number from %g to %g", opt, v, lo, hi);
        return false;
    }
    *out = d;
    return true;
}

int dx_cmd_synth(const dx_cli_globals *g, int argc, char **argv)
{
    (void)g;
    dx_synth_options o = {0};
    const char *lights[32] = {0};
    size_t n_lights = 0;
    char *illum_copy = NULL;
    double d;
    o.seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(synth_help, stdout);
            return DX_EXIT_OK;
        } else if (!strcmp(a, "--list-defects")) {
            for (size_t k = 0; dx_synth_defect_at(k); k++) {
                const dx_synth_defect_info *di = dx_synth_defect_at(k);
                printf("%-22s %s\n%-22s   params: %s\n%-22s   caught by: %s\n", di->name,
                       di->changes, "", di->params[0] ? di->params : "none", "",
                       di->expected_check);
            }
            return DX_EXIT_OK;
        } else if (!strcmp(a, "--no-chip")) {
            o.no_chip = true;
            continue;
        }
        if (!v) {
            dx_cli_error("synth", "%s: missing value (see docex synth --help)", a);
            return DX_EXIT_ERROR;
        }
        i++;
        if (!strcmp(a, "--specimen")) o.specimen = v;
        else if (!strcmp(a, "--out")) o.out_dir = v;
        else if (!strcmp(a, "--holder")) o.holder_file = v;
        else if (!strcmp(a, "--face")) o.face_format = v;
        else if (!strcmp(a, "--chip-aa")) o.chip_aa = v;
        else if (!strcmp(a, "--seed")) {
            char *end;
            unsigned long long s = strtoull(v, &end, 10);
            if (!v[0] || *end || v[0] == '-') {
                dx_cli_error("synth", "--seed %s: expected a non-negative integer", v);
                return DX_EXIT_ERROR;
            }
            o.seed = s;
        } else if (!strcmp(a, "--defect")) {
            if (o.n_defects == DX_SYNTH_MAX_DEFECTS) {
                dx_cli_error("synth", "at most %d defects", DX_SYNTH_MAX_DEFECTS);
                return DX_EXIT_ERROR;
            }
            o.defects[o.n_defects++] = v;
        } else if (!strcmp(a, "--illum")) {
            free(illum_copy);
            illum_copy = strdup(v);
            n_lights = 0;
            for (char *save = NULL, *t = strtok_r(illum_copy, ",", &save); t && n_lights < 31;
                 t = strtok_r(NULL, ",", &save))
                lights[n_lights++] = t;
            lights[n_lights] = NULL;
            o.lights = lights;
        } else if (!strcmp(a, "--today")) {
            char *end;
            long t = strtol(v, &end, 10);
            if (*end || t < 19000101 || t > 29991231) {
                dx_cli_error("synth", "--today %s: expected YYYYMMDD", v);
                return DX_EXIT_ERROR;
            }
            o.today = (int)t;
        } else if (!strcmp(a, "--dpi")) { if (!num("synth", a, v, 50, 1200, &o.dpi)) return DX_EXIT_ERROR; }
        else if (!strcmp(a, "--noise")) { if (!num("synth", a, v, 0, 50, &o.noise)) return DX_EXIT_ERROR; }
        else if (!strcmp(a, "--blur")) { if (!num("synth", a, v, 0, 20, &o.blur_px)) return DX_EXIT_ERROR; }
        else if (!strcmp(a, "--vignetting")) { if (!num("synth", a, v, 0, 0.5, &o.vignetting)) return DX_EXIT_ERROR; }
        else if (!strcmp(a, "--glass")) { if (!num("synth", a, v, 0, 100, &o.glass_mm)) return DX_EXIT_ERROR; }
        else if (!strcmp(a, "--shift-x")) { if (!num("synth", a, v, -100, 100, &d)) return DX_EXIT_ERROR; o.shift_x_mm = d; }
        else if (!strcmp(a, "--shift-y")) { if (!num("synth", a, v, -100, 100, &d)) return DX_EXIT_ERROR; o.shift_y_mm = d; }
        else if (!strcmp(a, "--rotate")) { if (!num("synth", a, v, -180, 180, &d)) return DX_EXIT_ERROR; o.rotation_deg = d; }
        else {
            dx_cli_error("synth", "unknown option %s (see docex synth --help)", a);
            free(illum_copy);
            return DX_EXIT_ERROR;
        }
    }
    if (!o.specimen || !o.out_dir) {
        dx_cli_error("synth", "--specimen and --out are required (see docex synth --help)");
        free(illum_copy);
        return DX_EXIT_ERROR;
    }
    dx_error err = {0};
    dx_status st = dx_synth_scene_write(&o, progress, NULL, &err);
    free(illum_copy);
    if (st) {
        dx_cli_error("synth", "%s", err.message[0] ? err.message : dx_status_str(st));
        return DX_EXIT_ERROR;
    }
    printf("scene: %s/scene.json\n", o.out_dir);
    return DX_EXIT_OK;
}
