/* Unit tests of the sim plugin (plugins/sim) through the vendor ABI only:
 * dlopen the built sim.so, call dxp_plugin_entry and drive it with a test host
 * whose settings point at scenes this test writes itself.
 *
 *   test-sim_plugin                  all tests on generated scenes
 *   test-sim_plugin --default-scene  open share/scenes/default, capture all */
#include <dlfcn.h>
#include <png.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

#include "docex/plugin.h"
#include "dxtest.h"

#ifndef DOCEX_SIM_PLUGIN
#define DOCEX_SIM_PLUGIN "lib/docex/1/sim.so"
#endif

/* ---- test host ---------------------------------------------------------- */

struct dxp_host_ctx {
    char scene[1024];
    char datadir[1024];
    char devices[16];
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
    if (getenv("SIM_TEST_VERBOSE") || level <= DXP_LOG_WARNING)
        fprintf(stderr, "  [sim %d] %s\n", (int)level, message);
}

static int th_log_enabled(dxp_host_ctx *ctx, dxp_log_level level)
{
    return 1;
}

static dx_status th_get_setting(dxp_host_ctx *ctx, const char *key, char *buf, size_t size)
{
    const char *v = NULL;
    if (!strcmp(key, "sim.scene"))
        v = ctx->scene;
    else if (!strcmp(key, "docex.datadir"))
        v = ctx->datadir;
    else if (!strcmp(key, "sim.devices"))
        v = ctx->devices;
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

/* ---- scene writing --------------------------------------------------------- */

static char tmpdir[256];

static void write_png(const char *dir, const char *name, uint32_t w, uint32_t h, int color_type,
                      int depth, const uint8_t *data, const png_color *palette, int n_palette)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    FILE *fp = fopen(path, "wb");
    REQUIRE(fp);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    REQUIRE(png && info);
    if (setjmp(png_jmpbuf(png))) {
        fprintf(stderr, "libpng failed writing %s\n", path);
        exit(1);
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, w, h, depth, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (palette)
        png_set_PLTE(png, info, palette, n_palette);
    png_write_info(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    for (uint32_t y = 0; y < h; y++)
        png_write_row(png, (png_bytep)(data + rowbytes * y));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(fp);
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[1024];
    REQUIRE(snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path);
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    fputs(text, f);
    fclose(f);
}

#define W 40
#define H 30
#define DPI 254 /* 10 pixels per mm */

/* Expected pixel values of the generated test scene. */
static uint8_t rgb_at(uint32_t x, uint32_t y, int c)
{
    return (uint8_t)(c == 0 ? x * 5 + 3 : c == 1 ? y * 7 + 1 : (x * 3 + y * 11) & 0xff);
}
static uint16_t g16_at(uint32_t x, uint32_t y)
{
    return (uint16_t)(0x0102 + x * 1000 + y * 3);
}
static uint8_t g8_at(uint32_t x, uint32_t y)
{
    return (uint8_t)(x + y * 2 + 50);
}

static const char *SCENE_JSON =
    "{\"format\": \"docex.scene/1\", \"dpi\": 254, \"name\": \"test\",\n"
    " \"page_mm\": {\"width\": 4, \"height\": 3}, \"background\": [10, 20, 30],\n"
    " \"illuminations\": {\"acme_uv395\": {\"band_nm\": [390, 400], \"geometry\": \"oblique\",\n"
    "                     \"description\": \"ACME UV\"}},\n"
    " \"exposure_us\": {\"white\": 1234}, \"holder\": {\"future\": true}}\n";

static void make_scene(const char *dir)
{
    static uint8_t buf[W * H * 8];
    REQUIRE(mkdir(dir, 0700) == 0);
    write_text(dir, "scene.json", SCENE_JSON);
    /* white: RGB 8 */
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++)
            for (int c = 0; c < 3; c++)
                buf[(y * W + x) * 3 + c] = rgb_at(x, y, c);
    write_png(dir, "white", W, H, PNG_COLOR_TYPE_RGB, 8, buf, NULL, 0);
    /* ir870: grey 16 (big-endian in the file) */
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            buf[(y * W + x) * 2] = (uint8_t)(g16_at(x, y) >> 8);
            buf[(y * W + x) * 2 + 1] = (uint8_t)g16_at(x, y);
        }
    write_png(dir, "ir870", W, H, PNG_COLOR_TYPE_GRAY, 16, buf, NULL, 0);
    /* uv365: grey 8 */
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++)
            buf[y * W + x] = g8_at(x, y);
    write_png(dir, "uv365", W, H, PNG_COLOR_TYPE_GRAY, 8, buf, NULL, 0);
    /* acme_uv395 (vendor): grey + alpha 8 */
    for (uint32_t i = 0; i < W * H; i++) {
        buf[2 * i] = (uint8_t)(i * 7);
        buf[2 * i + 1] = 0x80;
    }
    write_png(dir, "acme_uv395", W, H, PNG_COLOR_TYPE_GRAY_ALPHA, 8, buf, NULL, 0);
    /* ir950: RGB 16, values k*257 so that any 16->8 reduction gives k */
    for (uint32_t i = 0; i < W * H * 3; i++) {
        uint16_t v = (uint16_t)((i % 251) * 257);
        buf[2 * i] = (uint8_t)(v >> 8);
        buf[2 * i + 1] = (uint8_t)v;
    }
    write_png(dir, "ir950", W, H, PNG_COLOR_TYPE_RGB, 16, buf, NULL, 0);
    /* uv313: grey 4 bit, packed two pixels a byte (W even) */
    memset(buf, 0, sizeof buf);
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++)
            buf[y * (W / 2) + x / 2] |= (uint8_t)(((x + y) & 15) << (x & 1 ? 0 : 4));
    write_png(dir, "uv313", W, H, PNG_COLOR_TYPE_GRAY, 4, buf, NULL, 0);
    /* oblique: RGBA 8 */
    for (uint32_t i = 0; i < W * H; i++) {
        buf[4 * i] = (uint8_t)i;
        buf[4 * i + 1] = 0x11;
        buf[4 * i + 2] = 0x22;
        buf[4 * i + 3] = 0;
    }
    write_png(dir, "oblique", W, H, PNG_COLOR_TYPE_RGB_ALPHA, 8, buf, NULL, 0);
    /* coaxial: palette */
    png_color pal[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {1, 2, 3}};
    for (uint32_t i = 0; i < W * H; i++)
        buf[i] = (uint8_t)(i & 3);
    write_png(dir, "coaxial", W, H, PNG_COLOR_TYPE_PALETTE, 8, buf, pal, 4);
    /* a PNG that is no illumination: ignored */
    write_png(dir, "stray", W, H, PNG_COLOR_TYPE_GRAY, 8, buf, NULL, 0);
}

