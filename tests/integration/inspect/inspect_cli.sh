# docex inspect end to end: the case directory it writes, the device path,
# rule sets that break, unknown documents, and its errors.
. "$(dirname "$0")/../capture/lib.sh"
S=$T/scene
"$DOCEX" synth --specimen UTO-P-2024 --out "$S" --dpi 300 --illum all --seed 3 --today 20261127 >/dev/null \
  || { echo "synth failed"; exit 1; }
insp() { expect_status "$1" "$DOCEX" --set "sim.chip=$S/chip" inspect --today 2026-11-27 "${@:2}"; }

# a genuine passport from files, the chip through the simulated reader
insp 0 --from "$S" --chip sim:chip0 --out "$T/c1"
expect_grep "$T/out" '^verdict: passed$'
expect_grep "$T/out" 'identified from the MRZ \(P, UTO, TD3\) as UTO-P-2024'
for f in findings.json report.html report.pdf capture/capture.json chip/chip.json chip/EF.SOD; do
  [ -s "$T/c1/$f" ] && ok || bad "case: no $f"
done
validate_json "$SCHEMAS/findings.schema.json" "$T/c1/findings.json"
check_manifest "$T/c1/capture"
# every file findings.json lists has the SHA-256 it records
$PY - "$T/c1" <<'PY' && ok || bad "findings.json: a file's SHA-256 differs"
import hashlib, json, os, sys
case = sys.argv[1]; d = json.load(open(os.path.join(case, "findings.json")))
bad = [f["path"] for f in d["files"] if hashlib.sha256(open(os.path.join(case, f["path"]), "rb").read()).hexdigest() != f["sha256"]]
assert d["files"] and not bad, bad
ev = [f for f in d["findings"] if "evidence" in f]
assert len(ev) >= 10, len(ev)
PY
grep -q '<script' "$T/c1/report.html" && bad "report.html has a script" || ok
head -c 5 "$T/c1/report.pdf" | grep -q '%PDF-' && ok || bad "report.pdf is not a PDF"
# --json prints findings.json; an earlier case is a source too
insp 0 --from "$T/c1" --out "$T/c2" --json --no-reports
# (the case's chip files keep the active authentication exchange of the read)
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["verdict"] == "passed", d["verdict"]; assert d["document"]["chip"]["active_authentication"] == "passed"; assert "recorded" in d["document"]["chip"]["message"]' "$T/out" \
  && ok || bad "--from a case: the recorded active authentication"
# a synth scene's chip files alone: active authentication cannot run
insp 0 --from "$S" --out "$T/c2b" --no-reports --json
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["verdict"] == "undetermined", d["verdict"]; assert d["document"]["chip"]["active_authentication"] == "not_run"' "$T/out" \
  && ok || bad "offline chip files without an exchange leave active authentication not run"
[ ! -e "$T/c2/report.html" ] && ok || bad "--no-reports wrote a report"

# the document on the (simulated) glass: capture, MRZ, chip, rules
insp 0 --device sim:0 --chip sim:chip0 --out "$T/c3" --specimen auto
expect_grep "$T/out" '^verdict: passed$'
# a passport page has one side: nothing asked, nothing more captured
expect_no_grep "$T/err" 'side back'
[ "$(jq -c '[.registration[].side]' "$T/c3/findings.json")" = '["data_page"]' ] && ok \
  || bad "one-sided device capture: $(jq -c '[.registration[].side]' "$T/c3/findings.json")"
[ "$(jq -r .source.kind "$T/c3/findings.json")" = device ] && ok || bad "source kind"
check_manifest "$T/c3/capture"

# a two-sided card on the (simulated) glass, no --specimen: the front shows no
# MRZ, so docex asks for the card to be turned over (stdin is no terminal: it
# says so and goes on; the sim turns the card when a light is captured again)
# and reads the MRZ on the back
ID=$T/idcard
"$DOCEX" synth --specimen UTO-ID-2021 --out "$ID" --dpi 300 --seed 5 --today 20261127 >/dev/null \
  || bad "synth UTO-ID-2021 failed"
