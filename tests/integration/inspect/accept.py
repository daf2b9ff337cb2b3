#!/usr/bin/env python3
"""Acceptance of docex inspect on synthetic Utopia documents (issue: inspection).

Every genuine document (both specimens, several holders and seeds, placed
anywhere on the glass, with sensor noise and blur) must pass; each defect of
the catalogue must be caught by the checks the scene's ground truth names
(scene.json synth.defects[].expected_checks), each such finding's region must
overlap the defect's ground-truth region on the page, and no other mandatory
check may fail.  The chip is read through the simulated reader (sim:chip0,
BAC/PACE + active authentication), the captures come from the scene files.

usage: accept.py [--quick] SCRATCH_DIR   (DOCEX_CLI, DOCEX_SOURCE from ctest)
--quick (the sanitizer build): one genuine document per specimen (another
holder, on the glass at an angle, with noise) and every third defect.
"""
import json
import os
import shutil
import subprocess
import sys

import jsonschema

DOCEX = os.environ["DOCEX_CLI"]
SRC = os.environ["DOCEX_SOURCE"]
QUICK = "--quick" in sys.argv
SCRATCH = [a for a in sys.argv[1:] if not a.startswith("--")][0]
DPI = "300"
TODAY = "2026-11-27"

passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, file=sys.stderr)
    return cond


SCHEMA = json.load(open(os.path.join(SRC, "share/schemas/findings.schema.json")))

# synthetic holders (no real person): name, numbers, dates
HOLDERS = [
    {"surname": "LINDQVIST", "given_names": "OSKAR", "document_number": "P7Q2K9M41", "sex": "M",
     "birth_date": "1988-03-09", "expiry_date": "2031-06-30", "issue_date": "2021-07-01"},
    {"surname": "ABERNATHY-COLE", "given_names": "MARY JANE", "document_number": "ZX0041877", "sex": "F",
     "birth_date": "2001-12-24", "expiry_date": "2029-02-14", "issue_date": "2024-02-15"},
    {"surname": "OKONKWO", "given_names": "CHIDI EMEKA", "document_number": "A00000001", "sex": "X",
     "birth_date": "1962-07-15", "expiry_date": "2034-11-20", "issue_date": "2024-11-21"},
]

# (extra synth options) for genuine documents: placement jitter and sensor noise
PLACEMENTS = [
    [],
    ["--glass", "12", "--rotate", "4.5", "--shift-x", "3", "--shift-y", "-2", "--noise", "3", "--blur", "0.8"],
    ["--glass", "12", "--rotate", "-7", "--shift-x", "-3", "--noise", "2", "--vignetting", "0.2"],
]

DEFECTS = {
    "UTO-P-2024": ["photo_substitution", "mrz_alteration", "mrz_alteration:recompute=1",
                   "mrz_alteration:line=1,col=8,recompute=1", "data_mismatch",
                   "data_mismatch:field=birth_date,value=12 AUG 1975", "bright_paper",
                   "missing_uv_feature", "wrong_uv_colour", "inkjet_mrz", "missing_watermark",
                   "missing_fibres", "reprinted_background", "expired", "chip_dg_tampered",
                   "chip_dg_tampered:dg=2", "chip_untrusted_ds", "chip_clone", "chip_mrz_mismatch",
                   "chip_mrz_mismatch:field=birth_date,value=19700101"],
    "UTO-ID-2021": ["photo_substitution", "mrz_alteration", "mrz_alteration:line=1,col=8",
                    "data_mismatch", "bright_paper", "missing_uv_feature", "wrong_uv_colour",
                    "inkjet_mrz", "missing_watermark", "missing_fibres", "reprinted_background",
                    "expired", "chip_dg_tampered", "chip_untrusted_ds", "chip_clone",
                    "chip_mrz_mismatch"],
}


def run(args, **kw):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def synth(spec, out, seed, extra):
    r = run([DOCEX, "synth", "--specimen", spec, "--out", out, "--dpi", DPI, "--illum", "all",
             "--seed", str(seed), "--today", TODAY.replace("-", "")] + extra)
    return ok(r.returncode == 0, f"synth {spec} {extra}: {r.stderr.strip()}")


def inspect(scene, case):
    # the chip through the simulated reader, holding this scene's chip
    r = run([DOCEX, "--set", f"sim.chip={scene}/chip", "inspect", "--from", scene, "--chip",
             "sim:chip0", "--out", case, "--today", TODAY, "--dpi", DPI, "--no-reports"])
    f = os.path.join(case, "findings.json")
    if not ok(os.path.exists(f), f"{case}: no findings.json (exit {r.returncode}: {r.stderr.strip()[-400:]})"):
        return r.returncode, None
    doc = json.load(open(f))
    try:
        jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
        ok(True, "")
    except jsonschema.ValidationError as e:
        ok(False, f"{f}: not valid against findings.schema.json: {e.message}")
    return r.returncode, doc


