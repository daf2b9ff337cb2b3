#!/usr/bin/env bash
# docex mrz read IMAGE [--json]: exit statuses, JSON against
# share/schemas/mrz_read.schema.json, the lines against the renderer's ground
# truth, rotation and dpi; no MRZ and corrupt files.
# $1: mrz-render (tests/tools/mrz_render.c).
. "$(dirname "$0")/../capture/lib.sh"
RENDER=$1
CHECK="$PY $SRC/tests/integration/mrz_read/check_read.py $SCHEMAS"
if ! "$DOCEX" mrz read --help >/dev/null 2>&1; then
  echo "SKIP: docex has no 'mrz read' command"
  exit 77
fi
check() { # OUT.json [TRUTH.json] [options]
  if $CHECK "$@" >"$T/check" 2>&1; then ok; else bad "check_read $*"; sed 's/^/  /' "$T/check" >&2; fi
}

# rendered here: every format, upside down, colour, JPEG
i=0
for spec in "td3 --dpi 300 --rotate 185 --colour --jpeg 60 --noise 3" \
            "td1 --dpi 400 --rotate -9 --light 0.4 --blur 0.8" \
            "td2 --dpi 150 --rotate 3 --noise 5"; do
  set -- $spec
  fmt=$1; shift
  i=$((i + 1))
  "$RENDER" --specimen "$fmt" "$@" --seed $i --out "$T/$i.png" --truth "$T/$i.json" || bad "render $spec"
  expect_status 0 "$DOCEX" mrz read --json "$T/$i.png"
  cp "$T/out" "$T/$i.out.json"
  check "$T/$i.out.json" "$T/$i.json"
  expect_grep "$T/$i.out.json" '"file": ".*'"$i"'\.png"'
done
# the PNG's pHYs gives the dpi; --dpi overrides it
check "$T/1.out.json" --dpi 300
expect_grep "$T/1.out.json" '"dpi_estimated": false'
expect_status 0 "$DOCEX" mrz read --json --dpi 300 "$T/2.png"
# text output
expect_status 0 "$DOCEX" mrz read "$T/2.png"
expect_grep "$T/out" '^I<UTOD231458907<<<<<<<<<<<<<<<'
expect_grep "$T/out" 'format TD1, every check passes'

# 16-bit PNG files (a 12-bit sensor's range), grey and colour
for spec in "td3 --dpi 600 --rotate 2 --noise 2" "td1 --dpi 300 --rotate -4 --colour"; do
  set -- $spec
  fmt=$1; shift
  i=$((i + 1))
  "$RENDER" --specimen "$fmt" "$@" --bits 16 --seed $i --out "$T/$i.png" --truth "$T/$i.json" \
    || bad "render 16-bit $spec"
  [ "$(od -An -tu1 -j24 -N1 "$T/$i.png" | tr -d ' ')" = 16 ] && ok || bad "$i.png is not 16-bit"
  expect_status 0 "$DOCEX" mrz read --json "$T/$i.png"
  cp "$T/out" "$T/$i.out.json"
  check "$T/$i.out.json" "$T/$i.json"
done

# a capture set: the sim scanner photographs a scene whose ir870 light shows
# the TD3 specimen and whose white light a TD1 card; mrz read SET reads the
# ir870 capture (the MRZ absorbs IR), after checking its recorded SHA-256
mkdir -p "$T/scene"
echo '{"format": "docex.scene/1", "dpi": 300}' >"$T/scene/scene.json"
"$RENDER" --specimen td3 --dpi 300 --bits 16 --noise 2 --seed 21 --out "$T/scene/ir870.png" \
  --truth "$T/ir.json" || bad "render ir870"
"$RENDER" --specimen td1 --dpi 300 --colour --seed 22 --out "$T/scene/white.png" \
  --truth "$T/white.json" || bad "render white"
DOCEX_SET="sim.scene=$T/scene" expect_status 0 "$DOCEX" capture --device sim:0 --illum white,ir870 \
  --out "$T/set"