IDL=white,uv365,uv254,ir870,white_transmitted,ir_transmitted,oblique,coaxial
idi() { expect_status "$1" "$DOCEX" --set "sim.scene=$ID" inspect --today 2026-11-27 --device sim:0 \
  --chip sim:chip0 "${@:2}" </dev/null; }
idi 0 --out "$T/d1" --no-reports
expect_grep "$T/out" '^verdict: passed$'
expect_grep "$T/out" 'identified from the MRZ \(I, UTO, TD1\) as UTO-ID-2021'
expect_grep "$T/err" 'capturing side back: the document must have been turned over'
check_manifest "$T/d1/capture" --complete yes --captured "$IDL"
check_manifest "$T/d1/capture/back" --complete yes --captured "$IDL"
$PY - "$T/d1" <<'PY' && ok || bad "two sides from the device: registration, MRZ source or warnings"
import json, os, sys
case = sys.argv[1]; d = json.load(open(os.path.join(case, "findings.json")))
assert [r["side"] for r in d["registration"]] == ["front", "back"], d["registration"]
assert all("error" not in r for r in d["registration"]), d["registration"]
src = d["document"]["mrz"]["source"]
assert src["side"] == "back" and src["file"] == "capture/back/ir870.png", src
assert d["warnings"] == [], d["warnings"]
caps = sorted(f["path"] for f in d["files"] if f["role"] == "capture")
assert "capture/back/white.png" in caps and "capture/white.png" in caps and len(caps) == 16, caps
PY

# --sides front: never turned over; a card whose MRZ is on its back cannot be
# identified from its front: unknown document, MRZ checks undetermined
idi 0 --out "$T/d2" --no-reports --sides front
expect_grep "$T/out" '^verdict: undetermined$'
expect_grep "$T/out" '^document: unknown$'
expect_grep "$T/err" 'side back not captured: the front only was asked for'
[ ! -e "$T/d2/capture/back" ] && ok || bad "--sides front captured a back"
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["document"]["mrz"] is None; assert [r["side"] for r in d["registration"]] == ["front"]; assert any("side back was not captured" in w and "no MRZ" in w for w in d["warnings"]), d["warnings"]' \
  "$T/d2/findings.json" && ok || bad "--sides front: the warning that the back was not captured"
expect_status 2 "$DOCEX" inspect --from "$ID" --out "$T/d2b" --sides front
expect_grep "$T/err" '--sides goes with --device'
idi 2 --out "$T/d2c" --sides both
expect_grep "$T/err" '--sides both: expected auto or front'

# the operator does not turn the card over (sim option turn=never): the
# second capture shows the front again, and the side check says so
idi 1 --out "$T/d3" --no-reports --specimen UTO-ID-2021 --settings turn=never
expect_grep "$T/err" 'the second capture looks like side front: was the document turned over\?'
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(w.startswith("the second capture looks like side front: was the document turned over?") for w in d["warnings"]), d["warnings"]; assert d["document"]["mrz"] is None' \
  "$T/d3/findings.json" && ok || bad "turn=never: no side-check warning"
# turned over as it should be: no such warning
idi 0 --out "$T/d4" --no-reports --specimen UTO-ID-2021
[ "$(jq -c .warnings "$T/d4/findings.json")" = "[]" ] && ok || bad "--specimen UTO-ID-2021: warnings $(jq -c .warnings "$T/d4/findings.json")"

# a forged one: exit 1, the failed check named with its region and evidence
"$DOCEX" synth --specimen UTO-P-2024 --out "$T/f" --dpi 300 --illum all --seed 4 --defect missing_uv_feature \
  --today 20261127 >/dev/null
insp 1 --from "$T/f" --out "$T/c4" --specimen UTO-P-2024
expect_grep "$T/out" '^verdict: failed \(a mandatory check failed\)$'
expect_grep "$T/out" 'failed +uv_emblem \(UV, luminescent, emblem\) mandatory: .*\[data_page, uv_emblem, .* under uv365\]'
[ "$(jq -r '.findings[] | select(.id == "uv_emblem") | .evidence.reference' "$T/c4/findings.json")" != null ] \
  && ok || bad "uv_emblem: no reference evidence"

