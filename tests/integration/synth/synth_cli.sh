#!/usr/bin/env bash
# docex synth: scenes read back through the sim scanner and docex mrz read,
# defects seen by the MRZ checks, determinism, and errors on bad input.
. "$(dirname "$0")/../capture/lib.sh"
jqr() { jq -r "$@"; }

expect_status 0 "$DOCEX" synth --help
expect_grep "$T/out" 'usage: docex synth --specimen ID --out DIR'
expect_status 0 "$DOCEX" synth --list-defects
for d in photo_substitution mrz_alteration data_mismatch bright_paper missing_uv_feature \
         wrong_uv_colour inkjet_mrz missing_watermark missing_fibres reprinted_background expired \
         chip_dg_tampered chip_untrusted_ds chip_clone chip_mrz_mismatch; do
  expect_grep "$T/out" "^$d "
done

# a genuine passport page, read back from its IR capture through the sim scanner
expect_status 0 "$DOCEX" synth --specimen UTO-P-2024 --out "$T/p" --dpi 300 --seed 3 --no-chip \
  --illum white,uv365,ir870
expect_grep "$T/out" '^wrote ir870 .*ir870.png'
expect_grep "$T/out" "^scene: $T/p/scene.json"
[ "$(jqr .synth.genuine "$T/p/scene.json")" = true ] && ok || bad "genuine not recorded"
[ "$(jqr '.synth.files | keys | join(",")' "$T/p/scene.json")" = "ir870.png,uv365.png,white.png" ] \
  && ok || bad "files listed: $(jqr '.synth.files | keys | join(",")' "$T/p/scene.json")"
[ "$(jqr '.synth.files["white.png"]' "$T/p/scene.json")" = "$(sha256sum "$T/p/white.png" | cut -c1-64)" ] \
  && ok || bad "white.png hash"
DOCEX_SET="sim.scene=$T/p" expect_status 0 "$DOCEX" capture --device sim:0 --illum all --out "$T/set"
expect_status 0 "$DOCEX" mrz read --json --today 20261126 "$T/set"
cp "$T/out" "$T/read.json"
[ "$(jqr '.lines | map(.text) | join("")' "$T/read.json")" = "$(jqr '.synth.mrz | join("")' "$T/p/scene.json")" ] \
  && ok || bad "MRZ read differs from the scene's ground truth"
expect_grep "$T/read.json" '"illumination": "ir870"'

# scene.json and chip.json follow their schemas
$PY - "$SCHEMAS" "$T/p/scene.json" <<'PY' && ok || bad "scene.json against scene.schema.json"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1] + '/scene.schema.json'))
jsonschema.validate(json.load(open(sys.argv[2])), schema)
PY

# scanner realism: the page rotated and shifted on the glass, noise, blur,
# vignetting; still read, at the angle it was laid
expect_status 0 "$DOCEX" synth --specimen UTO-P-2024 --out "$T/real" --dpi 300 --no-chip --illum ir870,white \
  --glass 12 --rotate 6 --shift-x 3 --shift-y -2 --noise 3 --blur 1 --vignetting 0.2
$PY - "$T/real/ir870.png" <<'PY' && ok || bad "glass: image size"
import struct, sys
d = open(sys.argv[1], 'rb').read(32)
w, h = struct.unpack('>II', d[16:24])
assert (w, h) == (round(149 * 300 / 25.4), round(112 * 300 / 25.4)), (w, h)
PY
expect_status 0 "$DOCEX" mrz read --json --today 20261126 "$T/real"
$PY - "$T/out" <<'PY' && ok || bad "rotation read: $(jq .rotation_deg "$T/out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert 4.5 < r['rotation_deg'] < 7.5, r['rotation_deg']
PY
[ "$(jqr '.synth.placement.rotation_deg' "$T/real/scene.json")" = 6 ] && ok || bad "placement not recorded"

