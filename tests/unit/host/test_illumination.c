/* The illumination vocabulary: the C table (illumination.h) and the JSON
 * table installed in share/ must say the same thing, and lookups work. */
#include <jansson.h>
#include <string.h>

#include "docex/docex.h"
#include "dxtest.h"

int main(int argc, char **argv)
{
    json_error_t jerr;
    json_t *root, *arr;
    REQUIRE(argc == 2);
    root = json_load_file(argv[1], 0, &jerr);
    REQUIRE(root != NULL);
    CHECK_STR(json_string_value(json_object_get(root, "format")), "docex.illuminations/1");
    arr = json_object_get(root, "illuminations");
    REQUIRE(json_is_array(arr));
    CHECK_MSG(json_array_size(arr) == DX_ILLUM_COUNT, "JSON has %zu, header %d",
              json_array_size(arr), DX_ILLUM_COUNT);
    for (size_t i = 0; i < json_array_size(arr) && i < DX_ILLUM_COUNT; i++) {
        json_t *row = json_array_get(arr, i);
        const dx_illumination *c = dx_illumination_at(i);
        json_t *band = json_object_get(row, "band_nm");
        REQUIRE(c != NULL);
        CHECK_STR(json_string_value(json_object_get(row, "name")), c->name);
        CHECK(json_integer_value(json_array_get(band, 0)) == c->band_lo_nm);
        CHECK(json_integer_value(json_array_get(band, 1)) == c->band_hi_nm);
        CHECK_STR(json_string_value(json_object_get(row, "geometry")),
                  dx_geometry_name(c->geometry));
        CHECK_STR(json_string_value(json_object_get(row, "description")), c->description);
        CHECK(c->standard);
        CHECK(c->band_lo_nm > 0 && c->band_lo_nm <= c->band_hi_nm);
        CHECK(dx_illumination_find(c->name) == c);
    }
    /* the names the issue requires, with their geometry */
    {
        static const struct { const char *name; dx_geometry g; unsigned lo, hi; } want[] = {
            {"white", DX_GEOMETRY_REFLECTED, 400, 700},
            {"uv254", DX_GEOMETRY_REFLECTED, 250, 260},
            {"uv313", DX_GEOMETRY_REFLECTED, 308, 318},
            {"uv365", DX_GEOMETRY_REFLECTED, 360, 370},
            {"ir730", DX_GEOMETRY_REFLECTED, 720, 740},
            {"ir870", DX_GEOMETRY_REFLECTED, 860, 880},
            {"ir950", DX_GEOMETRY_REFLECTED, 940, 960},
            {"white_transmitted", DX_GEOMETRY_TRANSMITTED, 400, 700},
            {"ir_transmitted", DX_GEOMETRY_TRANSMITTED, 860, 880},
            {"oblique", DX_GEOMETRY_OBLIQUE, 400, 700},
            {"coaxial", DX_GEOMETRY_COAXIAL, 400, 700},
        };
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            const dx_illumination *c = dx_illumination_find(want[i].name);
            CHECK_MSG(c != NULL, "%s missing", want[i].name);
            if (c) {
                CHECK(c->geometry == want[i].g);
                CHECK(c->band_lo_nm == want[i].lo && c->band_hi_nm == want[i].hi);
            }
        }
    }
    CHECK(dx_illumination_find("uv999") == NULL);
    CHECK(dx_illumination_find(NULL) == NULL);
    CHECK(dx_illumination_at(DX_ILLUM_COUNT) == NULL);
    CHECK_STR(dx_geometry_name((dx_geometry)42), "unknown");
    json_decref(root);
    return dxtest_done();
}