static char *scene_path(const char *name)
{
    static char p[1024];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return p;
}

/* ---- helpers ------------------------------------------------------------- */

static dx_status open_dev(const char *scene, dxp_device **dev)
{
    snprintf(hctx.scene, sizeof hctx.scene, "%s", scene);
    *dev = NULL;
    return P->open(pctx, "0", dev);
}

static dx_status set_int(dxp_device *dev, const char *name, int64_t v, dxp_option_type t)
{
    dxp_value val;
    memset(&val, 0, sizeof val);
    val.type = t;
    val.i = v;
    return P->set_option(dev, name, &val);
}
#define SET_INT(d, n, v) set_int(d, n, v, DXP_OPT_INT)
#define SET_BOOL(d, n, v) set_int(d, n, v, DXP_OPT_BOOL)

static dx_status set_float(dxp_device *dev, const char *name, double v)
{
    dxp_value val;
    memset(&val, 0, sizeof val);
    val.type = DXP_OPT_FLOAT;
    val.f = v;
    return P->set_option(dev, name, &val);
}

static dx_status set_enum(dxp_device *dev, const char *name, const char *s)
{
    dxp_value val;
    memset(&val, 0, sizeof val);
    val.type = DXP_OPT_ENUM;
    snprintf(val.s, sizeof val.s, "%s", s);
    return P->set_option(dev, name, &val);
}

typedef struct frame {
    dxp_frame_format fmt;
    dxp_frame_meta meta;
    uint8_t *data;
    size_t size;
} frame;

static dx_status grab(dxp_device *dev, const char *illum, frame *f)
{
    dx_status st;
    memset(f, 0, sizeof *f);
    st = P->scanner->get_frame_format(dev, illum, &f->fmt);
    if (st != DX_OK)
        return st;
    f->size = (size_t)f->fmt.stride * f->fmt.height;
    f->data = malloc(f->size);
    REQUIRE(f->data);
    st = P->scanner->capture(dev, illum, f->data, f->size, &f->meta);
    return st;
}

static dx_status grab1(dxp_device *dev, const char *illum)
{
    frame f;
    dx_status st = grab(dev, illum, &f);
    free(f.data);
    return st;
}

#define CHECK_ST(expr, want)                                                              \
    do {                                                                                 \
        dx_status got_ = (expr);                                                         \
        CHECK_MSG(got_ == (want), "%s: got %s, want %s", #expr, dx_status_name(got_),    \
                  dx_status_name(want));                                                 \
    } while (0)

/* ---- tests ---------------------------------------------------------------- */

static void test_descriptor(void)
{
    CHECK(P->abi_major == DXP_ABI_MAJOR && P->abi_minor == DXP_ABI_MINOR);
    CHECK(P->struct_size == sizeof(dxp_plugin));
    CHECK_STR(P->name, "sim");
    CHECK_STR(P->version, "0.1.0");
    CHECK_STR(P->vendor, "docex project");
    CHECK_STR(P->license, "LGPL-2.1-or-later");
    CHECK(P->flags == 0);
    CHECK(P->scanner && !P->camera && P->chip && !P->light);
    CHECK(P->scanner->struct_size == sizeof(dxp_capture_ops));
    CHECK(P->chip->struct_size == sizeof(dxp_chip_ops));
}

static void test_enumerate(void)
{
    dxp_device_info info[4];
    uint32_t n = 99;
    CHECK_ST(P->enumerate(pctx, info, 4, &n), DX_OK);
    CHECK(n == 2); /* the scanner and the contactless reader chip0 */
    CHECK_STR(info[0].id, "0");
    CHECK(info[0].kinds == DXP_KIND_SCANNER);
    CHECK_STR(info[0].model, "docex simulated multispectral scanner");
    CHECK_STR(info[0].vendor, "docex");
    CHECK_STR(info[0].serial, "SIM-0001");
    CHECK_STR(info[1].id, "chip0");
    CHECK(info[1].kinds == DXP_KIND_CHIP_READER);
    CHECK_ST(P->enumerate(pctx, NULL, 0, &n), DX_OK);
    CHECK(n == 2);

    snprintf(hctx.devices, sizeof hctx.devices, "3");
    CHECK_ST(P->enumerate(pctx, info, 2, &n), DX_OK);
    CHECK(n == 4);
    CHECK_STR(info[1].id, "1");
    hctx.devices[0] = '\0';

    dxp_device *dev = NULL;
    snprintf(hctx.scene, sizeof hctx.scene, "%s", scene_path("good"));
    CHECK_ST(P->open(pctx, "1", &dev), DX_ERR_NOT_FOUND);
    CHECK_ST(P->open(pctx, "00", &dev), DX_ERR_NOT_FOUND);
    CHECK_ST(P->open(pctx, "0", &dev), DX_OK);
    dxp_device *dev2 = NULL;
    CHECK_ST(P->open(pctx, "0", &dev2), DX_ERR_BUSY);
    P->close(dev);
    CHECK_ST(P->open(pctx, "0", &dev), DX_OK);
    P->close(dev);
}

