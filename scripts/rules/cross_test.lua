-- Unit tests of cross.lua (docex rules test): the printed MRZ against DG1,
-- the visual zone against the MRZ, the portrait against DG2's face.
local printed = { "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F3404159ZE184226B<<<<<16" }
local spec = { specimen = { id = "UTO-P-2024" } }
local function viz(v) return { ir870 = { viz = { value = v, min_segment = v } } } end
local good = {
  ["viz.surname"] = viz(0.97), ["viz.given_names"] = viz(0.96), ["viz.document_number"] = viz(0.98),
  ["viz.nationality"] = viz(0.99), ["viz.birth_date"] = viz(0.97), ["viz.sex"] = viz(0.99),
  ["viz.expiry_date"] = viz(0.97),
  photo = { white = { similarity = { value = 0.97, ncc = 0.97 } } },
}

fixture{
  name = "genuine",
  specimen = spec,
  mrz = { mrz = printed, fields = { surname = "ERIKSSON" }, illumination = "ir870" },
  chip = { dg1 = { mrz = { mrz = printed, fields = { surname = "ERIKSSON" } } } },
  measurements = good,
}
expect{ check = "cross.mrz_dg1", result = "passed" }
expect{ check = "cross.viz_mrz", result = "passed", message = "7 fields" }
expect{ check = "cross.portrait_dg2", result = "passed" }
expect{ group = "cross", result = "passed" }

local altered = {}
for k, v in pairs(good) do altered[k] = v end
altered["viz.surname"] = viz(0.11)
altered.photo = { white = { similarity = { value = 0.80 } } }
fixture{
  name = "visual zone altered, portrait substituted, the chip of another holder",
  specimen = spec,
  mrz = { mrz = printed, fields = { surname = "ERIKSSON" }, illumination = "ir870" },
  chip = { dg1 = { mrz = { mrz = { "P<UTOERIKSEN<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<<", printed[2] },
                           fields = { surname = "ERIKSEN" } } } },
  measurements = altered,
}
expect{ check = "cross.mrz_dg1", result = "failed", message = "surname: printed ERIKSSON, chip ERIKSEN" }
expect{ check = "cross.viz_mrz", result = "failed", message = "surname 0.11" }
expect{ check = "cross.portrait_dg2", result = "failed" }

fixture{
  name = "no chip, a field the capture cannot show",
  specimen = spec,
  mrz = { mrz = printed, fields = {} },
  measurements = { ["viz.surname"] = { ir870 = { viz = "no capture under ir870" } } },
}
expect{ check = "cross.mrz_dg1", result = "not_supported" }
expect{ check = "cross.viz_mrz", result = "undetermined", message = "no capture under ir870" }
expect{ check = "cross.portrait_dg2", result = "not_supported" }
