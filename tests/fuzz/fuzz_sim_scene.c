/* Fuzz target: the sim plugin's scene loader (scene.json) and PNG decoder,
 * through the vendor ABI only, as the host drives them.
 *
 * Input layout:
 *   byte 0      flags (below)
 *   bytes 1..2  length L of the scene.json part, big-endian (clamped)
 *   L bytes     scene.json
 *   the rest    one PNG file
 * An input shorter than 3 bytes is all scene.json, with no PNG.
 *
 * The parts are written into a private temporary scene directory as
 * scene.json and white.png (flags: also as ir870.png and as acme.png, a vendor
 * light a scene.json may declare), the built sim.so is dlopened once and
 * initialised with a test host whose "sim.scene" is that directory, and then
 * device "0" is opened, described, and every illumination it offers is asked
 * for its frame format and captured into a buffer of exactly stride*height
 * bytes (and once into one byte less, which must be refused), then closed.
 * The plugin must not crash, leak, hang, over-read or over-write, and must keep
 * the promises of plugin.h about formats and statuses.
 *
 * sim.so: $DOCEX_FUZZ_SIM_PLUGIN, else the build's (compile definition
 * DOCEX_SIM_PLUGIN), else $DOCEX_BUILD/lib/docex/1/sim.so. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "docex/plugin.h"
#include "fuzz.h"

enum {
    F_IR870 = 0x01,    /* the PNG is also ir870.png */
    F_VENDOR = 0x02,   /* the PNG is also acme.png */
    F_NO_WHITE = 0x04, /* no white.png */
    F_ROTATE = 0x08,   /* rotation_deg=7.5, shift_x_mm=0.35 (resampling path) */
    F_NOISE = 0x10,    /* noise=3 */
    F_SHIFT = 0x20,    /* shift_y_mm=-25.4: a whole-pixel shift at any dpi */
    F_TWICE = 0x40     /* capture each light twice (decoded pixels reused) */
};

/* Largest frame the plugin may describe (sim.h: SIM_MAX_PIXELS). */
#define MAX_FRAME_PIXELS 100000000u

/* ---- test host ----------------------------------------------------------- */

struct dxp_host_ctx {
    char scene[512];
    int verbose;
};

static void th_log(dxp_host_ctx *ctx, dxp_log_level level, const char *message)
{
    FUZZ_ASSERT(message != NULL, "NULL log message");
    FUZZ_ASSERT(level >= DXP_LOG_ERROR && level <= DXP_LOG_TRACE, "log level %d", (int)level);
    if (ctx->verbose)
        fprintf(stderr, "  [sim %d] %s\n", (int)level, message);
}

static int th_log_enabled(dxp_host_ctx *ctx, dxp_log_level level)
{
    (void)ctx;
    (void)level;
    return 1; /* every level: the formatting of every log line runs too */
}

static dx_status th_get_setting(dxp_host_ctx *ctx, const char *key, char *buf, size_t size)
{
    const char *v = NULL;
    if (!strcmp(key, "sim.scene"))
        v = ctx->scene;
    else if (!strcmp(key, "docex.version"))
        v = "0.0.0-fuzz";
    if (!v)
        return DX_ERR_NOT_FOUND;
    if (strlen(v) >= size)
        return DX_ERR_INVALID_ARG;
    memcpy(buf, v, strlen(v) + 1);
    return DX_OK;
}

static dxp_host_ctx hctx;
static dxp_host host = {DXP_ABI_MAJOR, DXP_ABI_MINOR, sizeof(dxp_host), 0, &hctx,
                        th_log, th_log_enabled, th_get_setting, {0}};
static void *dl;
static const dxp_plugin *P;
static dxp_plugin_ctx *pctx;

static const char *const scene_files[] = {"scene.json", "white.png", "ir870.png", "acme.png"};

static void cleanup(void)
{
    char path[600];
    if (P && pctx)
        P->fini(pctx);
    pctx = NULL;
    if (hctx.scene[0]) {
        for (size_t i = 0; i < sizeof scene_files / sizeof scene_files[0]; i++) {
            snprintf(path, sizeof path, "%s/%s", hctx.scene, scene_files[i]);
            unlink(path);
        }
        rmdir(hctx.scene);
        hctx.scene[0] = '\0';
    }
    /* dl stays loaded: LeakSanitizer symbolises through it at exit */
}

