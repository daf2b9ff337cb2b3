/* Devices: enumeration, open/close, options, capture — the host side of the
 * vendor ABI, with every plugin answer checked before it is used. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "host/describe.h"
#include "host/host_internal.h"

struct dx_device {
    dx_host *host;
    dx_plugin *plugin;
    dxp_device *pdev;            /* NULL once closed */
    char id[128];
    dxp_device_info info;
    dx_desc_copy copy;           /* checked copy of describe()'s tables */
    dx_illumination *illums;
    size_t n_illums;
    const dxp_capture_ops *cap;  /* scanner or camera table, or NULL */
    pthread_mutex_t state;       /* guards pdev, in_op: close vs cancel vs capture */
    pthread_cond_t op_done;      /* signalled (under state) when in_op drops */
    bool in_op;                  /* a capture/transmit is inside the plugin */
    pthread_mutex_t op;          /* held while an operation runs */
};

/* Cancel keeps asking the plugin until the operation returns: a plugin's
 * cancel() is a no-op when it has not entered capture() yet, so one request
 * sent in that instant would be lost. */
#define DX_CANCEL_RETRY_MS 5
#define DX_CANCEL_MAX_WAIT_MS 2000

/* The plugin context's calls (enumerate, open) are always serialised. */
static void ctx_lock(dx_plugin *p)
{
    pthread_mutex_lock(&p->ctx_lock);
}
static void ctx_unlock(dx_plugin *p)
{
    pthread_mutex_unlock(&p->ctx_lock);
}

/* Serialise calls into a plugin that asked for it (DXP_PLUGIN_FLAG_SERIAL). */
static void plug_lock(dx_plugin *p)
{
    if (p->serialised)
        pthread_mutex_lock(&p->serial);
}
static void plug_unlock(dx_plugin *p)
{
    if (p->serialised)
        pthread_mutex_unlock(&p->serial);
}

static dx_plugin *plugin_by_name(dx_host *host, const char *name, size_t len)
{
    for (size_t i = 0; i < host->n_plugins; i++)
        if (strlen(host->plugins[i]->info.name) == len &&
            strncmp(host->plugins[i]->info.name, name, len) == 0)
            return host->plugins[i];
    return NULL;
}

/* Enumerate one plugin into a fresh array (caller frees). */
static dx_status enumerate_plugin(dx_plugin *p, dxp_device_info **out, uint32_t *count)
{
    uint32_t cap = 8, n = 0;
    dxp_device_info *arr = NULL;
    dx_status st;
    for (int attempt = 0; attempt < 4; attempt++) {
        dxp_device_info *grown = realloc(arr, cap * sizeof *arr);
        if (!grown) {
            free(arr);
            return DX_ERR_NO_MEMORY;
        }
        arr = grown;
        memset(arr, 0, cap * sizeof *arr);
        ctx_lock(p);
        plug_lock(p);
        st = p->desc->enumerate(p->ctx, arr, cap, &n);
        plug_unlock(p);
        ctx_unlock(p);
        if (st != DX_OK) {
            free(arr);
            return st;
        }
        if (n <= cap || cap == DXP_MAX_DEVICES)
            break;
        cap = n > DXP_MAX_DEVICES ? DXP_MAX_DEVICES : n;
    }
    if (n > cap) {
        ctx_lock(p);
        if (!p->warned_many)
            dx_log(DX_CAT_DEVICE, DX_LOG_WARNING, "plugin %s reports %u devices; using the "
                   "first %u", p->info.name, n, cap);
        p->warned_many = true;
        ctx_unlock(p);
        n = cap;
    }
    for (uint32_t i = 0; i < n; i++) { /* the plugin's text: terminated, printable UTF-8 */
        arr[i].id[sizeof arr[i].id - 1] = '\0';
        arr[i].model[sizeof arr[i].model - 1] = '\0';
        arr[i].vendor[sizeof arr[i].vendor - 1] = '\0';
        arr[i].serial[sizeof arr[i].serial - 1] = '\0';
        dx_text_sanitize(arr[i].id);
        dx_text_sanitize(arr[i].model);
        dx_text_sanitize(arr[i].vendor);
        dx_text_sanitize(arr[i].serial);
        memset(arr[i].reserved, 0, sizeof arr[i].reserved);
    }
    *out = arr;
    *count = n;
    return DX_OK;
}

