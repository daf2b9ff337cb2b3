-- A rule set whose test (wrong_test.lua) expects the wrong thing on purpose.
check{
  id = "always_passes",
  notation = { light = "VI", property = "present", feature = "page" },
  mode = "mandatory", group = "optical",
  run = function(ctx) return { result = "passed", message = "fine" } end,
}
check{
  id = "loops",
  notation = { light = "VI", property = "present", feature = "page" },
  mode = "optional", group = "optical",
  run = function(ctx) while true do end end,
}
