#!/usr/bin/env bash
# docex chip read through the sim plugin's contactless reader: synthetic
# Utopia chips (docex synth) opened with PACE (MRZ, CAN) and BAC, read whole,
# verified; the chip defects caught; errors with their own messages.
. "$(dirname "$0")/../capture/lib.sh"
jqr() { jq -r "$@"; }
TRUST=$SRC/share/trust/test

scene() { # NAME [synth options...]
  local n=$1; shift
  "$DOCEX" synth --specimen UTO-P-2024 --out "$T/$n" --dpi 50 --illum white "$@" >/dev/null 2>"$T/err" \
    || bad "synth $n: $(cat "$T/err")"
}
mrz_of() { jqr '.synth.mrz | join("")' "$T/$1/scene.json"; }
read_chip() { # EXPECTED_STATUS SCENE [chip read options...]
  local want=$1 n=$2; shift 2
  expect_status "$want" "$DOCEX" --set "sim.scene=$T/$n" chip read --device sim:chip0 "$@"
}

scene genuine
M=$(mrz_of genuine)
# PACE with the MRZ (the chip offers PACE: brainpoolP256r1, P-256, P-384)
read_chip 0 genuine --mrz "$M" --trust "$TRUST" --out "$T/r-genuine" --json
cp "$T/out" "$T/genuine.json"
[ "$(jqr .access.protocol "$T/genuine.json")" = PACE ] && ok || bad "protocol: $(jqr .access.protocol "$T/genuine.json")"
[ "$(jqr .access.password "$T/genuine.json")" = MRZ ] && ok || bad "password"
[ "$(jqr .verified "$T/genuine.json")" = true ] && ok || bad "genuine chip not verified"
for f in EF.COM EF.SOD EF.DG1 EF.DG2 EF.DG11 EF.DG12 EF.DG14 EF.DG15; do
  [ "$(jqr ".files[] | select(.name == \"$f\") | .status" "$T/genuine.json")" = read ] && ok || bad "$f not read"
  cmp -s "$T/r-genuine/$f" "$T/genuine/chip/$f" && ok || bad "$f differs from the chip's file"
  [ "$(jqr ".files[] | select(.name == \"$f\") | .sha256" "$T/genuine.json")" = "$(sha256sum "$T/genuine/chip/$f" | cut -c1-64)" ] \
    && ok || bad "$f sha256"
done
[ "$(jqr '.dg1.mrz.fields.surname' "$T/genuine.json")" = ERIKSSON ] && ok || bad "DG1 surname"
[ "$(jqr '.dg1_vs_printed_mrz.match' "$T/genuine.json")" = true ] && ok || bad "DG1 vs printed"
[ "$(jqr '.passive_authentication.result' "$T/genuine.json")" = passed ] && ok || bad "PA"
for step in signature message_digest chain validity key_usage dg_hashes; do
  [ "$(jqr ".passive_authentication.steps.$step.result" "$T/genuine.json")" = passed ] && ok || bad "PA step $step"
done
[ "$(jqr '.active_authentication.result' "$T/genuine.json")" = passed ] && ok || bad "AA"
[ "$(jqr '.face.decoded.width' "$T/genuine.json")" -gt 100 ] && ok || bad "face not decoded"
[ -s "$T/r-genuine/face.png" ] && ok || bad "face.png"
[ "$(jqr '.link.apdus' "$T/genuine.json")" -gt 10 ] && ok || bad "APDU count"
[ -f "$T/r-genuine/chip.json" ] && [ -f "$T/r-genuine/aa.json" ] && ok || bad "chip.json, aa.json written"
$PY - "$SCHEMAS" "$T/genuine.json" <<'PY' && ok || bad "chip.json against chip_read.schema.json"
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1] + '/chip_read.schema.json')))
PY
# the same read in text
read_chip 0 genuine --mrz "$M" --trust "$TRUST"
expect_grep "$T/out" '^chip: sim:chip0, PACE'
expect_grep "$T/out" '^verified: yes'
# PACE with the CAN; BAC when PACE is declined; the MRZ as separate lines
read_chip 0 genuine --can "$(jqr .synth.holder.can "$T/genuine/scene.json")" --trust "$TRUST" --json
[ "$(jqr .access.password "$T/out")" = CAN ] && ok || bad "CAN"
read_chip 0 genuine --mrz "${M:0:44}" --mrz "${M:44:44}" --no-pace --trust "$TRUST" --json
[ "$(jqr .access.protocol "$T/out")" = BAC ] && ok || bad "BAC: $(jqr .access.protocol "$T/out")"
[ "$(jqr .verified "$T/out")" = true ] && ok || bad "BAC read not verified"
# short APDUs only
read_chip 0 genuine --mrz "$M" --extended off --trust "$TRUST" --json
[ "$(jqr .access.extended_length "$T/out")" = false ] && ok || bad "extended off"
[ "$(jqr '.link.apdus' "$T/out")" -gt "$(jqr '.link.apdus' "$T/genuine.json")" ] && ok || bad "short reads need more APDUs"
# the offline verification of what was written
expect_status 0 "$DOCEX" chip verify "$T/r-genuine" --trust "$TRUST"
expect_grep "$T/out" '^verified: yes'

