/* docex plugins | devices | capture */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const char *const kind_names[] = {"scanner", "camera", "chip_reader", "light"};
static const char *const type_names[] = {"", "bool", "int", "float", "string", "enum"};
static const char *const unit_names[] = {"",       "pixel", "mm", "dpi",  "degree",
                                         "ms",     "us",    "%",  "count"};

static json_t *kinds_json(uint32_t kinds)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < 4; i++)
        if (kinds & (1u << i))
            json_array_append_new(a, json_string(kind_names[i]));
    return a;
}

static void kinds_text(uint32_t kinds, char *out, size_t n)
{
    out[0] = '\0';
    for (unsigned i = 0; i < 4; i++)
        if (kinds & (1u << i)) {
            if (*out)
                strncat(out, ",", n - strlen(out) - 1);
            strncat(out, kind_names[i], n - strlen(out) - 1);
        }
}

static int print_json(json_t *root)
{
    int rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 ? 0 : -1;
    fputc('\n', stdout);
    json_decref(root);
    return rc;
}

/* Parses "--json" and "--help" only; returns -1 on a bad argument. */
static int simple_args(int argc, char **argv, bool *json, const char *help)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            *json = true;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return 1;
        } else {
            dx_cli_error(argv[0], "unexpected argument \"%s\" (see docex %s --help)", argv[i],
                         argv[0]);
            return -1;
        }
    }
    return 0;
}

int dx_cmd_plugins(const dx_cli_globals *g, int argc, char **argv)
{
    bool json = false;
    dx_host *host;
    int a = simple_args(argc, argv, &json,
                        "usage: docex plugins [--json]\n"
                        "Lists the plugins loaded from the plugin path; refused plugins are\n"
                        "named on stderr with the reason (and under \"refused\" in --json).\n");
    if (a)
        return a > 0 ? DX_EXIT_OK : DX_EXIT_ERROR;
    if (!(host = dx_cli_host(g)))
        return DX_EXIT_ERROR;
    if (json) {
        json_t *root = json_object(), *pl = json_array(), *rf = json_array();
        for (size_t i = 0; i < dx_host_plugin_count(host); i++) {
            const dx_plugin_info *p = dx_host_plugin_at(host, i);
            json_t *o = json_object(), *abi = json_object(), *k = json_array();
            json_object_set_new(o, "name", json_string(p->name));
            json_object_set_new(o, "version", json_string(p->version));
            json_object_set_new(o, "vendor", json_string(p->vendor));
            json_object_set_new(o, "license", json_string(p->license));
            json_object_set_new(o, "description", json_string(p->description));
            json_object_set_new(o, "path", json_string(p->path));
            json_object_set_new(abi, "major", json_integer(p->abi_major));
            json_object_set_new(abi, "minor", json_integer(p->abi_minor));
            json_object_set_new(o, "abi", abi);
            if (p->has_scanner)
                json_array_append_new(k, json_string("scanner"));
            if (p->has_camera)
                json_array_append_new(k, json_string("camera"));
            if (p->has_chip)
                json_array_append_new(k, json_string("chip_reader"));
            if (p->has_light)
                json_array_append_new(k, json_string("light"));
            json_object_set_new(o, "kinds", k);
            json_array_append_new(pl, o);
        }
        for (size_t i = 0; i < dx_host_refusal_count(host); i++) {
            const dx_plugin_refusal *r = dx_host_refusal_at(host, i);
            json_t *o = json_object();
            json_object_set_new(o, "path", json_string(r->path ? r->path : ""));
            json_object_set_new(o, "reason", json_string(r->reason ? r->reason : ""));
            json_array_append_new(rf, o);
        }
        json_object_set_new(root, "format", json_string("docex.plugins/1"));
        json_object_set_new(root, "plugins", pl);
        json_object_set_new(root, "refused", rf);
        return print_json(root) == 0 ? DX_EXIT_OK : DX_EXIT_ERROR;
    }
    if (dx_host_plugin_count(host) == 0)
        printf("no plugins loaded (plugin path: --plugin-path, DOCEX_PLUGIN_PATH)\n");
    for (size_t i = 0; i < dx_host_plugin_count(host); i++) {
        const dx_plugin_info *p = dx_host_plugin_at(host, i);
        printf("%-12s %-8s ABI %u.%u  %s%s%s%s %s\n", p->name, p->version, p->abi_major,
               p->abi_minor, p->has_scanner ? "scanner " : "", p->has_camera ? "camera " : "",
               p->has_chip ? "chip_reader " : "", p->has_light ? "light " : "", p->path);
    }
    return DX_EXIT_OK;
}

