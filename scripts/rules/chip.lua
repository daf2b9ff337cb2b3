-- The chip's verdicts (ICAO 9303 Part 11): passive authentication in three
-- parts (the SOD's signature, the Document Signer's chain to a trusted CSCA,
-- the data groups' hashes) and active authentication.  Group "chip".
-- ctx.chip is the chip as read and verified (chip.json of docex chip read).
local checks = require("checks")

local has_chip = SPECIMEN == nil or (SPECIMEN.specimen and SPECIMEN.specimen.chip ~= nil)
local chip_mode = has_chip and "mandatory" or "optional"

local function no_chip(ctx)
  if SPECIMEN and not has_chip then return checks.not_supported("the specimen has no chip") end
  if ctx.chip and ctx.chip.read_error then
    return checks.undetermined("the chip was not read: " .. ctx.chip.read_error.message)
  end
  return checks.not_supported("no chip read (give --chip DEVICE, or chip files with the captures)")
end

-- the chip as read, or nil
local function chip_of(ctx)
  if ctx.chip and not ctx.chip.read_error then return ctx.chip end
  return nil
end

local function steps_result(ctx, names, what)
  local pa = ctx.chip.passive_authentication or {}
  local steps = pa.steps or {}
  local bad, run = {}, 0
  for _, n in ipairs(names) do
    local s = steps[n]
    if s then
      run = run + 1
      if s.result ~= "passed" then bad[#bad + 1] = n .. ": " .. (s.detail or s.result) end
    end
  end
  if run == 0 then
    return checks.undetermined(what .. ": not verified (" .. (pa.detail or pa.result or "no EF.SOD") .. ")")
  end
  if #bad > 0 then return checks.failed("failed", "passed", what .. ": " .. table.concat(bad, "; ")) end
  local last = steps[names[#names]] or steps[names[1]]
  return checks.passed("passed", "passed", what .. ": " .. (last.detail or "passed"))
end

check{
  id = "chip.read",
  notation = { light = "none", property = "readable", feature = "chip" },
  mode = chip_mode, group = "chip",
  run = function(ctx)
    local e = ctx.chip and ctx.chip.read_error
    if e and e.status == "access_denied" then
      -- 9303 Part 11: the access key is the printed MRZ's document number,
      -- birth and expiry dates with their check digits
      return checks.failed("refused", "opens with the printed MRZ",
        "the chip refuses the key of the printed MRZ: the MRZ was altered or the chip belongs to another document (" ..
        e.message .. ")")
    end
    if not chip_of(ctx) then return no_chip(ctx) end
    local n = 0
    for _, f in ipairs(ctx.chip.files or {}) do if f.status == "read" then n = n + 1 end end
    local proto = ctx.chip.access and ctx.chip.access.protocol or "?"
    return checks.passed(n, nil, string.format("%d files read (%s)", n, proto))
  end,
}

check{
  id = "chip.pa.sod_signature",
  notation = { light = "none", property = "signature", feature = "EF.SOD" },
  mode = chip_mode, group = "chip",
  run = function(ctx)
    if not chip_of(ctx) then return no_chip(ctx) end
    return steps_result(ctx, { "parse", "signature", "message_digest" }, "the SOD's signature")
  end,
}

check{
  id = "chip.pa.ds_chain",
  notation = { light = "none", property = "trusted", feature = "Document Signer" },
  mode = chip_mode, group = "chip",
  run = function(ctx)
    if not chip_of(ctx) then return no_chip(ctx) end
    return steps_result(ctx, { "chain", "validity", "key_usage", "crl" }, "the Document Signer")
  end,
}

check{
  id = "chip.pa.dg_hash",
  notation = { light = "none", property = "hash", feature = "data groups" },
  mode = chip_mode, group = "chip",
  run = function(ctx)
    if not chip_of(ctx) then return no_chip(ctx) end
    return steps_result(ctx, { "dg_hashes" }, "the data groups")
  end,
}

-- Active authentication proves the chip holds the private key of DG15: a
-- cloned chip cannot.
-- Mandatory when the specimen's chips have it (an inspection from files
-- cannot run it, and so cannot say the chip is not a clone: undetermined).
local aa_mode = (SPECIMEN and SPECIMEN.specimen.chip and SPECIMEN.specimen.chip.aa) and "mandatory" or "optional"

check{
  id = "chip.aa",
  notation = { light = "none", property = "genuine", feature = "chip" },
  mode = aa_mode, group = "chip",
  run = function(ctx)
    if not chip_of(ctx) then return no_chip(ctx) end
    local aa = ctx.chip.active_authentication or {}
    local want = SPECIMEN and SPECIMEN.specimen.chip and SPECIMEN.specimen.chip.aa
    if aa.result == "passed" then return checks.passed("passed", "passed", aa.detail or "passed") end
    if aa.result == "not_run" then
      return checks.not_supported("active authentication not run: " .. (aa.detail or "offline files"))
    end
    if aa.result == "not_offered" then
      if want then
        return checks.failed("not offered", "passed",
          "the specimen's chips offer active authentication (" .. want .. "), this one does not")
      end
      return checks.not_supported(aa.detail or "the chip offers no active authentication")
    end
    return checks.failed(aa.result or "failed", "passed", aa.detail or "active authentication failed")
  end,
}

check{
  id = "chip.face",
  notation = { light = "none", property = "readable", feature = "DG2" },
  mode = "evaluatory", group = "chip",
  run = function(ctx)
    if not chip_of(ctx) then return no_chip(ctx) end
    local f = ctx.chip.face
    if not f or not f.decoded then return checks.failed("none", "a face", "DG2 holds no face that decodes") end
    return checks.passed(f.format, nil, string.format("%s face %dx%d", f.format, f.decoded.width, f.decoded.height))
  end,
}