static void test_describe_and_formats(void)
{
    dxp_device *dev;
    dxp_device_desc d;
    static const char *const want[] = {"white", "uv313", "uv365", "ir870", "ir950",
                                       "oblique", "coaxial", "acme_uv395"};

    REQUIRE(open_dev(scene_path("good"), &dev) == DX_OK);
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    CHECK_ST(P->describe(dev, &d), DX_OK);
    CHECK(d.kinds == DXP_KIND_SCANNER);
    CHECK_MSG(d.n_illuminations == 8, "%u illuminations", d.n_illuminations);
    for (uint32_t i = 0; i < d.n_illuminations && i < 8; i++)
        CHECK_STR(d.illuminations[i].name, want[i]);
    if (d.n_illuminations == 8) {
        CHECK(d.illuminations[2].band_lo_nm == 360 && d.illuminations[2].band_hi_nm == 370);
        CHECK(d.illuminations[0].geometry == DX_GEOMETRY_REFLECTED);
        CHECK(d.illuminations[7].band_lo_nm == 390 && d.illuminations[7].band_hi_nm == 400);
        CHECK(d.illuminations[7].geometry == DX_GEOMETRY_OBLIQUE);
        CHECK_STR(d.illuminations[7].description, "ACME UV");
    }
    CHECK(d.n_resolutions == 1 && d.resolutions_dpi[0] == DPI);
    CHECK(d.n_pixel_formats == 3);
    if (d.n_pixel_formats == 3)
        CHECK(d.pixel_formats[0] == DXP_PIXEL_GRAY8 && d.pixel_formats[1] == DXP_PIXEL_GRAY16 &&
              d.pixel_formats[2] == DXP_PIXEL_RGB24);
    CHECK(d.n_options == 13);
    bool seen_delay = false;
    for (uint32_t i = 0; i < d.n_options; i++)
        if (!strcmp(d.options[i].name, "delay_ms"))
            seen_delay = d.options[i].type == DXP_OPT_INT && d.options[i].max_i == 600000;
    CHECK(seen_delay);

    /* a smaller (older) desc only gets what fits */
    dxp_device_desc small;
    memset(&small, 0xAB, sizeof small);
    small.struct_size = (uint32_t)offsetof(dxp_device_desc, n_illuminations);
    CHECK_ST(P->describe(dev, &small), DX_OK);
    CHECK(small.kinds == DXP_KIND_SCANNER);
    CHECK(small.n_illuminations == 0xABABABABu);

    static const struct {
        const char *illum;
        dxp_pixel_format fmt;
    } fm[] = {{"white", DXP_PIXEL_RGB24},  {"ir870", DXP_PIXEL_GRAY16},
              {"uv365", DXP_PIXEL_GRAY8},  {"acme_uv395", DXP_PIXEL_GRAY8},
              {"ir950", DXP_PIXEL_RGB24},  {"uv313", DXP_PIXEL_GRAY8},
              {"oblique", DXP_PIXEL_RGB24}, {"coaxial", DXP_PIXEL_RGB24}};
    for (size_t i = 0; i < sizeof fm / sizeof fm[0]; i++) {
        dxp_frame_format f;
        CHECK_ST(P->scanner->get_frame_format(dev, fm[i].illum, &f), DX_OK);
        CHECK_MSG(f.format == fm[i].fmt, "%s: format %d", fm[i].illum, (int)f.format);
        CHECK(f.width == W && f.height == H && f.dpi == DPI);
        CHECK(f.stride == W * dxp_pixel_size(fm[i].fmt));
    }
    dxp_frame_format f;
    CHECK_ST(P->scanner->get_frame_format(dev, "stray", &f), DX_ERR_INVALID_ARG);
    CHECK_ST(P->scanner->get_frame_format(dev, "uv254", &f), DX_ERR_INVALID_ARG);
    P->close(dev);
}

