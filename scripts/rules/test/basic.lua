-- A small rule set for the engine's own tests: one check per group, each
-- measuring through the provider the way real rule sets do.
local checks = require("checks")

check{
  id = "mrz_valid",
  notation = { light = "IR", property = "check digits", feature = "MRZ" },
  mode = "mandatory", group = "mrz",
  run = function(ctx)
    if not ctx.mrz then return checks.not_supported("no MRZ read") end
    if ctx.mrz.valid then
      return checks.passed("valid", "valid", "every check digit holds")
    end
    local bad = {}
    for _, c in ipairs(ctx.mrz.checks or {}) do
      if not c.ok then bad[#bad + 1] = c.name end
    end
    return checks.failed("invalid", "valid", "check digits fail: " .. table.concat(bad, ", "))
  end,
}

check{
  id = "mrz_ir_absorbent",
  notation = { light = "IR", property = "absorbent", feature = "MRZ" },
  mode = "mandatory", group = "optical",
  run = function(ctx)
    local r = ctx:region("mrz", "ir870")
    local v, res = checks.measure(r, "absorption")
    if not v then return res end
    return checks.range(v, 0.5, nil, "MRZ ink absorbs IR", { region = r })
  end,
}

check{
  id = "substrate_uv_dull",
  notation = { light = "UV", property = "dull", feature = "substrate" },
  mode = "mandatory", group = "optical",
  run = function(ctx)
    if not ctx:capture("uv365") then return checks.not_supported("no UV capture") end
    local r = ctx:region({ x = 10, y = 20, w = 30, h = 5 }, "uv365")
    local v, res = checks.measure(r, "mean")
    if not v then return res end
    return checks.range(v, nil, 0.2, "paper does not fluoresce", { region = r })
  end,
}

check{
  id = "fibres_uv",
  notation = { light = "UV", property = "luminescent", feature = "fibres" },
  mode = "optional", group = "optical",
  run = function(ctx)
    local r = ctx:region("page", "uv365")
    local n, res = checks.measure(r, "fibres")
    if not n then return res end
    return checks.range(n, 5, nil, n .. " fibres", { region = r })
  end,
}

check{
  id = "chip_dg1_matches_mrz",
  notation = { light = "none", property = "equal", feature = "DG1/MRZ" },
  mode = "mandatory", group = "cross",
  run = function(ctx)
    if not ctx.chip then return checks.not_supported("no chip read") end
    if not ctx.mrz then return checks.undetermined("no MRZ to compare") end
    local same = ctx.chip.dg1 == ctx.mrz.text
    return (same and checks.passed or checks.failed)(same, true, "DG1 against the printed MRZ")
  end,
}

check{
  id = "photo_sharpness_info",
  notation = { light = "VI", property = "sharp", feature = "photo" },
  mode = "evaluatory", group = "optical",
  run = function(ctx)
    local r = ctx:region("photo", "white")
    local s, res = checks.measure(r, "sharpness")
    if not s then return res end
    return checks.range(s, 0.3, nil, "photo sharpness", { region = r, light = "white" })
  end,
}
