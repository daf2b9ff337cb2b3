/* sim — the simulated multispectral document scanner and contactless reader.
 *
 * Modelled on SANE's `test` backend: a scanner with every standard light,
 * whose "document" is a scene directory (scene.json plus one
 * <illumination>.png per light, see share/schemas/scene.schema.json), and
 * whose options inject the faults a real scanner shows: slow captures,
 * failures on the Nth capture, no document, cover open, busy, a device that
 * disconnects mid-capture, sensor noise and a skewed, shifted document.
 *
 * Settings: sim.scene (scene directory; default <docex.datadir>/scenes/default),
 * sim.devices (number of scanners, default 1).
 *
 * A two-sided document (an ID card: docex synth writes its back as
 * <scene>/back/, a scene of its own) is turned over by a simulated operator.
 * With the option turn=on_repeat (the default), capturing a light that was
 * already captured since the document was last turned means the operator
 * turned it: from then on the scanner serves the other side (the back, then
 * the front again), so capturing every light twice gives the front then the
 * back.  turn=never keeps the front on the glass whatever is captured.  The
 * document stays on the glass while the device is closed (a capture set opens
 * the device once per side): the side shown and the lights captured since the
 * last turn live in the plugin context, per scanner, and start again at the
 * front when the scanner opens on another scene.  Placement and noise options
 * apply to both sides; describe() lists the front's lights.
 *
 * Beside the scanners "0".."n-1" the plugin offers contactless chip readers
 * "chip0".."chip<m-1>" (setting sim.chip_readers, default 1) whose card is a
 * simulated ePassport chip (chip.h): the card side of ISO/IEC 7816-4 and ICAO
 * 9303 Part 11 over the chip directory <sim.scene>/chip, or the directory the
 * setting sim.chip (or the reader's option "chip") names.
 *
 * State lives in the plugin context and in each device; nothing is global.
 * The host serialises calls on one device except cancel(), which only touches
 * the device's mutex-protected cancel flag. */
#include "sim.h"
#include "chip.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define SIM_MAX_DEVICES 64
#define SIM_MAX_READERS 64
#define SIM_READER_PREFIX "chip"

/* ---- options --------------------------------------------------------------- */

enum {
    OPT_DELAY_MS,
    OPT_FAIL_AT,
    OPT_FAIL_STATUS,
    OPT_NO_DOCUMENT,
    OPT_COVER_OPEN,
    OPT_BUSY,
    OPT_DISCONNECT_AT,
    OPT_NOISE,
    OPT_SEED,
    OPT_SHIFT_X_MM,
    OPT_SHIFT_Y_MM,
    OPT_ROTATION_DEG,
    OPT_TURN,
    OPT_COUNT
};

static const char *const turn_choices[] = {"on_repeat", "never", NULL};

static const char *const fail_status_choices[] = {"hardware", "timeout", "busy", "io", NULL};
static const dx_status fail_status_values[] = {DX_ERR_HARDWARE, DX_ERR_TIMEOUT, DX_ERR_BUSY,
                                               DX_ERR_IO};