# rule sets that break: a syntax error, a check that loops — each an aborted
# check, the inspection completes
R=$T/rules
mkdir -p "$R" && cp "$SRC"/scripts/rules/*.lua "$R"/
printf 'check{ id = "broken", notation = {light="UV", property="x", feature="y"}, mode = "mandatory",\n' > "$R/chip.lua"
cat >"$R/cross.lua" <<'LUA'
check{ id = "loops", notation = { light = "VI", property = "p", feature = "f" }, mode = "mandatory",
       group = "cross", run = function(ctx) while true do end end }
LUA
insp 0 --from "$S" --out "$T/c5" --rules "$R" --no-reports
expect_grep "$T/out" '^verdict: aborted$'
expect_grep "$T/out" 'aborted +rules.load.chip.lua'
expect_grep "$T/out" 'aborted +loops .*instruction'
[ "$(jq -r '.findings[] | select(.id == "loops") | .traceback' "$T/c5/findings.json")" != null ] \
  && ok || bad "the looping check has no traceback"

# a specimen's own rules (share/specimens/<ID>/rules.lua) run with the others
cp -rL "$DOCEX_BUILD/share/docex/specimens" "$T/specs"
cat >"$T/specs/UTO-P-2024/rules.lua" <<'LUA'
local checks = require("checks")
check{ id = "uto.header_present", notation = { light = "VI", property = "visible", feature = "header" },
       mode = "mandatory", group = "optical",
       run = function(ctx)
         local r = ctx:region("header", "white")
         local v, d = checks.measure(r, "contrast")
         if v == nil then return d end
         return checks.range(v, 0.3, nil, "the header is printed", { region = r })
       end }
LUA
insp 0 --from "$S" --chip sim:chip0 --out "$T/c5b" --specimens "$T/specs" --no-reports
[ "$(jq -r '.findings[] | select(.id == "uto.header_present") | .result' "$T/c5b/findings.json")" = passed ] \
  && ok || bad "the specimen's own rule did not run"

# identification narrowed by validity: an older series of the same document
# code, state and format, withdrawn before this passport could be issued
cp -r "$T/specs/UTO-P-2024" "$T/specs/UTO-P-2010"
rm -f "$T/specs/UTO-P-2010/rules.lua"
$PY - "$T/specs/UTO-P-2010/specimen.json" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
d["id"] = "UTO-P-2010"; d["document"]["series"] = "2010"
d["valid_from"] = "2010-01-01"; d["valid_until"] = "2015-12-31"
json.dump(d, open(p, "w"), indent=1)
PY
insp 0 --from "$S" --chip sim:chip0 --out "$T/c5c" --specimens "$T/specs" --no-reports
[ "$(jq -r '.document.specimen | "\(.id) \(.matched_by) \(.candidates | length)"' "$T/c5c/findings.json")" = "UTO-P-2024 mrz+validity 2" ] \
  && ok || bad "identification by validity: $(jq -c .document.specimen "$T/c5c/findings.json")"

# identification by the look of the page: two specimens of the same code,
# state, format and validity; the one whose white reference looks like the
# page is chosen, listed first or not
for right in UTO-P-2024B UTO-P-2024; do
  rm -rf "$T/specs2" && mkdir -p "$T/specs2"
  cp -r "$T/specs/UTO-P-2010" "$T/specs2/UTO-P-2024"
  cp -r "$T/specs/UTO-P-2010" "$T/specs2/UTO-P-2024B"
  for id in UTO-P-2024 UTO-P-2024B; do
    $PY - "$T/specs2/$id/specimen.json" "$id" <<'PY'
import json, sys
p, ident = sys.argv[1], sys.argv[2]; d = json.load(open(p))
d["id"] = ident; d["document"]["series"] = "2024"
d["valid_from"] = "2024-01-01"; d["valid_until"] = "2099-12-31"
json.dump(d, open(p, "w"), indent=1)
PY
  done
  wrong=UTO-P-2024; [ "$right" = UTO-P-2024 ] && wrong=UTO-P-2024B
  # the wrong one's white reference is its ultraviolet one
  cp "$T/specs2/$wrong/reference/uv365.png" "$T/specs2/$wrong/reference/white.png"
  DOCEX_DEBUG=inspect:info insp 0 --from "$S" --chip sim:chip0 --out "$T/c5d-$right" --specimens "$T/specs2" --no-reports
  [ "$(jq -r '.document.specimen | "\(.id) \(.matched_by) \(.candidates | length)"' "$T/c5d-$right/findings.json")" \
    = "$right mrz+similarity 2" ] \
    && ok || bad "identification by similarity: $(jq -c .document.specimen "$T/c5d-$right/findings.json"), expected $right"
  $PY - "$T/err" "$right" "$wrong" <<'PY' && ok || bad "page similarity scores: $(grep 'page similarity' "$T/err")"
import re, sys
text = open(sys.argv[1]).read()
score = {m.group(1): float(m.group(2)) for m in re.finditer(r"specimen (\S+): page similarity (-?[0-9.]+)", text)}
right, wrong = score[sys.argv[2]], score[sys.argv[3]]
assert right > 0.5 and right > wrong + 0.2, score
PY
done

# an unknown document: the generic rules only, and it says so
mkdir -p "$T/nospec"
insp 0 --from "$S" --out "$T/c6" --specimens "$T/nospec" --no-reports
expect_grep "$T/out" 'no specimen of a TD3 document "P" of UTO: unknown document, generic rules only'
[ "$(jq -r .document.specimen.generic "$T/c6/findings.json")" = true ] && ok || bad "generic"

# errors: exit 2, one line saying what and why; nothing written over
insp 2 --from "$S" --out "$T/c1"
expect_grep "$T/err" 'the case directory is not empty'
insp 2 --from "$T/missing" --out "$T/c7"
expect_grep "$T/err" 'missing'
# nothing was captured: the case directory this run made is gone again
[ ! -e "$T/c7" ] && ok || bad "an empty case directory was left behind: $T/c7"
insp 2 --from "$S" --out "$T/c8" --specimen NOPE
expect_grep "$T/err" 'NOPE'
insp 2 --out "$T/c9"
expect_grep "$T/err" 'give --out CASE and one of --device ID or --from DIR'
insp 2 --from "$S" --device sim:0 --out "$T/c9"
insp 2 --from "$S" --out "$T/c9" --today 2026-13-01
expect_grep "$T/err" 'expected YYYY-MM-DD'
# a capture changed after it was captured is refused
cp -r "$T/c1/capture" "$T/tampered" && printf x >> "$T/tampered/white.png"
insp 2 --from "$T/tampered" --out "$T/c10"
expect_grep "$T/err" 'white.png.*SHA-256'
# a capture that is not a PNG: refused by name, before anything is measured
cp -r "$S" "$T/badpng" && printf 'not an image' > "$T/badpng/uv365.png"
insp 2 --from "$T/badpng" --out "$T/c11"
expect_grep "$T/err" 'uv365.png: not a PNG image'
expect_grep "$T/err" 'what was captured so far is in'
# the reference cache: the pages the specimen's reference images make, kept
# between inspections, give the findings and evidence no cache gives; a file
# there that is damaged, foreign or not a file is made again; a cache that
# cannot be written is only slower
RC=$T/refcache
canon() { # CASE: findings.json without what differs between runs
  $PY - "$1" <<'PY'
import json, re, sys
case = sys.argv[1]; d = json.load(open(case + "/findings.json"))
for k in ("created", "timings_ms", "source"):
    d.pop(k)
print(re.sub(r'"duration_ms": [-0-9.e]+', '', json.dumps(d, sort_keys=True, indent=0)).replace(case, "CASE"))
PY
}
rci() { DOCEX_CACHE_DIR=$1 DOCEX_DEBUG=inspect:debug insp 0 --from "$S" --out "$2" --no-reports --specimen UTO-P-2024; }
rci off "$T/r0"
canon "$T/r0" > "$T/r0.json"
[ ! -e "$RC" ] && ok || bad "DOCEX_CACHE_DIR=off made $RC"
expect_no_grep "$T/err" 'in the cache|from the cache'
nref=$(ls "$DOCEX_BUILD/share/docex/specimens/UTO-P-2024/reference/"*.png | wc -l)
rci "$RC" "$T/r1"
expect_grep "$T/err" 'decoded, kept in the cache'
[ "$(ls "$RC/references/"*.page | wc -l)" = "$nref" ] && ok \
  || bad "cache: $(ls "$RC/references" | wc -l) files for $nref references"
canon "$T/r1" | cmp -s - "$T/r0.json" && ok || bad "cache, first run: findings differ from no cache"
rci "$RC" "$T/r2"
[ "$(grep -c 'page from the cache' "$T/err")" = "$nref" ] && ok \
  || bad "cache, second run: $(grep -c 'page from the cache' "$T/err") of $nref references from the cache"
expect_no_grep "$T/err" 'decoded, kept'
canon "$T/r2" | cmp -s - "$T/r0.json" && ok || bad "cache, second run: findings differ from no cache"
# damage: cut short, a bad header, another page under this name, a directory,
# a symbolic link (not followed)
mapfile -t pages < <(ls "$RC/references/"*.page)
truncate -s -4 "${pages[0]}"
printf 'XXXXXXXX' | dd of="${pages[1]}" conv=notrunc status=none
cp "${pages[3]}" "${pages[2]}"
rm "${pages[4]}" && mkdir "${pages[4]}"
mv "${pages[5]}" "$T/moved.page" && ln -s "$T/moved.page" "${pages[5]}"
rci "$RC" "$T/r3"
[ "$(grep -c 'page from the cache' "$T/err")" = "$((nref - 5))" ] && ok \
  || bad "damaged cache: $(grep -c 'page from the cache' "$T/err") from the cache, expected $((nref - 5))"
canon "$T/r3" | cmp -s - "$T/r0.json" && ok || bad "damaged cache: findings differ from no cache"
rci "$RC" "$T/r4"
[ "$(grep -c 'page from the cache' "$T/err")" = "$((nref - 1))" ] && ok \
  || bad "cache made again: $(grep -c 'page from the cache' "$T/err") of $nref from the cache (the directory stays)"
[ ! -L "${pages[5]}" ] && ok || bad "the symbolic link in the cache was not replaced"
# storing a page deletes the pages another build made of the same PNG, and
# the temporary files of it a run that died left (when old; a fresh one may
# be another run's)
p0=${pages[0]} stem=$(basename "${pages[0]%@*}")
other=${p0%@*}@0123456789abcdef0123456789abcdef01234567.page
cp "$p0" "$other" && rm "$p0"
: > "$RC/references/.$stem@dead.AAAAAA" && touch -d '2 hours ago' "$RC/references/.$stem@dead.AAAAAA"
: > "$RC/references/.$stem@live.BBBBBB"
rci "$RC" "$T/r6"
[ -f "$p0" ] && [ ! -e "$other" ] && ok || bad "the page of another build was not replaced: $(ls "$RC/references")"
[ ! -e "$RC/references/.$stem@dead.AAAAAA" ] && [ -e "$RC/references/.$stem@live.BBBBBB" ] && ok \
  || bad "temporary files: $(ls -a "$RC/references" | grep '^\.')"
# a page, or the directory, someone else may write is not read
chmod g+w "${pages[1]}"
rci "$RC" "$T/r7"
[ "$(grep -c 'page from the cache' "$T/err")" = "$((nref - 2))" ] && ok \
  || bad "a group-writable page: $(grep -c 'page from the cache' "$T/err") of $nref from the cache, expected $((nref - 2))"
[ "$(stat -c %a "${pages[1]}")" = 600 ] && ok || bad "the group-writable page was not made again"
chmod g+w "$RC/references"
rci "$RC" "$T/r8"
expect_no_grep "$T/err" 'page from the cache'
canon "$T/r8" | cmp -s - "$T/r0.json" && ok || bad "group-writable cache: findings differ from no cache"
chmod g-w "$RC/references"
# a cache that cannot be made
: > "$T/notadir"
rci "$T/notadir/cache" "$T/r5"
expect_grep "$T/err" 'not kept in the cache'
canon "$T/r5" | cmp -s - "$T/r0.json" && ok || bad "unwritable cache: findings differ from no cache"
finish
