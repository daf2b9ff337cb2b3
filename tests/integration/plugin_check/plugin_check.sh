#!/usr/bin/env bash
# plugin_check_<case>: `docex plugin-check` on
#   sim      the simulated scanner: exit 0, PASS lines only, within seconds
#   mini     the suite's minimal plugin: exit 0, PASS lines only but for
#            cancel.running, a SKIP (mini's 2 ms capture has no delay_ms)
#   reader   a chip reader with a light: exit 0, chip and light checks pass,
#            with and without a card (--set reader.card=present)
#   liar     a plugin that overruns its frame and accepts unknown lights: exit 1
#   reserved non-zero reserved fields in device info, illumination, option: exit 1
#   refused  a plugin the loader refuses (ABI major): exit 1 with the reason
#   usage    missing file, bad options: exit 2; --help: exit 0
set -u
case_=${1:?usage: plugin_check.sh CASE}
: "${DOCEX_CLI:?run under ctest}" "${DOCEX_TEST_PLUGINS:?}" "${DOCEX_BUILD:?}" "${DOCEX_SOURCE:?}"

fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset DOCEX_PLUGIN_PATH

run() { # run ARGS... -> $rc, $tmp/out, $tmp/err
  "$DOCEX_CLI" plugin-check "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}

# expect_all_pass PLUGIN-NAME [SKIPPED-CHECK...]: every check passes but the
# named device checks, which must be SKIP lines with a reason.
expect_all_pass() {
  local p=$1 c; shift
  [ "$rc" -eq 0 ] || fail "exit $rc, expected 0"
  grep -q '^FAIL ' "$tmp/out" && fail "FAIL lines: $(grep '^FAIL ' "$tmp/out" | head -20)"
  for c in "$@"; do
    grep -qE "^SKIP $p:[^ ]+ $c: .{20,}" "$tmp/out" || fail "no 'SKIP $p:<dev> $c: <why>'"
  done
  s=$(grep -c '^SKIP ' "$tmp/out")
  [ "$s" -eq $# ] || fail "$s SKIP lines, expected $#: $(grep '^SKIP ' "$tmp/out")"
  n=$(grep -c '^PASS ' "$tmp/out")
  [ "$n" -ge 15 ] || fail "only $n PASS lines"
  for c in load descriptor.abi descriptor.strings descriptor.functions descriptor.ops \
           descriptor.reserved init enumerate; do
    grep -qx "PASS $c" "$tmp/out" || fail "no 'PASS $c'"
  done
  for c in "open-close x" describe illuminations pixel-formats option-table "capture\\[" \
           "capture.guard\\[" "capture.meta\\[" bad-arg.unknown-illumination.frame-format \
           bad-arg.unknown-illumination.capture bad-arg.buffer-too-small cancel.idle \
           cancel.running closed-device set-options bad-option-values; do
    [[ " $* " == *" $c "* ]] && continue
    grep -qE "^PASS $p:[^ ]+ $c" "$tmp/out" || fail "no 'PASS $p:<dev> $c...'"
  done
  tail -n 1 "$tmp/out" | grep -qxE "$n passed, 0 failed, $s skipped" ||
    fail "last line '$(tail -n 1 "$tmp/out")', expected '$n passed, 0 failed, $s skipped'"
}

case $case_ in
sim)
  so=$DOCEX_BUILD/lib/docex/1/sim.so
  [ -f "$so" ] || { echo "sim.so not built: skipped"; exit 77; }
  start=$(date +%s)
  run "$so"
  took=$(( $(date +%s) - start ))
  expect_all_pass sim
  grep -qE '^PASS sim:0 get-option' "$tmp/out" || fail "no 'PASS sim:0 get-option'"
  limit=15
  [ -n "${DOCEX_ASAN:-}" ] && limit=60
  [ "$took" -le "$limit" ] || fail "took ${took}s, expected at most ${limit}s"
  ;;
mini)
  run --repeat 5 "$DOCEX_TEST_PLUGINS/good/mini.so"
  expect_all_pass mini cancel.running
  grep -qE '^SKIP mini:0 cancel\.running: .*finished .*before cancel\(\).*delay_ms' "$tmp/out" ||
    fail "the cancel.running SKIP does not say why and how to exercise it"
  grep -qx 'PASS mini:0 open-close x5' "$tmp/out" || fail "--repeat 5 not honoured"
  grep -qx 'PASS mini:0 capture\[white\]' "$tmp/out" || fail "no capture[white]"
  grep -qx 'PASS mini:0 capture\[ir870\]' "$tmp/out" || fail "no capture[ir870]"
  # --device selects; an unknown one fails
  run --repeat 2 --device mini:0 "$DOCEX_TEST_PLUGINS/good/mini.so"
  [ "$rc" -eq 0 ] || fail "--device mini:0: exit $rc"
  run --repeat 2 --device 7 "$DOCEX_TEST_PLUGINS/good/mini.so"
  [ "$rc" -eq 1 ] || fail "--device 7: exit $rc, expected 1"
  grep -q '^FAIL device: --device 7' "$tmp/out" || fail "--device 7: no FAIL device line"
  ;;
