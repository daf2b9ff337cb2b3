/* sim — internal interfaces of the simulated scanner plugin.
 *
 * Nothing here is exported (-fvisibility=hidden plus plugins/plugin.map); the
 * only public symbol is dxp_plugin_entry in sim.c. */
#ifndef DOCEX_SIM_H
#define DOCEX_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docex/plugin.h"

#define SIM_PATH_MAX 4096
/* Largest image the plugin accepts (either side, pixels, and total bytes).
 * A PNG header is checked against these before anything is allocated: a
 * 200-byte file must not make the plugin (and the host, which allocates the
 * frame buffer) allocate gigabytes. */
#define SIM_MAX_SIDE 100000u
#define SIM_MAX_PIXELS ((uint64_t)100000000u) /* 100 megapixels */
#define SIM_MAX_BYTES ((size_t)1 << 30)

/* One illumination of a scene: its PNG, the format it decodes to, and the
 * decoded pixels once the first capture asked for them. */
typedef struct sim_light {
    char name[DX_ILLUM_NAME_MAX];
    char *path;                 /* <scene>/<name>.png */
    dxp_pixel_format format;    /* what the PNG decodes to */
    uint32_t width, height;
    int png_color_type, png_bit_depth;
    int64_t exposure_us;        /* from scene.json, -1 when not given */
    uint8_t *pixels;            /* width*height*bpp bytes, NULL until decoded */
} sim_light;

typedef struct sim_scene {
    char *dir;
    char *name;
    uint32_t dpi;
    uint8_t background[3];      /* platen colour, RGB */
    sim_light *lights;          /* standard order, then vendor ones */
    uint32_t n_lights;
    dxp_illumination *illums;   /* describe() view of lights[] */
    char **descriptions;        /* owned vendor descriptions (or NULL) */
    dxp_pixel_format formats[3];
    uint32_t n_formats;
} sim_scene;

/* Load scene.json and every PNG header of the scene in `dir`.  On failure
 * logs one line naming the file and the reason and returns
 * DX_ERR_NOT_FOUND (missing directory, manifest or images) or DX_ERR_DATA
 * (malformed manifest or PNG header); *scene is left empty. */
dx_status sim_scene_load(const dxp_host *host, const char *dir, sim_scene *scene);
void sim_scene_free(sim_scene *scene);
sim_light *sim_scene_find(sim_scene *scene, const char *name);

/* Decode the light's PNG into light->pixels (no-op when already done).
 * DX_ERR_DATA (logged) for a corrupt or truncated file, DX_ERR_IO when the
 * file cannot be read, DX_ERR_NO_MEMORY. */
dx_status sim_light_decode(const dxp_host *host, sim_light *light);

/* ---- render.c ---------------------------------------------------------- */

/* Small deterministic PRNG (splitmix64). */
static inline uint64_t sim_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct sim_placement {
    double shift_x_px, shift_y_px; /* document displacement, pixels */
    double rotation_deg;           /* counter-clockwise as seen on screen */
} sim_placement;

/* Write `src` (tightly packed, light's format) into `dst` moved by the
 * placement; exposed glass is filled with `background` (RGB, as luma for
 * grey).  Returns false when the placement is the identity (nothing done). */
bool sim_render_place(const uint8_t *src, uint8_t *dst, dxp_pixel_format fmt, uint32_t width,
                      uint32_t height, const sim_placement *pl, const uint8_t background[3]);

/* Add Gaussian noise of `sigma` 8-bit grey levels (x257 for 16 bit) in place. */
void sim_render_noise(uint8_t *buf, dxp_pixel_format fmt, uint32_t width, uint32_t height,
                      double sigma, uint64_t *rng);

#endif
