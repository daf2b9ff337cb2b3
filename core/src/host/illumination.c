/* The standard illumination table, expanded from docex/illumination.h. */
#include <string.h>

#include "host/host_internal.h"

#define DX_ILLUM_ROW_(e, nm, lo, hi, geom, desc) {nm, lo, hi, geom, true, desc},
static const dx_illumination standard_illuminations[DX_ILLUM_COUNT] = {
    DX_ILLUMINATIONS(DX_ILLUM_ROW_)};
#undef DX_ILLUM_ROW_

const dx_illumination *dx_illumination_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < DX_ILLUM_COUNT; i++)
        if (strcmp(standard_illuminations[i].name, name) == 0)
            return &standard_illuminations[i];
    return NULL;
}

const dx_illumination *dx_illumination_at(size_t i)
{
    return i < DX_ILLUM_COUNT ? &standard_illuminations[i] : NULL;
}

const char *dx_geometry_name(dx_geometry g)
{
    static const char *const names[] = DX_GEOMETRY_NAMES;
    return (unsigned)g < sizeof names / sizeof names[0] ? names[g] : "unknown";
}