# a chip that hides its DG15 (a clone answering 6A82) does not pass as one without AA
cp -r "$T/r-genuine" "$T/r-hidden" && rm "$T/r-hidden/EF.DG15" "$T/r-hidden/aa.json"
expect_status 1 "$DOCEX" chip verify "$T/r-hidden" --trust "$TRUST" --json
[ "$(jqr .active_authentication.result "$T/out")" = failed ] && ok || bad "hidden DG15: AA $(jqr .active_authentication.result "$T/out")"
expect_grep "$T/out" 'DG15 is listed'
# the offline AA is the exchange recorded by the read
expect_status 0 "$DOCEX" chip verify "$T/r-genuine" --trust "$TRUST" --json
[ "$(jqr .active_authentication.recorded_exchange "$T/out")" = true ] && ok || bad "offline AA not marked recorded"
expect_status 2 "$DOCEX" chip read --device sim:chip0 --can 123456 --no-pace
expect_grep "$T/err" 'does not go with --no-pace'

# the chip defects
scene tampered --defect chip_dg_tampered:dg=2
read_chip 1 tampered --mrz "$(mrz_of tampered)" --trust "$TRUST" --json
[ "$(jqr .verified "$T/out")" = false ] && ok || bad "tampered DG2 verified"
[ "$(jqr '[.passive_authentication.data_groups[] | select(.result == "failed") | .dg] | join(",")' "$T/out")" = 2 ] \
  && ok || bad "tampered: not DG2 alone"
[ "$(jqr '.passive_authentication.steps.signature.result' "$T/out")" = passed ] && ok || bad "tampered: signature"
scene clone --defect chip_clone
read_chip 1 clone --mrz "$(mrz_of clone)" --trust "$TRUST" --json
[ "$(jqr .verified "$T/out")" = false ] && ok || bad "cloned chip verified"
[ "$(jqr '.active_authentication.result' "$T/out")" = failed ] && ok || bad "clone: AA"
[ "$(jqr '.passive_authentication.result' "$T/out")" = passed ] && ok || bad "clone: PA passes (the data are genuine)"
scene rogue --defect chip_untrusted_ds
read_chip 1 rogue --mrz "$(mrz_of rogue)" --trust "$TRUST" --json
[ "$(jqr .verified "$T/out")" = false ] && ok || bad "untrusted DS verified"
[ "$(jqr '.passive_authentication.steps.chain.result' "$T/out")" = failed ] && ok || bad "rogue: chain"
[ "$(jqr '.passive_authentication.steps.signature.result' "$T/out")" = passed ] && ok || bad "rogue: signature"
# the rogue CSCA trusted instead: the chain holds (a directory with it alone)
mkdir -p "$T/rogue-trust" && cp "$TRUST/rogue/rogue-csca.cert.pem" "$T/rogue-trust/"
expect_status 1 "$DOCEX" chip verify "$T/r-genuine" --trust "$T/rogue-trust" --json
[ "$(jqr '.passive_authentication.steps.chain.result' "$T/out")" = failed ] && ok || bad "genuine chip vs rogue trust"
# no trust store: the chain is not checked, and not verified
expect_status 1 "$DOCEX" chip verify "$T/r-genuine" --json
[ "$(jqr '.passive_authentication.steps.chain.result' "$T/out")" = not_checked ] && ok || bad "no trust: chain"
# the master list alone as the trust store
mkdir -p "$T/ml-trust" && cp "$TRUST/utopia.ml" "$T/ml-trust/"
expect_status 0 "$DOCEX" chip verify "$T/r-genuine" --trust "$T/ml-trust" --json
[ "$(jqr '.passive_authentication.result' "$T/out")" = passed ] && ok || bad "master list trust"
scene mismatch --defect chip_mrz_mismatch
read_chip 1 mismatch --mrz "$(mrz_of mismatch)" --trust "$TRUST" --json
[ "$(jqr .dg1_vs_printed_mrz.match "$T/out")" = false ] && ok || bad "DG1 mismatch not seen"
[ "$(jqr '.dg1_vs_printed_mrz.differences[0].chip' "$T/out")" != null ] && ok || bad "differences listed"

# errors: each with its own message, exit 2
read_chip 2 genuine --mrz "${M/L898902C3/L898902C4}"
expect_grep "$T/err" 'wrong access key'
read_chip 2 genuine --can 000000
expect_grep "$T/err" 'wrong access key'
read_chip 2 genuine --mrz "$M" --settings no_card=true --timeout 0.3
expect_grep "$T/err" 'no card in the reader'
read_chip 2 genuine --mrz "$M" --settings remove_after=12 --out "$T/r-removed"
expect_grep "$T/err" 'the card was removed'
expect_grep "$T/err" 'transmit failed: device sim:chip0: transmit: card removed' # the device's own words
[ -f "$T/r-removed/chip.json" ] && ok || bad "files read before the removal are kept"
read_chip 2 genuine --device sim:0 --mrz "$M"
expect_grep "$T/err" 'not a chip reader'
expect_status 2 "$DOCEX" chip read --device nosuch:0 --mrz "$M"
expect_status 2 "$DOCEX" chip read --device sim:chip0
expect_grep "$T/err" 'exactly one access key'
expect_status 2 "$DOCEX" chip read --device sim:chip0 --mrz "$M" --can 123456
expect_status 2 "$DOCEX" chip read --device sim:chip0 --mrz 'P<UTO'
expect_status 2 "$DOCEX" chip verify "$T/nothing-here"
expect_status 2 "$DOCEX" chip bogus
expect_status 0 "$DOCEX" chip --help
finish