dx_status dx_host_list_devices(dx_host *host, dx_device_entry **out, size_t *count, dx_error *err)
{
    dx_device_entry *all = NULL;
    size_t total = 0;
    if (!host || !out || !count)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "dx_host_list_devices: NULL argument");
    for (size_t i = 0; i < host->n_plugins; i++) {
        dx_plugin *p = host->plugins[i];
        dxp_device_info *infos;
        uint32_t n;
        dx_device_entry *grown;
        dx_status st = enumerate_plugin(p, &infos, &n);
        if (st != DX_OK) {
            dx_log(DX_CAT_DEVICE, DX_LOG_WARNING, "plugin %s: enumerate failed: %s",
                   p->info.name, dx_status_str(st));
            continue;
        }
        grown = realloc(all, (total + n + 1) * sizeof *all);
        if (!grown) {
            free(infos);
            free(all);
            return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
        }
        all = grown;
        for (uint32_t k = 0; k < n; k++) {
            dx_device_entry *e = &all[total++];
            memset(e, 0, sizeof *e);
            snprintf(e->id, sizeof e->id, "%s:%s", p->info.name, infos[k].id);
            e->plugin = p->info.name;
            e->info = infos[k];
        }
        free(infos);
    }
    *out = all;
    *count = total;
    return DX_OK;
}

/* Resolve the device's illuminations: standard names get the standard band
 * and geometry; vendor names keep theirs (and must give a band). */
static dx_status resolve_illuminations(dx_device *dev, dx_error *err)
{
    const dxp_device_desc *d = &dev->copy.desc; /* names checked and unique */
    if (d->n_illuminations == 0)
        return DX_OK;
    dev->illums = calloc(d->n_illuminations, sizeof *dev->illums);
    if (!dev->illums)
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    for (uint32_t i = 0; i < d->n_illuminations; i++) {
        const dxp_illumination *in = &d->illuminations[i];
        dx_illumination *o = &dev->illums[dev->n_illums];
        const dx_illumination *std = dx_illumination_find(in->name);
        if (std) {
            *o = *std;
            if ((in->band_lo_nm || in->band_hi_nm) &&
                (in->band_lo_nm != std->band_lo_nm || in->band_hi_nm != std->band_hi_nm))
                dx_log(DX_CAT_DEVICE, DX_LOG_INFO, "device %s: %s band %u-%u nm differs from "
                       "the standard %u-%u nm; using the device's", dev->id, in->name,
                       in->band_lo_nm, in->band_hi_nm, std->band_lo_nm, std->band_hi_nm);
            if (in->band_lo_nm || in->band_hi_nm) {
                o->band_lo_nm = in->band_lo_nm;
                o->band_hi_nm = in->band_hi_nm;
            }
        } else {
            dx_strlcpy(o->name, in->name, sizeof o->name);
            o->band_lo_nm = in->band_lo_nm;
            o->band_hi_nm = in->band_hi_nm;
            o->geometry = in->geometry;
            o->standard = false;
            o->description = "";
            if (in->band_lo_nm == 0 || in->band_hi_nm < in->band_lo_nm)
                dx_log(DX_CAT_DEVICE, DX_LOG_WARNING, "device %s: vendor illumination %s "
                       "gives no valid band", dev->id, in->name);
        }
        dev->n_illums++;
    }
    return DX_OK;
}

