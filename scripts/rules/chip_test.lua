-- Unit tests of chip.lua (docex rules test): passive and active
-- authentication as chip.json reports them.
globals{ SPECIMEN = { specimen = { id = "UTO-P-2024", chip = { aa = "rsa" } } } }

local function pa(over)
  local steps = {}
  for _, n in ipairs{ "parse", "signature", "message_digest", "chain", "validity", "key_usage", "crl", "dg_hashes" } do
    steps[n] = { result = "passed", detail = n .. " ok" }
  end
  for k, v in pairs(over or {}) do steps[k] = v end
  return { result = "passed", steps = steps }
end
local files = { { name = "EF.SOD", status = "read" }, { name = "EF.DG1", status = "read" } }

fixture{
  name = "genuine, read live",
  chip = { files = files, access = { protocol = "PACE" }, passive_authentication = pa(),
           active_authentication = { result = "passed", detail = "RSA signature verifies" },
           face = { format = "JPEG", decoded = { width = 360, height = 480 } } },
}
expect{ check = "chip.read", result = "passed", message = "2 files read (PACE)" }
expect{ check = "chip.pa.sod_signature", result = "passed" }
expect{ check = "chip.pa.ds_chain", result = "passed" }
expect{ check = "chip.pa.dg_hash", result = "passed" }
expect{ check = "chip.aa", result = "passed" }
expect{ group = "chip", result = "passed" }

fixture{
  name = "a data group changed after signing",
  chip = { files = files, passive_authentication = pa{ dg_hashes = { result = "failed", detail = "DG2 hash differs" } },
           active_authentication = { result = "passed" } },
}
expect{ check = "chip.pa.dg_hash", result = "failed", message = "DG2 hash differs" }
expect{ check = "chip.pa.ds_chain", result = "passed" }

fixture{
  name = "a rogue Document Signer; a cloned chip",
  chip = { files = files, passive_authentication = pa{ chain = { result = "failed", detail = "no trusted CSCA" } },
           active_authentication = { result = "failed", detail = "the signature does not verify with DG15's key" } },
}
expect{ check = "chip.pa.ds_chain", result = "failed", message = "no trusted CSCA" }
expect{ check = "chip.aa", result = "failed", message = "DG15" }
expect{ verdict = "failed" }

fixture{
  name = "offline files: active authentication cannot run",
  chip = { files = files, passive_authentication = pa(), active_authentication = { result = "not_run", detail = "offline" } },
}
expect{ check = "chip.aa", result = "not_supported" }
expect{ group = "chip", result = "undetermined" }

fixture{
  name = "the printed MRZ does not open the chip",
  chip = { read_error = { status = "access_denied", message = "PACE: the chip refused the key" } },
}
expect{ check = "chip.read", result = "failed", message = "refuses the key of the printed MRZ" }
expect{ check = "chip.pa.dg_hash", result = "undetermined" }

fixture{ name = "no chip reader" }
expect{ check = "chip.read", result = "not_supported" }
expect{ group = "chip", result = "undetermined" }