# an altered MRZ character: the check digit catches it; recomputed, it passes
expect_status 0 "$DOCEX" synth --specimen UTO-P-2024 --out "$T/alt" --dpi 300 --seed 3 --no-chip \
  --illum ir870 --defect mrz_alteration:line=2,col=3,char=7
expect_status 1 "$DOCEX" mrz read --today 20261126 "$T/alt"
expect_grep "$T/out" 'FAIL +document_number_check'
[ "$(jqr '.synth.defects[0].name' "$T/alt/scene.json")" = mrz_alteration ] && ok || bad "defect not recorded"
[ "$(jqr '.synth.defects[0].expected_check' "$T/alt/scene.json")" != null ] && ok || bad "no expected check"
[ "$(jqr '.synth.chip_dg1_mrz[1]' "$T/alt/scene.json")" != "$(jqr '.synth.mrz[1]' "$T/alt/scene.json")" ] \
  && ok || bad "the chip keeps the issued MRZ"
expect_status 0 "$DOCEX" synth --specimen UTO-P-2024 --out "$T/alt2" --dpi 300 --seed 3 --no-chip \
  --illum ir870 --defect mrz_alteration:line=2,col=3,char=7,recompute=1
expect_status 0 "$DOCEX" mrz read --today 20261126 "$T/alt2"
expect_grep "$T/out" '^L878902C3'

# expired: the MRZ says so
expect_status 0 "$DOCEX" synth --specimen UTO-P-2024 --out "$T/exp" --dpi 300 --no-chip --illum ir870 \
  --today 20261126 --defect expired
expect_status 0 "$DOCEX" mrz read --today 20261126 "$T/exp"
expect_grep "$T/out" 'warning: the document expired on 2025-11-26'

# the identity card: the MRZ on the back, three lines
expect_status 0 "$DOCEX" synth --specimen UTO-ID-2021 --out "$T/id" --dpi 300 --no-chip --illum white,ir870
[ -f "$T/id/white.png" ] && [ -f "$T/id/back/ir870.png" ] && [ -f "$T/id/back/scene.json" ] \
  && ok || bad "card sides"
expect_status 0 "$DOCEX" mrz read --today 20261126 "$T/id/back"
expect_grep "$T/out" '^I<UTOD231458907<<<<<<<<<<<<<<<'
expect_grep "$T/out" 'format TD1, every check passes'

# a holder of one's own
cat >"$T/holder.json" <<'JSON'
{"surname": "DOE", "given_names": "JOHN", "document_number": "X1234567", "sex": "M",
 "birth_date": "1990-01-31", "expiry_date": "2033-05-01", "issue_date": "2023-05-02"}
JSON
expect_status 0 "$DOCEX" synth --specimen UTO-P-2024 --out "$T/h" --dpi 300 --no-chip --illum ir870 \
  --holder "$T/holder.json"
expect_status 0 "$DOCEX" mrz read --today 20261126 "$T/h"
expect_grep "$T/out" '^P<UTODOE<<JOHN<<<'
expect_grep "$T/out" '^X1234567<7UTO9001310M3305016'

# same seed, same bytes; another seed, other fibres
for s in a b; do
  "$DOCEX" synth --specimen UTO-ID-2021 --out "$T/det-$s" --dpi 100 --seed 9 --no-chip \
    --illum white,uv365 >/dev/null 2>&1 || bad "synth det-$s"
done
"$DOCEX" synth --specimen UTO-ID-2021 --out "$T/det-c" --dpi 100 --seed 10 --no-chip \
  --illum white,uv365 >/dev/null 2>&1 || bad "synth det-c"
diff -r "$T/det-a" "$T/det-b" >/dev/null && ok || bad "same seed, different bytes"
cmp -s "$T/det-a/uv365.png" "$T/det-c/uv365.png" && bad "another seed, same fibres" || ok

