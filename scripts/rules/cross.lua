-- Cross-checks between the document's parts.  Group "cross".
--   cross.mrz_dg1      the printed MRZ against the chip's DG1 (9303 Part 10)
--   cross.viz_mrz      the visual zone against the MRZ: each field the MRZ
--                      gives, drawn as the specimen prints it, compared with
--                      the captured field (region:viz())
--   cross.portrait_dg2 the printed portrait against the chip's DG2 face, by
--                      image similarity (region:similarity(chip.face)) —
--                      limits in scripts/rules/README.md
local checks = require("checks")

local has_chip = SPECIMEN == nil or (SPECIMEN.specimen and SPECIMEN.specimen.chip ~= nil)
local chip_mode = has_chip and "mandatory" or "optional"

-- Thresholds (measured on synthetic documents; see scripts/rules/README.md).
local VIZ_MIN = 0.35       -- region:viz(): the worst segment's score (DX_VIZ_MIN_SEGMENT, synth/viz.h)
local PORTRAIT_MIN = 0.9   -- NCC of the printed portrait with DG2's face

check{
  id = "cross.mrz_dg1",
  notation = { light = "none", property = "equal", feature = "MRZ/DG1" },
  mode = chip_mode, group = "cross",
  run = function(ctx)
    if ctx.chip and ctx.chip.read_error then
      return checks.undetermined("the chip was not read: " .. ctx.chip.read_error.message)
    end
    if not ctx.chip then return checks.not_supported("no chip read") end
    if not ctx.mrz then return checks.undetermined("no MRZ read to compare DG1 with") end
    local dg1 = ctx.chip.dg1 and ctx.chip.dg1.mrz
    if not dg1 then return checks.failed("no DG1", "DG1 = printed MRZ", "the chip's DG1 was not read or does not parse") end
    local a, b = table.concat(ctx.mrz.mrz, ""), table.concat(dg1.mrz, "")
    if a == b then
      return checks.passed("same", "same", "DG1 holds the printed MRZ")
    end
    local diffs = {}
    for k, v in pairs(ctx.mrz.fields or {}) do
      local w = dg1.fields and dg1.fields[k]
      if type(v) == "string" and w ~= nil and w ~= v then
        diffs[#diffs + 1] = string.format("%s: printed %s, chip %s", k, v, tostring(w))
      end
    end
    table.sort(diffs)
    if #diffs == 0 then diffs[1] = "the lines differ" end
    return checks.failed("different", "same", "DG1 differs from the printed MRZ: " .. table.concat(diffs, "; "),
      { region = ctx.specimen and ctx:region("mrz") or nil, light = ctx.mrz.illumination })
  end,
}

local VIZ_FIELDS = { "document_code", "issuing_state", "surname", "given_names", "document_number", "nationality",
                     "nationality_name", "birth_date", "sex", "expiry_date" }

check{
  id = "cross.viz_mrz",
  notation = { light = "IR", property = "equal", feature = "VIZ/MRZ" },
  mode = "mandatory", group = "cross",
  run = function(ctx)
    if not ctx.specimen then return checks.not_supported("unknown document: the visual zone's layout is unknown") end
    if not ctx.mrz then return checks.undetermined("no MRZ read to compare the visual zone with") end
    local worst, worst_key, worst_region, n, why = nil, nil, nil, 0, nil
    local low, all = {}, {}
    for _, key in ipairs(VIZ_FIELDS) do
      local r = ctx:region("viz." .. key, "ir870")
      local v, d = r:viz()
      if v == nil then
        -- a measurement that failed outweighs a field this document lacks
        if not why or not d:find("^not supported") then why = d end
      else
        n = n + 1
        if v < VIZ_MIN then low[#low + 1] = string.format("%s %.2f", key, v) end
        all[#all + 1] = string.format("%s %.2f", key, v)
        if worst == nil or v < worst then worst, worst_key, worst_region = v, key, r end
      end
    end
    if n == 0 then
      if why and why:find("^not supported") then return checks.not_supported(why) end
      return checks.undetermined(why or "no visual-zone field to compare")
    end
    if #low > 0 then
      return checks.failed(worst, { min = VIZ_MIN },
        "the visual zone does not print what the MRZ says: " .. table.concat(low, ", "),
        { region = worst_region, light = "ir870", related = ctx:region("mrz") })
    end
    return checks.passed(worst, { min = VIZ_MIN },
      string.format("%d fields print the MRZ's data: %s", n, table.concat(all, ", ")),
      { region = worst_region, light = "ir870" })
  end,
}

check{
  id = "cross.portrait_dg2",
  notation = { light = "VI", property = "similar", feature = "portrait/DG2" },
  mode = chip_mode, group = "cross",
  run = function(ctx)
    if not ctx.specimen then return checks.not_supported("unknown document: where the portrait is printed is unknown") end
    if ctx.chip and ctx.chip.read_error then
      return checks.undetermined("the chip was not read: " .. ctx.chip.read_error.message)
    end
    if not ctx.chip then return checks.not_supported("no chip read: no DG2 face") end
    local r = ctx:region("photo", "white")
    local v, d = checks.measure(r, "similarity", ctx:region("chip.face"))
    if v == nil then return d end
    return checks.range(v, PORTRAIT_MIN, nil,
      string.format("printed portrait against the chip's face: NCC %.3f", v),
      { region = r, light = "white", related = ctx:region("chip.face") })
  end,
}
