/* mini — the smallest correct docex scanner plugin, for the loader and
 * plugin-check tests.  One device "0" with two lights: white (RGB24 16x8) and
 * ir870 (GRAY16 16x8), a deterministic pattern, a cancel that works and one
 * option "gain" (INT 0..10).
 *
 * The same source builds the test suite's broken plugins: each MINI_* macro
 * (set by tests/plugins/CMakeLists.txt) introduces exactly one fault.
 *   MINI_NAME         the descriptor's name (default "mini"; NULL allowed)
 *   MINI_ABI_MAJOR    abi_major (default DXP_ABI_MAJOR)
 *   MINI_ABI_MINOR    abi_minor (default DXP_ABI_MINOR)
 *   MINI_STRUCT_SIZE  struct_size (default sizeof(dxp_plugin))
 *   MINI_OPS_SIZE     the scanner table's struct_size (default
 *                     sizeof(dxp_capture_ops))
 *   MINI_INIT_FAIL    init() returns DX_ERR_HARDWARE
 *   MINI_NO_ENTRY     no dxp_plugin_entry symbol (a misspelt one instead)
 *   MINI_NULL_ENTRY   dxp_plugin_entry() returns NULL
 *   MINI_LIAR         capture() writes more than get_frame_format() announced
 *                     and both accept an unknown illumination
 *   MINI_RESERVED     non-zero reserved fields in the device info, an
 *                     illumination and an option (loads and opens; only
 *                     plugin-check objects)
 *
 * Hostile descriptions (tests/plugins/evil/): the descriptor is fine, so each
 * loads, but what enumerate() or describe() hands over breaks a limit or a
 * rule of plugin.h.  The host must refuse to open the device (or sanitise/cut,
 * where noted) without crashing or reading out of bounds.
 *   MINI_EVIL_HUGE_OPTIONS    n_options 0x7fffffff over a one-entry table
 *   MINI_EVIL_NULL_OPTION     an option whose name is NULL
 *   MINI_EVIL_DUP_ILLUM       "white" listed twice
 *   MINI_EVIL_BAD_ILLUM_NAME  an illumination named "White Light/.."
 *   MINI_EVIL_PIXEL_FORMAT    pixel format 99 among the declared ones
 *   MINI_EVIL_ENUM_NULL       an ENUM option with choices NULL
 *   MINI_EVIL_MODEL           model text with invalid UTF-8 (\xff\xfe) and a
 *                             newline (the host sanitises it: opens fine)
 *   MINI_EVIL_MANY_DEVICES    enumerate() claims 100000 devices, filling only
 *                             capacity (the host cuts to DXP_MAX_DEVICES)
 *   MINI_EVIL_MANY_ILLUMS     DXP_MAX_ILLUMINATIONS + 1 valid illuminations */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "docex/plugin.h"

#ifndef MINI_NAME
#define MINI_NAME "mini"
#endif
#ifndef MINI_ABI_MAJOR
#define MINI_ABI_MAJOR DXP_ABI_MAJOR
#endif
#ifndef MINI_ABI_MINOR
#define MINI_ABI_MINOR DXP_ABI_MINOR
#endif
#ifndef MINI_STRUCT_SIZE
#define MINI_STRUCT_SIZE sizeof(dxp_plugin)
#endif
#ifndef MINI_OPS_SIZE
#define MINI_OPS_SIZE sizeof(dxp_capture_ops)
#endif

#define MINI_WIDTH 16u
#define MINI_HEIGHT 8u
/* Each capture takes this long (in 1 ms steps that watch for cancel). */
#define MINI_CAPTURE_MS 2

struct dxp_plugin_ctx {
    const dxp_host *host;
};

#ifdef MINI_EVIL_MANY_DEVICES
#define MINI_DEVICES 100000u
#else
#define MINI_DEVICES 1u
#endif
#define MINI_MANY_ILLUMS (DXP_MAX_ILLUMINATIONS + 1)