# the chip: an SOD signed by the test DS that openssl verifies against the
# Utopia CSCA, every DG hash matching; chip defects break what they say
if command -v openssl >/dev/null; then
  . "$SRC/tests/common/chip_lib.sh"
  CSCA=$SRC/share/trust/test/utopia-csca.cert.pem
  chip() { # NAME [DEFECT]
    "$DOCEX" synth --specimen UTO-P-2024 --out "$T/c-$1" --dpi 100 --illum white ${2:+--defect "$2"} \
      >/dev/null 2>"$T/err" || bad "synth chip $1: $(cat "$T/err")"
  }
  chip genuine
  for f in EF.COM EF.CardAccess EF.DG1 EF.DG2 EF.DG11 EF.DG12 EF.DG14 EF.DG15 EF.SOD chip.json; do
    [ -s "$T/c-genuine/chip/$f" ] && ok || bad "chip/$f missing"
  done
  [ "$(jqr .synth.chip "$T/c-genuine/scene.json")" = chip/chip.json ] && ok || bad "scene.json: chip"
  for d in genuine; do
    $PY - "$SCHEMAS" "$T/c-$d" <<'PY' && ok || bad "$d: scene.json or chip.json against their schemas"
import json, sys, jsonschema
s, d = sys.argv[1], sys.argv[2]
jsonschema.validate(json.load(open(d + '/scene.json')), json.load(open(s + '/scene.schema.json')))
jsonschema.validate(json.load(open(d + '/chip/chip.json')), json.load(open(s + '/chip.schema.json')))
PY
  done
  strip_tlv "$T/c-genuine/chip/EF.SOD" "$T/sod.cms"
  expect_status 0 openssl cms -verify -inform DER -in "$T/sod.cms" -CAfile "$CSCA" -purpose any -out /dev/null
  [ -z "$(hashes_match "$T/c-genuine/chip")" ] && ok || bad "DG hashes differ: $(hashes_match "$T/c-genuine/chip")"
  [ "$(jqr '.mrz | join("")' "$T/c-genuine/chip/chip.json")" = "$(jqr '.synth.mrz | join("")' "$T/c-genuine/scene.json")" ] \
    && ok || bad "chip.json access MRZ is not the printed one"
  grep -q "$(jqr '.synth.mrz[1]' "$T/c-genuine/scene.json")" "$T/c-genuine/chip/EF.DG1" && ok || bad "DG1 MRZ"
  chip tampered chip_dg_tampered:dg=2
  [ "$(hashes_match "$T/c-tampered/chip")" = 2 ] && ok || bad "tampered: mismatching DGs: $(hashes_match "$T/c-tampered/chip")"
  chip rogue chip_untrusted_ds
  strip_tlv "$T/c-rogue/chip/EF.SOD" "$T/rogue.cms"
  expect_status 4 openssl cms -verify -inform DER -in "$T/rogue.cms" -CAfile "$CSCA" -purpose any -out /dev/null
  expect_status 0 openssl cms -verify -inform DER -in "$T/rogue.cms" -CAfile \
    "$SRC/share/trust/test/rogue/rogue-csca.cert.pem" -purpose any -out /dev/null
  chip clone chip_clone
  strip_tlv "$T/c-clone/chip/EF.DG15" "$T/dg15.der"
  openssl pkey -pubin -inform DER -in "$T/dg15.der" -outform DER -out "$T/dg15.pub" 2>/dev/null || bad "DG15 key"
  openssl pkey -in "$T/c-clone/chip/aa_private.pem" -pubout -outform DER -out "$T/aa.pub" 2>/dev/null || bad "AA key"
  cmp -s "$T/dg15.pub" "$T/aa.pub" && bad "clone: the AA key matches DG15" || ok
  strip_tlv "$T/c-genuine/chip/EF.DG15" "$T/dg15g.der"
  openssl pkey -pubin -inform DER -in "$T/dg15g.der" -outform DER -out "$T/dg15g.pub" 2>/dev/null
  openssl pkey -in "$T/c-genuine/chip/aa_private.pem" -pubout -outform DER -out "$T/aag.pub" 2>/dev/null
  cmp -s "$T/dg15g.pub" "$T/aag.pub" && ok || bad "genuine: the AA key differs from DG15"
  chip mismatch chip_mrz_mismatch
  grep -q 'ERIKSEN' "$T/c-mismatch/chip/EF.DG1" && ok || bad "chip_mrz_mismatch: DG1 unchanged"
  [ -z "$(hashes_match "$T/c-mismatch/chip")" ] && ok || bad "chip_mrz_mismatch: the SOD must cover the changed DG1"
  [ "$(jqr '.mrz[0]' "$T/c-mismatch/chip/chip.json")" = "$(jqr '.synth.chip_dg1_mrz[0]' "$T/c-mismatch/scene.json")" ] \
    && ok || bad "chip_mrz_mismatch: the access MRZ is the chip's own (DG1)"
  for f in EF.COM EF.DG2 EF.DG14 EF.DG15; do  # a chip defect changes only its files
    cmp -s "$T/c-genuine/chip/$f" "$T/c-mismatch/chip/$f" && ok || bad "chip_mrz_mismatch changed $f"
  done
  cmp -s "$T/c-genuine/white.png" "$T/c-mismatch/white.png" && ok || bad "chip defect changed the page"
