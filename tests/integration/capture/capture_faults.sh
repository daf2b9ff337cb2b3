# Every sim fault-injection case leaves a consistent manifest (what was
# captured, what failed and why), no partial image, and the right exit status.
. "$(dirname "$0")/lib.sh"
I=white,uv365,ir870

run_fault() { # NAME SETTINGS WANT_EXIT CAPTURED FAILED
  expect_status "$3" "$DOCEX" capture --device sim:0 --illum $I --out "$T/$1" --settings "$2" --png-level 1
  check_manifest "$T/$1" complete "$([ "$3" = 0 ] && echo yes || echo no)" captured "$4" failed "$5"
}

run_fault nodoc   no_document=true  2 ""               white:no_document,uv365:no_document,ir870:no_document
expect_grep "$T/err" 'no document'
run_fault cover   cover_open=true   2 ""               white:cover_open,uv365:cover_open,ir870:cover_open
expect_grep "$T/err" 'cover open'
run_fault busy    busy=true         2 ""               white:busy,uv365:busy,ir870:busy
run_fault failat  fail_at=2         2 white,ir870      uv365:hardware
expect_grep "$T/err" 'uv365'
run_fault failto  fail_at=3,fail_status=timeout 2 white,uv365 ir870:timeout
run_fault discon  disconnect_at=2   2 white            uv365:disconnected,ir870:disconnected
expect_grep "$T/err" 'disconnected'
# a disconnect after an earlier failure still stops the set: no retries on a gone device
expect_status 2 "$DOCEX" capture --device sim:0 --illum white,uv365,ir870,ir730 --out "$T/fail_then_gone" --settings fail_at=1,disconnect_at=3 --png-level 1
check_manifest "$T/fail_then_gone" complete no captured uv365 failed white:hardware,ir870:disconnected,ir730:disconnected
expect_grep "$T/fail_then_gone/capture.json" 'device stopped before this one'
# a capture that outlives --timeout fails as a timeout, and the set says so
expect_status 2 "$DOCEX" capture --device sim:0 --illum white,uv365 --out "$T/slow" --settings delay_ms=4000 --timeout 1
check_manifest "$T/slow" complete no
expect_grep "$T/err" 'no frame within 1 s'
# an interrupt (TERM) mid-capture: the running capture is cancelled, the rest
# are recorded as not captured, the manifest is finished, exit 2
"$DOCEX" capture --device sim:0 --illum white,uv365,ir870 --out "$T/intr" --settings delay_ms=5000 \
  >"$T/intr.out" 2>"$T/intr.err" &
pid=$!
for _ in $(seq 100); do [ -e "$T/intr/capture.json" ] && break; sleep 0.1; done
sleep 0.3
kill -TERM "$pid"
wait "$pid"; rc=$?
[ "$rc" = 2 ] && ok || bad "interrupted capture exited $rc (expected 2)"
check_manifest "$T/intr" complete no captured "" failed white:cancelled,uv365:cancelled,ir870:cancelled
expect_grep "$T/intr/capture.json" '"finished": "[0-9]'
expect_grep "$T/intr/capture.json" 'interrupted'
# faults that still capture
run_fault delay   delay_ms=150      0 white,uv365,ir870 ""
run_fault noisy   noise=4,seed=7    0 white,uv365,ir870 ""
run_fault moved   shift_x_mm=3,shift_y_mm=-2,rotation_deg=4 0 white,uv365,ir870 ""
# noise and placement change the pixels; the same seed gives the same bytes
expect_status 0 "$DOCEX" capture --device sim:0 --illum $I --out "$T/clean" --png-level 1
expect_status 0 "$DOCEX" capture --device sim:0 --illum $I --out "$T/noisy2" --settings noise=4,seed=7 --png-level 1
cmp -s "$T/clean/white.png" "$T/noisy/white.png" && bad "noise changed nothing" || ok
cmp -s "$T/clean/white.png" "$T/moved/white.png" && bad "shift/rotation changed nothing" || ok
cmp -s "$T/noisy/white.png" "$T/noisy2/white.png" && ok || bad "same seed, different noise"
# a failure keeps what was captured before it intact
$PY - "$T/failat/capture.json" "$T/clean/capture.json" <<'PY' && ok || bad "failure lost or changed earlier captures"
import json, sys
a = {c['file']: c['sha256'] for c in json.load(open(sys.argv[1]))['captures']}
b = {c['file']: c['sha256'] for c in json.load(open(sys.argv[2]))['captures']}
assert a == {k: b[k] for k in a}, (a, b)
PY
finish
