#!/usr/bin/python3
"""findings.schema.json: the schema is valid draft 2020-12; a complete sample
of docex.findings/1 (made here) validates, and so do its variants with every
optional part absent or null; each broken copy is rejected.

usage: check_schema.py SOURCE_DIR
Prints one line per problem and "N passed, N failed"; exits 1 on a failure."""
import copy, json, os, sys

try:
    import jsonschema
except ImportError:
    print('SKIP: python3-jsonschema is not installed')
    sys.exit(77)

H = '0123456789abcdef' * 4

SAMPLE = {
    'format': 'docex.findings/1',
    'docex_version': '0.1.0',
    'created': '2026-11-27T01:02:03Z',
    'source': {'kind': 'device', 'device': 'sim:0', 'chip_device': 'sim:chip0'},
    'document': {
        'specimen': {'id': 'UTO-P-2024', 'name': 'Utopia passport', 'matched_by': 'mrz+similarity',
                     'generic': False, 'candidates': ['UTO-P-2024'], 'message': 'by the MRZ'},
        'mrz': {'format': 'TD3',
                'lines': ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
                          'L898902C36UTO7408122F1204159ZE184226B<<<<<10'],
                'valid': True, 'source': {'illumination': 'ir870', 'file': 'capture/ir870.png'}},
        'chip': {'read': True, 'verified': True, 'passive_authentication': 'passed',
                 'active_authentication': 'not_run', 'dg1_vs_printed_mrz': 'same',
                 'message': 'read and verified'},
    },
    'verdict': 'failed',
    'groups': {'mrz': 'passed', 'optical': 'failed', 'chip': 'not_supported', 'cross': 'passed'},
    'findings': [
        {'id': 'uv_emblem', 'notation': {'light': 'UV', 'property': 'luminescent', 'feature': 'emblem'},
         'mode': 'mandatory', 'group': 'optical', 'result': 'failed', 'value': 1.5,
         'expected': {'min': 40, 'max': 255},
         'region': {'feature': 'uv_emblem', 'side': 'data_page', 'x': 60.0, 'y': 30.0, 'w': 20.0, 'h': 20.0},
         'light': 'uv365', 'message': 'no glow', 'rule': 'scripts/rules/specimen.lua:42',
         'duration_ms': 0.4,
         'evidence': {'captured': 'evidence/uv_emblem.captured.png', 'captured_sha256': H,
                      'reference': 'evidence/uv_emblem.reference.png', 'reference_sha256': H}},
        {'id': 'lua_boom', 'notation': {'light': 'VIS', 'property': 'x', 'feature': 'y'},
         'mode': 'optional', 'group': 'cross', 'result': 'aborted', 'message': 'error',
         'traceback': 'stack traceback:\n\t...', 'rule': 'scripts/rules/specimen.lua:50',
         'duration_ms': 0},
        {'id': 'mrz.font', 'notation': {'light': 'IR', 'property': 'absorbing', 'feature': 'MRZ'},
         'mode': 'evaluatory', 'group': 'mrz', 'result': 'passed', 'value': 'OCR-B',
         'expected': 'OCR-B', 'message': 'ok', 'rule': 'generic.lua:3', 'duration_ms': 1.0,
         'region': {'feature': None, 'side': 'data_page', 'x': 0, 'y': 70, 'w': 125, 'h': 18},
         'evidence': {'captured': 'evidence/mrz.captured.png', 'captured_sha256': H}},
    ],
    'files': [{'path': 'capture/white.png', 'role': 'capture', 'bytes': 123, 'sha256': H},
              {'path': 'chip/EF.COM', 'role': 'chip', 'bytes': 20, 'sha256': H}],
    'registration': [{'side': 'data_page', 'light': 'white', 'rotation_deg': 3.1,
                      'scale_px_per_mm': 23.6, 'confidence': 0.97, 'residual_px': 0.4}],
    'timings_ms': {'load': 1.0, 'registration': 2.0, 'mrz': 3.0, 'chip': 0, 'measurements': 4.0,
                   'lua': 5.0, 'report': 6.0, 'total': 21.0},
}

def variant(ops):
    doc = copy.deepcopy(SAMPLE)
    for op, path, *value in ops:
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        if op == 'del':
            del parent[path[-1]]
        elif isinstance(parent, list) and path[-1] == len(parent):
            parent.append(value[0])
        else:
            parent[path[-1]] = value[0]
    return doc

