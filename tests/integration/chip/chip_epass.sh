#!/usr/bin/env bash
# docex chip read through a real PC/SC stack: pcscd, vsmartcard's virtual
# reader and its ePassport emulator (tests/tools/epass/with-epass), serving
# a synthetic Utopia chip's DG2 and SOD (signed by the test DS): BAC, then
# EF.COM, DG1, DG2 and EF.SOD; passive authentication passes; a tampered DG2
# fails on DG2 alone; a wrong MRZ is a clear error.  Skipped (77) where the
# stack cannot run (not root, packages missing).
. "$(dirname "$0")/../capture/lib.sh"
jqr() { jq -r "$@"; }
WITH=$SRC/tests/tools/epass/with-epass
TRUST=$SRC/share/trust/test
export DOCEX_SET="pcsc.readers=Virtual PCD"

if [ "${1:-}" = inside ]; then # run by with-epass: the reader holds the chip
  dev=pcsc:$(echo "$EPASS_READER" | tr 'A-Z ' 'a-z-')
  expect_status "$2" "$DOCEX" chip read --device "$dev" --mrz "$3" --trust "$TRUST" --out "$4" --json
  cp "$T/out" "$4.json" 2>/dev/null
  cp "$T/err" "$4.err"
  finish
  exit
fi

# the emulator has no Active Authentication: a chip made without it (no DG15)
"$DOCEX" synth --specimen UTO-P-2024 --out "$T/doc" --dpi 50 --illum white --chip-aa none >/dev/null 2>"$T/err" \
  || { bad "synth: $(cat "$T/err")"; finish; }
M=$(jqr '.synth.mrz | join("")' "$T/doc/scene.json")
epass() { # NAME EXPECTED_STATUS MRZ [DG2 file]
  EPASS_MRZ=$M EPASS_DG2=${4:-$T/doc/chip/EF.DG2} EPASS_SOD=$T/doc/chip/EF.SOD \
    "$WITH" --port 36040 -- bash "$0" inside "$2" "$3" "$T/$1" >"$T/$1.log" 2>&1
}
epass genuine 0 "$M"
rc=$?
if [ $rc = 77 ]; then
  echo "SKIP: $(grep -m1 'skipped' "$T/genuine.log")"
  exit 77
fi
[ $rc = 0 ] && ok || { bad "genuine read (exit $rc):"; sed 's/^/  /' "$T/genuine.log" >&2; }
J=$T/genuine.json
[ "$(jqr .access.protocol "$J")" = BAC ] && ok || bad "protocol: $(jqr .access.protocol "$J")"
for f in EF.COM EF.DG1 EF.DG2 EF.SOD; do
  [ "$(jqr ".files[] | select(.name == \"$f\") | .status" "$J")" = read ] && ok || bad "$f not read"
done
cmp -s "$T/genuine/EF.DG2" "$T/doc/chip/EF.DG2" && ok || bad "DG2 differs"
cmp -s "$T/genuine/EF.SOD" "$T/doc/chip/EF.SOD" && ok || bad "SOD differs"
[ "$(jqr .passive_authentication.result "$J")" = passed ] && ok || bad "PA: $(jqr .passive_authentication.result "$J")"
[ "$(jqr .verified "$J")" = true ] && ok || bad "not verified"

# DG2 changed by one byte on the chip: its hash, and only its hash, fails
cp "$T/doc/chip/EF.DG2" "$T/dg2-tampered"
printf '\x55' | dd of="$T/dg2-tampered" bs=1 seek=2000 conv=notrunc 2>/dev/null
epass tampered 1 "$M" "$T/dg2-tampered" || true
J=$T/tampered.json
[ "$(jqr .verified "$J")" = false ] && ok || bad "tampered DG2 verified"
[ "$(jqr .passive_authentication.result "$J")" = failed ] && ok || bad "PA on tampered DG2"
bad_dgs=$(jqr '[.passive_authentication.data_groups[] | select(.result == "failed") | .dg] | join(",")' "$J")
[ "$bad_dgs" = 2 ] && ok || bad "failing DG hashes: '$bad_dgs' (want 2)"

# a wrong MRZ: exit 2, a clear message
epass wrong 2 "${M/L898902C3/L898902C4}" || true
grep -q 'wrong access key' "$T/wrong.err" && ok || { bad "wrong MRZ message:"; cat "$T/wrong.err" "$T/wrong.log" >&2; }
finish