static void test_pixels(void)
{
    dxp_device *dev;
    frame f;
    bool ok;

    REQUIRE(open_dev(scene_path("good"), &dev) == DX_OK);
    for (int round = 0; round < 2; round++) { /* second round: from the cache */
        CHECK_ST(grab(dev, "white", &f), DX_OK);
        ok = true;
        for (uint32_t y = 0; y < H; y++)
            for (uint32_t x = 0; x < W; x++)
                for (int c = 0; c < 3; c++)
                    ok = ok && f.data[(y * W + x) * 3 + c] == rgb_at(x, y, c);
        CHECK_MSG(ok, "white pixels differ (round %d)", round);
        CHECK(f.meta.exposure_us == 1234);
        CHECK(f.meta.gain == 0.0);
        CHECK(f.meta.timestamp_us > (int64_t)1600000000 * 1000000);
        free(f.data);
    }

    CHECK_ST(grab(dev, "ir870", &f), DX_OK);
    ok = true;
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            uint16_t v = (uint16_t)(f.data[(y * W + x) * 2] | f.data[(y * W + x) * 2 + 1] << 8);
            ok = ok && v == g16_at(x, y);
        }
    CHECK_MSG(ok, "ir870: 16-bit pixels differ (endianness?) first=%02x%02x", f.data[0],
              f.data[1]);
    CHECK(f.meta.exposure_us == -1);
    free(f.data);

    CHECK_ST(grab(dev, "uv365", &f), DX_OK);
    ok = true;
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++)
            ok = ok && f.data[y * W + x] == g8_at(x, y);
    CHECK(ok);
    free(f.data);

    CHECK_ST(grab(dev, "ir950", &f), DX_OK);
    ok = true;
    for (uint32_t i = 0; i < W * H * 3; i++)
        ok = ok && f.data[i] == i % 251;
    CHECK_MSG(ok, "ir950: 16-bit RGB not reduced to 8 bit as expected");
    free(f.data);

    CHECK_ST(grab(dev, "uv313", &f), DX_OK);
    ok = true;
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++)
            ok = ok && f.data[y * W + x] == ((x + y) & 15) * 17;
    CHECK_MSG(ok, "uv313: 4-bit grey not expanded");
    free(f.data);

    CHECK_ST(grab(dev, "oblique", &f), DX_OK);
    ok = true;
    for (uint32_t i = 0; i < W * H; i++)
        ok = ok && f.data[3 * i] == (uint8_t)i && f.data[3 * i + 1] == 0x11 &&
             f.data[3 * i + 2] == 0x22;
    CHECK_MSG(ok, "oblique: alpha not stripped");
    free(f.data);

    CHECK_ST(grab(dev, "coaxial", &f), DX_OK);
    static const uint8_t pal[4][3] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {1, 2, 3}};
    ok = true;
    for (uint32_t i = 0; i < W * H; i++)
        ok = ok && !memcmp(f.data + 3 * i, pal[i & 3], 3);
    CHECK_MSG(ok, "coaxial: palette not expanded");
    free(f.data);

    CHECK_ST(grab(dev, "acme_uv395", &f), DX_OK);
    ok = true;
    for (uint32_t i = 0; i < W * H; i++)
        ok = ok && f.data[i] == (uint8_t)(i * 7);
    CHECK_MSG(ok, "acme_uv395: grey+alpha not stripped");
    free(f.data);

    /* bad arguments */
    uint8_t small[16];
    dxp_frame_meta m;
    CHECK_ST(P->scanner->capture(dev, "white", small, sizeof small, &m), DX_ERR_INVALID_ARG);
    CHECK_ST(P->scanner->capture(dev, "nope", small, sizeof small, &m), DX_ERR_INVALID_ARG);
    P->close(dev);
}

static void test_options(void)
{
    dxp_device *dev;
    dxp_value v;
    REQUIRE(open_dev(scene_path("good"), &dev) == DX_OK);
    CHECK_ST(P->get_option(dev, "delay_ms", &v), DX_OK);
    CHECK(v.type == DXP_OPT_INT && v.i == 0);
    CHECK_ST(P->get_option(dev, "seed", &v), DX_OK);
    CHECK(v.i == 1);
    CHECK_ST(P->get_option(dev, "fail_status", &v), DX_OK);
    CHECK(v.type == DXP_OPT_ENUM && !strcmp(v.s, "hardware"));
    CHECK_ST(P->get_option(dev, "no_document", &v), DX_OK);
    CHECK(v.type == DXP_OPT_BOOL && v.i == 0);
    CHECK_ST(P->get_option(dev, "nope", &v), DX_ERR_NOT_FOUND);
    CHECK_ST(SET_INT(dev, "nope", 1), DX_ERR_NOT_FOUND);
    CHECK_ST(SET_INT(dev, "delay_ms", 10), DX_OK);
    CHECK_ST(P->get_option(dev, "delay_ms", &v), DX_OK);
    CHECK(v.i == 10);
    CHECK_ST(set_float(dev, "delay_ms", 10), DX_ERR_INVALID_ARG); /* wrong type */
    CHECK_ST(set_enum(dev, "fail_status", "explode"), DX_ERR_INVALID_ARG);
    CHECK_ST(set_float(dev, "rotation_deg", 12.5), DX_OK);
    CHECK_ST(P->get_option(dev, "rotation_deg", &v), DX_OK);
    CHECK(v.type == DXP_OPT_FLOAT && v.f == 12.5);
    P->close(dev);
}

