# docex specimen list|show: the installed specimens and a lab's own directory
# (--specimens), JSON against share/schemas/specimen_{list,show}.schema.json,
# exit statuses and one-line errors, reference images and their SHA-256.
. "$(dirname "$0")/../capture/lib.sh"
SPECS=$SRC/share/specimens

# the installed specimens (the build tree's share/docex/specimens)
expect_status 0 "$DOCEX" specimen list
expect_grep "$T/out" '^UTO-ID-2021 +TD1 +UTO +front,back +9 +Utopia identity card'
expect_grep "$T/out" '^UTO-P-2024 +TD3 +UTO +data_page +13 +Utopia passport'
expect_grep "$T/out" 'lights: white,uv365,uv254,ir870,white_transmitted,ir_transmitted,oblique,coaxial'
[ ! -s "$T/err" ] && ok || bad "list wrote to stderr: $(cat "$T/err")"
expect_status 0 "$DOCEX" specimen list --json
cp "$T/out" "$T/list.json"
validate_json "$SCHEMAS/specimen_list.schema.json" "$T/list.json"
$PY - "$T/list.json" <<'PY' && ok || bad "list JSON content"
import json, sys
j = json.load(open(sys.argv[1]))
ids = [s['id'] for s in j['specimens']]
assert ids[:2] == ['UTO-ID-2021', 'UTO-P-2024'] and ids == sorted(ids), ids
p = j['specimens'][1]
assert (p['icao_format'], p['issuing_state'], p['sides'], p['features']) == ('TD3', 'UTO', ['data_page'], 13)
assert 'uv365' in p['illuminations'] and j['broken'] == []
PY

# show: text and JSON, from the installed data and from the source directory
expect_status 0 "$DOCEX" specimen show UTO-P-2024
expect_grep "$T/out" '^UTO-P-2024  Utopia passport'
expect_grep "$T/out" 'document +passport, TD3, code P, issued by UTO \(Utopia'
expect_grep "$T/out" '^features \(13\)'
expect_grep "$T/out" 'mrz_ir_absorbent +mandatory +\(IR, absorbent, MRZ\)'
expect_grep "$T/out" 'side data_page, light ir870, region mrz \[5, 73, 115, 13\] mm'
expect_grep "$T/out" 'lights white,oblique,coaxial, region ovd'
expect_grep "$T/out" 'expected ir_absorption >= 0.5'
expect_grep "$T/out" '^reference images \([0-9]+ of 8 present\)'
expect_status 0 "$DOCEX" specimen show UTO-P-2024 --json
cp "$T/out" "$T/p.json"
validate_json "$SCHEMAS/specimen_show.schema.json" "$T/p.json"
expect_status 0 "$DOCEX" specimen --specimens "$SPECS" show --json UTO-ID-2021
cp "$T/out" "$T/id.json"
validate_json "$SCHEMAS/specimen_show.schema.json" "$T/id.json"
$PY - "$T/p.json" "$T/id.json" "$SPECS" <<'PY' && ok || bad "show JSON content"
import json, os, sys
p, i, specs = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
for j in (p, i):
    raw = json.load(open(os.path.join(specs, j['specimen']['id'], 'specimen.json')))
    layout = {e['id']: e for e in raw['layout']}
    assert [e['id'] for e in j['layout']] == list(layout)
    assert [f['id'] for f in j['features']] == [f['id'] for f in raw['features']]
    for f, r in zip(j['features'], raw['features']):
        assert f['notation'] == r['notation'], f['id']
        assert f['side'] == r.get('side', raw['sides'][0]), f['id']
        ill = r['illumination'] if isinstance(r['illumination'], list) else [r['illumination']]
        assert f['illuminations'] == ill, f['id']
        if isinstance(r['region'], str):
            assert f['region'] == {'element': r['region'], 'rect_mm': layout[r['region']]['rect']}, f['id']
        else:
            assert f['region'] == {'element': None, 'rect_mm': r['region']}, f['id']
        assert f['mode'] == r['mode'] and f['expected'] == r['expected'], f['id']
    assert len(j['references']) == len(raw['sides']) * len(raw['illuminations'])
    assert j['references_present'] + j['references_missing'] == len(j['references'])
# the source tree has no reference image: all missing, none hashed
assert i['references_present'] == 0 and all(r['sha256'] is None for r in i['references'])
assert i['references'][8]['file'] == 'reference/back/white.png'
assert p['specimen']['chip'] == {'aa': 'rsa', 'chip_auth': True, 'pace': [13, 12, 15]}
PY
expect_status 0 "$DOCEX" specimen show UTO-ID-2021 --specimens "$SPECS"
expect_grep "$T/out" '^reference images \(0 of 16 present\)'
expect_grep "$T/out" 'reference/back/ir870.png +missing'
expect_grep "$T/out" 'substrate_uv_dull +mandatory +\(UV, dull, substrate\)'
expect_grep "$T/out" 'side back, light uv365, region \[50, 4, 30, 20\] mm'

