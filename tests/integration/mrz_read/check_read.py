#!/usr/bin/python3
"""check_read.py SCHEMA_DIR OUT.json [TRUTH.json] [--rotation DEG] [--dpi N]

Validates `docex mrz read --json` output against mrz_read.schema.json (which
refers to mrz.schema.json) and, given a ground truth from mrz-render, checks
the lines, the rotation (within 1.5 degrees) and the dpi."""
import json
import sys

import jsonschema


def validator(schema_dir):
    main = json.load(open(f"{schema_dir}/mrz_read.schema.json"))
    base = json.load(open(f"{schema_dir}/mrz.schema.json"))
    try:
        from referencing import Registry, Resource
        reg = Registry().with_resources([(s["$id"], Resource.from_contents(s)) for s in (main, base)])
        return jsonschema.Draft202012Validator(main, registry=reg)
    except ImportError:  # jsonschema < 4.18 (Debian 12)
        res = jsonschema.RefResolver.from_schema(main, store={base["$id"]: base, main["$id"]: main})
        return jsonschema.Draft202012Validator(main, resolver=res)


def main():
    args = sys.argv[1:]
    opts = {}
    for k in ("--rotation", "--dpi"):
        if k in args:
            i = args.index(k)
            opts[k] = float(args[i + 1])
            del args[i:i + 2]
    out = json.load(open(args[1]))
    errors = sorted(validator(args[0]).iter_errors(out), key=str)
    for e in errors:
        print(f"schema: {e.message} at {list(e.absolute_path)}")
    bad = len(errors)
    if len(args) > 2:
        truth = json.load(open(args[2]))
        got = [l["text"] for l in out["lines"]]
        if got != truth["lines"]:
            print(f"lines: got {got}, want {truth['lines']}")
            bad += 1
        if out["mrz"] != truth["lines"]:
            print("mrz differs from lines")
            bad += 1
        for l in out["lines"]:
            if len(l["confidence"]) != len(l["raw"]):
                print("one confidence per character expected")
                bad += 1
        opts.setdefault("--rotation", truth["rotation_deg"])
    if "--rotation" in opts:
        d = abs(out["rotation_deg"] - opts["--rotation"]) % 360
        if min(d, 360 - d) > 1.5:
            print(f"rotation {out['rotation_deg']}, want {opts['--rotation']}")
            bad += 1
    if "--dpi" in opts and abs(out["source"]["dpi"] - opts["--dpi"]) > 0.05 * opts["--dpi"]:
        print(f"dpi {out['source']['dpi']}, want {opts['--dpi']}")
        bad += 1
    sys.exit(1 if bad else 0)


main()