static const dxp_option sim_options[OPT_COUNT] = {
    [OPT_DELAY_MS] = {"delay_ms", DXP_OPT_INT, DXP_UNIT_MILLISECOND, 0, 600000, 0, 0, NULL, "0",
                      "time each capture takes (cancel() interrupts it)"},
    [OPT_FAIL_AT] = {"fail_at", DXP_OPT_INT, DXP_UNIT_COUNT, 0, 1000000, 0, 0, NULL, "0",
                     "the Nth capture since open fails with fail_status (0: never)"},
    [OPT_FAIL_STATUS] = {"fail_status", DXP_OPT_ENUM, DXP_UNIT_NONE, 0, 0, 0, 0,
                         fail_status_choices, "hardware", "status of the fail_at capture"},
    [OPT_NO_DOCUMENT] = {"no_document", DXP_OPT_BOOL, DXP_UNIT_NONE, 0, 1, 0, 0, NULL, "false",
                         "nothing on the glass: every capture fails with no document"},
    [OPT_COVER_OPEN] = {"cover_open", DXP_OPT_BOOL, DXP_UNIT_NONE, 0, 1, 0, 0, NULL, "false",
                        "the cover is open: every capture fails with cover open"},
    [OPT_BUSY] = {"busy", DXP_OPT_BOOL, DXP_UNIT_NONE, 0, 1, 0, 0, NULL, "false",
                  "the scanner is warming up: every capture fails with busy"},
    [OPT_DISCONNECT_AT] = {"disconnect_at", DXP_OPT_INT, DXP_UNIT_COUNT, 0, 1000000, 0, 0, NULL,
                           "0", "the device goes away during the Nth capture (0: never)"},
    [OPT_NOISE] = {"noise", DXP_OPT_FLOAT, DXP_UNIT_NONE, 0, 0, 0.0, 100.0, NULL, "0",
                   "Gaussian sensor noise, sigma in 8-bit grey levels"},
    [OPT_SEED] = {"seed", DXP_OPT_INT, DXP_UNIT_NONE, 0, 2147483647, 0, 0, NULL, "1",
                  "noise seed; setting it restarts the noise sequence"},
    [OPT_SHIFT_X_MM] = {"shift_x_mm", DXP_OPT_FLOAT, DXP_UNIT_MM, 0, 0, -100.0, 100.0, NULL, "0",
                        "document placement on the glass: shift to the right"},
    [OPT_SHIFT_Y_MM] = {"shift_y_mm", DXP_OPT_FLOAT, DXP_UNIT_MM, 0, 0, -100.0, 100.0, NULL, "0",
                        "document placement on the glass: shift down"},
    [OPT_ROTATION_DEG] = {"rotation_deg", DXP_OPT_FLOAT, DXP_UNIT_DEGREE, 0, 0, -180.0, 180.0,
                          NULL, "0",
                          "document rotation about the image centre, counter-clockwise"},
    [OPT_TURN] = {"turn", DXP_OPT_ENUM, DXP_UNIT_NONE, 0, 0, 0, 0, turn_choices, "on_repeat",
                  "a two-sided scene (<scene>/back/): on_repeat, capturing a light again since "
                  "the last turn turns the document over; never, the front stays up"},
};

/* ---- state --------------------------------------------------------------- */

/* What lies on a scanner's glass, kept while the device is closed: only the
 * holder of the scanner (open[] claimed) touches it. */
typedef struct sim_glass {
    char *scene;           /* the scene directory it holds, NULL: none yet */
    unsigned side;         /* 0: the front is up, 1: the back */
    bool *seen;            /* per light of the front scene: captured since the last turn */
    uint32_t n_seen;
} sim_glass;

struct dxp_plugin_ctx {
    const dxp_host *host;
    pthread_mutex_t lock; /* guards open[] and reader_open[] */
    bool open[SIM_MAX_DEVICES];
    bool reader_open[SIM_MAX_READERS];
    sim_glass glass[SIM_MAX_DEVICES];
};

struct dxp_device {
    dxp_plugin_ctx *ctx;
    const dxp_host *host;
    unsigned index;
    sim_reader *reader;    /* a chip reader ("chip<index>"); NULL for a scanner */
    sim_scene scene;
    sim_scene back;        /* <scene>/back, when has_back */
    bool has_back;
    uint32_t dpi[1];

    dxp_value opt[OPT_COUNT];
    uint64_t rng;          /* noise PRNG state */
    uint64_t n_captures;   /* capture() calls since open, counted by the faults */
    bool disconnected;     /* touched only by serialised calls */

    pthread_mutex_t lock;  /* guards capturing and cancel_requested */
    pthread_cond_t cond;
    bool capturing;
    bool cancel_requested;
};

static dx_status sim_set_option(dxp_device *dev, const char *name, const dxp_value *value);

static int find_option(const char *name)
{
    for (int i = 0; i < OPT_COUNT; i++)
        if (strcmp(sim_options[i].name, name) == 0)
            return i;
    return -1;
}

/* ---- plugin ------------------------------------------------------------ */

static dx_status sim_init(const dxp_host *host, dxp_plugin_ctx **out)
{
    dxp_plugin_ctx *ctx;
    if (!host || !out)
        return DX_ERR_INVALID_ARG;
    if (!(ctx = calloc(1, sizeof *ctx)))
        return DX_ERR_NO_MEMORY;
    ctx->host = host;
    if (pthread_mutex_init(&ctx->lock, NULL) != 0) {
        free(ctx);
        return DX_ERR_NO_MEMORY;
    }
    *out = ctx;
    return DX_OK;
}

