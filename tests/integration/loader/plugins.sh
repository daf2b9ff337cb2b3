#!/usr/bin/env bash
# loader_plugins{,_json}: `docex plugins [--json]` with DOCEX_PLUGIN_PATH at
# tests/plugins/bad and good/.  It must exit 0, list the good plugins (mini and
# the first "dupe"), and refuse each bad file exactly once with its reason.
# Usage: plugins.sh text|json
set -u
mode=${1:-text}
: "${DOCEX_CLI:?run under ctest}" "${DOCEX_TEST_PLUGINS:?run under ctest}" "${DOCEX_SOURCE:?}"

fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=$DOCEX_TEST_PLUGINS/bad
good=$DOCEX_TEST_PLUGINS/good

hdr=$DOCEX_SOURCE/core/include/docex/plugin.h
major=$(sed -n 's/^#define DXP_ABI_MAJOR \([0-9]*\).*/\1/p' "$hdr")
minor=$(sed -n 's/^#define DXP_ABI_MINOR \([0-9]*\).*/\1/p' "$hdr")

# file -> extended regex of its reason
declare -A reason=(
  [notso.so]="not a loadable shared object: .+"
  [noentry.so]="no entry symbol dxp_plugin_entry"
  [nullentry.so]="entry returned NULL"
  [major.so]="ABI major $((major + 1)) differs from the host's $major"
  [minor.so]="ABI minor $((minor + 1)) is newer than the host's $major\\.$minor"
  [small.so]="descriptor struct_size [0-9]+ is smaller than [0-9]+ required by ABI $major\\.$minor"
  [smallops.so]="invalid descriptor: scanner table too small or incomplete"
  [initfail.so]="init failed: hardware fault"
  [noname.so]="invalid descriptor: .+"
  [badname.so]="invalid descriptor: .+"
  [dupe_b.so]="duplicate plugin name 'dupe' \\(already loaded from .*/bad/dupe_a\\.so\\)"
)

export DOCEX_PLUGIN_PATH="$bad:$good"
if [ "$mode" = json ]; then
  command -v jq >/dev/null || { echo "jq not installed: skipped"; exit 77; }
  "$DOCEX_CLI" plugins --json >"$tmp/out" 2>"$tmp/err"
else
  "$DOCEX_CLI" plugins >"$tmp/out" 2>"$tmp/err"
fi
rc=$?
[ "$rc" -eq 0 ] || fail "docex plugins exited $rc, expected 0"

# stderr: exactly one refusal line per bad file, with its reason
for f in "${!reason[@]}"; do
  n=$(grep -cE "^docex: warning: loader: .*/bad/${f//./\\.}: refused: ${reason[$f]}\$" "$tmp/err")
  [ "$n" -eq 1 ] || fail "stderr: $n refusal lines for $f matching '${reason[$f]}', expected 1"
done
n=$(grep -c ": refused: " "$tmp/err")
[ "$n" -eq "${#reason[@]}" ] || fail "stderr: $n refusal lines, expected ${#reason[@]}"
grep -q "/good/.*: refused: " "$tmp/err" && fail "stderr: a good plugin was refused"

if [ "$mode" = json ]; then
  jq -e . "$tmp/out" >/dev/null || fail "stdout is not JSON"
  jq -e '.plugins | type == "array"' "$tmp/out" >/dev/null || fail ".plugins is not an array"
  jq -e '.refused | type == "array"' "$tmp/out" >/dev/null || fail ".refused is not an array"
  # mini: every field of the documented shape
  jq -e --argjson maj "$major" --argjson min "$minor" '
      [.plugins[] | select(.name == "mini")] | length == 1 and
      (.[0] | .version == "1.0.0" and .vendor == "docex tests" and .license == "MIT" and
              (.path | endswith("/good/mini.so")) and .abi.major == $maj and
              .abi.minor == $min and .kinds == ["scanner"])' "$tmp/out" >/dev/null ||
    fail "plugins[]: mini missing or wrong: $(jq -c '.plugins[] | select(.name == "mini")' "$tmp/out")"
  jq -e '[.plugins[] | select(.name == "dupe")] | length == 1 and
         (.[0].path | endswith("/bad/dupe_a.so"))' "$tmp/out" >/dev/null ||
    fail "plugins[]: exactly one dupe, from dupe_a.so, expected"
  jq -e '[.plugins[] | select(.path | test("/bad/") and (endswith("dupe_a.so") | not))] |
         length == 0' "$tmp/out" >/dev/null || fail "plugins[]: a bad plugin was loaded"
  jq -e 'all(.plugins[]; has("name") and has("version") and has("vendor") and has("license")
         and has("path") and (.abi | has("major") and has("minor")) and (.kinds | type == "array"))' \
    "$tmp/out" >/dev/null || fail "plugins[]: an entry lacks a field"
  for f in "${!reason[@]}"; do
    n=$(jq --arg f "/bad/$f" --arg re "^${reason[$f]}\$" \
          '[.refused[] | select((.path | endswith($f)) and (.reason | test($re)))] | length' \
          "$tmp/out")
    [ "$n" = 1 ] || fail "refused[]: $n entries for $f matching '${reason[$f]}', expected 1"
  done
  n=$(jq '.refused | length' "$tmp/out")
  [ "$n" = "${#reason[@]}" ] || fail "refused[]: $n entries, expected ${#reason[@]}"
else
  grep -qw mini "$tmp/out" || fail "stdout does not list mini"
  grep -qw dupe "$tmp/out" || fail "stdout does not list dupe"
  grep -q "dupe_b" "$tmp/out" && fail "stdout lists dupe_b.so as loaded"
fi

if [ "$fails" -ne 0 ]; then
  echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"
  echo "$fails failed"
  exit 1
fi
echo "ok"
