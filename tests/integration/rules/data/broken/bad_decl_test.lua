fixture{}
expect{ check = "x", result = "passed" }
