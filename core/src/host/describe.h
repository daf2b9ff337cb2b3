/* A checked, host-owned copy of a device's describe() tables. */
#ifndef DOCEX_HOST_DESCRIBE_H
#define DOCEX_HOST_DESCRIBE_H

#include "host/host_internal.h"

typedef struct dx_desc_copy {
    dxp_device_desc desc;           /* points into the arrays below */
    dxp_illumination *illuminations;
    uint32_t *resolutions;
    dxp_pixel_format *formats;
    dxp_option *options;
} dx_desc_copy;

/* Check `in` against plugin.h's limits and name rules and copy it into `c`.
 * DX_ERR_PROTOCOL (with a message naming the device, the plugin and what is
 * wrong) when the plugin broke a rule; nothing to free then. */
dx_status dx_desc_copy_from(const dxp_device_desc *in, const char *dev, const char *plugin,
                            dx_desc_copy *c, dx_error *err);
void dx_desc_free(dx_desc_copy *c);

/* [a-z0-9_]{1,DXP_NAME_MAX-1} */
bool dx_name_ok(const char *s);

#endif