reader)
  so=$DOCEX_TEST_PLUGINS/good/reader.so
  for card in absent present; do
    run --repeat 3 --set reader.card=$card "$so"
    [ "$rc" -eq 0 ] || fail "card $card: exit $rc, expected 0"
    grep -q '^FAIL ' "$tmp/out" && fail "card $card: $(grep '^FAIL ' "$tmp/out")"
    grep -q '^SKIP ' "$tmp/out" && fail "card $card: $(grep '^SKIP ' "$tmp/out")"
    np=$(grep -c '^PASS ' "$tmp/out")
    tail -n 1 "$tmp/out" | grep -qx "$np passed, 0 failed, 0 skipped" ||
      fail "card $card: last line '$(tail -n 1 "$tmp/out")'"
    for c in chip.transmit-no-card chip.wait-card-poll chip.cancel-idle light.set describe \
             illuminations option-table get-option set-options bad-option-values closed-device; do
      grep -qx "PASS reader:0 $c" "$tmp/out" || fail "card $card: no 'PASS reader:0 $c'"
    done
    grep -q 'capture\|pixel-formats' "$tmp/out" && fail "card $card: capture checks on a reader"
  done
  ;;
liar)
  run --repeat 3 "$DOCEX_TEST_PLUGINS/nonconforming/liar.so"
  [ "$rc" -eq 1 ] || fail "exit $rc, expected 1"
  grep -qE '^FAIL liar:0 capture\.guard\[white\]: capture 1 wrote past stride\*height' "$tmp/out" ||
    fail "no FAIL for the frame overrun (guard)"
  grep -qE '^FAIL liar:0 bad-arg\.unknown-illumination\.frame-format: .*gave ok, expected invalid_arg' \
    "$tmp/out" || fail "no FAIL for get_frame_format of an unknown illumination"
  grep -qE '^FAIL liar:0 bad-arg\.unknown-illumination\.capture: .*gave ok, expected invalid_arg' \
    "$tmp/out" || fail "no FAIL for capture of an unknown illumination"
  grep -qE '^FAIL liar:0 bad-arg\.buffer-too-small: ' "$tmp/out" ||
    fail "no FAIL for a too-small buffer"
  grep -qx 'PASS descriptor.abi' "$tmp/out" || fail "the liar's descriptor is fine: no PASS"
  nf=$(grep -c '^FAIL ' "$tmp/out"); np=$(grep -c '^PASS ' "$tmp/out")
  ns=$(grep -c '^SKIP ' "$tmp/out")
  tail -n 1 "$tmp/out" | grep -qx "$np passed, $nf failed, $ns skipped" || fail "bad summary line"
  # the CI parser's form: "N passed, N failed" first on the line
  tail -n 1 "$tmp/out" | grep -qE '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' ||
    fail "summary not in the 'N passed, N failed[, N skipped]' form"
  ;;
reserved)
  run --repeat 2 "$DOCEX_TEST_PLUGINS/nonconforming/reserved.so"
  [ "$rc" -eq 1 ] || fail "exit $rc, expected 1"
  grep -qx 'FAIL enumerate: device 0: reserved fields of dxp_device_info are not zero' "$tmp/out" ||
    fail "no FAIL for the device info's reserved fields"
  grep -qx 'FAIL reserved:0 illuminations: illumination 0 "white": reserved fields are not zero' \
    "$tmp/out" || fail "no FAIL for the illumination's reserved fields"
  grep -qE '^FAIL reserved:0 option-table: option 0 "gain": reserved fields are not zero' \
    "$tmp/out" || fail "no FAIL for the option's reserved fields"
  grep -qx 'PASS reserved:0 host-open' "$tmp/out" || fail "the host should open it"
  grep -qx 'PASS reserved:0 capture\[white\]' "$tmp/out" || fail "the device is usable: no capture"
  ;;
refused)
  hdr=$DOCEX_SOURCE/core/include/docex/plugin.h
  major=$(sed -n 's/^#define DXP_ABI_MAJOR \([0-9]*\).*/\1/p' "$hdr")
  run "$DOCEX_TEST_PLUGINS/bad/major.so"
  [ "$rc" -eq 1 ] || fail "exit $rc, expected 1"
  grep -qx "FAIL load: ABI major $((major + 1)) differs from the host's $major" "$tmp/out" ||
    fail "no 'FAIL load: <reason>' line"
  grep -q '^PASS ' "$tmp/out" && fail "PASS lines for a refused plugin"
  run "$DOCEX_TEST_PLUGINS/bad/notso.so"
  [ "$rc" -eq 1 ] || fail "notso.so: exit $rc, expected 1"
  grep -q '^FAIL load: not a loadable shared object: ' "$tmp/out" || fail "notso.so: no FAIL load"
  ;;
usage)
  run "$tmp/missing.so"; [ "$rc" -eq 2 ] || fail "missing file: exit $rc, expected 2"
  grep -q 'missing.so' "$tmp/err" || fail "missing file: stderr does not name it"
  run; [ "$rc" -eq 2 ] || fail "no file: exit $rc, expected 2"
  run --repeat x "$DOCEX_TEST_PLUGINS/good/mini.so"; [ "$rc" -eq 2 ] || fail "--repeat x: exit $rc"
  run --repeat 0 "$DOCEX_TEST_PLUGINS/good/mini.so"; [ "$rc" -eq 2 ] || fail "--repeat 0: exit $rc"
  run --bogus "$DOCEX_TEST_PLUGINS/good/mini.so"; [ "$rc" -eq 2 ] || fail "--bogus: exit $rc"
  run --set novalue "$DOCEX_TEST_PLUGINS/good/mini.so"; [ "$rc" -eq 2 ] || fail "--set novalue: exit $rc"
  run a.so b.so; [ "$rc" -eq 2 ] || fail "two files: exit $rc"
  run --help; [ "$rc" -eq 0 ] || fail "--help: exit $rc"
  grep -q '^usage: docex plugin-check' "$tmp/out" || fail "--help: no usage on stdout"
  ;;
*) echo "unknown case $case_"; exit 2 ;;
esac

if [ "$fails" -ne 0 ]; then
  echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"
  echo "$fails failed"
  exit 1
fi
echo "ok"
