# The CLI's help, version, exit statuses and JSON outputs against their schemas.
. "$(dirname "$0")/lib.sh"

expect_status 0 "$DOCEX" --help
expect_grep "$T/out" '^usage: docex'
for c in plugins devices capture plugin-check; do expect_grep "$T/out" "^  $c "; done
expect_status 0 "$DOCEX" --version
expect_grep "$T/out" '^docex [0-9]+\.[0-9]+\.[0-9]+ \(plugin ABI 1\.0\)$'
expect_status 2 "$DOCEX"
expect_status 2 "$DOCEX" frobnicate
expect_grep "$T/err" 'unknown command "frobnicate"'
[ "$(wc -l <"$T/err")" = 1 ] && ok || bad "error is not one line"
expect_status 2 "$DOCEX" --bogus plugins
expect_status 2 "$DOCEX" plugins --bogus
for c in plugins devices capture plugin-check; do expect_status 0 "$DOCEX" $c --help; done

expect_status 0 "$DOCEX" plugins
expect_grep "$T/out" '^sim '
expect_status 0 "$DOCEX" plugins --json
cp "$T/out" "$T/plugins.json"
validate_json "$SCHEMAS/plugins.schema.json" "$T/plugins.json"
expect_status 0 "$DOCEX" devices
expect_grep "$T/out" '^sim:0 +\[scanner\]'
expect_grep "$T/out" 'illuminations: .*white.*uv365.*ir870'
expect_status 0 "$DOCEX" devices --json
cp "$T/out" "$T/devices.json"
validate_json "$SCHEMAS/devices.schema.json" "$T/devices.json"
$PY - "$T/devices.json" <<'PY' && ok || bad "devices --json content"
import json, sys
d = json.load(open(sys.argv[1]))['devices']
sim = [x for x in d if x['id'] == 'sim:0'][0]
names = [i['name'] for i in sim['illuminations']]
assert {'white', 'uv365', 'ir870'} <= set(names), names
opts = {o['name'] for o in sim['options']}
assert {'delay_ms', 'fail_at', 'no_document', 'cover_open', 'busy', 'disconnect_at', 'noise',
        'shift_x_mm', 'shift_y_mm', 'rotation_deg'} <= opts, opts
assert sim['resolutions_dpi'] and sim['pixel_formats']
PY
# settings reach plugins: a scene that does not exist makes the device unusable
expect_status 0 "$DOCEX" --set sim.scene="$T/none" devices
expect_grep "$T/out" 'cannot open'
expect_status 2 "$DOCEX" --set sim.scene="$T/none" capture --device sim:0 --illum white --out "$T/o"
expect_status 2 "$DOCEX" --set novalue devices
finish