static void test_faults(void)
{
    dxp_device *dev;
    static const struct {
        const char *name;
        dx_status st;
    } fs[] = {{"hardware", DX_ERR_HARDWARE}, {"timeout", DX_ERR_TIMEOUT},
              {"busy", DX_ERR_BUSY}, {"io", DX_ERR_IO}};

    for (size_t k = 0; k < 4; k++) {
        REQUIRE(open_dev(scene_path("good"), &dev) == DX_OK);
        CHECK_ST(SET_INT(dev, "fail_at", 3), DX_OK);
        CHECK_ST(set_enum(dev, "fail_status", fs[k].name), DX_OK);
        CHECK_ST(grab1(dev, "white"), DX_OK);
        CHECK_ST(grab1(dev, "uv365"), DX_OK);
        CHECK_ST(grab1(dev, "white"), fs[k].st);
        CHECK_ST(grab1(dev, "white"), DX_OK);
        P->close(dev);
    }

    /* fail_at counts every capture, including the ones other faults failed */
    REQUIRE(open_dev(scene_path("good"), &dev) == DX_OK);
    CHECK_ST(SET_BOOL(dev, "busy", 1), DX_OK);
    CHECK_ST(grab1(dev, "white"), DX_ERR_BUSY);
    CHECK_ST(SET_BOOL(dev, "busy", 0), DX_OK);
    CHECK_ST(SET_INT(dev, "fail_at", 2), DX_OK);
    CHECK_ST(grab1(dev, "white"), DX_ERR_HARDWARE);
    CHECK_ST(SET_BOOL(dev, "no_document", 1), DX_OK);
    CHECK_ST(grab1(dev, "white"), DX_ERR_NO_DOCUMENT);
    CHECK_ST(grab1(dev, "ir870"), DX_ERR_NO_DOCUMENT);
    CHECK_ST(SET_BOOL(dev, "no_document", 0), DX_OK);
    CHECK_ST(SET_BOOL(dev, "cover_open", 1), DX_OK);
    CHECK_ST(grab1(dev, "white"), DX_ERR_COVER_OPEN);
    CHECK_ST(SET_BOOL(dev, "cover_open", 0), DX_OK);
    CHECK_ST(grab1(dev, "white"), DX_OK);
    P->close(dev);

    /* disconnect_at: that capture and every later call but close/cancel/describe */
    REQUIRE(open_dev(scene_path("good"), &dev) == DX_OK);
    CHECK_ST(SET_INT(dev, "disconnect_at", 2), DX_OK);
    CHECK_ST(SET_INT(dev, "delay_ms", 100), DX_OK);
    CHECK_ST(grab1(dev, "white"), DX_OK);
    frame f;
    CHECK_ST(grab(dev, "white", &f), DX_ERR_DISCONNECTED);
    CHECK_ST(P->scanner->capture(dev, "white", f.data, f.size, &f.meta), DX_ERR_DISCONNECTED);
    free(f.data);
    dxp_frame_format ff;
    dxp_value v;
    CHECK_ST(P->scanner->get_frame_format(dev, "white", &ff), DX_ERR_DISCONNECTED);
    CHECK_ST(SET_INT(dev, "delay_ms", 0), DX_ERR_DISCONNECTED);
    CHECK_ST(P->get_option(dev, "delay_ms", &v), DX_ERR_DISCONNECTED);
    dxp_device_desc d = {.struct_size = sizeof d};
    CHECK_ST(P->describe(dev, &d), DX_OK);
    CHECK_ST(P->scanner->cancel(dev), DX_OK);
    P->close(dev);
    /* a reopen gives a fresh device */
    REQUIRE(open_dev(scene_path("good"), &dev) == DX_OK);
    CHECK_ST(grab1(dev, "white"), DX_OK);
    P->close(dev);
}

typedef struct cancel_arg {
    dxp_device *dev;
    int after_ms;
} cancel_arg;