static void sim_fini(dxp_plugin_ctx *ctx)
{
    if (!ctx)
        return;
    for (size_t i = 0; i < SIM_MAX_DEVICES; i++) {
        free(ctx->glass[i].scene);
        free(ctx->glass[i].seen);
    }
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

/* A count setting (sim.devices, sim.chip_readers): 0..max, else 1. */
static uint32_t count_setting(dxp_plugin_ctx *ctx, const char *key, long max)
{
    char buf[32];
    char *end;
    long n;

    if (!ctx->host->get_setting ||
        ctx->host->get_setting(ctx->host->ctx, key, buf, sizeof buf) != DX_OK)
        return 1;
    errno = 0;
    n = strtol(buf, &end, 10);
    if (errno || end == buf || *end || n < 0 || n > max) {
        dxp_log(ctx->host, DXP_LOG_WARNING, "%s=\"%s\" ignored: want 0..%ld", key, buf, max);
        return 1;
    }
    return (uint32_t)n;
}

static uint32_t device_count(dxp_plugin_ctx *ctx)
{
    return count_setting(ctx, "sim.devices", SIM_MAX_DEVICES);
}

static uint32_t reader_count(dxp_plugin_ctx *ctx)
{
    return count_setting(ctx, "sim.chip_readers", SIM_MAX_READERS);
}

static dx_status sim_enumerate(dxp_plugin_ctx *ctx, dxp_device_info *out, uint32_t capacity,
                               uint32_t *count)
{
    uint32_t n, m;
    if (!ctx || !count || (capacity && !out))
        return DX_ERR_INVALID_ARG;
    n = device_count(ctx);
    m = reader_count(ctx);
    for (uint32_t i = 0; i < n && i < capacity; i++) {
        memset(&out[i], 0, sizeof out[i]);
        snprintf(out[i].id, sizeof out[i].id, "%u", i);
        out[i].kinds = DXP_KIND_SCANNER;
        snprintf(out[i].model, sizeof out[i].model, "docex simulated multispectral scanner");
        snprintf(out[i].vendor, sizeof out[i].vendor, "docex");
        snprintf(out[i].serial, sizeof out[i].serial, "SIM-%04u", i + 1);
    }
    for (uint32_t j = 0; j < m && n + j < capacity; j++) {
        dxp_device_info *d = &out[n + j];
        memset(d, 0, sizeof *d);
        snprintf(d->id, sizeof d->id, SIM_READER_PREFIX "%u", j);
        d->kinds = DXP_KIND_CHIP_READER;
        snprintf(d->model, sizeof d->model, "docex simulated contactless reader (ePassport chip)");
        snprintf(d->vendor, sizeof d->vendor, "docex");
        snprintf(d->serial, sizeof d->serial, "SIMCHIP-%04u", j + 1);
    }
    *count = n + m;
    return DX_OK;
}

/* Resolves the scene directory from the settings into buf. */
static dx_status scene_dir(dxp_plugin_ctx *ctx, char *buf, size_t size)
{
    const dxp_host *host = ctx->host;
    char datadir[SIM_PATH_MAX];
    dx_status st;

    if (!host->get_setting) {
        dxp_log(host, DXP_LOG_ERROR, "no scene: the host offers no settings");
        return DX_ERR_NOT_FOUND;
    }
    st = host->get_setting(host->ctx, "sim.scene", buf, size);
    if (st == DX_OK && buf[0])
        return DX_OK;
    if (st != DX_OK && st != DX_ERR_NOT_FOUND) {
        dxp_log(host, DXP_LOG_ERROR, "sim.scene: cannot read the setting: %s",
                dx_status_str(st));
        return st;
    }
    st = host->get_setting(host->ctx, "docex.datadir", datadir, sizeof datadir);
    if (st != DX_OK) {
        dxp_log(host, DXP_LOG_ERROR, "no scene: sim.scene is unset and so is docex.datadir");
        return DX_ERR_NOT_FOUND;
    }
    if ((size_t)snprintf(buf, size, "%s/scenes/default", datadir) >= size) {
        dxp_log(host, DXP_LOG_ERROR, "no scene: %s/scenes/default: path too long", datadir);
        return DX_ERR_INVALID_ARG;
    }
    return DX_OK;
}

/* Parses an option's default text (the table is the only source of defaults). */
static dx_status apply_default(dxp_device *dev, int i)
{
    const dxp_option *o = &sim_options[i];
    dxp_value v;
    memset(&v, 0, sizeof v);
    v.type = o->type;
    switch (o->type) {
    case DXP_OPT_BOOL: v.i = strcmp(o->default_value, "true") == 0; break;
    case DXP_OPT_INT: v.i = strtoll(o->default_value, NULL, 10); break;
    case DXP_OPT_FLOAT: v.f = strtod(o->default_value, NULL); break;
    default: snprintf(v.s, sizeof v.s, "%s", o->default_value); break;
    }
    return sim_set_option(dev, o->name, &v);
}

static void sim_close(dxp_device *dev);

/* A second side: <dir>/back/scene.json makes <dir>/back a scene of its own,
 * which must then load. */
static dx_status load_back(dxp_device *dev, const char *dir)
{
    char sub[SIM_PATH_MAX], manifest[SIM_PATH_MAX + 16];
    struct stat sb;
    dx_status st;
    if ((size_t)snprintf(sub, sizeof sub, "%s/back", dir) >= sizeof sub)
        return DX_OK; /* no room for a back: a one-sided document */
    snprintf(manifest, sizeof manifest, "%s/scene.json", sub);
    if (stat(manifest, &sb) != 0 || !S_ISREG(sb.st_mode))
        return DX_OK;
    if ((st = sim_scene_load(dev->host, sub, &dev->back)) != DX_OK) {
        dxp_log(dev->host, DXP_LOG_ERROR, "scene %s: its back (%s) does not load: %s", dir, sub,
                dx_status_str(st));
        return st;
    }
    dev->has_back = true;
    return DX_OK;
}

/* The scanner's glass now holds the scene in `dir`: the same document as
 * before keeps its side up; another starts with the front up. */
static dx_status glass_hold(dxp_device *dev, const char *dir)
{
    sim_glass *g = &dev->ctx->glass[dev->index];
    char *scene;
    bool *seen;
    if (g->scene && strcmp(g->scene, dir) == 0 && g->n_seen == dev->scene.n_lights) {
        if (!dev->has_back)
            g->side = 0; /* the back went away since: the front is all there is */
        return DX_OK;
    }
    scene = malloc(strlen(dir) + 1);
    seen = calloc(dev->scene.n_lights, sizeof *seen);
    if (!scene || !seen) {
        free(scene);
        free(seen);
        return DX_ERR_NO_MEMORY;
    }
    memcpy(scene, dir, strlen(dir) + 1);
    free(g->scene);
    free(g->seen);
    g->scene = scene;
    g->seen = seen;
    g->n_seen = dev->scene.n_lights;
    g->side = 0;
    return DX_OK;
}

/* The side a capture under the front scene's light `li` shows: the other
 * one when the operator turns the document over first (turn=on_repeat and
 * the light was captured since the last turn). */
static unsigned glass_side(const dxp_device *dev, uint32_t li)
{
    const sim_glass *g = &dev->ctx->glass[dev->index];
    bool turn = dev->has_back && strcmp(dev->opt[OPT_TURN].s, "on_repeat") == 0 &&
                li < g->n_seen && g->seen[li];
    return dev->has_back ? g->side ^ (turn ? 1u : 0u) : 0u;
}

/* The light of the scene on the glass under the front's light `fl`; NULL
 * (logged) when that side has no such image. */
static sim_light *side_light(dxp_device *dev, unsigned side, sim_light *fl)
{
    sim_light *l;
    if (side == 0)
        return fl;
    if (!(l = sim_scene_find(&dev->back, fl->name)))
        dxp_log(dev->host, DXP_LOG_ERROR, "scene %s: the back has no %s.png, the front has",
                dev->back.dir, fl->name);
    return l;
}

/* Index of a reader id "chip<N>" (no leading zeros), -1 when id is not one. */
static long reader_index(const char *id)
{
    const char *p;
    char *end;
    long idx;
    if (strncmp(id, SIM_READER_PREFIX, strlen(SIM_READER_PREFIX)) != 0)
        return -1;
    p = id + strlen(SIM_READER_PREFIX);
    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1]))
        return -1;
    errno = 0;
    idx = strtol(p, &end, 10);
    return errno || *end || idx < 0 || idx >= SIM_MAX_READERS ? -1 : idx;
}