dx_status dx_device_open(dx_host *host, const char *id, dx_device **out, dx_error *err)
{
    const char *colon;
    dx_plugin *p;
    dxp_device_info *infos = NULL;
    uint32_t n = 0;
    dx_device *dev = NULL;
    dx_status st;
    bool found = false;

    if (!host || !id || !out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "dx_device_open: NULL argument");
    *out = NULL;
    colon = strchr(id, ':');
    if (!colon || colon == id || !colon[1] || strlen(id) >= sizeof dev->id)
        return dx_error_set(err, DX_ERR_INVALID_ARG,
                            "device id \"%s\" is not PLUGIN:DEVICE (e.g. sim:0)", id);
    p = plugin_by_name(host, id, (size_t)(colon - id));
    if (!p)
        return dx_error_set(err, DX_ERR_NOT_FOUND, "device %s: no plugin named \"%.*s\" is "
                            "loaded (see docex plugins)", id, (int)(colon - id), id);
    st = enumerate_plugin(p, &infos, &n);
    if (st != DX_OK)
        return dx_error_set(err, st, "device %s: plugin %s cannot list its devices: %s", id,
                            p->info.name, dx_status_str(st));
    dev = calloc(1, sizeof *dev);
    if (!dev) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(infos[i].id, colon + 1) == 0) {
            dev->info = infos[i];
            found = true;
        }
    if (!found) {
        st = dx_error_set(err, DX_ERR_NOT_FOUND, "device %s: not present (plugin %s has %u "
                          "device%s; see docex devices)", id, p->info.name, n, n == 1 ? "" : "s");
        goto fail;
    }
    dev->host = host;
    dev->plugin = p;
    dx_strlcpy(dev->id, id, sizeof dev->id);
    pthread_mutex_init(&dev->state, NULL);
    pthread_cond_init(&dev->op_done, NULL);
    pthread_mutex_init(&dev->op, NULL);
    ctx_lock(p);
    plug_lock(p);
    st = p->desc->open(p->ctx, colon + 1, &dev->pdev);
    plug_unlock(p);
    ctx_unlock(p);
    if (st != DX_OK || !dev->pdev) {
        if (st == DX_OK)
            st = DX_ERR_PROTOCOL;
        dx_error_set(err, st, "device %s: open failed: %s", id, dx_status_str(st));
        dev->pdev = NULL;
        goto fail_dev;
    }
    {
        dxp_device_desc raw;
        memset(&raw, 0, sizeof raw);
        raw.struct_size = sizeof raw;
        plug_lock(p);
        st = p->desc->describe(dev->pdev, &raw);
        plug_unlock(p);
        if (st != DX_OK) {
            dx_error_set(err, st, "device %s: describe failed: %s", id, dx_status_str(st));
            goto fail_dev;
        }
        if ((st = dx_desc_copy_from(&raw, id, p->info.name, &dev->copy, err)) != DX_OK)
            goto fail_dev;
    }
    if ((st = resolve_illuminations(dev, err)) != DX_OK)
        goto fail_dev;
    if ((dev->copy.desc.kinds & DXP_KIND_SCANNER) && p->desc->scanner)
        dev->cap = p->desc->scanner;
    else if ((dev->copy.desc.kinds & DXP_KIND_CAMERA) && p->desc->camera)
        dev->cap = p->desc->camera;
    free(infos);
    dx_log(DX_CAT_DEVICE, DX_LOG_DEBUG, "device %s opened (%s)", id, dev->info.model);
    *out = dev;
    return DX_OK;

fail_dev:
    dx_device_free(dev);
    dev = NULL;
fail:
    free(dev);
    free(infos);
    return st;
}

void dx_device_close(dx_device *dev)
{
    if (!dev)
        return;
    /* stop a running operation, wait for it, then close */
    dx_device_cancel(dev);
    pthread_mutex_lock(&dev->op);
    pthread_mutex_lock(&dev->state);
    if (dev->pdev) {
        plug_lock(dev->plugin);
        dev->plugin->desc->close(dev->pdev);
        plug_unlock(dev->plugin);
        dev->pdev = NULL;
    }
    pthread_mutex_unlock(&dev->state);
    pthread_mutex_unlock(&dev->op);
}