struct dxp_device {
    dxp_plugin_ctx *ctx;
    int64_t gain;
    atomic_int cancel;
#ifdef MINI_EVIL_MANY_ILLUMS
    dxp_illumination illums[MINI_MANY_ILLUMS];
    char names[MINI_MANY_ILLUMS][8];
#endif
};

#ifdef MINI_RESERVED
#define MINI_JUNK ((void *)(uintptr_t)0x5a5a)
#else
#define MINI_JUNK NULL
#endif

#ifndef MINI_EVIL_MANY_ILLUMS
static const dxp_illumination mini_illuminations[] = {
#if defined(MINI_EVIL_DUP_ILLUM)
    {"white", 0, 0, DX_GEOMETRY_REFLECTED, "white LEDs", {NULL}},
    {"white", 0, 0, DX_GEOMETRY_REFLECTED, "the same white LEDs again", {NULL}},
#elif defined(MINI_EVIL_BAD_ILLUM_NAME)
    {"White Light/..", 400, 700, DX_GEOMETRY_REFLECTED, "a name breaking the rule", {NULL}},
    {"ir870", 860, 880, DX_GEOMETRY_REFLECTED, "870 nm LEDs", {NULL}},
#else
    {"white", 0, 0, DX_GEOMETRY_REFLECTED, "white LEDs", {MINI_JUNK, NULL, NULL, NULL}},
    {"ir870", 860, 880, DX_GEOMETRY_REFLECTED, "870 nm LEDs", {NULL}},
#endif
};
#endif

static const dxp_pixel_format mini_formats[] = {DXP_PIXEL_RGB24, DXP_PIXEL_GRAY16,
#ifdef MINI_EVIL_PIXEL_FORMAT
                                                (dxp_pixel_format)99,
#endif
};
static const uint32_t mini_resolutions[] = {100};

static const dxp_option mini_options[] = {
#ifdef MINI_EVIL_NULL_OPTION
    {NULL, DXP_OPT_INT, DXP_UNIT_NONE, 0, 10, 0, 0, NULL, "2", "an option without a name", {NULL}},
#endif
    {"gain", DXP_OPT_INT, DXP_UNIT_NONE, 0, 10, 0, 0, NULL, "2", "analogue gain step",
     {NULL, NULL, MINI_JUNK, NULL}},
#ifdef MINI_EVIL_ENUM_NULL
    {"mode", DXP_OPT_ENUM, DXP_UNIT_NONE, 0, 0, 0, 0, NULL, "fast", "an enum without choices",
     {NULL}},
#endif
};

static dx_status mini_init(const dxp_host *host, dxp_plugin_ctx **ctx)
{
    dxp_plugin_ctx *c;
    if (!host || !ctx)
        return DX_ERR_INVALID_ARG;
#ifdef MINI_INIT_FAIL
    dxp_log(host, DXP_LOG_ERROR, "simulated init failure");
    return DX_ERR_HARDWARE;
#endif
    c = calloc(1, sizeof *c);
    if (!c)
        return DX_ERR_NO_MEMORY;
    c->host = host;
    dxp_log(host, DXP_LOG_DEBUG, "init");
    *ctx = c;
    return DX_OK;
}

static void mini_fini(dxp_plugin_ctx *ctx)
{
    free(ctx);
}

static dx_status mini_enumerate(dxp_plugin_ctx *ctx, dxp_device_info *out, uint32_t capacity,
                                uint32_t *count)
{
    if (!ctx || !count || (capacity && !out))
        return DX_ERR_INVALID_ARG;
    *count = MINI_DEVICES;
    for (uint32_t i = 0; i < capacity && i < MINI_DEVICES; i++) {
        memset(&out[i], 0, sizeof out[i]);
        snprintf(out[i].id, sizeof out[i].id, "%u", (unsigned)i);
        out[i].kinds = DXP_KIND_SCANNER;
#ifdef MINI_EVIL_MODEL
        strcpy(out[i].model, "Mini \xff\xfe Scanner\nsecond line");
#else
        strcpy(out[i].model, "Mini Test Scanner");
#endif
        strcpy(out[i].vendor, "docex tests");
        snprintf(out[i].serial, sizeof out[i].serial, "MINI-%04u", (unsigned)i + 1);
#ifdef MINI_RESERVED
        out[i].reserved[3] = 0xdead;
#endif
    }
    return DX_OK;
}

