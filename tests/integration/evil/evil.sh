#!/usr/bin/env bash
# evil_<case>: the hostile plugins of tests/plugins/evil/ through
#   devices       `docex devices`: exit 0, each broken device "cannot open: ..."
#                 with a message naming the problem; the bad model sanitised
#   devices_json  `docex devices --json`: exit 0, valid JSON, .error per broken
#                 device, the bad model sanitised ('?'), manydevs cut to 256
#   capture       `docex capture` on each broken device: exit 2, one stderr
#                 line naming the problem, no image; the others capture
#   plugin_check  `docex plugin-check evil/X.so`: exit 1 with a FAIL naming the
#                 problem (never a crash)
# Nothing may die of a signal (exit status >= 128).
. "$(dirname "$0")/../capture/lib.sh"
case_=${1:?usage: evil.sh CASE}
EVIL=${DOCEX_TEST_PLUGINS:?}/evil
export DOCEX_PLUGIN_PATH=$EVIL
HDR=$SRC/core/include/docex/plugin.h
max_devices=$(sed -n 's/^#define DXP_MAX_DEVICES \([0-9]*\).*/\1/p' "$HDR")

# plugin -> extended regexes (case-insensitive), all of which the host's
# message must match: "device P:0: plugin P described an invalid device: WHAT"
declare -A host_re=(
  [hugeopts]='options;2147483647'
  [nullopt]='option;name'
  [dupillum]='duplicate;illumination;white'
  [badillum]='illumination;name'
  [badformat]='pixel format;99'
  [nullchoices]='mode;choices'
  [manyillums]='illuminations;65'
)
# plugin -> regex of plugin-check's FAIL line
declare -A check_re=(
  [hugeopts]='^FAIL hugeopts:0 describe: n_options is 2147483647, more than the limit 128'
  [nullopt]='^FAIL nullopt:0 option-table: option 0: name is NULL'
  [dupillum]='^FAIL dupillum:0 illuminations: illumination "white" is listed twice'
  [badillum]='^FAIL badillum:0 illuminations: illumination 0: name "White Light/\.\." does not match'
  [badformat]='^FAIL badformat:0 pixel-formats: pixel format 99 .*is not a dxp_pixel_format'
  [nullchoices]='^FAIL nullchoices:0 option-table: option "mode": ENUM with no choices'
  [manyillums]='^FAIL manyillums:0 describe: n_illuminations is 65, more than the limit 64'
  [badmodel]='^FAIL enumerate: device 0: model .* is not printable UTF-8'
  [manydevs]="^FAIL enumerate: enumerate\\(capacity 0\\) claims 100000 devices, more than the limit $max_devices"
)

no_signal() { # STATUS WHAT
  if [ "$1" -lt 128 ]; then ok; else bad "$2 died of signal $(($1 - 128))"; fi
}
# match_all FILE_OR_TEXT_FILE 're1;re2' WHAT
match_all() {
  local f=$1 what=$3 re
  IFS=';' read -ra res <<<"$2"
  for re in "${res[@]}"; do
    if grep -qiE -- "$re" "$f"; then ok; else bad "$what: no /$re/ in: $(head -c 400 "$f")"; fi
  done
}
for p in "${!check_re[@]}"; do
  [ -f "$EVIL/$p.so" ] || { bad "$EVIL/$p.so not built"; }
done

case $case_ in
devices)
  "$DOCEX" devices >"$T/out" 2>"$T/err"; rc=$?
  no_signal $rc "docex devices"
  [ "$rc" = 0 ] && ok || bad "docex devices exited $rc, expected 0"
  for p in "${!host_re[@]}"; do
    # the device line, then its "cannot open" line
    sed -n "/^$p:0 /{n;p;}" "$T/out" >"$T/$p"
    expect_grep "$T/$p" "^    cannot open: device $p:0: plugin $p described an invalid device: "
    match_all "$T/$p" "${host_re[$p]}" "devices $p"
  done
  # the bad model: opens, sanitised to one printable line
  expect_grep "$T/out" '^badmodel:0  \[scanner\] Mini \?+ Scanner\?second line \('
  expect_no_grep "$T/out" '^second line'
  sed -n '/^badmodel:0 /{n;p;}' "$T/out" >"$T/badmodel"
  expect_no_grep "$T/badmodel" 'cannot open'
  $PY -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$T/out" && ok ||
    bad "devices output is not UTF-8"
  # manydevs: cut to DXP_MAX_DEVICES with a warning
  n=$(grep -c '^manydevs:' "$T/out")
  [ "$n" = "$max_devices" ] && ok || bad "manydevs: $n devices listed, expected $max_devices"
  expect_grep "$T/err" 'manydevs.*100000.*'"$max_devices"
  expect_no_grep "$T/out" '^manydevs:.*cannot open'
  ;;