static dx_status reader_open(dxp_plugin_ctx *ctx, const char *id, dxp_device **out)
{
    long idx = reader_index(id);
    dxp_device *dev;
    bool claimed = false;
    dx_status st;

    if (idx < 0 || (uint32_t)idx >= reader_count(ctx)) {
        dxp_log(ctx->host, DXP_LOG_ERROR, "open: no device \"%s\"", id);
        return DX_ERR_NOT_FOUND;
    }
    if (!(dev = calloc(1, sizeof *dev)))
        return DX_ERR_NO_MEMORY;
    dev->ctx = ctx;
    dev->host = ctx->host;
    dev->index = (unsigned)idx;
    pthread_mutex_lock(&ctx->lock);
    if (!ctx->reader_open[idx])
        ctx->reader_open[idx] = claimed = true;
    pthread_mutex_unlock(&ctx->lock);
    if (!claimed) {
        dxp_log(ctx->host, DXP_LOG_ERROR, "open: device %s is already open", id);
        free(dev);
        return DX_ERR_BUSY;
    }
    if ((st = sim_reader_new(ctx->host, (unsigned)idx, &dev->reader)) != DX_OK) {
        pthread_mutex_lock(&ctx->lock);
        ctx->reader_open[idx] = false;
        pthread_mutex_unlock(&ctx->lock);
        free(dev);
        return st;
    }
    dxp_log(ctx->host, DXP_LOG_DEBUG, "device %s open", id);
    *out = dev;
    return DX_OK;
}