static json_t *option_json(const dxp_option *o)
{
    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(o->name ? o->name : ""));
    json_object_set_new(j, "type", json_string((unsigned)o->type <= 5 ? type_names[o->type] : "?"));
    json_object_set_new(j, "unit", json_string((unsigned)o->unit <= 8 ? unit_names[o->unit] : "?"));
    if (o->type == DXP_OPT_INT) {
        json_object_set_new(j, "min", json_integer(o->min_i));
        json_object_set_new(j, "max", json_integer(o->max_i));
    } else if (o->type == DXP_OPT_FLOAT) {
        json_object_set_new(j, "min", json_real(o->min_f));
        json_object_set_new(j, "max", json_real(o->max_f));
    } else if (o->type == DXP_OPT_ENUM) {
        json_t *c = json_array();
        for (const char *const *p = o->choices; p && *p; p++)
            json_array_append_new(c, json_string(*p));
        json_object_set_new(j, "choices", c);
    }
    json_object_set_new(j, "default", json_string(o->default_value ? o->default_value : ""));
    json_object_set_new(j, "description", json_string(o->description ? o->description : ""));
    return j;
}

static const char *pixfmt_name(dxp_pixel_format f)
{
    return f == DXP_PIXEL_GRAY8 ? "GRAY8" : f == DXP_PIXEL_GRAY16 ? "GRAY16"
                                        : f == DXP_PIXEL_RGB24    ? "RGB24"
                                                                  : "unknown";
}

