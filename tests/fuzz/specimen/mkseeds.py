#!/usr/bin/env python3
"""Writes the seed corpus of fuzz-specimen (tests/fuzz/corpus/specimen/).

    tests/fuzz/specimen/mkseeds.py [CORPUS_DIR]

Seeds: each committed specimen, a minimal manifest, some broken copies of
tests/unit/specimen/broken.json (BROKEN_SEEDS), and a few inputs that are not
a manifest.
Deterministic; writes only seed-* files, inputs found by fuzzing (found-*,
crash-*) are left alone.  Needs nothing but Python's standard library.
"""
import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def apply(doc, ops):
    for op in ops:
        path = op.get('set', op.get('delete'))
        if not path:
            doc = copy.deepcopy(op['value'])
            continue
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        if 'set' in op:
            if isinstance(parent, list) and path[-1] == len(parent):
                parent.append(copy.deepcopy(op['value']))
            else:
                parent[path[-1]] = copy.deepcopy(op['value'])
        else:
            del parent[path[-1]]
    return doc


# the broken copies kept as seeds (the corpus stays under 200 KB): one per
# part of the manifest, the cross-references first
BROKEN_SEEDS = {
    'format_version', 'top_level_array', 'id_differs_from_dir', 'issuing_state_unknown',
    'valid_until_before_from', 'illumination_twice', 'holder_dates', 'chip_pace_reserved',
    'layout_id_twice', 'layout_rect_outside', 'layout_field_outside', 'region_id_unknown',
    'region_other_side', 'feature_illumination_wrong_light', 'feature_illumination_twice',
    'expected_min_above_max', 'expected_of_unknown', 'expected_hue_not_allowed',
}


def main(out):
    os.makedirs(out, exist_ok=True)
    seeds = {}
    specs = {}
    for sid in ('UTO-P-2024', 'UTO-ID-2021'):
        with open(os.path.join(SOURCE, 'share/specimens', sid, 'specimen.json'), 'rb') as f:
            raw = f.read()
        specs[sid] = json.loads(raw)
        seeds[f'seed-{sid}'] = raw
    # a minimal valid manifest: one side, one light, no layout, one feature
    p = specs['UTO-P-2024']
    small = {k: p[k] for k in ('format', 'id', 'name', 'document', 'page_mm', 'valid_from',
                               'valid_until', 'sides', 'reference_dpi')}
    small['illuminations'] = ['uv365']
    small['layout'] = [{'id': 'e', 'side': 'data_page', 'type': 'mrz', 'rect': [0, 0, 1, 1]}]
    small['features'] = [{'id': 'f', 'notation': {'light': 'UV', 'property': 'dull', 'feature': 'x'},
                          'illumination': 'uv365', 'region': 'e', 'mode': 'optional',
                          'expected': {'measure': 'luminance_mean', 'max': 1}, 'description': 'd'}]
    seeds['seed-minimal'] = json.dumps(small, separators=(',', ':')).encode()
    with open(os.path.join(SOURCE, 'tests/unit/specimen/broken.json')) as f:
        cases = json.load(f)['cases']
    for c in cases:
        if c['name'] not in BROKEN_SEEDS:
            continue
        doc = apply(copy.deepcopy(specs[c['specimen']]), c['ops'])
        seeds[f"seed-broken-{c['name']}"] = json.dumps(doc, separators=(',', ':')).encode()
    seeds['seed-empty'] = b''
    seeds['seed-not-json'] = b'specimen: yes\n'
    seeds['seed-truncated'] = seeds['seed-UTO-ID-2021'][:700]
    seeds['seed-duplicate-key'] = b'{"format":"docex.specimen/1","format":"docex.specimen/1"}'
    seeds['seed-deep'] = b'[' * 3000 + b']' * 3000
    seeds['seed-nul'] = b'{"format":"docex\x00.specimen/1"}'
    seeds['seed-bad-utf8'] = b'{"format":"docex.specimen/1","id":"\xff\xfe"}'
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print(f'{len(seeds)} seeds in {out}')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else
         os.path.join(SOURCE, 'tests/fuzz/corpus/specimen'))
