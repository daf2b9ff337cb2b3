/* A device's self-description, checked and copied out of the plugin.
 *
 * The host never keeps pointing into plugin memory: every table describe()
 * hands over is checked against the DXP_MAX_* limits and the name rules of
 * plugin.h, then copied (strings included), so a plugin's later mistakes
 * cannot reach the host and a plugin may one day run in another process. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "host/describe.h"

#define TEXT_MAX 512 /* longest description or option text kept */

static dx_status bad(dx_error *err, const char *dev, const char *plugin, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static dx_status bad(dx_error *err, const char *dev, const char *plugin, const char *fmt, ...)
{
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return dx_error_set(err, DX_ERR_PROTOCOL, "device %s: plugin %s described an invalid device: %s",
                        dev, plugin, what);
}

bool dx_name_ok(const char *s)
{
    size_t n;
    if (!s)
        return false;
    n = strnlen(s, DXP_NAME_MAX);
    if (n == 0 || n >= DXP_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* Plugin text for a message: bounded, sanitised, "(null)" for NULL. */
static const char *shown(const char *s, char *buf, size_t size)
{
    size_t n;
    if (!s)
        return "(null)";
    n = strnlen(s, size - 1);
    memcpy(buf, s, n);
    buf[n] = '\0';
    dx_text_sanitize(buf);
    return buf;
}

/* A bounded, sanitised copy of plugin text (NULL gives ""). */
static char *text_copy(const char *s)
{
    size_t n = s ? strnlen(s, TEXT_MAX) : 0;
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    dx_text_sanitize(d);
    return d;
}

static void option_free(dxp_option *o)
{
    free((char *)o->name);
    free((char *)o->default_value);
    free((char *)o->description);
    if (o->choices) {
        for (const char *const *c = o->choices; *c; c++)
            free((char *)*c);
        free((void *)o->choices);
    }
}

void dx_desc_free(dx_desc_copy *c)
{
    for (uint32_t i = 0; i < c->desc.n_options; i++)
        option_free(&c->options[i]);
    free(c->options);
    for (uint32_t i = 0; i < c->desc.n_illuminations; i++) {
        free((char *)c->illuminations[i].name);
        free((char *)c->illuminations[i].description);
    }
    free(c->illuminations);
    free(c->resolutions);
    free(c->formats);
    memset(c, 0, sizeof *c);
}

static dx_status copy_option(const dxp_option *in, dxp_option *o, const char *dev,
                             const char *plugin, dx_error *err)
{
    dxp_value v;
    dx_error perr;
    memset(o, 0, sizeof *o);
    if (!dx_name_ok(in->name)) {
        char buf[48];
        return bad(err, dev, plugin, "option name \"%s\" is not [a-z0-9_]{1,%d}",
                   shown(in->name, buf, sizeof buf), DXP_NAME_MAX - 1);
    }
    if (in->type < DXP_OPT_BOOL || in->type > DXP_OPT_ENUM)
        return bad(err, dev, plugin, "option %s has unknown type %d", in->name, (int)in->type);
    if ((unsigned)in->unit > DXP_UNIT_COUNT)
        return bad(err, dev, plugin, "option %s has unknown unit %d", in->name, (int)in->unit);
    if (in->type == DXP_OPT_INT && in->min_i > in->max_i)
        return bad(err, dev, plugin, "option %s: min > max", in->name);
    if (in->type == DXP_OPT_FLOAT &&
        (!isfinite(in->min_f) || !isfinite(in->max_f) || in->min_f > in->max_f))
        return bad(err, dev, plugin, "option %s: bad range", in->name);
    *o = *in;
    memset(o->reserved, 0, sizeof o->reserved);
    o->choices = NULL;
    o->name = text_copy(in->name);
    o->default_value = text_copy(in->default_value);
    o->description = text_copy(in->description);
    if (!o->name || !o->default_value || !o->description)
        goto nomem;
    if (in->type == DXP_OPT_ENUM) {
        size_t n = 0;
        const char **ch;
        while (in->choices && n <= DXP_MAX_CHOICES && in->choices[n])
            n++;
        if (!in->choices || n == 0 || n > DXP_MAX_CHOICES)
            return bad(err, dev, plugin, "option %s: an enum needs 1..%d choices", in->name,
                       DXP_MAX_CHOICES);
        ch = calloc(n + 1, sizeof *ch);
        if (!ch)
            goto nomem;
        o->choices = ch;
        for (size_t i = 0; i < n; i++) {
            if (strnlen(in->choices[i], DXP_VALUE_TEXT_MAX) >= DXP_VALUE_TEXT_MAX)
                return bad(err, dev, plugin, "option %s: a choice is too long", in->name);
            if (!(ch[i] = text_copy(in->choices[i])))
                goto nomem;
        }
    }
    if (!in->default_value || dx_option_parse(o, o->default_value, &v, &perr) != DX_OK)
        return bad(err, dev, plugin, "option %s: its default \"%s\" is not a valid value",
                   o->name, o->default_value);
    return DX_OK;
nomem:
    return dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
}

dx_status dx_desc_copy_from(const dxp_device_desc *in, const char *dev, const char *plugin,
                            dx_desc_copy *c, dx_error *err)
{
    dx_status st = DX_OK;
    memset(c, 0, sizeof *c);
    c->desc.struct_size = sizeof c->desc;
    c->desc.kinds = in->kinds;

#define CHECK_TABLE(ptr, n, max, what)                                                       \
    do {                                                                                     \
        if ((n) > (max))                                                                     \
            return bad(err, dev, plugin, "%u %s, more than the limit of %d", (unsigned)(n), \
                       what, max);                                                           \
        if ((n) && !(ptr))                                                                   \
            return bad(err, dev, plugin, "%u %s but no table", (unsigned)(n), what);         \
    } while (0)
    CHECK_TABLE(in->illuminations, in->n_illuminations, DXP_MAX_ILLUMINATIONS, "illuminations");
    CHECK_TABLE(in->resolutions_dpi, in->n_resolutions, DXP_MAX_RESOLUTIONS, "resolutions");
    CHECK_TABLE(in->pixel_formats, in->n_pixel_formats, DXP_MAX_PIXEL_FORMATS, "pixel formats");
    CHECK_TABLE(in->options, in->n_options, DXP_MAX_OPTIONS, "options");
#undef CHECK_TABLE

    c->illuminations = calloc(in->n_illuminations + 1, sizeof *c->illuminations);
    c->resolutions = calloc(in->n_resolutions + 1, sizeof *c->resolutions);
    c->formats = calloc(in->n_pixel_formats + 1, sizeof *c->formats);
    c->options = calloc(in->n_options + 1, sizeof *c->options);
    if (!c->illuminations || !c->resolutions || !c->formats || !c->options) {
        st = dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < in->n_illuminations; i++) {
        const dxp_illumination *il = &in->illuminations[i];
        dxp_illumination *o = &c->illuminations[i];
        if (!dx_name_ok(il->name)) {
            char buf[48];
            st = bad(err, dev, plugin, "illumination %u: name \"%s\" is not [a-z0-9_]{1,%d}", i,
                     shown(il->name, buf, sizeof buf), DXP_NAME_MAX - 1);
            goto fail;
        }
        for (uint32_t k = 0; k < i; k++)
            if (strcmp(c->illuminations[k].name, il->name) == 0) {
                st = bad(err, dev, plugin, "duplicate illumination \"%s\"", il->name);
                goto fail;
            }
        if ((unsigned)il->geometry > DX_GEOMETRY_COAXIAL) {
            st = bad(err, dev, plugin, "illumination %s: unknown geometry %d", il->name,
                     (int)il->geometry);
            goto fail;
        }
        *o = *il;
        memset(o->reserved, 0, sizeof o->reserved);
        o->name = text_copy(il->name);
        o->description = text_copy(il->description);
        c->desc.n_illuminations = i + 1;
        if (!o->name || !o->description) {
            st = dx_error_set(err, DX_ERR_NO_MEMORY, "out of memory");
            goto fail;
        }
    }
    for (uint32_t i = 0; i < in->n_resolutions; i++) {
        if (in->resolutions_dpi[i] == 0 || in->resolutions_dpi[i] > 100000) {
            st = bad(err, dev, plugin, "resolution %u dpi", in->resolutions_dpi[i]);
            goto fail;
        }
        c->resolutions[i] = in->resolutions_dpi[i];
    }
    c->desc.n_resolutions = in->n_resolutions;
    for (uint32_t i = 0; i < in->n_pixel_formats; i++) {
        if (dxp_pixel_size(in->pixel_formats[i]) == 0) {
            st = bad(err, dev, plugin, "unknown pixel format %d", (int)in->pixel_formats[i]);
            goto fail;
        }
        c->formats[i] = in->pixel_formats[i];
    }
    c->desc.n_pixel_formats = in->n_pixel_formats;
    for (uint32_t i = 0; i < in->n_options; i++) {
        st = copy_option(&in->options[i], &c->options[i], dev, plugin, err);
        c->desc.n_options = i + 1; /* the partial copy is freed below */
        if (st != DX_OK)
            goto fail;
        for (uint32_t k = 0; k < i; k++)
            if (strcmp(c->options[k].name, c->options[i].name) == 0) {
                st = bad(err, dev, plugin, "duplicate option \"%s\"", c->options[i].name);
                goto fail;
            }
    }
    c->desc.illuminations = c->illuminations;
    c->desc.resolutions_dpi = c->resolutions;
    c->desc.pixel_formats = c->formats;
    c->desc.options = c->options;
    return DX_OK;
fail:
    dx_desc_free(c);
    return st;
}