int dx_cmd_devices(const dx_cli_globals *g, int argc, char **argv)
{
    bool json = false;
    dx_host *host;
    dx_device_entry *list = NULL;
    size_t n = 0;
    dx_error err = {0};
    json_t *root = NULL, *arr = NULL;
    int a = simple_args(argc, argv, &json,
                        "usage: docex devices [--json]\n"
                        "Lists every device the plugins find: id, kinds, model, serial and the\n"
                        "illuminations it offers (with --json also resolutions, pixel formats\n"
                        "and options).\n");
    if (a)
        return a > 0 ? DX_EXIT_OK : DX_EXIT_ERROR;
    if (!(host = dx_cli_host(g)))
        return DX_EXIT_ERROR;
    if (dx_host_list_devices(host, &list, &n, &err) != DX_OK) {
        dx_cli_error("devices", "%s", err.message);
        return DX_EXIT_ERROR;
    }
    if (json) {
        root = json_object();
        arr = json_array();
        json_object_set_new(root, "format", json_string("docex.devices/1"));
    } else if (n == 0) {
        printf("no devices found\n");
    }
    for (size_t i = 0; i < n; i++) {
        dx_device *dev = NULL;
        char kinds[64];
        dx_error oerr = {0};
        dx_status st = dx_device_open(host, list[i].id, &dev, &oerr);
        kinds_text(list[i].info.kinds, kinds, sizeof kinds);
        if (json) {
            json_t *o = json_object(), *il = json_array();
            json_object_set_new(o, "id", json_string(list[i].id));
            json_object_set_new(o, "plugin", json_string(list[i].plugin));
            json_object_set_new(o, "kinds", kinds_json(list[i].info.kinds));
            json_object_set_new(o, "model", json_string(list[i].info.model));
            json_object_set_new(o, "vendor", json_string(list[i].info.vendor));
            json_object_set_new(o, "serial", json_string(list[i].info.serial));
            if (st == DX_OK) {
                const dxp_device_desc *d = dx_device_desc(dev);
                json_t *res = json_array(), *pf = json_array(), *op = json_array();
                for (size_t k = 0; k < dx_device_illumination_count(dev); k++) {
                    const dx_illumination *x = dx_device_illumination_at(dev, k);
                    json_t *j = json_object(), *band = json_array();
                    json_object_set_new(j, "name", json_string(x->name));
                    json_array_append_new(band, json_integer(x->band_lo_nm));
                    json_array_append_new(band, json_integer(x->band_hi_nm));
                    json_object_set_new(j, "band_nm", band);
                    json_object_set_new(j, "geometry", json_string(dx_geometry_name(x->geometry)));
                    json_object_set_new(j, "standard", json_boolean(x->standard));
                    json_array_append_new(il, j);
                }
                for (uint32_t k = 0; k < d->n_resolutions; k++)
                    json_array_append_new(res, json_integer(d->resolutions_dpi[k]));
                for (uint32_t k = 0; k < d->n_pixel_formats; k++)
                    json_array_append_new(pf, json_string(pixfmt_name(d->pixel_formats[k])));
                for (uint32_t k = 0; k < d->n_options; k++)
                    json_array_append_new(op, option_json(&d->options[k]));
                json_object_set_new(o, "illuminations", il);
                json_object_set_new(o, "resolutions_dpi", res);
                json_object_set_new(o, "pixel_formats", pf);
                json_object_set_new(o, "options", op);
            } else {
                json_decref(il);
                json_object_set_new(o, "error", json_string(oerr.message));
            }
            json_array_append_new(arr, o);
        } else {
            printf("%s  [%s] %s (%s, serial %s)\n", list[i].id, kinds, list[i].info.model,
                   list[i].info.vendor, *list[i].info.serial ? list[i].info.serial : "unknown");
            if (st == DX_OK) {
                if (dx_device_illumination_count(dev)) {
                    printf("    illuminations:");
                    for (size_t k = 0; k < dx_device_illumination_count(dev); k++)
                        printf(" %s", dx_device_illumination_at(dev, k)->name);
                    printf("\n");
                }
            } else {
                printf("    cannot open: %s\n", oerr.message);
            }
        }
        dx_device_free(dev);
    }
    free(list);
    if (json) {
        json_object_set_new(root, "devices", arr);
        return print_json(root) == 0 ? DX_EXIT_OK : DX_EXIT_ERROR;
    }
    return DX_EXIT_OK;
}

static void capture_progress(const char *illum, const char *file, dx_status st, const char *msg,
                             void *user)
{
    const char *dir = user;
    if (st == DX_OK)
        printf("captured %-18s %s/%s  sha256 %s\n", illum, dir, file, msg);
    else
        printf("FAILED   %-18s %s: %s\n", illum, dx_status_name(st), msg);
    fflush(stdout);
}

static volatile sig_atomic_t capture_interrupted;

static void on_interrupt(int sig)
{
    capture_interrupted = 1;
    signal(sig, SIG_DFL); /* a second signal ends the process at once */
}

static const char capture_help[] =
    "usage: docex capture --device ID --illum LIST|all --out DIR\n"
    "                     [--settings NAME=VALUE,...] [--png-level 0-9] [--timeout S]\n"
    "Captures one lossless PNG per illumination (16-bit stays 16-bit) through a\n"
    "GStreamer pipeline, and DIR/capture.json with every file's SHA-256.\n"
    "  --device ID       e.g. sim:0 (see docex devices)\n"
    "  --illum LIST      comma separated illuminations, or all that the device offers\n"
    "  --out DIR         a new directory (an existing capture set is never overwritten)\n"
    "  --settings S      device options, e.g. delay_ms=100,noise=2 (see docex devices --json)\n"
    "  --png-level N     zlib level for the PNG files (default 1)\n"
    "  --timeout S       seconds one illumination may take (default 600)\n"
    "Exit status 0 when every illumination was captured, 2 otherwise; capture.json\n"
    "then lists what was captured and what failed, and why.  An interrupt (Ctrl-C,\n"
    "SIGTERM) cancels the running capture and still finishes capture.json.\n";