devices_json)
  "$DOCEX" devices --json >"$T/out" 2>"$T/err"; rc=$?
  no_signal $rc "docex devices --json"
  [ "$rc" = 0 ] && ok || bad "docex devices --json exited $rc, expected 0"
  if $PY -m json.tool "$T/out" >/dev/null; then ok; else bad "devices --json is not valid JSON"; fi
  for p in "${!host_re[@]}"; do
    $PY - "$T/out" "$p:0" >"$T/$p" <<'PY' || bad "devices --json: no error for $p:0"
import json, sys
d = [x for x in json.load(open(sys.argv[1]))["devices"] if x["id"] == sys.argv[2]]
assert len(d) == 1 and isinstance(d[0].get("error"), str), d
assert "illuminations" not in d[0] and "options" not in d[0], d[0]
print(d[0]["error"])
PY
    expect_grep "$T/$p" "^device $p:0: plugin $p described an invalid device: "
    match_all "$T/$p" "${host_re[$p]}" "devices --json $p"
  done
  $PY - "$T/out" "$max_devices" <<'PY' && ok || bad "devices --json: badmodel or manydevs wrong"
import json, sys
devs = json.load(open(sys.argv[1]))["devices"]
m = [x for x in devs if x["id"] == "badmodel:0"]
assert len(m) == 1 and "error" not in m[0] and m[0]["illuminations"], m
model = m[0]["model"]
assert "?" in model and model.startswith("Mini ") and model.endswith("second line"), model
assert all(c.isprintable() for c in model), repr(model)
many = [x for x in devs if x["plugin"] == "manydevs"]
assert len(many) == int(sys.argv[2]), len(many)
assert all("error" not in x for x in many), [x for x in many if "error" in x][:1]
PY
  ;;
capture)
  for p in "${!host_re[@]}"; do
    "$DOCEX" capture --device "$p:0" --illum white --out "$T/cap-$p" >"$T/out" 2>"$T/err"; rc=$?
    no_signal $rc "capture $p:0"
    [ "$rc" = 2 ] && ok || bad "capture $p:0 exited $rc, expected 2"
    n=$(wc -l <"$T/err")
    [ "$n" = 1 ] && ok || bad "capture $p:0: $n stderr lines, expected 1: $(cat "$T/err")"
    expect_grep "$T/err" "described an invalid device: "
    match_all "$T/err" "${host_re[$p]}" "capture $p"
    imgs=$(find "$T/cap-$p" -type f \( -name '*.png' -o -name '*.tif*' -o -name '*.raw' \) 2>/dev/null | wc -l)
    [ "$imgs" = 0 ] && ok || bad "capture $p:0 wrote $imgs images"
  done
  # the sanitised model and the cut device list still capture
  for p in badmodel manydevs; do
    expect_status 0 "$DOCEX" capture --device "$p:0" --illum white --out "$T/cap-$p"
    [ -s "$T/cap-$p/white.png" ] && ok || bad "capture $p:0 wrote no white.png"
  done
  $PY - "$T/cap-badmodel/capture.json" <<'PY' && ok || bad "badmodel manifest: model not sanitised"
import json, sys
s = json.dumps(json.load(open(sys.argv[1])))
assert "Mini ?" in s and "\\n" not in s and "\\u00ff" not in s, s
PY
  ;;
plugin_check)
  for p in "${!check_re[@]}"; do
    "$DOCEX" plugin-check --repeat 2 "$EVIL/$p.so" >"$T/out" 2>"$T/err"; rc=$?
    no_signal $rc "plugin-check $p.so"
    [ "$rc" = 1 ] && ok || { bad "plugin-check $p.so exited $rc, expected 1"; sed 's/^/  /' "$T/err" >&2; }
    expect_grep "$T/out" "${check_re[$p]}"
    expect_grep "$T/out" '^PASS load$'
    tail -n 1 "$T/out" | grep -qE '^[0-9]+ passed, [1-9][0-9]* failed, [0-9]+ skipped$' && ok ||
      bad "plugin-check $p.so: last line '$(tail -n 1 "$T/out")'"
    # the host refuses what plugin-check fails, with the same kind of reason
    if [ -n "${host_re[$p]:-}" ]; then
      expect_grep "$T/out" "^FAIL $p:0 host-open: .*described an invalid device: "
    fi
  done
  ;;
*) echo "unknown case $case_"; exit 2 ;;
esac
finish