static const char *plugin_path(char *buf, size_t size)
{
    const char *env = getenv("DOCEX_FUZZ_SIM_PLUGIN");
    const char *build = getenv("DOCEX_BUILD");
    if (env && *env)
        return env;
#ifdef DOCEX_SIM_PLUGIN
    if (access(DOCEX_SIM_PLUGIN, R_OK) == 0)
        return DOCEX_SIM_PLUGIN;
#endif
    if (build && *build) {
        snprintf(buf, size, "%s/lib/docex/1/sim.so", build);
        return buf;
    }
    return "lib/docex/1/sim.so";
}

static void setup(void)
{
    char buf[1024];
    const char *so = plugin_path(buf, sizeof buf);
    const char *tmp = getenv("TMPDIR");
    dxp_entry_fn entry;

    hctx.verbose = getenv("FUZZ_VERBOSE") != NULL;
    snprintf(hctx.scene, sizeof hctx.scene, "%s/docex-fuzz-scene-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(hctx.scene)) {
        fprintf(stderr, "fuzz_sim_scene: mkdtemp %s: %s\n", hctx.scene, strerror(errno));
        exit(2);
    }
    atexit(cleanup);
    if (!(dl = dlopen(so, RTLD_NOW | RTLD_LOCAL))) {
        fprintf(stderr, "fuzz_sim_scene: cannot load %s: %s\n", so, dlerror());
        exit(2);
    }
    *(void **)&entry = dlsym(dl, DXP_ENTRY_SYMBOL);
    if (!entry || !(P = entry()) || P->abi_major != DXP_ABI_MAJOR || !P->scanner) {
        fprintf(stderr, "fuzz_sim_scene: %s is not the sim plugin\n", so);
        exit(2);
    }
    if (P->init(&host, &pctx) != DX_OK) {
        fprintf(stderr, "fuzz_sim_scene: sim init failed\n");
        exit(2);
    }
}

/* dlopen sim.so before libFuzzer starts counting, so its coverage counts
 * from the first input on. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!P)
        setup();
    return 0;
}

/* ---- one input ------------------------------------------------------------- */

static void put_file(const char *name, const uint8_t *data, size_t size, int present)
{
    char path[600];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", hctx.scene, name);
    if (!present) {
        FUZZ_ASSERT(unlink(path) == 0 || errno == ENOENT, "unlink %s: %s", path, strerror(errno));
        return;
    }
    f = fopen(path, "wb");
    FUZZ_ASSERT(f != NULL, "cannot write %s: %s", path, strerror(errno));
    FUZZ_ASSERT(fwrite(data, 1, size, f) == size || size == 0, "short write to %s", path);
    FUZZ_ASSERT(fclose(f) == 0, "cannot close %s", path);
}

static void set_float(dxp_device *dev, const char *name, double f)
{
    dxp_value v;
    memset(&v, 0, sizeof v);
    v.type = DXP_OPT_FLOAT;
    v.f = f;
    FUZZ_ASSERT(P->set_option(dev, name, &v) == DX_OK, "set_option %s", name);
}

static int capture_ok(dx_status st)
{
    /* what a capture of a scene that opened may say: its PNG data can still be
     * corrupt (DX_ERR_DATA) or vanish (DX_ERR_IO) */
    return st == DX_OK || st == DX_ERR_DATA || st == DX_ERR_IO || st == DX_ERR_NO_MEMORY;
}

