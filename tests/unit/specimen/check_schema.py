#!/usr/bin/python3
"""specimen.schema.json against the committed specimens and the broken copies
of broken.json: every committed specimen validates; each broken copy is
rejected exactly when the case says the schema rejects it (the others break
a cross-reference only the loader checks).  The schema's illumination names
are share/illuminations.json's.

usage: check_schema.py SOURCE_DIR
Prints one line per problem and "N passed, N failed"; exits 1 on a failure."""
import copy, json, os, sys

try:
    import jsonschema
except ImportError:
    print('SKIP: python3-jsonschema is not installed')
    sys.exit(77)

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

def main(src):
    passed = failed = 0
    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print('FAIL:', what)
    schema = json.load(open(os.path.join(src, 'share/schemas/specimen.schema.json')))
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    spec_dir = os.path.join(src, 'share/specimens')
    specimens = {}
    for sid in sorted(os.listdir(spec_dir)):
        doc = json.load(open(os.path.join(spec_dir, sid, 'specimen.json')))
        specimens[sid] = doc
        errs = [f'{e.message} at {list(e.absolute_path)}' for e in v.iter_errors(doc)]
        check(not errs, f'{sid}: {errs}')
    check({'UTO-P-2024', 'UTO-ID-2021'} <= set(specimens), 'committed specimens missing')
    cases = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'broken.json')))['cases']
    for c in cases:
        doc = apply(copy.deepcopy(specimens[c['specimen']]), c['ops'])
        errs = list(v.iter_errors(doc))
        check(bool(errs) == c['schema_rejects'],
              f"{c['name']}: the schema {'accepts' if not errs else 'rejects'} it"
              + (f" ({errs[0].message} at {list(errs[0].absolute_path)})" if errs else ''))
    names = [i['name'] for i in json.load(open(os.path.join(src, 'share/illuminations.json')))['illuminations']]
    check(sorted(schema['$defs']['illumination']['enum']) == sorted(names),
          'specimen.schema.json illumination names differ from share/illuminations.json')
    for other in ('specimen_show.schema.json', 'specimen_list.schema.json'):
        s = json.load(open(os.path.join(src, 'share/schemas', other)))
        jsonschema.Draft202012Validator.check_schema(s)
        check(True, other)
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0

if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
