-- Rules driven by the specimen's feature list: one check per security
-- feature of SPECIMEN (share/specimens/<ID>/specimen.json "features"), with
-- the feature's id, TR-03135 notation and mode, in group "optical".  Each
-- measures the feature's region under its light(s) and compares the value
-- with the expected range the specimen gives.  How each expected "measure"
-- is made is below (and in scripts/rules/README.md).
local checks = require("checks")

if not SPECIMEN then return end

-- hue h (degrees) within [lo, hi]; lo > hi wraps through 0 (red)
local function hue_within(h, lo, hi)
  if h == nil or h < 0 then return false end
  if lo <= hi then return h >= lo and h <= hi end
  return h >= lo or h <= hi
end

local function delta_e(a, b)
  return math.sqrt((a.lab_l - b.lab_l) ^ 2 + (a.lab_a - b.lab_a) ^ 2 + (a.lab_b - b.lab_b) ^ 2)
end

-- measure name -> function(ctx, feature, region) returning value, details,
-- or nil, result (checks.measure's convention)
local measures = {}

measures.luminance_mean = function(ctx, f, r) return checks.measure(r, "mean") end
measures.contrast = function(ctx, f, r) return checks.measure(r, "contrast") end
measures.fibre_count = function(ctx, f, r) return checks.measure(r, "fibres") end
measures.ir_absorption = function(ctx, f, r) return checks.measure(r, "absorption") end
measures.similarity = function(ctx, f, r) return checks.measure(r, "similarity") end
measures.bright_fraction = function(ctx, f, r) return checks.measure(r, "bright_fraction") end
measures.absorption_against_surroundings = function(ctx, f, r) return checks.measure(r, "surround") end
measures.fluorescence_contrast = function(ctx, f, r) return checks.measure(r, "fluorescence") end
measures.similarity_with = function(ctx, f, r)
  return checks.measure(r, "similarity", ctx:region(f.expected.of, r.light))
end
-- the largest CIE76 colour difference of the region between its lights
measures.colour_change = function(ctx, f, r)
  local cols = {}
  for _, light in ipairs(f.illuminations) do
    local v, d = checks.measure(r:under(light), "colour")
    if v == nil then return nil, d end
    cols[#cols + 1] = { light = light, lab = d }
  end
  local best, pair = 0, ""
  for i = 1, #cols do
    for j = i + 1, #cols do
      local de = delta_e(cols[i].lab, cols[j].lab)
      if de > best then best, pair = de, cols[i].light .. "/" .. cols[j].light end
    end
  end
  return best, { pair = pair }
end

local function describe(v)
  if type(v) ~= "number" then return tostring(v) end
  if math.type(v) == "integer" then return tostring(v) end
  return string.format("%.3f", v)
end

for _, f in ipairs(SPECIMEN.features) do
  local how = measures[f.expected.measure]
  check{
    id = f.id,
    notation = { light = f.notation.light, property = f.notation.property, feature = f.notation.feature },
    mode = f.mode, group = "optical",
    run = function(ctx)
      if not how then
        return checks.not_supported("measure " .. tostring(f.expected.measure) .. " is not known to this rule set")
      end
      local light = f.illuminations[1]
      if not ctx:capture(light) then
        return checks.not_supported("no capture under " .. light)
      end
      local r = ctx:region(f.id, light)
      local v, d = how(ctx, f, r)
      if v == nil then return d end
      local e = f.expected
      local what = (f.description or f.id)
      local extra = { region = r, light = light }
      if not checks.within(v, e.min, e.max) then
        return checks.failed(v, { min = e.min, max = e.max },
          string.format("%s: %s %s outside the specimen's range", what, e.measure, describe(v)), extra)
      end
      if e.hue_deg then
        local h = type(d) == "table" and d.hue_deg or nil
        if not hue_within(h, e.hue_deg[1], e.hue_deg[2]) then
          return checks.failed(v, { min = e.min, max = e.max },
            string.format("%s: glows, but its hue %s is not within %s..%s degrees", what,
              h and h >= 0 and string.format("%.0f", h) or "(none)", e.hue_deg[1], e.hue_deg[2]), extra)
        end
      end
      local note = ""
      if type(d) == "table" and d.pair then note = " (" .. d.pair .. ")" end
      return checks.passed(v, { min = e.min, max = e.max },
        string.format("%s: %s %s%s", what, e.measure, describe(v), note), extra)
    end,
  }
end
