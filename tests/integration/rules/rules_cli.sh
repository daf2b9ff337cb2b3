# docex rules test end to end.
. "$(dirname "$0")/../capture/lib.sh"
D=$(dirname "$0")/data

# the committed fixtures: installed (default directory) and from the source
expect_status 0 "$DOCEX" rules test
expect_grep "$T/out" '^PASS .*scripts/rules/test/basic_test.lua \(3 fixtures, 22 expectations\)'
# ... and those of the rule sets docex inspect runs
for r in icao chip cross specimen; do
  expect_grep "$T/out" "^PASS .*scripts/rules/${r}_test.lua"
done
expect_grep "$T/out" '^81 passed, 0 failed$'
expect_status 0 "$DOCEX" rules test -v "$SRC/scripts/rules/test"
expect_grep "$T/out" '^  ok   .*basic_test.lua:19: check mrz_valid$'
expect_status 0 "$DOCEX" rules test "$SRC/scripts/rules/test/basic_test.lua"

# wrong expectations: exit 1, each named with file:line; the loop is aborted
expect_status 1 "$DOCEX" rules test "$D/wrong_test.lua"
expect_grep "$T/out" '^FAIL .*wrong_test.lua \(1 fixtures, 4 expectations\)'
expect_grep "$T/out" 'wrong_test.lua:2: check always_passes: expected failed, got passed: fine'
expect_grep "$T/out" 'wrong_test.lua:4: check no_such_check: the rule set has no check "no_such_check"'
expect_no_grep "$T/out" 'check loops'
expect_no_grep "$T/out" 'verdict'
expect_grep "$T/out" '^2 passed, 2 failed$'
expect_grep "$T/err" 'check loops .*aborted: .*wrong.lua:12: instruction budget'

# broken test files and rule sets: exit 2, the others still run
expect_status 2 "$DOCEX" rules test "$D/broken" "$D/wrong_test.lua"
expect_grep "$T/out" '^ERROR .*bad_decl_test.lua: .*bad_decl.lua:1: check "x": mode "sometimes"'
expect_grep "$T/out" '^ERROR .*escape_test.lua: .*a file beside the test only'
expect_grep "$T/out" '^FAIL .*wrong_test.lua'
expect_grep "$T/out" '2 test files did not load'

# usage errors
expect_status 2 "$DOCEX" rules test /nonexistent
expect_grep "$T/err" '^docex rules test: /nonexistent: no such file or directory'
expect_status 2 "$DOCEX" rules test "$T"
expect_grep "$T/err" 'no \*_test.lua file found'
expect_status 2 "$DOCEX" rules frobnicate
expect_status 0 "$DOCEX" rules test --help
expect_status 0 "$DOCEX" --help
expect_grep "$T/out" 'rules +Lua rule sets: run their unit tests'
finish
