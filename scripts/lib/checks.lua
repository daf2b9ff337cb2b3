-- Helpers for docex rule sets: results of run(ctx) and range tests.
--
--   local checks = require("checks")
--   check{ ..., run = function(ctx)
--     local r = ctx:region("mrz", "ir870")
--     local v, why = r:absorption()
--     if not v then return checks.undetermined(why) end
--     return checks.range(v, 0.5, nil, "MRZ ink absorbs IR", { region = r })
--   end }
local M = {}

local function result(kind, value, expected, message, extra)
  local t = { result = kind, value = value, expected = expected, message = message }
  if extra then
    for k, v in pairs(extra) do t[k] = v end
  end
  return t
end

function M.passed(value, expected, message, extra)
  return result("passed", value, expected, message, extra)
end

function M.failed(value, expected, message, extra)
  return result("failed", value, expected, message, extra)
end

function M.undetermined(message, extra)
  return result("undetermined", nil, nil, message, extra)
end

function M.not_supported(message, extra)
  return result("not_supported", nil, nil, message, extra)
end

-- true when min <= value <= max (a nil bound is open)
function M.within(value, min, max)
  if type(value) ~= "number" or value ~= value then return false end
  return (min == nil or value >= min) and (max == nil or value <= max)
end

-- passed or failed with expected = {min=, max=}
function M.range(value, min, max, message, extra)
  local expected = { min = min, max = max }
  if M.within(value, min, max) then
    return M.passed(value, expected, message, extra)
  end
  return M.failed(value, expected, message, extra)
end

-- A measurement and its details (a table, or nil), or (nil, result) to
-- return at once: undetermined when the measurement failed, not_supported
-- when the provider cannot make it.
function M.measure(region, method, ...)
  local v, why = region[method](region, ...)
  if v ~= nil then return v, why end
  why = why or (method .. " failed")
  if why:find("^not supported") then
    return nil, M.not_supported(why, { region = region })
  end
  return nil, M.undetermined(why, { region = region })
end

return M