static dx_status mini_open(dxp_plugin_ctx *ctx, const char *id, dxp_device **dev)
{
    dxp_device *d;
    char *end;
    unsigned long n;
    if (!ctx || !id || !dev)
        return DX_ERR_INVALID_ARG;
    n = strtoul(id, &end, 10);
    if (id[0] < '0' || id[0] > '9' || *end || n >= MINI_DEVICES || (id[0] == '0' && id[1]))
        return DX_ERR_NOT_FOUND;
    d = calloc(1, sizeof *d);
    if (!d)
        return DX_ERR_NO_MEMORY;
    d->ctx = ctx;
    d->gain = 2;
    atomic_init(&d->cancel, 0);
#ifdef MINI_EVIL_MANY_ILLUMS
    for (int i = 0; i < MINI_MANY_ILLUMS; i++) {
        snprintf(d->names[i], sizeof d->names[i], "v%02d", i);
        d->illums[i].name = d->names[i];
        d->illums[i].band_lo_nm = 400u + (uint32_t)i;
        d->illums[i].band_hi_nm = 410u + (uint32_t)i;
        d->illums[i].geometry = DX_GEOMETRY_REFLECTED;
    }
#endif
    *dev = d;
    return DX_OK;
}

static void mini_close(dxp_device *dev)
{
    free(dev);
}

static dx_status mini_describe(dxp_device *dev, dxp_device_desc *desc)
{
    if (!dev || !desc || desc->struct_size < offsetof(dxp_device_desc, reserved))
        return DX_ERR_INVALID_ARG;
    desc->kinds = DXP_KIND_SCANNER;
#ifdef MINI_EVIL_MANY_ILLUMS
    desc->illuminations = dev->illums;
    desc->n_illuminations = MINI_MANY_ILLUMS;
#else
    desc->illuminations = mini_illuminations;
    desc->n_illuminations = sizeof mini_illuminations / sizeof mini_illuminations[0];
#endif
    desc->resolutions_dpi = mini_resolutions;
    desc->n_resolutions = 1;
    desc->pixel_formats = mini_formats;
    desc->n_pixel_formats = sizeof mini_formats / sizeof mini_formats[0];
    desc->options = mini_options;
#ifdef MINI_EVIL_HUGE_OPTIONS
    desc->n_options = 0x7fffffffu; /* the table has one entry */
#else
    desc->n_options = sizeof mini_options / sizeof mini_options[0];
#endif
    return DX_OK;
}

static dx_status mini_set_option(dxp_device *dev, const char *name, const dxp_value *value)
{
    if (!dev || !name || !value)
        return DX_ERR_INVALID_ARG;
    if (strcmp(name, "gain") != 0)
        return DX_ERR_NOT_FOUND;
    if (value->type != DXP_OPT_INT || value->i < 0 || value->i > 10)
        return DX_ERR_INVALID_ARG;
    dev->gain = value->i;
    return DX_OK;
}

static dx_status mini_get_option(dxp_device *dev, const char *name, dxp_value *value)
{
    if (!dev || !name || !value)
        return DX_ERR_INVALID_ARG;
    if (strcmp(name, "gain") != 0)
        return DX_ERR_NOT_FOUND;
    memset(value, 0, sizeof *value);
    value->type = DXP_OPT_INT;
    value->i = dev->gain;
    return DX_OK;
}

/* 0 for white, 1 for ir870, -1 for anything else. */
static int mini_light(const char *illumination)
{
    if (!illumination)
        return -1;
    if (strcmp(illumination, "white") == 0)
        return 0;
    if (strcmp(illumination, "ir870") == 0)
        return 1;
#ifdef MINI_LIAR
    return 0; /* the lie: any name is taken for white */
#else
    return -1;
#endif
}