void dx_device_free(dx_device *dev)
{
    if (!dev)
        return;
    if (dev->plugin)
        dx_device_close(dev);
    pthread_mutex_destroy(&dev->state);
    pthread_cond_destroy(&dev->op_done);
    pthread_mutex_destroy(&dev->op);
    free(dev->illums);
    dx_desc_free(&dev->copy);
    free(dev);
}

const char *dx_device_id(const dx_device *dev)
{
    return dev ? dev->id : NULL;
}

const dxp_device_info *dx_device_info(const dx_device *dev)
{
    return dev ? &dev->info : NULL;
}

const dx_plugin_info *dx_device_plugin(const dx_device *dev)
{
    return dev ? &dev->plugin->info : NULL;
}

const dxp_device_desc *dx_device_desc(const dx_device *dev)
{
    return dev && dev->pdev ? &dev->copy.desc : NULL;
}

size_t dx_device_illumination_count(const dx_device *dev)
{
    return dev && dev->pdev ? dev->n_illums : 0;
}

const dx_illumination *dx_device_illumination_at(const dx_device *dev, size_t i)
{
    return dev && dev->pdev && i < dev->n_illums ? &dev->illums[i] : NULL;
}

const dx_illumination *dx_device_illumination_find(const dx_device *dev, const char *name)
{
    if (!dev || !name)
        return NULL;
    for (size_t i = 0; i < dev->n_illums; i++)
        if (strcmp(dev->illums[i].name, name) == 0)
            return &dev->illums[i];
    return NULL;
}

bool dx_device_can_capture(const dx_device *dev)
{
    return dev && dev->cap;
}

/* ---- options ------------------------------------------------------------- */

static const dxp_option *option_find(const dx_device *dev, const char *name, size_t len)
{
    for (uint32_t i = 0; i < dev->copy.desc.n_options; i++) {
        const dxp_option *o = &dev->copy.desc.options[i];
        if (o->name && strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    }
    return NULL;
}

dx_status dx_option_parse(const dxp_option *opt, const char *text, dxp_value *out, dx_error *err)
{
    char *end;
    if (!opt || !text || !out)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "dx_option_parse: NULL argument");
    memset(out, 0, sizeof *out);
    out->type = opt->type;
    switch (opt->type) {
    case DXP_OPT_BOOL:
        if (!strcasecmp(text, "true") || !strcmp(text, "1") || !strcasecmp(text, "yes") ||
            !strcasecmp(text, "on"))
            out->i = 1;
        else if (!strcasecmp(text, "false") || !strcmp(text, "0") || !strcasecmp(text, "no") ||
                 !strcasecmp(text, "off"))
            out->i = 0;
        else
            return dx_error_set(err, DX_ERR_INVALID_ARG, "option %s: \"%s\" is not a boolean "
                                "(true/false)", opt->name, text);
        return DX_OK;
    case DXP_OPT_INT: {
        long long v;
        errno = 0;
        v = strtoll(text, &end, 0);
        if (!*text || *end || errno || isspace((unsigned char)*text))
            return dx_error_set(err, DX_ERR_INVALID_ARG, "option %s: \"%s\" is not an integer",
                                opt->name, text);
        if (v < opt->min_i || v > opt->max_i)
            return dx_error_set(err, DX_ERR_INVALID_ARG, "option %s: %lld is outside %lld..%lld",
                                opt->name, v, (long long)opt->min_i, (long long)opt->max_i);
        out->i = v;
        return DX_OK;
    }
    case DXP_OPT_FLOAT: {
        double v;
        errno = 0;
        v = strtod(text, &end);
        if (!*text || *end || errno || !isfinite(v) || isspace((unsigned char)*text))
            return dx_error_set(err, DX_ERR_INVALID_ARG, "option %s: \"%s\" is not a number",
                                opt->name, text);
        if (v < opt->min_f || v > opt->max_f)
            return dx_error_set(err, DX_ERR_INVALID_ARG, "option %s: %g is outside %g..%g",
                                opt->name, v, opt->min_f, opt->max_f);
        out->f = v;
        return DX_OK;
    }
    case DXP_OPT_STRING:
        if (!dx_strlcpy(out->s, text, sizeof out->s))
            return dx_error_set(err, DX_ERR_INVALID_ARG, "option %s: value longer than %d bytes",
                                opt->name, DXP_VALUE_TEXT_MAX - 1);
        return DX_OK;
    case DXP_OPT_ENUM:
        for (const char *const *c = opt->choices; c && *c; c++)
            if (strcmp(*c, text) == 0) {
                dx_strlcpy(out->s, text, sizeof out->s);
                return DX_OK;
            }
        {
            char list[256] = "";
            for (const char *const *c = opt->choices; c && *c; c++) {
                if (*list)
                    strncat(list, ", ", sizeof list - strlen(list) - 1);
                strncat(list, *c, sizeof list - strlen(list) - 1);
            }
            return dx_error_set(err, DX_ERR_INVALID_ARG, "option %s: \"%s\" is not one of: %s",
                                opt->name, text, list);
        }
    }
    return dx_error_set(err, DX_ERR_PROTOCOL, "option %s: unknown type %d", opt->name,
                        (int)opt->type);
}

