#!/usr/bin/env python3
"""The Python half of tests/bench/inspect/run (see README.md).

  bench_inspect.py similarity DIR [--reps N] [--budget-s S] [--json OUT]
      OpenCV's matchTemplate(search, template, TM_CCOEFF_NORMED) + minMaxLoc
      on the float32 arrays bench-similarity wrote to DIR (DIR/cases.tsv),
      one thread and the default thread count; compared with docex's figures
      from the same file.  Needs numpy and cv2 (Debian: python3-opencv).

  bench_inspect.py inspect --docex BIN --scene DIR --work DIR [--reps N]
                           [--specimen ID] [--json OUT]
      `BIN inspect --from DIR --out CASE --specimen ID`: once with an empty
      reference cache (DOCEX_CACHE_DIR=DIR/cache), then N times with it filled
      alternated with N times without one (DOCEX_CACHE_DIR=off), a fresh CASE
      each time, then once with --specimen auto: wall time, peak RSS, and the
      stages of CASE/findings.json's "timings_ms".  Standard library only.

  bench_inspect.py selftest
      Part B against a fake docex that writes a made-up findings.json.

  bench_inspect.py json [FILE...]
      One line `BENCH-JSON {...}` merging the --json files that exist.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

WALL_TARGET_MS = 500
RSS_TARGET_MB = 400
STAGES = ["load", "registration", "mrz", "chip", "measurements", "lua", "report", "total"]


def ms(v):
    """A duration for people: 0.4, 12.5, 310."""
    return "%.1f" % v if v < 100 else "%.0f" % v


def timed(fn, reps, budget_s):
    """(median CPU seconds of the process, median wall seconds, fn's result)
    over up to reps calls of fn() after one warm-up call (at least 3 calls,
    fewer than reps once budget_s is spent)."""
    out = fn()
    cpu, wall = [], []
    start = time.perf_counter()
    while len(wall) < reps and (len(wall) < 3 or time.perf_counter() - start < budget_s):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
    return statistics.median(cpu), statistics.median(wall), out


# ---- A: similarity ---------------------------------------------------------

def cmd_similarity(a):
    try:
        import cv2
        import numpy as np
    except ImportError as e:
        print("opencv: not available to %s (%s): install python3-opencv" % (sys.executable, e))
        return 0
    rows = []
    with open(os.path.join(a.dir, "cases.tsv")) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            rows.append(dict(zip(head, line.rstrip("\n").split("\t"))))
    default_threads = cv2.getNumThreads()
    print("== A. region similarity: docex dx_measure_similarity_of vs OpenCV %s matchTemplate "
          "TM_CCOEFF_NORMED + minMaxLoc (float32, same arrays; %d cpus, OpenCV default %d threads)"
          % (cv2.__version__, os.cpu_count(), default_threads))
    print("   (docex and OpenCV on 1 thread: CPU time of the call, median; OpenCV on %d threads: "
          "wall time)" % default_threads)
    results = []
    for r in rows:
        T = np.load(os.path.join(a.dir, r["template"]))
        S = np.load(os.path.join(a.dir, r["search"]))
        assert T.dtype == np.float32 and S.dtype == np.float32

        def run():
            res = cv2.matchTemplate(S, T, cv2.TM_CCOEFF_NORMED)
            _, mx, _, loc = cv2.minMaxLoc(res)
            return mx, loc

        # OpenCV is quick: three times the calls for a steadier median
        # one thread: CPU time (as docex's figure); default threads: wall time
        cv2.setNumThreads(1)
        t1, w1, (ncc1, loc) = timed(run, 3 * a.reps, a.budget_s)
        cv2.setNumThreads(default_threads)
        _, tn, (ncc_n, loc_n) = timed(run, 3 * a.reps, a.budget_s)
        docex_ms = float(r["docex_ms"])
        shift0_ms = float(r["docex_ms_shift0"])
        # None when noise made the 0 mm call the slower one
        search_ms = docex_ms - shift0_ms if docex_ms > shift0_ms else None
        cv_shift = (loc[0] - int(r["ox0"]), loc[1] - int(r["oy0"]))
        dx_shift = (int(r["dx_px"]), int(r["dy_px"]))
        ncc = float(r["ncc"])
        tw, th, sh = int(r["tw"]), int(r["th"]), int(r["shift_px"])
        positions = (int(r["sw"]) - tw + 1) * (int(r["sh"]) - th + 1)
        res = {
            "region": r["name"], "light": r["light"], "tw": tw, "th": th, "shift_px": sh,
            "shift_mm": float(r["shift_mm"]), "positions": positions,
            "docex_ms": docex_ms, "docex_ms_shift0": shift0_ms, "docex_search_ms": search_ms,
            "docex_ncc": ncc, "docex_ssim": float(r["ssim"]), "docex_shift": dx_shift,
            "docex_wall_ms": float(r["docex_wall_ms"]),
            "docex_wall_ms_shift0": float(r["docex_wall_ms_shift0"]),
            "opencv_ms_1t": t1 * 1e3, "opencv_wall_ms_1t": w1 * 1e3,
            "opencv_wall_ms_default": tn * 1e3,
            "opencv_threads": default_threads, "opencv_ncc": ncc1, "opencv_shift": cv_shift,
            "ncc_diff": abs(ncc - ncc1), "same_shift": cv_shift == dx_shift and loc == loc_n,
        }
        results.append(res)
        print("region %s %dx%d px, shift +-%d px: docex %.2f ms (ncc %.4f), opencv %.2f ms 1 thread"
              " / %.2f ms %d threads (ncc %.4f): docex/opencv %.2fx"
              % (r["name"], tw, th, sh, docex_ms, ncc, t1 * 1e3, tn * 1e3, default_threads,
                 ncc1, docex_ms / (t1 * 1e3)))
        agree = res["same_shift"] and res["ncc_diff"] <= 1e-3
        print("    ncc search alone ~ %s (call %.2f - call with 0 mm shift %.2f, which is "
              "luminance + SSIM + 1 position): %s opencv; %s: shift %+d,%+d vs %+d,%+d, "
              "|ncc diff| %.1e"
              % ("%.2f ms" % search_ms if search_ms else "n/a", docex_ms, shift0_ms,
                 "%.2fx" % (search_ms / (t1 * 1e3)) if search_ms else "n/a",
                 "agree" if agree else "DISAGREE", dx_shift[0], dx_shift[1], cv_shift[0],
                 cv_shift[1], res["ncc_diff"]))
    if not results:
        return 1
    print("== A. summary (target: docex at least as fast as OpenCV; ratios against OpenCV on "
          "1 thread, docex being single-threaded)")
    full = [x["docex_ms"] / x["opencv_ms_1t"] for x in results]
    ok = [x for x in results if x["docex_search_ms"]]
    srch = [x["docex_search_ms"] / x["opencv_ms_1t"] for x in ok] or [float("nan")]
    multi = [x["docex_wall_ms"] / x["opencv_wall_ms_default"] for x in results]
    wall1 = [x["docex_wall_ms"] / x["opencv_wall_ms_1t"] for x in results]
    geo = lambda v: statistics.geometric_mean(v) if all(x > 0 for x in v) else float("nan")
    n = len(results)
    print("  whole docex call (NCC search + SSIM) vs matchTemplate: as fast or faster in %d of %d"
          " cases, docex/opencv %.2fx .. %.2fx (geometric mean %.2fx); in wall time %.2fx against"
          " 1 thread, %.2fx against OpenCV's %d threads"
          % (sum(x <= 1 for x in full), n, min(full), max(full), geo(full), geo(wall1),
             geo(multi), default_threads))
    print("  NCC search alone (call - 0 mm call) vs matchTemplate: as fast or faster in %d of %d,"
          " %.2fx .. %.2fx (geometric mean %.2fx)%s"
          % (sum(x <= 1 for x in srch), len(ok), min(srch), max(srch), geo(srch),
             "" if len(ok) == n else
             "; %d case(s) n/a: the machine's load changed" % (n - len(ok))))
    per = [x["docex_search_ms"] * 1e6 / (x["tw"] * x["th"] * x["positions"]) for x in ok] or [0]
    print("  docex NCC search: %.2f .. %.2f ns per template pixel per position (direct "
          "correlation: cost = template px x (2 shift + 1)^2)" % (min(per), max(per)))
    for sh in sorted(set(x["shift_px"] for x in results)):
        share = [100 * x["docex_ms_shift0"] / x["docex_ms"] for x in results
                 if x["shift_px"] == sh]
        print("  docex at +-%d px: the 0 mm part (luminance, SSIM, one position) is %.0f .. %.0f %%"
              " of the call" % (sh, min(share), max(share)))
    bad = [x for x in results if not (x["same_shift"] and x["ncc_diff"] <= 1e-3)]
    print("  same best shift and ncc within 1e-3: %s"
          % ("yes, all %d cases" % n if not bad else
             "NO for " + ", ".join("%s +-%d" % (x["region"], x["shift_px"]) for x in bad)))
    met = all(x <= 1 for x in full)
    print("  verdict: %s" % ("docex is at least as fast as OpenCV on every region" if met else
                             "docex is slower than OpenCV (1 thread) on %d of %d regions; "
                             "docex/opencv %.2fx (geometric mean of the whole call), %.2fx for the "
                             "NCC search alone" % (sum(x > 1 for x in full), n, geo(full), geo(srch))))
    if a.json:
        for x in results:
            for k, v in x.items():
                if isinstance(v, float):
                    x[k] = (float("%.2g" % v) if k == "ncc_diff" else
                            round(v, 6) if "ncc" in k or "ssim" in k else round(v, 3))
        with open(a.json, "w") as f:
            json.dump({"similarity": results}, f)
    return 0


# ---- B: docex inspect --------------------------------------------------------

def run_child(argv, log, env=None):
    """Run argv; return (wall ms, peak RSS MB, exit code, CPU ms) of that child alone."""
    with open(log, "wb") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = (time.perf_counter() - t0) * 1e3
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_maxrss / 1024.0, p.returncode, (ru.ru_utime + ru.ru_stime) * 1e3


def find_key(obj, keys):
    """First value of one of `keys` anywhere in obj (depth first)."""
    if isinstance(obj, dict):
        for k in keys:
            if k in obj:
                return obj[k]
        for v in obj.values():
            found = find_key(v, keys)
            if found is not None:
                return found
    elif isinstance(obj, list):
        for v in obj:
            found = find_key(v, keys)
            if found is not None:
                return found
    return None


def one_inspection(a, case, specimen, cache):
    """One inspection; `cache` is its DOCEX_CACHE_DIR (reference pages; "off": none)."""
    if os.path.exists(case):
        shutil.rmtree(case)
    argv = [a.docex, "inspect", "--from", a.scene, "--out", case, "--specimen", specimen]
    wall, rss, code, cpu = run_child(argv, case + ".stderr", dict(os.environ, DOCEX_CACHE_DIR=cache))
    path = os.path.join(case, "findings.json")
    try:
        with open(path) as f:
            findings = json.load(f)
    except (OSError, ValueError) as e:
        with open(case + ".stderr", errors="replace") as f:
            tail = f.read()[-600:]
        raise SystemExit("docex inspect: %s: %s (exit %d)\n%s" % (path, e, code, tail))
    return wall, rss, code, cpu, findings


def describe_specimen(findings):
    v = find_key(findings, ["specimen", "specimen_id"])
    if isinstance(v, dict):
        how = v.get("matched_by") or v.get("identified_by")
        v = (v.get("id") or v.get("name") or json.dumps(v)[:60]) + (
            " (matched by %s)" % how if how else "")
    return str(v) if v is not None else "(findings.json names no specimen)"


def summary(walls, cpus, rsss):
    wall_med, cpu_med = statistics.median(walls), statistics.median(cpus)
    return ("wall %.0f ms median (min %.0f, max %.0f), CPU %.0f ms (user + system: %.1f cores busy"
            " on average), peak RSS %.0f MB (largest of the runs)"
            % (wall_med, min(walls), max(walls), cpu_med, cpu_med / wall_med, max(rsss)))


def cmd_inspect(a):
    os.makedirs(a.work, exist_ok=True)
    # the reference cache (docex inspect keeps the specimen's reference
    # images decoded between inspections): a fresh one, filled by the first
    # run; then runs with it (the target) and without it, alternated
    cache = os.path.join(a.work, "cache")
    shutil.rmtree(cache, ignore_errors=True)
    print("== B. docex inspect --from SCENE --out CASE --specimen %s: once with an empty reference"
          " cache, then %d run%s with it filled and %d without a cache, alternated; a fresh CASE each"
          % (a.specimen, a.reps, "s" if a.reps != 1 else "", a.reps))
    cold_wall, cold_rss, _, cold_cpu, _ = one_inspection(a, os.path.join(a.work, "case-cold"),
                                                         a.specimen, cache)
    walls, rsss, codes, cpus, stages = [], [], [], [], {}
    off_walls, off_rsss, off_cpus = [], [], []
    for i in range(a.reps):
        wall, rss, code, cpu, findings = one_inspection(a, os.path.join(a.work, "case-%d" % i),
                                                        a.specimen, cache)
        walls.append(wall)
        cpus.append(cpu)
        rsss.append(rss)
        codes.append(code)
        t = findings.get("timings_ms") or {}
        for k, v in t.items():
            if isinstance(v, (int, float)):
                stages.setdefault(k, []).append(float(v))
        wall, rss, code, cpu, _ = one_inspection(a, os.path.join(a.work, "case-off-%d" % i),
                                                 a.specimen, "off")
        off_walls.append(wall)
        off_cpus.append(cpu)
        off_rsss.append(rss)
        codes.append(code)
    wall_med = statistics.median(walls)
    rss_max = max(rsss)
    cpu_med = statistics.median(cpus)
    print("  reference cache filled: %s, exit status %s"
          % (summary(walls, cpus, rsss), ",".join(sorted(set(str(c) for c in codes)))))
    print("  no reference cache:     %s" % summary(off_walls, off_cpus, off_rsss))
    print("  the first run, filling the cache: wall %.0f ms, CPU %.0f ms, peak RSS %.0f MB"
          % (cold_wall, cold_cpu, cold_rss))
    order = [k for k in STAGES if k in stages] + sorted(k for k in stages if k not in STAGES)
    if order:
        print("  stages (cache filled), median of findings.json timings_ms: " +
              ", ".join("%s %s" % (k, ms(statistics.median(stages[k]))) for k in order) + " ms")
        missing = [k for k in STAGES if k not in stages]
        if missing:
            print("  (findings.json has no timings for: %s)" % ", ".join(missing))
    else:
        print("  findings.json has no timings_ms")
    if "total" in stages:
        print("  wall - total: %.0f ms (process start and exit, loading the libraries, and "
              "whatever the total does not cover)"
              % (wall_med - statistics.median(stages["total"])))
    print("  target wall < %d ms on 2 cores: %s (%.0f ms, cache filled; %.0f ms without a cache)"
          % (WALL_TARGET_MS, "met" if wall_med < WALL_TARGET_MS else "NOT met", wall_med,
             statistics.median(off_walls)))
    print("  target peak RSS < %d MB: %s (%.0f MB; %.0f MB without a cache)"
          % (RSS_TARGET_MB, "met" if max(rss_max, max(off_rsss)) < RSS_TARGET_MB else "NOT met",
             rss_max, max(off_rsss)))
    wall, rss, code, cpu, findings = one_inspection(a, os.path.join(a.work, "case-auto"), "auto",
                                                    cache)
    t = findings.get("timings_ms") or {}
    print("  --specimen auto (once): wall %.0f ms, peak RSS %.0f MB, exit status %d, specimen %s%s"
          % (wall, rss, code, describe_specimen(findings),
             ", total %.0f ms" % t["total"] if isinstance(t.get("total"), (int, float)) else ""))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"inspect": {
                "runs": a.reps, "wall_ms_median": round(wall_med, 1),
                "wall_ms": [round(w, 1) for w in walls], "cpu_ms_median": round(cpu_med, 1),
                "peak_rss_mb": round(rss_max, 1),
                "stages_ms_median": {k: round(statistics.median(stages[k]), 2) for k in order},
                "no_cache": {"wall_ms_median": round(statistics.median(off_walls), 1),
                             "wall_ms": [round(w, 1) for w in off_walls],
                             "cpu_ms_median": round(statistics.median(off_cpus), 1),
                             "peak_rss_mb": round(max(off_rsss), 1)},
                "cache_filling": {"wall_ms": round(cold_wall, 1), "cpu_ms": round(cold_cpu, 1),
                                  "peak_rss_mb": round(cold_rss, 1)},
                "auto": {"wall_ms": round(wall, 1), "peak_rss_mb": round(rss, 1), "exit": code,
                         "specimen": describe_specimen(findings)}}}, f)
    return 0


FAKE_DOCEX = r'''#!/usr/bin/env python3
# a stand-in for `docex inspect` (bench_inspect.py selftest)
import json, os, sys
a = sys.argv[1:]
if a[:1] != ["inspect"]: sys.exit(2)
if "--help" in a: sys.exit(0)
out = a[a.index("--out") + 1]; spec = a[a.index("--specimen") + 1]
os.makedirs(out)
big = bytearray(30 * 1024 * 1024)  # some resident memory
for i in range(0, len(big), 4096): big[i] = 1
t = {"load": 80.5, "registration": 40, "mrz": 20, "chip": 60, "measurements": 90,
     "lua": 5, "report": 15, "total": 310.5}
json.dump({"specimen": {"id": "UTO-P-2024", "identified_by": spec}, "timings_ms": t},
          open(os.path.join(out, "findings.json"), "w"))
sys.exit(1 if spec == "auto" else 0)
'''


def cmd_selftest(a):
    with tempfile.TemporaryDirectory(prefix="docex-bench-inspect-selftest-") as d:
        fake = os.path.join(d, "docex")
        with open(fake, "w") as f:
            f.write(FAKE_DOCEX.replace("#!/usr/bin/env python3", "#!" + sys.executable, 1))
        os.chmod(fake, 0o755)
        os.makedirs(os.path.join(d, "scene"))
        ns = argparse.Namespace(docex=fake, scene=os.path.join(d, "scene"),
                                work=os.path.join(d, "work"), reps=3, specimen="UTO-P-2024",
                                json=os.path.join(d, "b.json"))
        cmd_inspect(ns)
        with open(ns.json) as f:
            got = json.load(f)["inspect"]
        assert got["stages_ms_median"]["total"] == 310.5, got
        assert got["stages_ms_median"]["load"] == 80.5, got
        assert got["peak_rss_mb"] >= 30, got
        assert got["auto"]["specimen"].startswith("UTO-P-2024") and got["auto"]["exit"] == 1, got
        assert len(got["wall_ms"]) == 3 and len(got["no_cache"]["wall_ms"]) == 3, got
        assert got["no_cache"]["peak_rss_mb"] >= 30 and got["cache_filling"]["peak_rss_mb"] >= 30, got
        print("selftest: ok")
    return 0


def cmd_rounds(a):
    """Part A over several rounds, docex and OpenCV alternating (each round a
    bench-similarity process, then an OpenCV one): a 2-core VM's speed moves
    between processes by more than the difference measured, so each case's
    ratio is the median over the rounds."""
    rounds = []
    for p in a.files:
        if os.path.exists(p):
            with open(p) as f:
                rounds.append(json.load(f)["similarity"])
    if not rounds:
        return 1
    geo = lambda v: statistics.geometric_mean(v) if v and all(x > 0 for x in v) else float("nan")
    n = len(rounds[0])
    print("== A. over %d rounds (docex, then OpenCV, alternating; per case the median ratio of the"
          " rounds)" % len(rounds))
    for i, r in enumerate(rounds):
        full = [x["docex_ms"] / x["opencv_ms_1t"] for x in r]
        print("  round %d: whole call geometric mean %.2fx (%d of %d as fast or faster)"
              % (i + 1, geo(full), sum(x <= 1 for x in full), len(full)))
    med_full, med_srch = [], []
    for c in range(n):
        xs = [r[c] for r in rounds if len(r) > c]
        f = statistics.median(x["docex_ms"] / x["opencv_ms_1t"] for x in xs)
        ss = [x["docex_search_ms"] / x["opencv_ms_1t"] for x in xs if x["docex_search_ms"]]
        med_full.append(f)
        if ss:
            med_srch.append(statistics.median(ss))
        print("  %-18s +-%2d px: docex/opencv median %.2fx, NCC search alone %s"
              % (xs[0]["region"], xs[0]["shift_px"], f,
                 "%.2fx" % statistics.median(ss) if ss else "n/a"))
    print("  whole docex call (NCC search + SSIM) vs matchTemplate: as fast or faster in %d of %d"
          " cases, %.2fx .. %.2fx, geometric mean %.2fx" % (sum(x <= 1 for x in med_full), n,
                                                          min(med_full), max(med_full), geo(med_full)))
    print("  NCC search alone: as fast or faster in %d of %d, geometric mean %.2fx"
          % (sum(x <= 1 for x in med_srch), len(med_srch), geo(med_srch)))
    print("  verdict: %s" % ("docex at least as fast as OpenCV (geometric mean of the whole call)"
                             if geo(med_full) <= 1 else
                             "docex slower than OpenCV by %.2fx (geometric mean of the whole call)"
                             % geo(med_full)))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"similarity": rounds[0], "similarity_rounds": {
                "rounds": len(rounds), "median_ratio_whole": [round(x, 3) for x in med_full],
                "median_ratio_search": [round(x, 3) for x in med_srch],
                "geomean_whole": round(geo(med_full), 3), "geomean_search": round(geo(med_srch), 3)}}, f)
    return 0


def cmd_json(a):
    merged = {}
    for p in a.files:
        if os.path.exists(p):
            with open(p) as f:
                merged.update(json.load(f))
    print("BENCH-JSON " + json.dumps(merged, separators=(",", ":")))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("similarity")
    s.add_argument("dir")
    s.add_argument("--reps", type=int, default=9)
    s.add_argument("--budget-s", type=float, default=2.0)
    s.add_argument("--json")
    s.set_defaults(fn=cmd_similarity)
    s = sub.add_parser("inspect")
    s.add_argument("--docex", required=True)
    s.add_argument("--scene", required=True)
    s.add_argument("--work", required=True)
    s.add_argument("--reps", type=int, default=5)
    s.add_argument("--specimen", default="UTO-P-2024")
    s.add_argument("--json")
    s.set_defaults(fn=cmd_inspect)
    s = sub.add_parser("selftest")
    s.set_defaults(fn=cmd_selftest)
    s = sub.add_parser("rounds")
    s.add_argument("files", nargs="*")
    s.add_argument("--json")
    s.set_defaults(fn=cmd_rounds)
    s = sub.add_parser("json")
    s.add_argument("files", nargs="*")
    s.set_defaults(fn=cmd_json)
    a = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
