-- Unit tests of basic.lua (docex rules test).
local mrz_ok = {
  valid = true, text = "P<UTO...",
  checks = { { name = "document_number", ok = true }, { name = "birth_date", ok = true } },
}

fixture{
  name = "genuine",
  specimen = { id = "UTO-P-2024", features = { "mrz", "page", "photo" } },
  mrz = mrz_ok,
  chip = { dg1 = "P<UTO..." },
  measurements = {
    mrz = { ir870 = { absorption = 0.82 } },
    ["10,20,30,5"] = { uv365 = { mean = 0.05 } },
    page = { uv365 = { fibres = 12 } },
    photo = { white = { sharpness = 0.1 } },   -- blurred, but evaluatory only
  },
}
expect{ check = "mrz_valid", result = "passed" }
expect{ check = "mrz_ir_absorbent", result = "passed" }
expect{ check = "substrate_uv_dull", result = "passed" }
expect{ check = "fibres_uv", result = "passed", message = "12 fibres" }
expect{ check = "chip_dg1_matches_mrz", result = "passed" }
expect{ check = "photo_sharpness_info", result = "failed" }
expect{ group = "optical", result = "passed" }
expect{ verdict = "passed" }

fixture{
  name = "forged: optical brightener in the paper, altered MRZ",
  specimen = { id = "UTO-P-2024" },
  mrz = { valid = false, text = "P<UTO.X.",
          checks = { { name = "document_number", ok = false }, { name = "birth_date", ok = true } } },
  chip = { dg1 = "P<UTO..." },
  measurements = {
    mrz = { ir870 = { absorption = 0.1 } },
    ["10,20,30,5"] = { uv365 = { mean = 0.7 } },
    page = { uv365 = { fibres = false } },     -- this provider cannot count fibres
  },
}
expect{ check = "mrz_valid", result = "failed", message = "document_number" }
expect{ check = "mrz_ir_absorbent", result = "failed" }
expect{ check = "substrate_uv_dull", result = "failed" }
expect{ check = "fibres_uv", result = "not_supported" }
expect{ check = "chip_dg1_matches_mrz", result = "failed" }
expect{ check = "photo_sharpness_info", result = "not_supported" }
expect{ group = "mrz", result = "failed" }
expect{ verdict = "failed" }

fixture{
  name = "no chip, no UV capture, a failing measurement",
  mrz = mrz_ok,
  captures = { "white", "ir870" },
  measurements = { mrz = { ir870 = { absorption = "sensor saturated" } } },
}
expect{ check = "mrz_ir_absorbent", result = "undetermined", message = "sensor saturated" }
expect{ check = "substrate_uv_dull", result = "not_supported" }
expect{ check = "chip_dg1_matches_mrz", result = "not_supported" }
expect{ group = "chip", result = "not_supported" }
-- mandatory checks that could not run leave the document undetermined
expect{ group = "cross", result = "undetermined" }
expect{ verdict = "undetermined" }