static dx_status check_open(dx_device *dev, dx_error *err)
{
    if (!dev)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "no device");
    if (!dev->pdev)
        return dx_error_set(err, DX_ERR_STATE, "device %s is closed", dev->id);
    return DX_OK;
}

static dx_status apply_option(dx_device *dev, const dxp_option *o, const dxp_value *v,
                              dx_error *err)
{
    dx_status st;
    if (!dev->plugin->desc->set_option)
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "device %s has no settable options",
                            dev->id);
    pthread_mutex_lock(&dev->op);
    plug_lock(dev->plugin);
    st = dev->pdev ? dev->plugin->desc->set_option(dev->pdev, o->name, v) : DX_ERR_STATE;
    plug_unlock(dev->plugin);
    pthread_mutex_unlock(&dev->op);
    if (st != DX_OK)
        return dx_error_set(err, st, "device %s: setting %s failed: %s", dev->id, o->name,
                            dx_status_str(st));
    return DX_OK;
}

static dx_status unknown_option(dx_device *dev, const char *name, size_t len, dx_error *err)
{
    char list[300] = "";
    for (uint32_t i = 0; i < dev->copy.desc.n_options; i++) {
        if (*list)
            strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, dev->copy.desc.options[i].name ? dev->copy.desc.options[i].name : "?",
                sizeof list - strlen(list) - 1);
    }
    return dx_error_set(err, DX_ERR_NOT_FOUND, "device %s has no option \"%.*s\" (options: %s)",
                        dev->id, (int)len, name, *list ? list : "none");
}

dx_status dx_device_set_option(dx_device *dev, const char *name, const char *value, dx_error *err)
{
    const dxp_option *o;
    dxp_value v;
    dx_status st;
    if ((st = check_open(dev, err)) != DX_OK)
        return st;
    if (!name || !value)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "dx_device_set_option: NULL argument");
    if (!(o = option_find(dev, name, strlen(name))))
        return unknown_option(dev, name, strlen(name), err);
    if ((st = dx_option_parse(o, value, &v, err)) != DX_OK)
        return st;
    return apply_option(dev, o, &v, err);
}