static void capture_all(dxp_device *dev, const dxp_device_desc *d, unsigned flags)
{
    for (uint32_t i = 0; i < d->n_illuminations; i++) {
        const char *name = d->illuminations[i].name;
        dxp_frame_format fmt;
        dxp_frame_meta meta;
        uint32_t bpp;
        size_t size;
        uint8_t *buf;
        dx_status st;

        FUZZ_ASSERT(name && *name && strlen(name) < DX_ILLUM_NAME_MAX, "illumination name");
        FUZZ_ASSERT(d->illuminations[i].band_lo_nm <= d->illuminations[i].band_hi_nm,
                    "%s: band", name);
        st = P->scanner->get_frame_format(dev, name, &fmt);
        FUZZ_ASSERT(st == DX_OK, "%s: get_frame_format: %d", name, (int)st);
        bpp = dxp_pixel_size(fmt.format);
        FUZZ_ASSERT(bpp != 0, "%s: pixel format %d", name, (int)fmt.format);
        FUZZ_ASSERT(fmt.width > 0 && fmt.height > 0, "%s: %ux%u", name, fmt.width, fmt.height);
        FUZZ_ASSERT((uint64_t)fmt.stride >= (uint64_t)fmt.width * bpp, "%s: stride %u", name,
                    fmt.stride);
        FUZZ_ASSERT((uint64_t)fmt.width * fmt.height <= MAX_FRAME_PIXELS,
                    "%s: a %ux%u frame accepted", name, fmt.width, fmt.height);
        size = (size_t)fmt.stride * fmt.height;

        buf = malloc(size);
        FUZZ_ASSERT(buf != NULL, "%s: cannot allocate %zu bytes", name, size);
        st = P->scanner->capture(dev, name, buf, size - 1, &meta);
        FUZZ_ASSERT(st == DX_ERR_INVALID_ARG, "%s: a too small buffer gave %d", name, (int)st);
        for (int k = 0; k < ((flags & F_TWICE) ? 2 : 1); k++) {
            st = P->scanner->capture(dev, name, buf, size, &meta);
            FUZZ_ASSERT(capture_ok(st), "%s: capture: %d (%s)", name, (int)st,
                        dx_status_str(st));
        }
        free(buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned flags = 0;
    const uint8_t *json = data, *png = NULL;
    size_t json_len = size, png_len = 0;
    dxp_device *dev = NULL;
    dxp_device_desc desc;
    dx_status st;

    if (!P)
        setup();
    if (size >= 3) {
        flags = data[0];
        json_len = (size_t)data[1] << 8 | data[2];
        if (json_len > size - 3)
            json_len = size - 3;
        json = data + 3;
        png = json + json_len;
        png_len = size - 3 - json_len;
    }
    put_file("scene.json", json, json_len, 1);
    put_file("white.png", png, png_len, png && !(flags & F_NO_WHITE));
    put_file("ir870.png", png, png_len, png && (flags & F_IR870));
    put_file("acme.png", png, png_len, png && (flags & F_VENDOR));

    st = P->open(pctx, "0", &dev);
    if (st != DX_OK) {
        FUZZ_ASSERT(!dev && (st == DX_ERR_DATA || st == DX_ERR_NOT_FOUND || st == DX_ERR_IO ||
                             st == DX_ERR_NO_MEMORY),
                    "open: %d (%s)", (int)st, dx_status_str(st));
        return 0;
    }
    FUZZ_ASSERT(dev != NULL, "open gave no device");

    memset(&desc, 0, sizeof desc);
    desc.struct_size = sizeof desc;
    st = P->describe(dev, &desc);
    FUZZ_ASSERT(st == DX_OK, "describe: %d", (int)st);
    FUZZ_ASSERT(desc.n_illuminations > 0 && desc.illuminations, "no illuminations");
    FUZZ_ASSERT(desc.n_pixel_formats >= 1 && desc.n_pixel_formats <= 3 && desc.pixel_formats,
                "%u pixel formats", desc.n_pixel_formats);
    FUZZ_ASSERT(desc.n_resolutions == 1 && desc.resolutions_dpi[0] >= 50 &&
                desc.resolutions_dpi[0] <= 4800, "resolution");

    if (flags & F_ROTATE) {
        set_float(dev, "rotation_deg", 7.5);
        set_float(dev, "shift_x_mm", 0.35);
    }
    if (flags & F_SHIFT)
        set_float(dev, "shift_y_mm", -25.4);
    if (flags & F_NOISE)
        set_float(dev, "noise", 3.0);
    capture_all(dev, &desc, flags);
    P->close(dev);
    return 0;
}
