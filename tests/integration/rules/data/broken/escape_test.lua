rules "../../wrong.lua"
fixture{}
expect{ verdict = "passed" }
