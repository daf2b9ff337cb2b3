# docex capture of every illumination of the default sim scene, through
# GStreamer: exit 0, a complete manifest that matches its schema and the files.
. "$(dirname "$0")/lib.sh"

expect_status 0 "$DOCEX" capture --device sim:0 --illum all --out "$T/set"
expect_grep "$T/out" '^captured +white '
expect_grep "$T/out" 'capture set: .*/set/capture.json'
all=$($PY -c 'import json,sys; print(",".join(i["name"] for i in json.load(open(sys.argv[1]))["devices"][0]["illuminations"]))' \
      <("$DOCEX" devices --json) 2>/dev/null || true)
[ -n "$all" ] && ok || bad "devices --json lists no illuminations"
check_manifest "$T/set" complete yes captured "$all" failed ""
# 16-bit stays 16-bit, and the device's dpi and band are recorded
$PY - "$T/set/capture.json" <<'PY' && ok || bad "manifest details"
import json, sys
m = json.load(open(sys.argv[1]))
c = {x['illumination']['name']: x for x in m['captures']}
assert c['ir870']['bit_depth'] == 16 and c['ir870']['pixel_format'] == 'GRAY16', c['ir870']
assert c['white']['channels'] == 3 and c['white']['bit_depth'] == 8
assert c['ir870']['illumination']['band_nm'] == [860, 880]
assert c['white_transmitted']['illumination']['geometry'] == 'transmitted'
assert all(x['dpi'] for x in m['captures'])
assert m['device']['plugin'] == 'sim' and m['device']['id'] == 'sim:0'
assert m['finished'] and m['failures'] == []
# the device's exposure time and the host's clock are both kept, close together
from datetime import datetime
t = lambda s: datetime.strptime(s, '%Y-%m-%dT%H:%M:%S.%fZ')
for x in m['captures']:
    assert abs((t(x['host_time']) - t(x['timestamp'])).total_seconds()) < 60, x
assert c['white']['exposure_us'] == 8000
PY

# a selection, in the order given
expect_status 0 "$DOCEX" capture --device sim:0 --illum uv365,white --out "$T/sel" --png-level 1
check_manifest "$T/sel" complete yes captured uv365,white
# the same frames again are the same pixels: hashes differ only if pixels do
expect_status 0 "$DOCEX" capture --device sim:0 --illum uv365 --out "$T/again" --png-level 1
if cmp -s "$T/sel/uv365.png" "$T/again/uv365.png"; then ok; else bad "same scene, same level, different bytes"; fi

# never overwrite a capture set
before=$(sha256sum "$T/set/capture.json")
expect_status 2 "$DOCEX" capture --device sim:0 --illum white --out "$T/set"
expect_grep "$T/err" 'already holds a capture set'
expect_no_grep "$T/out" 'capture set:'
[ "$(sha256sum "$T/set/capture.json")" = "$before" ] && ok || bad "existing capture.json changed"

# usage errors: exit 2, one line saying what is wrong
expect_status 2 "$DOCEX" capture --device sim:0 --out "$T/x"
expect_grep "$T/err" 'required'
expect_status 2 "$DOCEX" capture --device sim:0 --illum uv999 --out "$T/x2"
expect_grep "$T/err" 'offers no illumination "uv999"'
[ ! -e "$T/x2/capture.json" ] && ok || bad "manifest written for a bad request"
expect_status 2 "$DOCEX" capture --device nosuch:0 --illum white --out "$T/x3"
expect_grep "$T/err" 'no plugin named "nosuch"'
expect_status 2 "$DOCEX" capture --device sim:7 --illum white --out "$T/x4"
expect_grep "$T/err" 'sim:7: not present'
expect_status 2 "$DOCEX" capture --device sim:0 --illum white --out "$T/x5" --settings noise=500
expect_grep "$T/err" 'noise'
expect_status 2 "$DOCEX" capture --device sim:0 --illum white --out "$T/x6" --settings bogus=1
expect_grep "$T/err" 'no option "bogus"'
# a vendor illumination (not a standard name) with its own band
cp -r "$DOCEX_BUILD/share/docex/scenes/default" "$T/vscene"
cp "$T/vscene/uv365.png" "$T/vscene/acme_uv395.png"
$PY - "$T/vscene/scene.json" <<'PY'
import json, sys
p = sys.argv[1]; s = json.load(open(p))
s['illuminations'] = {'acme_uv395': {'band_nm': [390, 400], 'geometry': 'reflected',
                                     'description': 'vendor 395 nm UV'}}
json.dump(s, open(p, 'w'))
PY
expect_status 0 "$DOCEX" --set sim.scene="$T/vscene" capture --device sim:0 --illum acme_uv395,white --out "$T/vendor"
check_manifest "$T/vendor" complete yes captured acme_uv395,white
$PY - "$T/vendor/capture.json" <<'PY' && ok || bad "vendor illumination not recorded with its band"
import json, sys
c = json.load(open(sys.argv[1]))['captures'][0]['illumination']
assert c == {'name': 'acme_uv395', 'band_nm': [390, 400], 'geometry': 'reflected', 'standard': False}, c
PY
finish