# (name, ops): must validate
GOOD = [
    ('no chip, no mrz', [('set', ['document', 'chip'], None), ('set', ['document', 'mrz'], None)]),
    ('files source', [('set', ['source'], {'kind': 'files', 'from': '/data/case1'})]),
    ('generic, no specimen', [('set', ['document', 'specimen', 'id'], None),
                              ('set', ['document', 'specimen', 'name'], None),
                              ('set', ['document', 'specimen', 'matched_by'], 'none'),
                              ('set', ['document', 'specimen', 'generic'], True),
                              ('set', ['document', 'specimen', 'candidates'], [])]),
    ('finding without optional parts', [('del', ['findings', 0, 'value']), ('del', ['findings', 0, 'expected']),
                                        ('del', ['findings', 0, 'region']), ('del', ['findings', 0, 'light']),
                                        ('del', ['findings', 0, 'evidence'])]),
    ('expected min only', [('set', ['findings', 0, 'expected'], {'min': 1})]),
    ('expected max only', [('set', ['findings', 0, 'expected'], {'max': 1})]),
    ('reference only', [('set', ['findings', 0, 'evidence'], {'reference': 'evidence/r.png', 'reference_sha256': H})]),
    ('no findings', [('set', ['findings'], []), ('set', ['files'], []), ('set', ['registration'], [])]),
    ('a file name with dots', [('set', ['files', 0, 'path'], 'evidence/a..b.png')]),
    ('an extra key', [('set', ['note'], 'added by a later minor version')]),
    ('chip not read', [('set', ['document', 'chip'], {'read': False, 'message': 'no card in the field'})]),
    ('a side not registered', [('set', ['registration', 1], {'side': 'back', 'error': 'page not found'})]),
    ('no report timing, an evidence one', [('del', ['timings_ms', 'report']),
                                           ('set', ['timings_ms', 'evidence'], 2.5)]),
    ('warnings', [('set', ['warnings'], ['chip: no card', 'side back: no capture'])]),
]

# (name, ops): must be rejected
BAD = [
    ('wrong format', [('set', ['format'], 'docex.findings/2')]),
    ('no verdict', [('del', ['verdict'])]),
    ('unknown verdict', [('set', ['verdict'], 'ok')]),
    ('group missing', [('del', ['groups', 'cross'])]),
    ('bad result', [('set', ['findings', 0, 'result'], 'error')]),
    ('bad mode', [('set', ['findings', 0, 'mode'], 'required')]),
    ('bad group', [('set', ['findings', 0, 'group'], 'uv')]),
    ('finding without message', [('del', ['findings', 0, 'message'])]),
    ('finding without rule', [('del', ['findings', 0, 'rule'])]),
    ('value an object', [('set', ['findings', 0, 'value'], {'a': 1})]),
    ('expected empty', [('set', ['findings', 0, 'expected'], {})]),
    ('expected min not a number', [('set', ['findings', 0, 'expected'], {'min': '1'})]),
    ('region without side', [('del', ['findings', 0, 'region', 'side'])]),
    ('evidence up and out', [('set', ['findings', 0, 'evidence', 'captured'], '../../etc/passwd')]),
    ('evidence in the middle', [('set', ['findings', 0, 'evidence', 'captured'], 'evidence/../../x.png')]),
    ('evidence absolute', [('set', ['findings', 0, 'evidence', 'captured'], '/etc/passwd')]),
    ('evidence without its hash', [('del', ['findings', 0, 'evidence', 'captured_sha256'])]),
    ('hash upper case', [('set', ['findings', 0, 'evidence', 'captured_sha256'], H.upper())]),
    ('file path ..', [('set', ['files', 0, 'path'], '..')]),
    ('file role', [('set', ['files', 0, 'role'], 'image')]),
    ('file bytes negative', [('set', ['files', 0, 'bytes'], -1)]),
    ('matched_by', [('set', ['document', 'specimen', 'matched_by'], 'guess')]),
    ('specimen without generic', [('del', ['document', 'specimen', 'generic'])]),
    ('mrz absent (must be null)', [('del', ['document', 'mrz'])]),
    ('chip AA', [('set', ['document', 'chip', 'active_authentication'], 'maybe')]),
    ('dg1 compare', [('set', ['document', 'chip', 'dg1_vs_printed_mrz'], 'equal')]),
    ('source kind', [('set', ['source', 'kind'], 'camera')]),
    ('created not UTC', [('set', ['created'], '2026-11-27T01:02:03+01:00')]),
    ('timing missing', [('del', ['timings_ms', 'total'])]),
    ('timing negative', [('set', ['timings_ms', 'lua'], -1)]),
    ('registration incomplete', [('del', ['registration', 0, 'confidence'])]),
    ('registration neither numbers nor error', [('set', ['registration', 0], {'side': 'data_page'})]),
    ('chip read without passive authentication', [('del', ['document', 'chip', 'passive_authentication'])]),
    ('chip without message', [('del', ['document', 'chip', 'message'])]),
    ('warnings not texts', [('set', ['warnings'], [1])]),
    ('timing not a number', [('set', ['timings_ms', 'evidence'], 'fast')]),
]

def main(src):
    passed = failed = 0
    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print('FAIL:', what)
    schema = json.load(open(os.path.join(src, 'share/schemas/findings.schema.json')))
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    def errors(doc):
        return [f'{e.message} at {list(e.absolute_path)}' for e in v.iter_errors(doc)]
    check(not errors(SAMPLE), f'the sample: {errors(SAMPLE)}')
    for name, ops in GOOD:
        errs = errors(variant(ops))
        check(not errs, f'{name}: rejected: {errs}')
    for name, ops in BAD:
        check(bool(errors(variant(ops))), f'{name}: accepted')
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0

if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