static dx_status sim_open(dxp_plugin_ctx *ctx, const char *id, dxp_device **out)
{
    dxp_device *dev = NULL;
    char dir[SIM_PATH_MAX];
    char *end;
    unsigned long idx;
    bool locks = false, claimed = false;
    dx_status st;

    if (!ctx || !id || !out)
        return DX_ERR_INVALID_ARG;
    *out = NULL;
    if (strncmp(id, SIM_READER_PREFIX, strlen(SIM_READER_PREFIX)) == 0)
        return reader_open(ctx, id, out);
    errno = 0;
    idx = strtoul(id, &end, 10);
    if (!id[0] || *end || errno || (id[0] == '0' && id[1]) || idx >= device_count(ctx)) {
        dxp_log(ctx->host, DXP_LOG_ERROR, "open: no device \"%s\"", id);
        return DX_ERR_NOT_FOUND;
    }
    if (!(dev = calloc(1, sizeof *dev)))
        return DX_ERR_NO_MEMORY;
    dev->ctx = ctx;
    dev->host = ctx->host;
    dev->index = (unsigned)idx;

    pthread_mutex_lock(&ctx->lock);
    if (!ctx->open[idx])
        ctx->open[idx] = claimed = true;
    pthread_mutex_unlock(&ctx->lock);
    if (!claimed) {
        dxp_log(ctx->host, DXP_LOG_ERROR, "open: device %lu is already open", idx);
        st = DX_ERR_BUSY;
        goto fail;
    }

    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0) {
        st = DX_ERR_NO_MEMORY;
        goto fail;
    }
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_mutex_init(&dev->lock, NULL) != 0) {
        pthread_condattr_destroy(&ca);
        st = DX_ERR_NO_MEMORY;
        goto fail;
    }
    if (pthread_cond_init(&dev->cond, &ca) != 0) {
        pthread_mutex_destroy(&dev->lock);
        pthread_condattr_destroy(&ca);
        st = DX_ERR_NO_MEMORY;
        goto fail;
    }
    pthread_condattr_destroy(&ca);
    locks = true;

    if ((st = scene_dir(ctx, dir, sizeof dir)) != DX_OK)
        goto fail;
    if ((st = sim_scene_load(ctx->host, dir, &dev->scene)) != DX_OK)
        goto fail;
    if ((st = load_back(dev, dir)) != DX_OK || (st = glass_hold(dev, dir)) != DX_OK)
        goto fail;
    dev->dpi[0] = dev->scene.dpi;
    for (int i = 0; i < OPT_COUNT; i++)
        if ((st = apply_default(dev, i)) != DX_OK)
            goto fail;
    dxp_log(ctx->host, DXP_LOG_DEBUG, "device %lu open on scene %s", idx, dir);
    *out = dev;
    return DX_OK;

fail:
    if (locks) {
        sim_close(dev);
        return st;
    }
    if (claimed) {
        pthread_mutex_lock(&ctx->lock);
        ctx->open[idx] = false;
        pthread_mutex_unlock(&ctx->lock);
    }
    free(dev);
    return st;
}

static void sim_close(dxp_device *dev)
{
    if (!dev)
        return;
    if (dev->reader) {
        sim_reader_free(dev->reader);
        pthread_mutex_lock(&dev->ctx->lock);
        dev->ctx->reader_open[dev->index] = false;
        pthread_mutex_unlock(&dev->ctx->lock);
        free(dev);
        return;
    }
    sim_scene_free(&dev->scene);
    sim_scene_free(&dev->back);
    pthread_cond_destroy(&dev->cond);
    pthread_mutex_destroy(&dev->lock);
    pthread_mutex_lock(&dev->ctx->lock);
    dev->ctx->open[dev->index] = false;
    pthread_mutex_unlock(&dev->ctx->lock);
    free(dev);
}

static dx_status sim_describe(dxp_device *dev, dxp_device_desc *desc)
{
    dxp_device_desc d;
    uint32_t size;

    if (!dev || !desc || desc->struct_size < sizeof desc->struct_size)
        return DX_ERR_INVALID_ARG;
    size = desc->struct_size < sizeof d ? desc->struct_size : (uint32_t)sizeof d;
    memset(&d, 0, sizeof d);
    d.struct_size = desc->struct_size;
    if (dev->reader) {
        d.kinds = DXP_KIND_CHIP_READER;
        d.options = sim_reader_options(&d.n_options);
        memcpy(desc, &d, size);
        return DX_OK;
    }
    d.kinds = DXP_KIND_SCANNER;
    d.illuminations = dev->scene.illums;
    d.n_illuminations = dev->scene.n_lights;
    d.resolutions_dpi = dev->dpi;
    d.n_resolutions = 1;
    d.pixel_formats = dev->scene.formats;
    d.n_pixel_formats = dev->scene.n_formats;
    d.options = sim_options;
    d.n_options = OPT_COUNT;
    memcpy(desc, &d, size);
    return DX_OK;
}