dx_status dx_device_set_options(dx_device *dev, const char *settings, dx_error *err)
{
    const dxp_option **opts = NULL;
    dxp_value *vals = NULL;
    size_t n = 0, cap = 0;
    char *copy = NULL, *item, *save = NULL;
    dx_status st;

    if ((st = check_open(dev, err)) != DX_OK)
        return st;
    if (!settings || !*settings)
        return DX_OK;
    if (!(copy = dx_strdup(settings)))
        return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
    /* parse and check everything first: nothing is applied when any is wrong */
    for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq;
        const dxp_option *o;
        while (isspace((unsigned char)*item))
            item++;
        if (!*item)
            continue;
        eq = strchr(item, '=');
        if (!eq || eq == item) {
            st = dx_error_set(err, DX_ERR_INVALID_ARG, "device %s: setting \"%s\" is not "
                              "NAME=VALUE", dev->id, item);
            goto out;
        }
        if (!(o = option_find(dev, item, (size_t)(eq - item)))) {
            st = unknown_option(dev, item, (size_t)(eq - item), err);
            goto out;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            const dxp_option **no = realloc(opts, nc * sizeof *no);
            dxp_value *nv = no ? realloc(vals, nc * sizeof *nv) : NULL;
            if (no)
                opts = no;
            if (!no || !nv) {
                st = dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
                goto out;
            }
            vals = nv;
            cap = nc;
        }
        opts[n] = o;
        if ((st = dx_option_parse(o, eq + 1, &vals[n], err)) != DX_OK) {
            char msg[sizeof err->message];
            if (err) {
                memcpy(msg, err->message, sizeof msg);
                dx_error_set(err, st, "device %s: %s", dev->id, msg);
            }
            goto out;
        }
        n++;
    }
    for (size_t i = 0; i < n; i++)
        if ((st = apply_option(dev, opts[i], &vals[i], err)) != DX_OK)
            goto out;
    st = DX_OK;
out:
    free(opts);
    free(vals);
    free(copy);
    return st;
}

/* ---- capture ------------------------------------------------------------ */

static dx_status check_capture(dx_device *dev, const char *illumination, dx_error *err)
{
    dx_status st;
    if ((st = check_open(dev, err)) != DX_OK)
        return st;
    if (!dev->cap)
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "device %s cannot capture images", dev->id);
    if (!illumination)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "device %s: no illumination given", dev->id);
    if (dev->n_illums && !dx_device_illumination_find(dev, illumination)) {
        char list[400] = "";
        for (size_t i = 0; i < dev->n_illums; i++) {
            if (*list)
                strncat(list, ", ", sizeof list - strlen(list) - 1);
            strncat(list, dev->illums[i].name, sizeof list - strlen(list) - 1);
        }
        return dx_error_set(err, DX_ERR_INVALID_ARG, "device %s offers no illumination \"%s\" "
                            "(it offers: %s)", dev->id, illumination, list);
    }
    return DX_OK;
}

dx_status dx_device_frame_format(dx_device *dev, const char *illumination, dxp_frame_format *fmt,
                                 dx_error *err)
{
    dx_status st;
    uint32_t bpp;
    if ((st = check_capture(dev, illumination, err)) != DX_OK)
        return st;
    if (!fmt)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "dx_device_frame_format: NULL format");
    memset(fmt, 0, sizeof *fmt);
    pthread_mutex_lock(&dev->op);
    plug_lock(dev->plugin);
    st = dev->pdev ? dev->cap->get_frame_format(dev->pdev, illumination, fmt) : DX_ERR_STATE;
    plug_unlock(dev->plugin);
    pthread_mutex_unlock(&dev->op);
    if (st != DX_OK)
        return dx_error_set(err, st, "device %s: frame format under %s: %s", dev->id,
                            illumination, dx_status_str(st));
    bpp = dxp_pixel_size(fmt->format);
    if (!bpp || !fmt->width || !fmt->height || fmt->width > 65535 || fmt->height > 65535 ||
        (uint64_t)fmt->stride < (uint64_t)fmt->width * bpp ||
        (uint64_t)fmt->stride * fmt->height > ((uint64_t)1 << 31))
        return dx_error_set(err, DX_ERR_PROTOCOL, "device %s: plugin %s announced a bad frame "
                            "format under %s (format %d, %ux%u, stride %u)", dev->id,
                            dev->plugin->info.name, illumination, (int)fmt->format, fmt->width,
                            fmt->height, fmt->stride);
    return DX_OK;
}

