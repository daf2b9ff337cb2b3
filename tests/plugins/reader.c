/* reader — a correct minimal chip reader with a ring light, for the
 * plugin-check tests of the chip and light operation tables.
 *
 * One device "0" (chip reader + light) with lights white and uv365 and one
 * option "card" (BOOL): whether a card lies in the field.  The host setting
 * "reader.card" ("present" or "absent", read in init()) gives the option's
 * starting value, so `plugin-check --set reader.card=present` reaches the
 * connected-card paths.  A connected card answers every APDU with 90 00. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docex/plugin.h"

struct dxp_plugin_ctx {
    const dxp_host *host;
    bool card_default;
};

struct dxp_device {
    dxp_plugin_ctx *ctx;
    bool card;        /* a card lies in the field */
    bool connected;   /* wait_card() connected to it */
    char light[DX_ILLUM_NAME_MAX];
    uint32_t intensity;
};

static const dxp_illumination reader_lights[] = {
    {"white", 0, 0, DX_GEOMETRY_REFLECTED, NULL, {NULL}},
    {"uv365", 360, 370, DX_GEOMETRY_REFLECTED, "UV-A ring", {NULL}},
};

static const dxp_option reader_options[] = {
    {"card", DXP_OPT_BOOL, DXP_UNIT_NONE, 0, 1, 0, 0, NULL, "false", "a card lies in the field",
     {NULL}},
};