static dx_status sim_set_option(dxp_device *dev, const char *name, const dxp_value *value)
{
    int i;
    const dxp_option *o;

    if (!dev || !name || !value)
        return DX_ERR_INVALID_ARG;
    if (dev->reader)
        return sim_reader_set_option(dev->reader, name, value);
    if (dev->disconnected)
        return DX_ERR_DISCONNECTED;
    if ((i = find_option(name)) < 0)
        return DX_ERR_NOT_FOUND;
    o = &sim_options[i];
    if (value->type != o->type)
        return DX_ERR_INVALID_ARG;
    switch (o->type) {
    case DXP_OPT_BOOL:
        if (value->i != 0 && value->i != 1)
            return DX_ERR_INVALID_ARG;
        break;
    case DXP_OPT_INT:
        if (value->i < o->min_i || value->i > o->max_i)
            return DX_ERR_INVALID_ARG;
        break;
    case DXP_OPT_FLOAT:
        if (!(value->f >= o->min_f && value->f <= o->max_f))
            return DX_ERR_INVALID_ARG;
        break;
    case DXP_OPT_ENUM: {
        bool ok = false;
        if (!memchr(value->s, '\0', sizeof value->s))
            return DX_ERR_INVALID_ARG;
        for (const char *const *c = o->choices; *c; c++)
            ok = ok || strcmp(*c, value->s) == 0;
        if (!ok)
            return DX_ERR_INVALID_ARG;
        break;
    }
    default:
        return DX_ERR_INVALID_ARG;
    }
    memset(&dev->opt[i], 0, sizeof dev->opt[i]);
    dev->opt[i].type = o->type;
    dev->opt[i].i = value->i;
    dev->opt[i].f = value->f;
    if (o->type == DXP_OPT_ENUM)
        snprintf(dev->opt[i].s, sizeof dev->opt[i].s, "%s", value->s);
    if (i == OPT_SEED)
        dev->rng = (uint64_t)value->i * 0x2545F4914F6CDD1Dull + 0x5EED;
    return DX_OK;
}

static dx_status sim_get_option(dxp_device *dev, const char *name, dxp_value *value)
{
    int i;
    if (!dev || !name || !value)
        return DX_ERR_INVALID_ARG;
    if (dev->reader)
        return sim_reader_get_option(dev->reader, name, value);
    if (dev->disconnected)
        return DX_ERR_DISCONNECTED;
    if ((i = find_option(name)) < 0)
        return DX_ERR_NOT_FOUND;
    *value = dev->opt[i];
    return DX_OK;
}

/* ---- capture ------------------------------------------------------------- */

static dx_status sim_get_frame_format(dxp_device *dev, const char *illumination,
                                      dxp_frame_format *fmt)
{
    sim_light *l;
    if (!dev || !illumination || !fmt)
        return DX_ERR_INVALID_ARG;
    if (dev->reader)
        return DX_ERR_UNSUPPORTED;
    if (dev->disconnected)
        return DX_ERR_DISCONNECTED;
    if (!(l = sim_scene_find(&dev->scene, illumination)))
        return DX_ERR_INVALID_ARG;
    /* what the next capture under this light will show */
    if (!(l = side_light(dev, glass_side(dev, (uint32_t)(l - dev->scene.lights)), l)))
        return DX_ERR_DATA;
    memset(fmt, 0, sizeof *fmt);
    fmt->format = l->format;
    fmt->width = l->width;
    fmt->height = l->height;
    fmt->stride = l->width * dxp_pixel_size(l->format);
    fmt->dpi = dev->scene.dpi;
    return DX_OK;
}

static int64_t now_us(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Waits `ms` milliseconds unless cancelled; DX_OK or DX_ERR_CANCELLED. */
static dx_status wait_ms(dxp_device *dev, int64_t ms)
{
    struct timespec until;
    dx_status st = DX_OK;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&dev->lock);
    while (!dev->cancel_requested) {
        int rc = pthread_cond_timedwait(&dev->cond, &dev->lock, &until);
        if (rc == ETIMEDOUT)
            break;
    }
    if (dev->cancel_requested)
        st = DX_ERR_CANCELLED;
    pthread_mutex_unlock(&dev->lock);
    return st;
}