static void *cancel_thread(void *p)
{
    cancel_arg *a = p;
    struct timespec ts = {0, (long)a->after_ms * 1000000L};
    nanosleep(&ts, NULL);
    P->scanner->cancel(a->dev);
    return NULL;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_cancel(void)
{
    dxp_device *dev;
    pthread_t th;
    cancel_arg a;

    REQUIRE(open_dev(scene_path("good"), &dev) == DX_OK);
    CHECK_ST(P->scanner->cancel(dev), DX_OK); /* idle: no effect on the next capture */
    CHECK_ST(grab1(dev, "white"), DX_OK);

    CHECK_ST(SET_INT(dev, "delay_ms", 5000), DX_OK);
    a.dev = dev;
    a.after_ms = 100;
    REQUIRE(pthread_create(&th, NULL, cancel_thread, &a) == 0);
    double t0 = mono_s();
    CHECK_ST(grab1(dev, "white"), DX_ERR_CANCELLED);
    double dt = mono_s() - t0;
    pthread_join(th, NULL);
    CHECK_MSG(dt < 4.0, "cancel took %.2f s", dt);

    CHECK_ST(P->scanner->cancel(dev), DX_OK);
    CHECK_ST(SET_INT(dev, "delay_ms", 50), DX_OK);
    CHECK_ST(grab1(dev, "white"), DX_OK);
    P->close(dev);
}

static void test_noise(void)
{
    dxp_device *dev;
    frame clean, a, b, c;

    REQUIRE(open_dev(scene_path("good"), &dev) == DX_OK);
    CHECK_ST(grab(dev, "white", &clean), DX_OK);
    CHECK_ST(set_float(dev, "noise", 5.0), DX_OK);
    CHECK_ST(SET_INT(dev, "seed", 7), DX_OK);
    CHECK_ST(grab(dev, "white", &a), DX_OK);
    CHECK_ST(SET_INT(dev, "seed", 7), DX_OK);
    CHECK_ST(grab(dev, "white", &b), DX_OK);
    CHECK_ST(SET_INT(dev, "seed", 8), DX_OK);
    CHECK_ST(grab(dev, "white", &c), DX_OK);
    CHECK(memcmp(a.data, clean.data, a.size) != 0);
    CHECK_MSG(memcmp(a.data, b.data, a.size) == 0, "same seed, different bytes");
    CHECK_MSG(memcmp(a.data, c.data, a.size) != 0, "different seed, same bytes");
    /* roughly the right sigma */
    double sum = 0, sum2 = 0;
    size_t n = 0;
    for (size_t i = 0; i < a.size; i++) {
        if (clean.data[i] < 30 || clean.data[i] > 225)
            continue; /* clamped */
        double d = (double)a.data[i] - clean.data[i];
        sum += d;
        sum2 += d * d;
        n++;
    }
    double mean = sum / n, sd = n ? sqrt(sum2 / n - mean * mean) : 0;
    CHECK_MSG(sd > 4.0 && sd < 6.0 && mean > -1 && mean < 1, "noise sigma %.2f mean %.2f", sd,
              mean);
    free(clean.data);
    free(a.data);
    free(b.data);
    free(c.data);

    /* 16 bit: scaled by 257 */
    CHECK_ST(set_float(dev, "noise", 0.0), DX_OK);
    CHECK_ST(grab(dev, "ir870", &clean), DX_OK);
    CHECK_ST(set_float(dev, "noise", 2.0), DX_OK);
    CHECK_ST(grab(dev, "ir870", &a), DX_OK);
    sum2 = 0;
    for (size_t i = 0; i < W * H; i++) {
        double d = (double)(a.data[2 * i] | a.data[2 * i + 1] << 8) -
                   (clean.data[2 * i] | clean.data[2 * i + 1] << 8);
        sum2 += d * d;
    }
    sd = sqrt(sum2 / (W * H));
    CHECK_MSG(sd > 2.0 * 257 * 0.8 && sd < 2.0 * 257 * 1.2, "16-bit noise sigma %.1f", sd);
    free(clean.data);
    free(a.data);
    P->close(dev);
}

static void test_placement(void)
{
    dxp_device *dev;
    frame f;
    bool ok, bg_ok;
    const int dx = 10, dy = 5; /* 1 mm and 0.5 mm at 254 dpi */

    REQUIRE(open_dev(scene_path("good"), &dev) == DX_OK);
    CHECK_ST(set_float(dev, "shift_x_mm", 1.0), DX_OK);
    CHECK_ST(set_float(dev, "shift_y_mm", 0.5), DX_OK);
    CHECK_ST(grab(dev, "white", &f), DX_OK);
    ok = bg_ok = true;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const uint8_t *p = f.data + (y * W + x) * 3;
            if (x >= dx && y >= dy)
                for (int c = 0; c < 3; c++)
                    ok = ok && p[c] == rgb_at((uint32_t)(x - dx), (uint32_t)(y - dy), c);
            else
                bg_ok = bg_ok && p[0] == 10 && p[1] == 20 && p[2] == 30;
        }
    CHECK_MSG(ok, "shifted white: marker not moved by (10, 5) px");
    CHECK_MSG(bg_ok, "shifted white: exposed glass not the background colour");
    free(f.data);

    CHECK_ST(grab(dev, "ir870", &f), DX_OK);
    ok = true;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint16_t v = (uint16_t)(f.data[(y * W + x) * 2] | f.data[(y * W + x) * 2 + 1] << 8);
            if (x >= dx && y >= dy)
                ok = ok && v == g16_at((uint32_t)(x - dx), (uint32_t)(y - dy));
            else
                ok = ok && v == 18 * 257; /* luma of (10, 20, 30) */
        }
    CHECK_MSG(ok, "shifted ir870 wrong");
    free(f.data);

    /* negative shift, grey 8 */
    CHECK_ST(set_float(dev, "shift_x_mm", -0.3), DX_OK);
    CHECK_ST(set_float(dev, "shift_y_mm", 0.0), DX_OK);
    CHECK_ST(grab(dev, "uv365", &f), DX_OK);
    ok = true;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            ok = ok && f.data[y * W + x] == (x + 3 < W ? g8_at((uint32_t)(x + 3), (uint32_t)y) : 18);
    CHECK_MSG(ok, "uv365 shifted by -3 px wrong");
    free(f.data);

    /* rotation by 180 degrees maps (x, y) to (W-1-x, H-1-y) */
    CHECK_ST(set_float(dev, "shift_x_mm", 0.0), DX_OK);
    CHECK_ST(set_float(dev, "rotation_deg", 180.0), DX_OK);
    CHECK_ST(grab(dev, "white", &f), DX_OK);
    ok = true;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++)
                ok = ok && f.data[((H - 1 - y) * W + (W - 1 - x)) * 3 + c] ==
                               rgb_at((uint32_t)x, (uint32_t)y, c);
    CHECK_MSG(ok, "rotation 180: not mirrored through the centre");
    free(f.data);
    CHECK_ST(set_float(dev, "rotation_deg", -180.0), DX_OK);
    CHECK_ST(grab(dev, "ir870", &f), DX_OK);
    ok = true;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int o = ((H - 1 - y) * W + (W - 1 - x)) * 2;
            ok = ok && (uint16_t)(f.data[o] | f.data[o + 1] << 8) == g16_at((uint32_t)x, (uint32_t)y);
        }
    CHECK_MSG(ok, "rotation -180 on 16 bit wrong");
    free(f.data);
    /* a small rotation exposes glass in the corners, keeps the size */
    CHECK_ST(set_float(dev, "rotation_deg", 10.0), DX_OK);
    CHECK_ST(grab(dev, "white", &f), DX_OK);
    CHECK(f.data[0] == 10 && f.data[1] == 20 && f.data[2] == 30);
    free(f.data);
    P->close(dev);
}

/* A two-sided scene: the good scene, and a back/ whose white is its negative
 * and which has uv365 only besides. */
static void make_two_sided(const char *dir)
{
    static uint8_t buf[W * H * 3];
    char back[1100];
    make_scene(dir);
    snprintf(back, sizeof back, "%s/back", dir);
    REQUIRE(mkdir(back, 0700) == 0);
    write_text(back, "scene.json", "{\"format\": \"docex.scene/1\", \"dpi\": 254, \"name\": \"back\",\n"
                                   " \"page_mm\": {\"width\": 4, \"height\": 3}}\n");
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++)
            for (int c = 0; c < 3; c++)
                buf[(y * W + x) * 3 + c] = (uint8_t)(255 - rgb_at(x, y, c));
    write_png(back, "white", W, H, PNG_COLOR_TYPE_RGB, 8, buf, NULL, 0);
    write_png(back, "uv365", W, H, PNG_COLOR_TYPE_GRAY, 8, buf, NULL, 0);
}

