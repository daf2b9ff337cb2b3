/* docex — the illumination vocabulary.
 *
 * One list of the standard light sources a document examination device offers:
 * a machine name, the band in nanometres (lower and upper edge of the emitted
 * band, or of the filter for a camera) and the geometry of the light.  The same
 * table, in JSON, is installed as share/docex/illuminations.json; a test keeps
 * the two in step.  Devices may offer vendor illuminations besides these: their
 * names must not be one of the standard names and must carry their own band.
 *
 * The list is an X-macro so plugins (which do not link libdocex) and the host
 * can both expand it:  X(ENUM_SUFFIX, "name", band_lo_nm, band_hi_nm, geometry,
 * "description"). */
#ifndef DOCEX_ILLUMINATION_H
#define DOCEX_ILLUMINATION_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dx_geometry {
    DX_GEOMETRY_REFLECTED = 0,   /* light on the document's face, camera on the same side */
    DX_GEOMETRY_TRANSMITTED = 1, /* light behind the document, through the substrate */
    DX_GEOMETRY_OBLIQUE = 2,     /* grazing light from one side: relief, OVDs */
    DX_GEOMETRY_COAXIAL = 3      /* light along the camera axis: retro-reflective features */
} dx_geometry;

#define DX_GEOMETRY_NAMES { "reflected", "transmitted", "oblique", "coaxial" }

#define DX_ILLUMINATIONS(X)                                                              \
    X(WHITE, "white", 400, 700, DX_GEOMETRY_REFLECTED, "visible white light, diffuse")   \
    X(UV254, "uv254", 250, 260, DX_GEOMETRY_REFLECTED, "short-wave ultraviolet (UV-C)") \
    X(UV313, "uv313", 308, 318, DX_GEOMETRY_REFLECTED, "mid-wave ultraviolet (UV-B)")   \
    X(UV365, "uv365", 360, 370, DX_GEOMETRY_REFLECTED, "long-wave ultraviolet (UV-A)")  \
    X(IR730, "ir730", 720, 740, DX_GEOMETRY_REFLECTED, "near infrared, 730 nm")         \
    X(IR870, "ir870", 860, 880, DX_GEOMETRY_REFLECTED, "near infrared, 870 nm (B900)")  \
    X(IR950, "ir950", 940, 960, DX_GEOMETRY_REFLECTED, "near infrared, 950 nm")         \
    X(WHITE_TRANSMITTED, "white_transmitted", 400, 700, DX_GEOMETRY_TRANSMITTED,         \
      "visible white light through the page")                                            \
    X(IR_TRANSMITTED, "ir_transmitted", 860, 880, DX_GEOMETRY_TRANSMITTED,               \
      "near infrared through the page")                                                  \
    X(OBLIQUE, "oblique", 400, 700, DX_GEOMETRY_OBLIQUE, "visible white light, grazing") \
    X(COAXIAL, "coaxial", 400, 700, DX_GEOMETRY_COAXIAL, "visible white light, coaxial")

#define DX_ILLUM_ENUM_(e, name, lo, hi, geom, desc) DX_ILLUM_##e,
typedef enum dx_illum_id { DX_ILLUMINATIONS(DX_ILLUM_ENUM_) DX_ILLUM_COUNT } dx_illum_id;
#undef DX_ILLUM_ENUM_

/* Longest illumination name, standard or vendor, including the final NUL. */
#define DX_ILLUM_NAME_MAX 32

#ifdef __cplusplus
}
#endif
#endif
