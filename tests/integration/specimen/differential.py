#!/usr/bin/python3
"""The loader and specimen.schema.json agree: random mutants of the committed
specimens (a value replaced, a key deleted or added, an item repeated) are
loaded by `docex specimen list --json` and validated against the schema.
The loader is the schema plus cross-references, so a mutant the schema
rejects must be refused by the loader, and one the loader opens must be valid.

usage: differential.py DOCEX SOURCE_DIR WORK_DIR [COUNT] [SEED]
Prints each disagreement and "N passed, N failed"; exits 1 on a failure."""
import copy, json, os, random, shutil, subprocess, sys

try:
    import jsonschema
except ImportError:
    print('SKIP: python3-jsonschema is not installed')
    sys.exit(77)

POOL = [None, True, False, 0, -1, 0.5, 1.0, 25, 25.0, 150, 400, 401, 1e9, '', 'x', 'UV', 'IR',
        'VI', 'white', 'uv313', 'uv365', 'ir870', 'front', 'back', 'data_page', 'mrz', 'photo',
        'P', 'I', 'UTO', 'ZZZ', 'TD2', '2024-02-29', '2023-02-29', '2034-04-15', 'a\tb',
        'X' * 70, [], {}, [0, 0, 1, 1], [0, 0, 200, 1], [1, 2], ['white'], ['white', 'white'],
        {'measure': 'contrast', 'max': 0.5}, 'similarity_with', 'fibre_count', 'optional']

def paths(v, prefix=()):
    yield prefix
    if isinstance(v, dict):
        for k, x in v.items():
            yield from paths(x, prefix + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from paths(x, prefix + (i,))

def get(doc, path):
    for k in path:
        doc = doc[k]
    return doc

def mutate(doc, rnd):
    ps = [p for p in paths(doc) if p]
    for _ in range(rnd.choice((1, 1, 1, 2))):
        p = rnd.choice(ps)
        parent, key = get(doc, p[:-1]), p[-1]
        op = rnd.random()
        try:
            if op < 0.6:
                parent[key] = copy.deepcopy(rnd.choice(POOL))
            elif op < 0.75:
                del parent[key]
            elif op < 0.85 and isinstance(parent, dict):
                parent['extra_' + str(rnd.randrange(3))] = 1
            elif isinstance(parent, list):
                parent.append(copy.deepcopy(parent[key]))
            else:
                parent[key] = copy.deepcopy(rnd.choice(POOL))
        except (KeyError, IndexError, TypeError):
            pass
        ps = [q for q in paths(doc) if q]
        if not ps:
            break
    return doc

def main(docex, src, work, count=400, seed=1):
    rnd = random.Random(seed)
    schema = jsonschema.Draft202012Validator(
        json.load(open(os.path.join(src, 'share/schemas/specimen.schema.json'))))
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    base = {}
    for sid in ('UTO-P-2024', 'UTO-ID-2021'):
        base[sid] = json.load(open(os.path.join(src, 'share/specimens', sid, 'specimen.json')))
    verdict = {}
    for n in range(count):
        sid = rnd.choice(sorted(base))
        doc = mutate(copy.deepcopy(base[sid]), rnd)
        name = f'M{n:04d}'
        if isinstance(doc, dict) and doc.get('id') == sid:
            doc['id'] = name  # keep the id rule out of the comparison
        os.makedirs(os.path.join(work, name))
        with open(os.path.join(work, name, 'specimen.json'), 'w') as f:
            json.dump(doc, f)
        verdict[name] = (not any(True for _ in schema.iter_errors(doc)), doc)
    out = subprocess.run([docex, 'specimen', 'list', '--json', '--specimens', work],
                         capture_output=True, text=True)
    listing = json.loads(out.stdout)
    opened = {s['id'] for s in listing['specimens']}
    why = {b['id']: b['error'] for b in listing['broken']}
    passed = failed = 0
    for name, (valid, doc) in sorted(verdict.items()):
        loaded = name in opened
        if loaded and not valid:
            failed += 1
            errs = list(schema.iter_errors(doc))
            print(f'FAIL: {name}: the loader opens it, the schema rejects it: '
                  f'{errs[0].message} at {list(errs[0].absolute_path)}')
        else:
            passed += 1
    both = sum(1 for n, (v, _) in verdict.items() if v and n in opened)
    print(f'{len(opened)} mutants opened, {len(why)} refused, {both} valid for both')
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0

if __name__ == '__main__':
    a = sys.argv
    sys.exit(main(a[1], a[2], a[3], *(int(x) for x in a[4:6])))
