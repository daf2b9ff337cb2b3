#!/usr/bin/python3
"""Check a docex capture set against share/schemas/capture.schema.json and
against the files on disk: every listed file exists, its SHA-256 and size are
as recorded, its PNG header agrees with width/height/bit depth/channels, and
no temporary or unlisted image is left in the directory.

usage: check_manifest.py SCHEMA DIR [--complete yes|no] [--captured a,b]
                         [--failed a:status,b:status]
Prints what is wrong and exits 1, or exits 0."""
import hashlib, json, os, struct, sys

import jsonschema

def png_header(path):
    with open(path, 'rb') as f:
        head = f.read(33)
    if head[:8] != b'\x89PNG\r\n\x1a\n' or head[12:16] != b'IHDR':
        raise ValueError(f'{path}: not a PNG')
    w, h, depth, ctype = struct.unpack('>IIBB', head[16:26])
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype, 0)
    return w, h, depth, channels

def main(argv):
    schema_path, d = argv[1], argv[2]
    opts = dict(zip(argv[3::2], argv[4::2]))
    problems = []
    with open(os.path.join(d, 'capture.json')) as f:
        m = json.load(f)
    with open(schema_path) as f:
        schema = json.load(f)
    try:
        jsonschema.validate(m, schema, cls=jsonschema.Draft202012Validator)
    except jsonschema.ValidationError as e:
        problems.append(f'schema: {e.message} at {list(e.absolute_path)}')
    listed = set()
    for c in m.get('captures', []):
        p = os.path.join(d, c['file'])
        listed.add(c['file'])
        if not os.path.exists(p):
            problems.append(f'{c["file"]}: listed but missing')
            continue
        data = open(p, 'rb').read()
        if hashlib.sha256(data).hexdigest() != c['sha256']:
            problems.append(f'{c["file"]}: sha256 differs from the manifest')
        if len(data) != c['bytes']:
            problems.append(f'{c["file"]}: {len(data)} bytes, manifest says {c["bytes"]}')
        w, h, depth, ch = png_header(p)
        if (w, h, depth, ch) != (c['width'], c['height'], c['bit_depth'], c['channels']):
            problems.append(f'{c["file"]}: PNG is {w}x{h} {depth}-bit {ch}ch, manifest says '
                            f'{c["width"]}x{c["height"]} {c["bit_depth"]}-bit {c["channels"]}ch')
        if c['illumination']['name'] + '.png' != c['file']:
            problems.append(f'{c["file"]}: file name does not match its illumination')
    for name in os.listdir(d):
        if name.startswith('.'):
            problems.append(f'{name}: temporary file left behind')
        elif name.endswith('.png') and name not in listed:
            problems.append(f'{name}: image not listed in the manifest (partial capture?)')
    if 'complete' in opts:
        want = opts['complete'] == 'yes'
        if m['complete'] != want:
            problems.append(f'complete is {m["complete"]}, expected {want}')
    if 'captured' in opts:
        want = [x for x in opts['captured'].split(',') if x]
        got = [c['illumination']['name'] for c in m['captures']]
        if got != want:
            problems.append(f'captured {got}, expected {want}')
    if 'failed' in opts:
        want = [tuple(x.split(':')) for x in opts['failed'].split(',') if x]
        got = [(f['illumination'], f['status']) for f in m['failures']]
        if got != want:
            problems.append(f'failures {got}, expected {want}')
    for f in m.get('failures', []):
        if not f['message']:
            problems.append(f'failure for {f["illumination"]} has no message')
    for p in problems:
        print('check_manifest:', p)
    return 1 if problems else 0

if __name__ == '__main__':
    sys.exit(main(sys.argv))
