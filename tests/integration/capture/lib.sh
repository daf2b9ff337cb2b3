# Shared by the integration shell tests: paths, a temp dir, assertions that
# count, and the closing "N passed, N failed" line.
set -u
DOCEX=${DOCEX_CLI:?DOCEX_CLI not set (run through ctest)}
SRC=${DOCEX_SOURCE:?}
PY=/usr/bin/python3
SCHEMAS=$SRC/share/schemas
T=$(mktemp -d "${TMPDIR:-/tmp}/docex-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
# expect_status WANT CMD... : run CMD, keep stdout/stderr in $T/out $T/err
expect_status() {
  want=$1; shift
  "$@" >"$T/out" 2>"$T/err"; got=$?
  if [ "$got" = "$want" ]; then ok; else
    bad "exit $got (expected $want): $*"; sed 's/^/  stderr: /' "$T/err" >&2; fi
}
expect_grep() { # FILE PATTERN
  if grep -qE -- "$2" "$1"; then ok; else bad "no /$2/ in $(basename "$1"):"; sed 's/^/  /' "$1" >&2; fi
}
expect_no_grep() {
  if grep -qE -- "$2" "$1"; then bad "unexpected /$2/ in $(basename "$1")"; sed 's/^/  /' "$1" >&2; else ok; fi
}
check_manifest() { # DIR ARGS...
  d=$1; shift
  if $PY "$SRC/tests/integration/capture/check_manifest.py" "$SCHEMAS/capture.schema.json" "$d" "$@"; then ok
  else bad "manifest check for $d"; fi
}
validate_json() { # SCHEMA FILE
  if $PY -c 'import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])), cls=jsonschema.Draft202012Validator)' "$1" "$2"; then ok
  else bad "$2 does not match $(basename "$1")"; fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}