expect_status 0 "$DOCEX" mrz read --json "$T/set"
cp "$T/out" "$T/set.json"
check "$T/set.json" "$T/ir.json"
expect_grep "$T/set.json" '"illumination": "ir870"'
expect_grep "$T/set.json" '"capture_set": ".*set"'
expect_grep "$T/set.json" "\"sha256\": \"$(sha256sum "$T/set/ir870.png" | cut -c1-64)\""
expect_status 0 "$DOCEX" mrz read "$T/set"
expect_grep "$T/out" '^reading .*ir870.png .ir870.$'
# the scene directory itself is a set too (no hashes)
expect_status 0 "$DOCEX" mrz read --json "$T/scene"
expect_grep "$T/out" '"illumination": "ir870"'
# without an IR capture, white is read
DOCEX_SET="sim.scene=$T/scene" expect_status 0 "$DOCEX" capture --device sim:0 --illum white \
  --out "$T/set-white"
expect_status 0 "$DOCEX" mrz read --json "$T/set-white"
cp "$T/out" "$T/set-white.json"
check "$T/set-white.json" "$T/white.json"
expect_grep "$T/set-white.json" '"illumination": "white"'
# a capture changed after it was taken is refused, naming the file
printf 'x' >>"$T/set/ir870.png"
expect_status 2 "$DOCEX" mrz read "$T/set"
expect_grep "$T/err" 'ir870.png: SHA-256 .* differs from .* recorded in capture.json'
rm "$T/set/ir870.png"
expect_status 2 "$DOCEX" mrz read "$T/set"
expect_grep "$T/err" 'ir870.png: cannot open'
echo '{"format": "something/else"}' >"$T/set-white/capture.json"
expect_status 2 "$DOCEX" mrz read "$T/set-white"
expect_grep "$T/err" 'capture.json: format: expected "docex.capture/1"'
mkdir -p "$T/empty"
expect_status 2 "$DOCEX" mrz read "$T/empty"
expect_grep "$T/err" 'not a capture set'

# the committed samples (fixed regression inputs)
for truth in "$SRC"/tests/data/mrz/*.json; do
  png=${truth%.json}.png
  expect_status 0 "$DOCEX" mrz read --json "$png"
  cp "$T/out" "$T/sample.json"
  check "$T/sample.json" "$truth"
done

# a wrong check digit printed on the document: read as printed, the check fails
"$RENDER" --dpi 300 --seed 7 --out "$T/bad.png" \
  'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<' \
  'L898902C35UTO7408122F1204159ZE184226B<<<<<10' || bad "render bad check digit"
expect_status 1 "$DOCEX" mrz read --json "$T/bad.png"
cp "$T/out" "$T/bad.json"
check "$T/bad.json"
expect_grep "$T/bad.json" '"L898902C35UTO7408122F1204159ZE184226B<<<<<10"'
expect_grep "$T/bad.json" '"valid": false'

# no MRZ: a page with text but no MRZ, an empty page
"$RENDER" --dpi 300 --seed 8 --out "$T/none.png" 'UTOPIA<PASSPORT' || bad "render no MRZ"
expect_status 2 "$DOCEX" mrz read "$T/none.png"
expect_grep "$T/err" 'no MRZ found'
expect_status 2 "$DOCEX" mrz read --json "$T/none.png"
expect_grep "$T/err" 'no MRZ found'
# corrupt and missing files, usage
head -c 3000 "$T/1.png" >"$T/cut.png"
expect_status 2 "$DOCEX" mrz read "$T/cut.png"
expect_grep "$T/err" 'malformed PNG'
echo "not a png" >"$T/text.png"
expect_status 2 "$DOCEX" mrz read "$T/text.png"
expect_grep "$T/err" 'not a PNG'
expect_status 2 "$DOCEX" mrz read "$T/missing.png"
expect_status 2 "$DOCEX" mrz read
expect_status 2 "$DOCEX" mrz read --bogus "$T/1.png"
expect_status 2 "$DOCEX" mrz read --dpi 0 "$T/1.png"
expect_status 2 "$DOCEX" mrz read "$T/1.png" "$T/2.png"
expect_status 0 "$DOCEX" mrz read --help
finish
