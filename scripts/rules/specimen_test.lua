-- Unit tests of specimen.lua (docex rules test): one check per feature of
-- the specimen, each compared with its expected range.
globals{ SPECIMEN = { specimen = { id = "TEST" }, features = {
  { id = "substrate_uv_dull", notation = { light = "UV", property = "dull", feature = "substrate" },
    illuminations = { "uv365" }, mode = "mandatory", expected = { measure = "luminance_mean", max = 60 } },
  { id = "uv_emblem", notation = { light = "UV", property = "luminescent", feature = "emblem" },
    illuminations = { "uv365" }, mode = "mandatory",
    expected = { measure = "fluorescence_contrast", min = 40, hue_deg = { 90, 170 } } },
  { id = "uv_fibres", notation = { light = "UV", property = "luminescent", feature = "fibres" },
    illuminations = { "uv365" }, mode = "mandatory", expected = { measure = "fibre_count", min = 25 } },
  { id = "ovd_variable", notation = { light = "VI", property = "variable", feature = "OVD" },
    illuminations = { "white", "oblique" }, mode = "mandatory", expected = { measure = "colour_change", min = 30 } },
  { id = "photo_ghost", notation = { light = "VI", property = "pattern", feature = "ghost image" },
    illuminations = { "white" }, mode = "evaluatory", expected = { measure = "similarity_with", of = "photo", min = 0.5 } },
} } }

local function lab(l, a, b) return { value = l, lab_l = l, lab_a = a, lab_b = b } end

fixture{
  name = "genuine",
  measurements = {
    substrate_uv_dull = { uv365 = { mean = 29.4 } },
    uv_emblem = { uv365 = { fluorescence = { value = 139, hue_deg = 120 } } },
    uv_fibres = { uv365 = { fibres = 60 } },
    ovd_variable = { white = { colour = lab(60, 10, 10) }, oblique = { colour = lab(80, -40, 30) } },
    photo_ghost = { white = { similarity = 0.7 } },
  },
}
expect{ check = "substrate_uv_dull", result = "passed" }
expect{ check = "uv_emblem", result = "passed" }
expect{ check = "uv_fibres", result = "passed", message = "fibre_count 60" }
expect{ check = "ovd_variable", result = "passed", message = "white/oblique" }
expect{ check = "photo_ghost", result = "passed" }
expect{ group = "optical", result = "passed" }

fixture{
  name = "office paper, an emblem of the wrong colour, no fibres, a printed OVD",
  measurements = {
    substrate_uv_dull = { uv365 = { mean = 170 } },
    uv_emblem = { uv365 = { fluorescence = { value = 96, hue_deg = 230 } } },
    uv_fibres = { uv365 = { fibres = 0 } },
    ovd_variable = { white = { colour = lab(60, 10, 10) }, oblique = { colour = lab(62, 12, 9) } },
    photo_ghost = { white = { similarity = 0.2 } },
  },
}
expect{ check = "substrate_uv_dull", result = "failed" }
expect{ check = "uv_emblem", result = "failed", message = "hue 230" }
expect{ check = "uv_fibres", result = "failed" }
expect{ check = "ovd_variable", result = "failed" }
expect{ check = "photo_ghost", result = "failed" }
expect{ verdict = "failed" }

fixture{
  name = "a scanner without UV",
  captures = { "white", "oblique" },
  measurements = {
    ovd_variable = { white = { colour = lab(60, 10, 10) }, oblique = { colour = lab(80, -40, 30) } },
    photo_ghost = { white = { similarity = 0.7 } },
  },
}
expect{ check = "substrate_uv_dull", result = "not_supported", message = "no capture under uv365" }
expect{ group = "optical", result = "undetermined" }