static dx_status capture_body(dxp_device *dev, sim_light *l, void *buf, dxp_frame_meta *meta)
{
    uint64_t n = ++dev->n_captures;
    int64_t delay = dev->opt[OPT_DELAY_MS].i;
    dx_status st;

    if (dev->opt[OPT_DISCONNECT_AT].i && (uint64_t)dev->opt[OPT_DISCONNECT_AT].i == n) {
        (void)wait_ms(dev, delay / 2);
        dev->disconnected = true;
        dxp_log(dev->host, DXP_LOG_INFO, "device %u disconnected during capture %llu",
                dev->index, (unsigned long long)n);
        return DX_ERR_DISCONNECTED;
    }
    if (dev->opt[OPT_BUSY].i)
        return DX_ERR_BUSY;
    if (dev->opt[OPT_COVER_OPEN].i)
        return DX_ERR_COVER_OPEN;
    if (dev->opt[OPT_NO_DOCUMENT].i)
        return DX_ERR_NO_DOCUMENT;
    if (delay > 0 && (st = wait_ms(dev, delay)) != DX_OK)
        return st;
    if (dev->opt[OPT_FAIL_AT].i && (uint64_t)dev->opt[OPT_FAIL_AT].i == n) {
        int k = 0;
        for (int i = 0; fail_status_choices[i]; i++)
            if (strcmp(fail_status_choices[i], dev->opt[OPT_FAIL_STATUS].s) == 0)
                k = i;
        dxp_log(dev->host, DXP_LOG_DEBUG, "capture %llu fails as asked (fail_at): %s",
                (unsigned long long)n, dx_status_str(fail_status_values[k]));
        return fail_status_values[k];
    }
    if ((st = sim_light_decode(dev->host, l)) != DX_OK)
        return st;

    meta->timestamp_us = now_us(CLOCK_REALTIME);
    meta->exposure_us = l->exposure_us;
    meta->gain = 0.0;

    double px_per_mm = dev->scene.dpi / 25.4;
    sim_placement pl = {dev->opt[OPT_SHIFT_X_MM].f * px_per_mm,
                        dev->opt[OPT_SHIFT_Y_MM].f * px_per_mm, dev->opt[OPT_ROTATION_DEG].f};
    if (!sim_render_place(l->pixels, buf, l->format, l->width, l->height, &pl,
                          dev->scene.background))
        memcpy(buf, l->pixels, (size_t)l->width * l->height * dxp_pixel_size(l->format));
    if (dev->opt[OPT_NOISE].f > 0.0)
        sim_render_noise(buf, l->format, l->width, l->height, dev->opt[OPT_NOISE].f, &dev->rng);

    pthread_mutex_lock(&dev->lock);
    st = dev->cancel_requested ? DX_ERR_CANCELLED : DX_OK;
    pthread_mutex_unlock(&dev->lock);
    return st;
}

static dx_status sim_capture(dxp_device *dev, const char *illumination, void *buf, size_t size,
                             dxp_frame_meta *meta)
{
    sim_light *l;
    sim_glass *g;
    uint32_t li;
    unsigned side;
    dx_status st;

    if (!dev || !illumination || !buf || !meta)
        return DX_ERR_INVALID_ARG;
    if (dev->reader)
        return DX_ERR_UNSUPPORTED;
    if (dev->disconnected)
        return DX_ERR_DISCONNECTED;
    g = &dev->ctx->glass[dev->index];
    if (!(l = sim_scene_find(&dev->scene, illumination)))
        return DX_ERR_INVALID_ARG;
    li = (uint32_t)(l - dev->scene.lights);
    side = glass_side(dev, li);
    if (!(l = side_light(dev, side, l)))
        return DX_ERR_DATA;
    if (size < (size_t)l->width * l->height * dxp_pixel_size(l->format))
        return DX_ERR_INVALID_ARG;
    memset(meta, 0, sizeof *meta);
    meta->exposure_us = -1;
    if (side != g->side) { /* the operator turned the document over */
        g->side = side;
        memset(g->seen, 0, g->n_seen * sizeof *g->seen);
        dxp_log(dev->host, DXP_LOG_INFO, "device %u: %s captured again: the document was "
                "turned over, the %s is up", dev->index, illumination, side ? "back" : "front");
    }

    pthread_mutex_lock(&dev->lock);
    dev->capturing = true;
    dev->cancel_requested = false;
    pthread_mutex_unlock(&dev->lock);

    st = capture_body(dev, l, buf, meta);
    if (st == DX_OK && li < g->n_seen)
        g->seen[li] = true;

    pthread_mutex_lock(&dev->lock);
    dev->capturing = false;
    dev->cancel_requested = false;
    pthread_mutex_unlock(&dev->lock);
    return st;
}