# unknown id, not an id, usage: exit 2 with one line on stderr
expect_status 2 "$DOCEX" specimen show UTO-X-1999
expect_grep "$T/err" '^docex specimen: specimen UTO-X-1999: not found: .*specimens there: UTO-ID-2021, UTO-P-2024'
[ "$(wc -l <"$T/err")" = 1 ] && ok || bad "unknown id: error is not one line"
[ ! -s "$T/out" ] && ok || bad "unknown id: something on stdout"
expect_status 2 "$DOCEX" specimen show ../UTO-P-2024
expect_grep "$T/err" 'not a specimen id'
expect_status 2 "$DOCEX" specimen show
expect_status 2 "$DOCEX" specimen show A B
expect_status 2 "$DOCEX" specimen list extra
expect_status 2 "$DOCEX" specimen frobnicate
expect_status 2 "$DOCEX" specimen list --bogus
expect_status 2 "$DOCEX" specimen list --specimens
expect_status 0 "$DOCEX" specimen --help
expect_grep "$T/out" 'usage: docex specimen list'
expect_status 0 "$DOCEX" --help
expect_grep "$T/out" '^  specimen +list reference specimens'

# a lab's own directory: a copy of each, one broken, one with its images
LAB=$T/lab
mkdir -p "$LAB/UTO-P-2024" "$LAB/UTO-ID-2021" "$LAB/BAD-1" "$LAB/.git"
cp "$SPECS/UTO-P-2024/specimen.json" "$LAB/UTO-P-2024/"
cp "$SPECS/UTO-ID-2021/specimen.json" "$LAB/UTO-ID-2021/"
echo 'lab notes' >"$LAB/README"
$PY - "$SPECS/UTO-P-2024/specimen.json" "$LAB/BAD-1/specimen.json" <<'PY' || bad "making BAD-1"
import json, sys
j = json.load(open(sys.argv[1]))
j['id'] = 'BAD-1'
j['features'][1]['region'] = 'emblem'
json.dump(j, open(sys.argv[2], 'w'), indent=1)
PY
expect_status 2 "$DOCEX" specimen list --specimens "$LAB"
expect_grep "$T/out" '^UTO-ID-2021 '
expect_grep "$T/out" '^UTO-P-2024 '
expect_no_grep "$T/out" 'BAD-1|README|git'
expect_grep "$T/err" "^docex specimen: .*BAD-1/specimen.json: features\[1\]\.region: \"emblem\" is not a layout element id$"
[ "$(wc -l <"$T/err")" = 1 ] && ok || bad "list: one line per broken specimen"
expect_status 2 "$DOCEX" specimen list --json --specimens "$LAB"
cp "$T/out" "$T/lab.json"
validate_json "$SCHEMAS/specimen_list.schema.json" "$T/lab.json"
$PY - "$T/lab.json" <<'PY' && ok || bad "lab list JSON content"
import json, sys
j = json.load(open(sys.argv[1]))
assert [s['id'] for s in j['specimens']] == ['UTO-ID-2021', 'UTO-P-2024']
assert len(j['broken']) == 1 and j['broken'][0]['id'] == 'BAD-1' and j['broken'][0]['status'] == 'data'
assert 'features[1].region' in j['broken'][0]['error']
PY
expect_status 2 "$DOCEX" specimen show BAD-1 --specimens "$LAB"
expect_grep "$T/err" 'BAD-1/specimen.json: features\[1\]\.region: "emblem" is not a layout element id'
[ "$(wc -l <"$T/err")" = 1 ] && ok || bad "show broken: error is not one line"
expect_status 2 "$DOCEX" specimen list --specimens "$T/nowhere"
expect_grep "$T/err" 'nowhere'

# reference images: listed with their SHA-256, the missing ones said
mkdir -p "$LAB/UTO-ID-2021/reference/front" "$LAB/UTO-ID-2021/reference/back"
printf 'white front' >"$LAB/UTO-ID-2021/reference/front/white.png"
printf 'ir870 back' >"$LAB/UTO-ID-2021/reference/back/ir870.png"
expect_status 0 "$DOCEX" specimen show UTO-ID-2021 --specimens "$LAB"
expect_grep "$T/out" '^reference images \(2 of 16 present\)'
expect_grep "$T/out" "reference/front/white.png +sha256 $(printf 'white front' | sha256sum | cut -d' ' -f1)"
expect_grep "$T/out" "reference/back/ir870.png +sha256 $(printf 'ir870 back' | sha256sum | cut -d' ' -f1)"
expect_grep "$T/out" 'reference/front/uv365.png +missing'
expect_status 0 "$DOCEX" specimen show UTO-ID-2021 --json --specimens "$LAB"
cp "$T/out" "$T/refs.json"
validate_json "$SCHEMAS/specimen_show.schema.json" "$T/refs.json"
$PY - "$T/refs.json" "$(printf 'ir870 back' | sha256sum | cut -d' ' -f1)" <<'PY' && ok || bad "reference JSON"
import json, sys
j = json.load(open(sys.argv[1]))
present = [(r['side'], r['illumination'], r['sha256']) for r in j['references'] if r['present']]
assert len(present) == 2 and ('back', 'ir870', sys.argv[2]) in present, present
assert (j['references_present'], j['references_missing']) == (2, 14)
PY
finish
