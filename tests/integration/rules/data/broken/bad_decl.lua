check{
  id = "x",
  notation = { light = "UV", property = "dull", feature = "substrate" },
  mode = "sometimes", group = "optical",
  run = function(ctx) return { result = "passed" } end,
}