dx_status dx_device_capture(dx_device *dev, const char *illumination, void *buf, size_t size,
                            dxp_frame_meta *meta, dx_error *err)
{
    dx_status st;
    dxp_frame_meta local;
    if ((st = check_capture(dev, illumination, err)) != DX_OK)
        return st;
    if (!buf)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "dx_device_capture: NULL buffer");
    if (!meta)
        meta = &local;
    memset(meta, 0, sizeof *meta);
    meta->exposure_us = -1;
    pthread_mutex_lock(&dev->op);
    pthread_mutex_lock(&dev->state);
    dev->in_op = dev->pdev != NULL;
    pthread_mutex_unlock(&dev->state);
    plug_lock(dev->plugin);
    st = dev->pdev ? dev->cap->capture(dev->pdev, illumination, buf, size, meta) : DX_ERR_STATE;
    plug_unlock(dev->plugin);
    pthread_mutex_lock(&dev->state);
    dev->in_op = false;
    pthread_cond_broadcast(&dev->op_done);
    pthread_mutex_unlock(&dev->state);
    pthread_mutex_unlock(&dev->op);
    if (st != DX_OK)
        return dx_error_set(err, st, "device %s: capture under %s failed: %s", dev->id,
                            illumination, dx_status_str(st));
    return DX_OK;
}

/* ---- chip readers ---------------------------------------------------------- */

bool dx_device_is_chip_reader(const dx_device *dev)
{
    return dev && (dev->copy.desc.kinds & DXP_KIND_CHIP_READER) && dev->plugin->desc->chip;
}

static dx_status check_chip(dx_device *dev, dx_error *err)
{
    dx_status st;
    if ((st = check_open(dev, err)) != DX_OK)
        return st;
    if (!dx_device_is_chip_reader(dev))
        return dx_error_set(err, DX_ERR_UNSUPPORTED, "device %s is not a chip reader", dev->id);
    return DX_OK;
}

/* Runs one chip operation with the locks and in_op flag a capture uses, so
 * cancel and close behave the same. */
typedef dx_status (*chip_call)(dx_device *dev, void *arg);

static dx_status run_chip_op(dx_device *dev, chip_call call, void *arg)
{
    dx_status st;
    pthread_mutex_lock(&dev->op);
    pthread_mutex_lock(&dev->state);
    dev->in_op = dev->pdev != NULL;
    pthread_mutex_unlock(&dev->state);
    plug_lock(dev->plugin);
    st = dev->pdev ? call(dev, arg) : DX_ERR_STATE;
    plug_unlock(dev->plugin);
    pthread_mutex_lock(&dev->state);
    dev->in_op = false;
    pthread_cond_broadcast(&dev->op_done);
    pthread_mutex_unlock(&dev->state);
    pthread_mutex_unlock(&dev->op);
    return st;
}

typedef struct wait_args {
    int32_t timeout_ms;
    uint8_t *atr;
    size_t atr_size, *atr_len;
} wait_args;

static dx_status call_wait(dx_device *dev, void *arg)
{
    wait_args *a = arg;
    return dev->plugin->desc->chip->wait_card(dev->pdev, a->timeout_ms, a->atr, a->atr_size,
                                              a->atr_len);
}