def counted_failures(doc):
    return [f for f in doc["findings"] if f["mode"] != "evaluatory" and f["result"] == "failed"]


def overlap(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def describe(doc):
    return "; ".join(f"{f['id']}={f['result']}({f.get('value')}) {f.get('message', '')[:90]}"
                     for f in doc["findings"] if f["result"] not in ("passed", "not_supported")
                     and f["mode"] != "evaluatory")


def genuine(spec, n, holder, seed, placement):
    scene = os.path.join(SCRATCH, f"{spec}-genuine-{n}")
    case = scene + ".case"
    extra = list(placement)
    if holder is not None:
        hp = scene + ".holder.json"
        json.dump(holder, open(hp, "w"))
        extra += ["--holder", hp]
    if not synth(spec, scene, seed, extra):
        return
    rc, doc = inspect(scene, case)
    if doc is None:
        return
    ok(rc == 0 and doc["verdict"] == "passed",
       f"genuine {spec} #{n} (seed {seed}, {extra}): exit {rc}, verdict {doc['verdict']}: {describe(doc)}")
    ok(doc["document"]["specimen"]["id"] == spec and doc["document"]["specimen"]["matched_by"] == "mrz",
       f"genuine {spec} #{n}: identified as {doc['document']['specimen']}")
    shutil.rmtree(scene, ignore_errors=True)
    shutil.rmtree(case, ignore_errors=True)


def defect(spec, d, seed):
    scene = os.path.join(SCRATCH, f"{spec}-{d.replace(':', '_').replace(',', '_').replace('=', '-').replace(' ', '')}")
    case = scene + ".case"
    if not synth(spec, scene, seed, ["--defect", d]):
        return
    truth = json.load(open(os.path.join(scene, "scene.json")))["synth"]["defects"][0]
    expected = truth["expected_checks"]
    regions = [c for c in truth["changes"] if "region_mm" in c]
    rc, doc = inspect(scene, case)
    if doc is None:
        return
    by_id = {f["id"]: f for f in doc["findings"]}
    for cid in expected:
        f = by_id.get(cid)
        if not ok(f is not None and f["result"] == "failed",
                  f"{spec} {d}: {cid} did not fail ({f and f['result']}: {f and f.get('message')}); {describe(doc)}"):
            continue
        if regions and "region" in f:
            # a cross-check's finding names both places it compared
            rs = [f["region"]] + ([f["related_region"]] if "related_region" in f else [])
            ok(any(c["side"] == r["side"] and overlap(c["region_mm"], [r["x"], r["y"], r["w"], r["h"]])
                   for c in regions for r in rs),
               f"{spec} {d}: {cid}'s region {rs} overlaps none of {regions}")
        elif regions and not cid.startswith("chip."):
            ok(False, f"{spec} {d}: {cid} failed without a region (ground truth {regions})")
        if (f.get("region") or {}).get("feature", "").startswith("viz."):
            # the holder's own data: the reference beside it is what the MRZ
            # says is printed there, not the specimen's sample holder
            ev = f.get("evidence", {})
            ok(ev.get("reference", "").endswith(".expected.png") and "MRZ" in ev.get("reference_is", ""),
               f"{spec} {d}: {cid}'s reference image is not the field drawn from the MRZ: {ev}")
    others = [f["id"] for f in counted_failures(doc) if f["id"] not in expected and f["mode"] == "mandatory"]
    ok(not others, f"{spec} {d}: other mandatory checks failed too: {others}: {describe(doc)}")
    ok(rc == 1 and doc["verdict"] == "failed", f"{spec} {d}: exit {rc}, verdict {doc['verdict']}")
    shutil.rmtree(scene, ignore_errors=True)
    shutil.rmtree(case, ignore_errors=True)


def main():
    os.makedirs(SCRATCH, exist_ok=True)
    for spec in ("UTO-P-2024", "UTO-ID-2021"):
        variants = [(HOLDERS[0], 11, PLACEMENTS[1])] if QUICK else \
            [(None, 1, PLACEMENTS[0])] + [(h, 10 + i, PLACEMENTS[(i + 1) % len(PLACEMENTS)])
                                          for i, h in enumerate(HOLDERS)]
        for n, (h, seed, pl) in enumerate(variants):
            genuine(spec, n, h, seed, pl)
        for i, d in enumerate(DEFECTS[spec]):
            # under the sanitizers (--quick, ten times slower) every third defect
            if QUICK and i % 3:
                continue
            defect(spec, d, 100 + i)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


sys.exit(main())
