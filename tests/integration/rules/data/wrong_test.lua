fixture{ name = "anything" }
expect{ check = "always_passes", result = "failed" }
expect{ check = "loops", result = "aborted", message = "instruction budget" }
expect{ check = "no_such_check", result = "passed" }
expect{ verdict = "aborted" }
