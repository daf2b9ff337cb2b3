-- Generic ICAO 9303 rules: the machine readable zone of any travel document.
-- Group "mrz".  ctx.mrz is the MRZ as read from the document (docex mrz read
-- --json: format, valid, mrz, fields, checks, warnings, repairs, source),
-- ctx.inspection the inspection (date, source, sides), SPECIMEN the specimen
-- the document was identified as (nil for an unknown document).
local checks = require("checks")

-- where the MRZ is printed (the evidence of an MRZ finding)
local function mrz_at(ctx, extra)
  extra = extra or {}
  if ctx.specimen then extra.region = ctx:region("mrz", ctx.mrz and ctx.mrz.illumination or nil) end
  return extra
end

local function no_mrz()
  return checks.undetermined("no MRZ was read from the captures: the document cannot be checked against 9303")
end

check{
  id = "mrz.present",
  notation = { light = "IR", property = "visible", feature = "MRZ" },
  mode = "mandatory", group = "mrz",
  run = function(ctx)
    if not ctx.mrz then return no_mrz() end
    local src = ctx.mrz.source or {}
    return checks.passed(ctx.mrz.format, ctx.mrz.format,
      string.format("%s MRZ read from %s", ctx.mrz.format, src.file or "the captures"))
  end,
}

-- 9303 Part 3 section 4.9: the check digits (document number, dates,
-- optional data, composite).
check{
  id = "mrz.check_digits",
  notation = { light = "IR", property = "check digits", feature = "MRZ" },
  mode = "mandatory", group = "mrz",
  run = function(ctx)
    if not ctx.mrz then return no_mrz() end
    local bad, n = {}, 0
    for _, c in ipairs(ctx.mrz.checks or {}) do
      if c.name:find("_check$") then
        n = n + 1
        if not c.ok then
          bad[#bad + 1] = string.format("%s (found %s, computed %s)", c.name:gsub("_check$", ""), c.found, c.expected)
        end
      end
    end
    if n == 0 then return checks.undetermined("the MRZ has no check digits to verify") end
    if #bad == 0 then
      return checks.passed(n, n, n .. " check digits hold")
    end
    return checks.failed(n - #bad, n, "check digit wrong: " .. table.concat(bad, "; "), mrz_at(ctx))
  end,
}

-- 9303 Parts 4-6: the fields' structure (codes, dates, sex, names).
check{
  id = "mrz.structure",
  notation = { light = "IR", property = "structure", feature = "MRZ" },
  mode = "mandatory", group = "mrz",
  run = function(ctx)
    if not ctx.mrz then return no_mrz() end
    local bad = {}
    for _, c in ipairs(ctx.mrz.checks or {}) do
      if not c.name:find("_check$") and not c.ok then
        bad[#bad + 1] = string.format("%s: found %s, expected %s", c.name, c.found, c.expected)
      end
    end
    if #bad == 0 then return checks.passed("valid", "valid", "every field has the form 9303 gives it") end
    return checks.failed("invalid", "valid", table.concat(bad, "; "), mrz_at(ctx))
  end,
}

check{
  id = "mrz.expiry",
  notation = { light = "IR", property = "valid", feature = "date of expiry" },
  mode = "mandatory", group = "mrz",
  run = function(ctx)
    if not ctx.mrz then return no_mrz() end
    local e = ctx.mrz.fields and ctx.mrz.fields.expiry_date
    if type(e) ~= "string" or not e:find("^%d%d%d%d%-%d%d%-%d%d$") then
      return checks.undetermined("the date of expiry is not a full date")
    end
    local today = ctx.inspection.date
    if e >= today then
      return checks.passed(e, ">= " .. today, "valid until " .. e)
    end
    return checks.failed(e, ">= " .. today, "the document expired on " .. e .. " (inspected " .. today .. ")",
      mrz_at(ctx))
  end,
}

check{
  id = "mrz.dates",
  notation = { light = "IR", property = "consistent", feature = "dates" },
  mode = "mandatory", group = "mrz",
  run = function(ctx)
    if not ctx.mrz then return no_mrz() end
    local f = ctx.mrz.fields or {}
    local b, e = f.birth_date, f.expiry_date
    if type(b) ~= "string" or not b:find("^%d%d%d%d%-") or type(e) ~= "string" or not e:find("^%d%d%d%d%-") then
      return checks.undetermined("a date is not complete")
    end
    if b > ctx.inspection.date then
      return checks.failed(b, "<= " .. ctx.inspection.date, "the date of birth lies in the future", mrz_at(ctx))
    end
    if b >= e then
      return checks.failed(b, "< " .. e, "born on or after the date of expiry", mrz_at(ctx))
    end
    return checks.passed(b, "< " .. e, "birth " .. b .. " before expiry " .. e)
  end,
}

-- The document is of the kind of its specimen: document code, issuing state
-- and format (a specimen chosen with --specimen, or a mixed-up document).
check{
  id = "mrz.specimen",
  notation = { light = "IR", property = "consistent", feature = "document type" },
  mode = "mandatory", group = "mrz",
  run = function(ctx)
    if not ctx.specimen then return checks.not_supported("unknown document: no specimen to compare with") end
    if not ctx.mrz then return no_mrz() end
    local d = ctx.specimen.specimen.document
    local f = ctx.mrz.fields or {}
    local want = string.format("%s %s %s", d.icao_format, d.document_code, d.issuing_state)
    local got = string.format("%s %s %s", ctx.mrz.format, f.document_code or "?", f.issuing_state or "?")
    local code_ok = (f.document_code or ""):sub(1, #d.document_code) == d.document_code
    if ctx.mrz.format == d.icao_format and code_ok and f.issuing_state == d.issuing_state then
      return checks.passed(got, want, "the MRZ is of a " .. want .. " document, as specimen " .. ctx.specimen.specimen.id)
    end
    return checks.failed(got, want, "the MRZ does not fit specimen " .. ctx.specimen.specimen.id, mrz_at(ctx))
  end,
}

-- Documents of the ICAO specimen state Utopia, or carrying SPECIMEN in a
-- name, are specimens: reported, never part of the verdict.
check{
  id = "mrz.specimen_marker",
  notation = { light = "IR", property = "marker", feature = "specimen" },
  mode = "evaluatory", group = "mrz",
  run = function(ctx)
    if not ctx.mrz then return no_mrz() end
    local f = ctx.mrz.fields or {}
    local marks = {}
    if f.issuing_state == "UTO" then marks[#marks + 1] = "issuing state UTO (ICAO specimen state)" end
    if (f.surname or ""):find("SPECIMEN") or (f.given_names or ""):find("SPECIMEN") then
      marks[#marks + 1] = "SPECIMEN in the name"
    end
    if #marks > 0 then
      return checks.failed("specimen", "a real document",
        "a specimen or test document: " .. table.concat(marks, ", "))
    end
    return checks.passed("none", "none", "no specimen marker")
  end,
}

-- How sure the reader was: characters the check digits repaired.
check{
  id = "mrz.reading",
  notation = { light = "IR", property = "legible", feature = "MRZ" },
  mode = "evaluatory", group = "mrz",
  run = function(ctx)
    if not ctx.mrz then return no_mrz() end
    local n = #(ctx.mrz.repairs or {})
    local conf = ctx.mrz.mean_confidence
    return checks.range(n, nil, 0, string.format("%d characters repaired%s", n,
      conf and string.format(", mean confidence %.2f", conf) or ""))
  end,
}