/* Which side a white capture shows: 0 front, 1 back, -1 neither / failed. */
static int white_side(dxp_device *dev)
{
    frame f;
    int side = -1;
    if (grab(dev, "white", &f) == DX_OK) {
        bool front = true, back = true;
        for (uint32_t y = 0; y < H; y++)
            for (uint32_t x = 0; x < W; x++)
                for (int c = 0; c < 3; c++) {
                    uint8_t v = f.data[(y * W + x) * 3 + c];
                    front = front && v == rgb_at(x, y, c);
                    back = back && v == 255 - rgb_at(x, y, c);
                }
        side = front ? 0 : back ? 1 : -1;
    }
    free(f.data);
    return side;
}

static void test_turn(void)
{
    dxp_device *dev;
    dxp_value v;
    dxp_frame_format f;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", scene_path("two_sided"));
    make_two_sided(dir);

    /* turn=on_repeat (default): a light captured again shows the other side */
    REQUIRE(open_dev(dir, &dev) == DX_OK);
    CHECK_ST(P->get_option(dev, "turn", &v), DX_OK);
    CHECK(v.type == DXP_OPT_ENUM && !strcmp(v.s, "on_repeat"));
    CHECK_ST(set_enum(dev, "turn", "sometimes"), DX_ERR_INVALID_ARG);
    CHECK_MSG(white_side(dev) == 0, "first white: not the front");
    CHECK_ST(grab1(dev, "uv365"), DX_OK);
    CHECK_ST(grab1(dev, "ir870"), DX_OK); /* still the front: its first ir870 */
    /* the next white is the back's: the format says so before the capture */
    CHECK_ST(P->scanner->get_frame_format(dev, "white", &f), DX_OK);
    CHECK_MSG(white_side(dev) == 1, "white again: not the back");
    CHECK_ST(grab1(dev, "uv365"), DX_OK);                        /* the back's */
    /* ir870 was captured on the front, not since the turn: the back's, and
     * the back has none: an error that names it */
    CHECK_ST(grab1(dev, "ir870"), DX_ERR_DATA);
    P->close(dev);
    CHECK_MSG(strstr(hctx.last_error, "back has no ir870.png"), "last error: %s", hctx.last_error);

    /* the document stays on the glass while the device is closed */
    REQUIRE(open_dev(dir, &dev) == DX_OK);
    CHECK_MSG(white_side(dev) == 0, "white after reopening: the back was up, white seen: front");
    CHECK_MSG(white_side(dev) == 1, "and back again");
    P->close(dev);

    /* another scene on the glass, then this one again: the front is up */
    REQUIRE(open_dev(scene_path("good"), &dev) == DX_OK);
    CHECK_ST(grab1(dev, "white"), DX_OK);
    CHECK_ST(grab1(dev, "white"), DX_OK); /* one-sided: nothing to turn */
    P->close(dev);
    REQUIRE(open_dev(dir, &dev) == DX_OK);
    CHECK_MSG(white_side(dev) == 0, "a new document: the front first");

    /* turn=never: the front stays up */
    CHECK_ST(set_enum(dev, "turn", "never"), DX_OK);
    CHECK_MSG(white_side(dev) == 0 && white_side(dev) == 0, "turn=never turned the document");
    P->close(dev);
}