static dx_status mini_get_frame_format(dxp_device *dev, const char *illumination,
                                       dxp_frame_format *fmt)
{
    int light = mini_light(illumination);
    if (!dev || !fmt || light < 0)
        return DX_ERR_INVALID_ARG;
    memset(fmt, 0, sizeof *fmt);
    fmt->format = light == 0 ? DXP_PIXEL_RGB24 : DXP_PIXEL_GRAY16;
    fmt->width = MINI_WIDTH;
    fmt->height = MINI_HEIGHT;
    fmt->stride = MINI_WIDTH * dxp_pixel_size(fmt->format);
    fmt->dpi = 100;
    return DX_OK;
}

static dx_status mini_capture(dxp_device *dev, const char *illumination, void *buf, size_t size,
                              dxp_frame_meta *meta)
{
    dxp_frame_format fmt;
    struct timeval tv;
    struct timespec step = {0, 1000000L};
    uint8_t *p = buf;
    size_t need;
    dx_status st;

    if (!dev || !buf || !meta)
        return DX_ERR_INVALID_ARG;
    st = mini_get_frame_format(dev, illumination, &fmt);
    if (st != DX_OK)
        return st;
    need = (size_t)fmt.stride * fmt.height;
#ifdef MINI_LIAR
    need += 2u * fmt.stride; /* the lie: two rows more than announced */
#else
    if (size < need)
        return DX_ERR_INVALID_ARG;
#endif
    atomic_store(&dev->cancel, 0);
    for (int ms = 0; ms < MINI_CAPTURE_MS; ms++) {
        if (atomic_load(&dev->cancel))
            return DX_ERR_CANCELLED;
        nanosleep(&step, NULL);
    }
    if (atomic_load(&dev->cancel))
        return DX_ERR_CANCELLED;

    gettimeofday(&tv, NULL);
    for (size_t i = 0; i < need; i++)
        p[i] = (uint8_t)(i * 7u + (size_t)dev->gain);
    memset(meta, 0, sizeof *meta);
    meta->timestamp_us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
    meta->exposure_us = 1000;
    meta->gain = (double)dev->gain;
    return DX_OK;
}

static dx_status mini_cancel(dxp_device *dev)
{
    if (!dev)
        return DX_ERR_INVALID_ARG;
    atomic_store(&dev->cancel, 1);
    return DX_OK;
}

static const dxp_capture_ops mini_scanner = {
    .struct_size = MINI_OPS_SIZE,
    .get_frame_format = mini_get_frame_format,
    .capture = mini_capture,
    .cancel = mini_cancel,
};

static const dxp_plugin mini_plugin = {
    .abi_major = MINI_ABI_MAJOR,
    .abi_minor = MINI_ABI_MINOR,
    .struct_size = MINI_STRUCT_SIZE,
    .flags = 0,
    .name = MINI_NAME,
    .version = "1.0.0",
    .vendor = "docex tests",
    .license = "MIT",
    .description = "minimal scanner for the test suite",
    .init = mini_init,
    .fini = mini_fini,
    .enumerate = mini_enumerate,
    .open = mini_open,
    .close = mini_close,
    .describe = mini_describe,
    .set_option = mini_set_option,
    .get_option = mini_get_option,
    .scanner = &mini_scanner,
};

#if defined(MINI_NO_ENTRY)
/* A misspelt entry point: the loader must not find dxp_plugin_entry. */
DXP_EXPORT const dxp_plugin *dxp_plugin_entry_point(void);
DXP_EXPORT const dxp_plugin *dxp_plugin_entry_point(void) { return &mini_plugin; }
#elif defined(MINI_NULL_ENTRY)
DXP_EXPORT const dxp_plugin *dxp_plugin_entry(void);
DXP_EXPORT const dxp_plugin *dxp_plugin_entry(void)
{
    return mini_plugin.name ? NULL : &mini_plugin;
}
#else
DXP_PLUGIN_ENTRY(mini_plugin)
#endif