else
  echo "openssl not installed: chip checks skipped"
fi

# every scene made above (genuine, defects, two sides) against the schema
$PY - "$SCHEMAS" "$T" <<'PY' && ok || bad "a scene.json does not follow scene.schema.json"
import glob, json, sys, jsonschema
schema = json.load(open(sys.argv[1] + '/scene.schema.json'))
files = glob.glob(sys.argv[2] + '/**/scene.json', recursive=True)
assert len(files) >= 8, files
for f in files:
    jsonschema.validate(json.load(open(f)), schema)
PY

# bad input: what, where, why; exit 2; nothing overwritten
expect_status 2 "$DOCEX" synth --specimen UTO-P-2024 --out "$T/p" --no-chip
expect_grep "$T/err" 'already holds a scene'
expect_status 2 "$DOCEX" synth --specimen UTO-X-1999 --out "$T/x"
expect_grep "$T/err" 'specimen UTO-X-1999: not found'
expect_grep "$T/err" 'specimens there: UTO-ID-2021, UTO-P-2024'
expect_status 2 "$DOCEX" synth --specimen ../etc --out "$T/x"
expect_status 2 "$DOCEX" synth --specimen UTO-P-2024 --out "$T/x" --defect forged_everything
expect_grep "$T/err" 'unknown defect'
expect_status 2 "$DOCEX" synth --specimen UTO-P-2024 --out "$T/x" --defect mrz_alteration:line=9
expect_grep "$T/err" 'outside the MRZ'
expect_status 2 "$DOCEX" synth --specimen UTO-P-2024 --out "$T/x" --defect bright_paper:level=3
expect_grep "$T/err" 'takes no parameters'
echo '{"surname": "doe"}' >"$T/bad.json"
expect_status 2 "$DOCEX" synth --specimen UTO-P-2024 --out "$T/x" --holder "$T/bad.json"
expect_grep "$T/err" 'bad.json: surname: "doe" has a character'
echo '{"birth_date": "1990-02-30"}' >"$T/bad.json"
expect_status 2 "$DOCEX" synth --specimen UTO-P-2024 --out "$T/x" --holder "$T/bad.json"
expect_grep "$T/err" 'birth_date: "19900230" is not a date'
echo '{"surname": "DOE",' >"$T/bad.json"
expect_status 2 "$DOCEX" synth --specimen UTO-P-2024 --out "$T/x" --holder "$T/bad.json"
expect_grep "$T/err" 'bad.json:'
expect_status 2 "$DOCEX" synth --specimen UTO-P-2024 --out "$T/x" --dpi 5
expect_status 2 "$DOCEX" synth --specimen UTO-P-2024
[ ! -e "$T/x" ] && ok || bad "a failed synth left $T/x"
finish