int dx_cmd_capture(const dx_cli_globals *g, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"device", required_argument, NULL, 'd'}, {"illum", required_argument, NULL, 'i'},
        {"out", required_argument, NULL, 'o'},    {"settings", required_argument, NULL, 's'},
        {"png-level", required_argument, NULL, 'z'}, {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *device = NULL, *illum = NULL, *out = NULL, *settings = NULL;
    int level = -1, c, rc;
    long timeout_s = 0;
    bool had_manifest;
    char manifest[4096];
    char *illum_copy = NULL, *save = NULL;
    const char **list = NULL;
    size_t n = 0;
    dx_host *host;
    dx_error err = {0};
    dx_status st;
    dx_capture_options opts;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': device = optarg; break;
        case 'i': illum = optarg; break;
        case 'o': out = optarg; break;
        case 's': settings = optarg; break;
        case 'z': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 0 || v > 9) {
                dx_cli_error("capture", "--png-level %s: expected 0..9", optarg);
                return DX_EXIT_ERROR;
            }
            level = (int)v;
            break;
        }
        case 't': {
            char *end;
            timeout_s = strtol(optarg, &end, 10);
            if (*end || timeout_s < 1 || timeout_s > 86400) {
                dx_cli_error("capture", "--timeout %s: expected 1..86400 seconds", optarg);
                return DX_EXIT_ERROR;
            }
            break;
        }
        case 'h': fputs(capture_help, stdout); return DX_EXIT_OK;
        default:
            dx_cli_error("capture", "bad option %s (see docex capture --help)",
                         argv[optind - 1]);
            return DX_EXIT_ERROR;
        }
    }
    if (optind < argc) {
        dx_cli_error("capture", "unexpected argument \"%s\"", argv[optind]);
        return DX_EXIT_ERROR;
    }
    if (!device || !illum || !out) {
        dx_cli_error("capture", "--device, --illum and --out are required (see docex capture "
                     "--help)");
        return DX_EXIT_ERROR;
    }
    if (!(host = dx_cli_host(g)))
        return DX_EXIT_ERROR;
    illum_copy = strdup(illum);
    list = calloc(strlen(illum) + 2, sizeof *list);
    if (!illum_copy || !list) {
        rc = DX_EXIT_ERROR;
        goto done;
    }
    for (char *t = strtok_r(illum_copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (*t)
            list[n++] = t;
    if (n == 0) {
        dx_cli_error("capture", "--illum gives no illumination");
        rc = DX_EXIT_ERROR;
        goto done;
    }
    opts = (dx_capture_options){.device = device,
                                .illuminations = (const char *const *)list,
                                .out_dir = out,
                                .device_settings = settings,
                                .png_compression = level,
                                .timeout_ms = (int64_t)timeout_s * 1000,
                                .interrupt = &capture_interrupted};
    snprintf(manifest, sizeof manifest, "%s/capture.json", out);
    had_manifest = access(manifest, F_OK) == 0;
    {
        /* Ctrl-C or a TERM: finish the manifest (what was captured, what was
         * not) instead of dying mid-write */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_interrupt;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }
    st = dx_capture_set_write(host, &opts, capture_progress, (void *)out, &err);
    if (st != DX_OK) {
        dx_cli_error("capture", "%s", err.message);
        rc = DX_EXIT_ERROR;
    } else {
        rc = DX_EXIT_OK;
    }
    /* name the manifest only when this run wrote it */
    if (!had_manifest && access(manifest, F_OK) == 0)
        printf("capture set: %s\n", manifest);
done:
    free(list);
    free(illum_copy);
    return rc;
}