static const uint8_t reader_atr[] = {0x3B, 0x88, 0x80, 0x01, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

static dx_status reader_init(const dxp_host *host, dxp_plugin_ctx **ctx)
{
    char value[32];
    dxp_plugin_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return DX_ERR_NO_MEMORY;
    c->host = host;
    if (host->get_setting(host->ctx, "reader.card", value, sizeof value) == DX_OK)
        c->card_default = strcmp(value, "present") == 0;
    *ctx = c;
    return DX_OK;
}

static void reader_fini(dxp_plugin_ctx *ctx)
{
    free(ctx);
}

static dx_status reader_enumerate(dxp_plugin_ctx *ctx, dxp_device_info *out, uint32_t capacity,
                                  uint32_t *count)
{
    if (!ctx || !count || (capacity && !out))
        return DX_ERR_INVALID_ARG;
    *count = 1;
    if (capacity) {
        memset(out, 0, sizeof *out);
        strcpy(out->id, "0");
        out->kinds = DXP_KIND_CHIP_READER | DXP_KIND_LIGHT;
        strcpy(out->model, "Reader Test Station");
        strcpy(out->vendor, "docex tests");
    }
    return DX_OK;
}

static dx_status reader_open(dxp_plugin_ctx *ctx, const char *id, dxp_device **dev)
{
    dxp_device *d;
    if (!ctx || !id || !dev)
        return DX_ERR_INVALID_ARG;
    if (strcmp(id, "0") != 0)
        return DX_ERR_NOT_FOUND;
    d = calloc(1, sizeof *d);
    if (!d)
        return DX_ERR_NO_MEMORY;
    d->ctx = ctx;
    d->card = ctx->card_default;
    *dev = d;
    return DX_OK;
}

static void reader_close(dxp_device *dev)
{
    free(dev);
}

static dx_status reader_describe(dxp_device *dev, dxp_device_desc *desc)
{
    if (!dev || !desc)
        return DX_ERR_INVALID_ARG;
    desc->kinds = DXP_KIND_CHIP_READER | DXP_KIND_LIGHT;
    desc->illuminations = reader_lights;
    desc->n_illuminations = 2;
    desc->options = reader_options;
    desc->n_options = 1;
    return DX_OK;
}

static dx_status reader_set_option(dxp_device *dev, const char *name, const dxp_value *value)
{
    if (!dev || !name || !value)
        return DX_ERR_INVALID_ARG;
    if (strcmp(name, "card") != 0)
        return DX_ERR_NOT_FOUND;
    dev->card = value->i != 0;
    if (!dev->card)
        dev->connected = false;
    return DX_OK;
}

static dx_status reader_get_option(dxp_device *dev, const char *name, dxp_value *value)
{
    if (!dev || !name || !value)
        return DX_ERR_INVALID_ARG;
    if (strcmp(name, "card") != 0)
        return DX_ERR_NOT_FOUND;
    memset(value, 0, sizeof *value);
    value->type = DXP_OPT_BOOL;
    value->i = dev->card;
    return DX_OK;
}

static dx_status reader_wait_card(dxp_device *dev, int32_t timeout_ms, uint8_t *atr,
                                  size_t atr_size, size_t *atr_len)
{
    if (!dev || !atr || !atr_len)
        return DX_ERR_INVALID_ARG;
    if (!dev->card)
        return DX_ERR_NO_CARD; /* a real reader would wait timeout_ms */
    if (atr_size < sizeof reader_atr)
        return DX_ERR_INVALID_ARG;
    memcpy(atr, reader_atr, sizeof reader_atr);
    *atr_len = sizeof reader_atr;
    dev->connected = true;
    return DX_OK;
}

static dx_status reader_transmit(dxp_device *dev, const uint8_t *cmd, size_t cmd_len,
                                 uint8_t *rsp, size_t rsp_size, size_t *rsp_len)
{
    if (!dev || !cmd || cmd_len < 4 || !rsp || !rsp_len)
        return DX_ERR_INVALID_ARG;
    if (!dev->connected)
        return DX_ERR_NO_CARD;
    if (rsp_size < 2)
        return DX_ERR_INVALID_ARG;
    rsp[0] = 0x90;
    rsp[1] = 0x00;
    *rsp_len = 2;
    return DX_OK;
}

static dx_status reader_release_card(dxp_device *dev)
{
    if (!dev)
        return DX_ERR_INVALID_ARG;
    dev->connected = false;
    return DX_OK;
}

static dx_status reader_cancel(dxp_device *dev)
{
    return dev ? DX_OK : DX_ERR_INVALID_ARG;
}

static dx_status reader_light_set(dxp_device *dev, const char *illumination, uint32_t intensity)
{
    bool known = false;
    if (!dev || !illumination || intensity > 100)
        return DX_ERR_INVALID_ARG;
    for (size_t i = 0; i < sizeof reader_lights / sizeof reader_lights[0]; i++)
        known = known || strcmp(reader_lights[i].name, illumination) == 0;
    if (!known)
        return DX_ERR_INVALID_ARG;
    if (intensity) {
        strcpy(dev->light, illumination);
        dev->intensity = intensity;
    } else if (strcmp(dev->light, illumination) == 0) {
        dev->light[0] = '\0';
        dev->intensity = 0;
    }
    return DX_OK;
}

static const dxp_chip_ops reader_chip = {
    .struct_size = sizeof(dxp_chip_ops),
    .wait_card = reader_wait_card,
    .transmit = reader_transmit,
    .release_card = reader_release_card,
    .cancel = reader_cancel,
};

static const dxp_light_ops reader_light = {
    .struct_size = sizeof(dxp_light_ops),
    .set = reader_light_set,
};

static const dxp_plugin reader_plugin = {
    .abi_major = DXP_ABI_MAJOR,
    .abi_minor = DXP_ABI_MINOR,
    .struct_size = sizeof(dxp_plugin),
    .name = "reader",
    .version = "1.0.0",
    .vendor = "docex tests",
    .license = "MIT",
    .description = "minimal chip reader with a ring light for the test suite",
    .init = reader_init,
    .fini = reader_fini,
    .enumerate = reader_enumerate,
    .open = reader_open,
    .close = reader_close,
    .describe = reader_describe,
    .set_option = reader_set_option,
    .get_option = reader_get_option,
    .chip = &reader_chip,
    .light = &reader_light,
};

DXP_PLUGIN_ENTRY(reader_plugin)