dx_status dx_device_wait_card(dx_device *dev, int32_t timeout_ms, uint8_t *atr, size_t atr_size,
                              size_t *atr_len, dx_error *err)
{
    dx_status st;
    size_t len = 0;
    if ((st = check_chip(dev, err)) != DX_OK)
        return st;
    if (!atr || !atr_len || atr_size < 2)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "dx_device_wait_card: no ATR buffer");
    *atr_len = 0;
    wait_args a = {timeout_ms, atr, atr_size, &len};
    st = run_chip_op(dev, call_wait, &a);
    if (st == DX_OK && (len == 0 || len > atr_size))
        return dx_error_set(err, DX_ERR_PROTOCOL,
                            "device %s: wait_card reported an ATR of %zu bytes for a %zu-byte "
                            "buffer", dev->id, len, atr_size);
    if (st != DX_OK)
        return dx_error_set(err, st, "device %s: %s", dev->id,
                            st == DX_ERR_NO_CARD ? "no card in the field" : dx_status_str(st));
    *atr_len = len;
    return DX_OK;
}

typedef struct xmit_args {
    const uint8_t *cmd;
    size_t cmd_len;
    uint8_t *rsp;
    size_t rsp_size, *rsp_len;
} xmit_args;

static dx_status call_transmit(dx_device *dev, void *arg)
{
    xmit_args *a = arg;
    return dev->plugin->desc->chip->transmit(dev->pdev, a->cmd, a->cmd_len, a->rsp, a->rsp_size,
                                             a->rsp_len);
}

dx_status dx_device_transmit(dx_device *dev, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                             size_t rsp_size, size_t *rsp_len, dx_error *err)
{
    dx_status st;
    size_t len = 0;
    if ((st = check_chip(dev, err)) != DX_OK)
        return st;
    if (!cmd || cmd_len < 4 || cmd_len > 65544 || !rsp || rsp_size < 2 || !rsp_len)
        return dx_error_set(err, DX_ERR_INVALID_ARG, "dx_device_transmit: bad buffers");
    *rsp_len = 0;
    xmit_args a = {cmd, cmd_len, rsp, rsp_size, &len};
    st = run_chip_op(dev, call_transmit, &a);
    if (st == DX_OK && (len < 2 || len > rsp_size))
        return dx_error_set(err, DX_ERR_PROTOCOL,
                            "device %s: transmit reported %zu response bytes for a %zu-byte "
                            "buffer", dev->id, len, rsp_size);
    if (st != DX_OK)
        return dx_error_set(err, st, "device %s: transmit: %s", dev->id, dx_status_str(st));
    *rsp_len = len;
    return DX_OK;
}

static dx_status call_release(dx_device *dev, void *arg)
{
    (void)arg;
    return dev->plugin->desc->chip->release_card(dev->pdev);
}

dx_status dx_device_release_card(dx_device *dev, dx_error *err)
{
    dx_status st;
    if ((st = check_chip(dev, err)) != DX_OK)
        return st;
    st = run_chip_op(dev, call_release, NULL);
    if (st != DX_OK)
        return dx_error_set(err, st, "device %s: release_card: %s", dev->id, dx_status_str(st));
    return DX_OK;
}

static dx_status cancel_once_locked(dx_device *dev)
{
    if (dev->cap)
        return dev->cap->cancel(dev->pdev);
    if (dev->plugin->desc->chip)
        return dev->plugin->desc->chip->cancel(dev->pdev);
    return DX_OK;
}

dx_status dx_device_cancel(dx_device *dev)
{
    dx_status st;
    if (!dev)
        return DX_ERR_INVALID_ARG;
    pthread_mutex_lock(&dev->state);
    if (!dev->pdev) {
        pthread_mutex_unlock(&dev->state);
        return DX_ERR_STATE;
    }
    st = cancel_once_locked(dev);
    /* then repeat until the running operation has returned (bounded) */
    for (int waited = 0; st == DX_OK && dev->in_op && waited < DX_CANCEL_MAX_WAIT_MS;
         waited += DX_CANCEL_RETRY_MS) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += DX_CANCEL_RETRY_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&dev->op_done, &dev->state, &until);
        if (dev->in_op && dev->pdev)
            st = cancel_once_locked(dev);
    }
    pthread_mutex_unlock(&dev->state);
    return st;
}