static void test_bad_scenes(void)
{
    dxp_device *dev;
    char dir[1024];
    int errors;

    /* missing directory / manifest */
    errors = hctx.n_errors;
    CHECK_ST(open_dev(scene_path("does-not-exist"), &dev), DX_ERR_NOT_FOUND);
    CHECK(dev == NULL);
    CHECK(hctx.n_errors == errors + 1);
    CHECK(strstr(hctx.last_error, "does-not-exist") != NULL);
    snprintf(dir, sizeof dir, "%s", scene_path("no-manifest"));
    REQUIRE(mkdir(dir, 0700) == 0);
    CHECK_ST(open_dev(dir, &dev), DX_ERR_NOT_FOUND);
    CHECK(strstr(hctx.last_error, "scene.json") != NULL);

    /* no sim.scene: <docex.datadir>/scenes/default */
    hctx.scene[0] = '\0';
    snprintf(hctx.datadir, sizeof hctx.datadir, "%s", scene_path("datadir"));
    CHECK_ST(P->open(pctx, "0", &dev), DX_ERR_NOT_FOUND);
    CHECK(strstr(hctx.last_error, "datadir/scenes/default") != NULL);
    hctx.datadir[0] = '\0';
    CHECK_ST(P->open(pctx, "0", &dev), DX_ERR_NOT_FOUND);

    /* malformed manifests */
    static const char *const bad[] = {
        "{ \"dpi\": ",
        "[1, 2]",
        "{\"format\": \"docex.scene/1\"}",
        "{\"dpi\": 10}",
        "{\"dpi\": \"300\"}",
        "{\"format\": \"docex.scene/9\", \"dpi\": 300}",
        "{\"dpi\": 300, \"background\": [1, 2]}",
        "{\"dpi\": 300, \"background\": [1, 2, 300]}",
        "{\"dpi\": 300, \"illuminations\": {\"acme\": {\"band_nm\": [400], \"geometry\": \"oblique\"}}}",
        "{\"dpi\": 300, \"illuminations\": {\"acme\": {\"band_nm\": [400, 410], \"geometry\": \"sideways\"}}}",
        "{\"dpi\": 300, \"illuminations\": {\"Bad Name\": {\"band_nm\": [400, 410], \"geometry\": \"oblique\"}}}",
        "{\"dpi\": 300, \"exposure_us\": {\"white\": -5}}",
        "{\"dpi\": 300, \"dpi\": 200}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(dir, sizeof dir, "%s/bad%zu", tmpdir, i);
        REQUIRE(mkdir(dir, 0700) == 0);
        write_text(dir, "scene.json", bad[i]);
        uint8_t px[4] = {1, 2, 3, 4};
        write_png(dir, "white", 2, 2, PNG_COLOR_TYPE_GRAY, 8, px, NULL, 0);
        errors = hctx.n_errors;
        CHECK_MSG(open_dev(dir, &dev) == DX_ERR_DATA, "manifest %zu: %s", i, bad[i]);
        CHECK(hctx.n_errors == errors + 1 && strstr(hctx.last_error, "scene.json"));
    }

    /* manifest fine, no images */
    snprintf(dir, sizeof dir, "%s", scene_path("no-images"));
    REQUIRE(mkdir(dir, 0700) == 0);
    write_text(dir, "scene.json", "{\"dpi\": 300}");
    CHECK_ST(open_dev(dir, &dev), DX_ERR_NOT_FOUND);

    /* a PNG that is not one: open fails with DX_ERR_DATA naming the file */
    snprintf(dir, sizeof dir, "%s", scene_path("garbage"));
    REQUIRE(mkdir(dir, 0700) == 0);
    write_text(dir, "scene.json", "{\"dpi\": 300}");
    write_text(dir, "ir730.png", "\x89PNG\r\n\x1a\nthis is not a PNG at all, just text");
    CHECK_ST(open_dev(dir, &dev), DX_ERR_DATA);
    CHECK(strstr(hctx.last_error, "ir730.png") != NULL);
    write_text(dir, "ir730.png", "GIF89a");
    CHECK_ST(open_dev(dir, &dev), DX_ERR_DATA);

    /* truncated PNG: header fine, capture fails with DX_ERR_DATA */
    snprintf(dir, sizeof dir, "%s", scene_path("truncated"));
    REQUIRE(mkdir(dir, 0700) == 0);
    write_text(dir, "scene.json", "{\"dpi\": 300}");
    {
        static uint8_t px[64 * 64 * 3];
        for (size_t i = 0; i < sizeof px; i++)
            px[i] = (uint8_t)(i * 2654435761u >> 24);
        write_png(dir, "white", 64, 64, PNG_COLOR_TYPE_RGB, 8, px, NULL, 0);
        char path[1100];
        snprintf(path, sizeof path, "%s/white.png", dir);
        struct stat st;
        REQUIRE(stat(path, &st) == 0);
        REQUIRE(truncate(path, st.st_size / 2) == 0);
    }
    REQUIRE(open_dev(dir, &dev) == DX_OK);
    errors = hctx.n_errors;
    CHECK_ST(grab1(dev, "white"), DX_ERR_DATA);
    CHECK(hctx.n_errors == errors + 1 && strstr(hctx.last_error, "white.png"));
    CHECK_ST(grab1(dev, "white"), DX_ERR_DATA); /* again, and still no crash */
    P->close(dev);
}

static int run_default_scene(void)
{
    static const struct {
        const char *name;
        dxp_pixel_format fmt;
    } want[] = {{"white", DXP_PIXEL_RGB24},  {"uv254", DXP_PIXEL_RGB24},
                {"uv313", DXP_PIXEL_RGB24},  {"uv365", DXP_PIXEL_RGB24},
                {"ir730", DXP_PIXEL_GRAY16}, {"ir870", DXP_PIXEL_GRAY16},
                {"ir950", DXP_PIXEL_GRAY16}, {"white_transmitted", DXP_PIXEL_RGB24},
                {"ir_transmitted", DXP_PIXEL_GRAY16}, {"oblique", DXP_PIXEL_RGB24},
                {"coaxial", DXP_PIXEL_RGB24}};
    dxp_device *dev;
    dxp_device_desc d = {.struct_size = sizeof d};
    char datadir[1024];

    /* via docex.datadir: <datadir>/scenes/default */
    snprintf(datadir, sizeof datadir, "%s", DOCEX_DEFAULT_SCENE);
    char *cut = strstr(datadir, "/scenes/default");
    REQUIRE(cut);
    *cut = '\0';
    hctx.scene[0] = '\0';
    snprintf(hctx.datadir, sizeof hctx.datadir, "%s", datadir);
    REQUIRE(P->open(pctx, "0", &dev) == DX_OK);
    CHECK_ST(P->describe(dev, &d), DX_OK);
    CHECK(d.n_illuminations == 11);
    for (uint32_t i = 0; i < d.n_illuminations && i < 11; i++) {
        frame f;
        CHECK_STR(d.illuminations[i].name, want[i].name);
        CHECK_ST(grab(dev, want[i].name, &f), DX_OK);
        CHECK_MSG(f.fmt.format == want[i].fmt, "%s: format %d", want[i].name, (int)f.fmt.format);
        CHECK_MSG(f.fmt.width == 738 && f.fmt.height == 520 && f.fmt.dpi == 150, "%s: %ux%u",
                  want[i].name, f.fmt.width, f.fmt.height);
        CHECK(f.meta.exposure_us > 0);
        free(f.data);
    }
    P->close(dev);
    return 0;
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

    if (argc > 1 && !strcmp(argv[1], "--default-scene")) {
        run_default_scene();
    } else {
        const char *t = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/docex-sim-test-XXXXXX", t && *t ? t : "/tmp");
        REQUIRE(mkdtemp(tmpdir));
        make_scene(scene_path("good"));
        test_descriptor();
        test_enumerate();
        test_describe_and_formats();
        test_pixels();
        test_options();
        test_faults();
        test_cancel();
        test_noise();
        test_placement();
        test_turn();
        test_bad_scenes();
        rm_rf(tmpdir);
    }
    P->fini(pctx);
    dlclose(h);
    return dxtest_done();
}
