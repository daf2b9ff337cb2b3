-- Unit tests of icao.lua (docex rules test): the MRZ group on literal documents.
local function mrz(over)
  local m = {
    format = "TD3", valid = true, illumination = "ir870",
    mrz = { "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F3404159ZE184226B<<<<<16" },
    fields = { document_code = "P", issuing_state = "UTO", nationality = "UTO", surname = "ERIKSSON",
               given_names = "ANNA MARIA", birth_date = "1974-08-12", expiry_date = "2034-04-15" },
    checks = {
      { name = "document_code", ok = true, expected = "P", found = "P<" },
      { name = "document_number_check", ok = true, expected = "6", found = "6" },
      { name = "birth_date_check", ok = true, expected = "2", found = "2" },
      { name = "expiry_date_check", ok = true, expected = "9", found = "9" },
      { name = "composite_check", ok = true, expected = "6", found = "6" },
    },
    repairs = {}, mean_confidence = 0.98,
    source = { file = "capture/ir870.png" },
  }
  for k, v in pairs(over or {}) do m[k] = v end
  return m
end
local spec = { specimen = { id = "UTO-P-2024", document = { icao_format = "TD3", document_code = "P", issuing_state = "UTO" } } }
local today = { date = "2026-11-27" }

fixture{ name = "genuine", mrz = mrz(), specimen = spec, inspection = today }
expect{ check = "mrz.present", result = "passed" }
expect{ check = "mrz.check_digits", result = "passed", message = "4 check digits hold" }
expect{ check = "mrz.structure", result = "passed" }
expect{ check = "mrz.expiry", result = "passed" }
expect{ check = "mrz.dates", result = "passed" }
expect{ check = "mrz.specimen", result = "passed" }
expect{ check = "mrz.specimen_marker", result = "failed", message = "issuing state UTO" }
expect{ group = "mrz", result = "passed" }

fixture{
  name = "altered document number: its check digit fails",
  mrz = mrz{ valid = false, checks = {
    { name = "document_number_check", ok = false, expected = "7", found = "6" },
    { name = "birth_date_check", ok = true, expected = "2", found = "2" } } },
  specimen = spec, inspection = today,
}
expect{ check = "mrz.check_digits", result = "failed", message = "document_number (found 6, computed 7)" }
expect{ group = "mrz", result = "failed" }

fixture{
  name = "expired, born after expiry, another kind of document",
  mrz = mrz{ format = "TD1", fields = { document_code = "I", issuing_state = "UTO", birth_date = "2030-01-01",
                                         expiry_date = "2025-11-26" } },
  specimen = spec, inspection = today,
}
expect{ check = "mrz.expiry", result = "failed", message = "expired on 2025-11-26" }
expect{ check = "mrz.dates", result = "failed" }
expect{ check = "mrz.specimen", result = "failed", message = "does not fit" }

fixture{ name = "no MRZ read", specimen = spec, inspection = today }
expect{ check = "mrz.present", result = "undetermined" }
expect{ check = "mrz.check_digits", result = "undetermined" }
expect{ verdict = "undetermined" }

fixture{ name = "unknown document", mrz = mrz(), inspection = today }
expect{ check = "mrz.specimen", result = "not_supported" }
expect{ check = "mrz.check_digits", result = "passed" }