static dx_status sim_cancel(dxp_device *dev)
{
    if (!dev)
        return DX_ERR_INVALID_ARG;
    if (dev->reader)
        return sim_reader_cancel(dev->reader);
    pthread_mutex_lock(&dev->lock);
    if (dev->capturing) {
        dev->cancel_requested = true;
        pthread_cond_broadcast(&dev->cond);
    }
    pthread_mutex_unlock(&dev->lock);
    return DX_OK;
}

/* ---- chip readers ------------------------------------------------------- */

/* The chip directory of a reader: its "chip" option, else the setting
 * sim.chip, else <scene>/chip with the scene as the scanner finds it.
 * false when none can be named (then the field stays empty). */
static bool chip_dir(dxp_device *dev, char *buf, size_t size)
{
    const dxp_host *host = dev->host;
    const char *opt = sim_reader_chip_option(dev->reader);
    char scene[SIM_PATH_MAX];

    if (opt[0])
        return (size_t)snprintf(buf, size, "%s", opt) < size;
    if (!host->get_setting)
        return false;
    if (host->get_setting(host->ctx, "sim.chip", buf, size) == DX_OK && buf[0])
        return true;
    if (host->get_setting(host->ctx, "sim.scene", scene, sizeof scene) == DX_OK && scene[0])
        return (size_t)snprintf(buf, size, "%s/chip", scene) < size;
    if (host->get_setting(host->ctx, "docex.datadir", scene, sizeof scene) == DX_OK)
        return (size_t)snprintf(buf, size, "%s/scenes/default/chip", scene) < size;
    return false;
}

static dx_status sim_wait_card(dxp_device *dev, int32_t timeout_ms, uint8_t *atr,
                               size_t atr_size, size_t *atr_len)
{
    char dir[SIM_PATH_MAX];
    if (!dev)
        return DX_ERR_INVALID_ARG;
    if (!dev->reader)
        return DX_ERR_UNSUPPORTED;
    return sim_reader_wait_card(dev->reader, chip_dir(dev, dir, sizeof dir) ? dir : NULL,
                                timeout_ms, atr, atr_size, atr_len);
}

static dx_status sim_transmit(dxp_device *dev, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                              size_t rsp_size, size_t *rsp_len)
{
    if (!dev)
        return DX_ERR_INVALID_ARG;
    if (!dev->reader)
        return DX_ERR_UNSUPPORTED;
    return sim_reader_transmit(dev->reader, cmd, cmd_len, rsp, rsp_size, rsp_len);
}

static dx_status sim_release_card(dxp_device *dev)
{
    if (!dev)
        return DX_ERR_INVALID_ARG;
    if (!dev->reader)
        return DX_ERR_UNSUPPORTED;
    return sim_reader_release_card(dev->reader);
}

static dx_status sim_chip_cancel(dxp_device *dev)
{
    if (!dev)
        return DX_ERR_INVALID_ARG;
    if (!dev->reader)
        return DX_ERR_UNSUPPORTED;
    return sim_reader_cancel(dev->reader);
}

/* ---- descriptor ------------------------------------------------------- */

static const dxp_capture_ops sim_scanner_ops = {
    .struct_size = sizeof(dxp_capture_ops),
    .get_frame_format = sim_get_frame_format,
    .capture = sim_capture,
    .cancel = sim_cancel,
};

static const dxp_chip_ops sim_chip_ops = {
    .struct_size = sizeof(dxp_chip_ops),
    .wait_card = sim_wait_card,
    .transmit = sim_transmit,
    .release_card = sim_release_card,
    .cancel = sim_chip_cancel,
};

static const dxp_plugin sim_plugin = {
    .abi_major = DXP_ABI_MAJOR,
    .abi_minor = DXP_ABI_MINOR,
    .struct_size = sizeof(dxp_plugin),
    .flags = 0,
    .name = "sim",
    .version = "0.1.0",
    .vendor = "docex project",
    .license = "LGPL-2.1-or-later",
    .description = "simulated multispectral document scanner and contactless ePassport reader "
                   "with fault injection",
    .init = sim_init,
    .fini = sim_fini,
    .enumerate = sim_enumerate,
    .open = sim_open,
    .close = sim_close,
    .describe = sim_describe,
    .set_option = sim_set_option,
    .get_option = sim_get_option,
    .scanner = &sim_scanner_ops,
    .camera = NULL,
    .chip = &sim_chip_ops,
    .light = NULL,
};

DXP_PLUGIN_ENTRY(sim_plugin)
