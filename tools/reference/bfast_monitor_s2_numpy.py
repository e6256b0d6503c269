#!/usr/bin/env python3
"""Independent numpy check of bfast_monitor_s2.R (BFAST Monitor on Sentinel-2 NDVI pixels).

Reads the same rasters another way (gdal_translate -of XYZ of the whole 200 x 200 image
instead of gdallocationinfo), computes the NDVI in numpy float32 arithmetic
(float32((float32(B08) - float32(B04)) / (float32(B08) + float32(B04)))), applies the same
masks (B04 or B08 = 0, non-finite NDVI, SCL = 0 or in 3, 8, 9, 10), the same skip rule
(n_history < 3 or no monitoring observation) and runs the monitoring with the equations of
bfast_monitor_numpy.py (its bfm(): order 0, i.e. a design [1, t]; history "all"; h = 1;
critical value = strucchange's table entry monitorMECritvalTable["1", "10", "0.95", "max"],
which cannot be derived independently: it is a simulated table).

Asserts against the R results: the set of run and skipped pixels and the skip reasons, every
series value bit for bit, history start, counts, break time and index exactly; coefficients
and MOSUM values (relative to max(1, |x|)), R^2, sigma, boundary, magnitude to 1e-9. Both are
also measured (not asserted) against the same fit and MOSUM in exact rational arithmetic. Prints a
summary and one line "NUMPY_CHECK {json}" with the largest differences, which
bfast_monitor_s2.R stores in the fixture's meta.numpy_check.

    /var/tmp/venv-ts/bin/python tools/reference/bfast_monitor_s2_numpy.py \
        [--data DIR] [--r-json /var/tmp/bfast_monitor_s2_r.json]
(normally run by bfast_monitor_s2.R itself.)
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import subprocess
import sys
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bfast_monitor_numpy as bm  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CRITVAL_H1_P10 = 2.74592761324742  # monitorMECritvalTable["1", "10", "0.95", "max"]
SCL_MASKED = (3, 8, 9, 10)
STEP = 10
TOL = 1e-9


def read_xyz(path):
    out = subprocess.run(["gdal_translate", "-q", "-of", "XYZ", path, "/vsistdout/"],
                         check=True, capture_output=True, text=True).stdout
    a = np.array(out.split(), dtype=float).reshape(-1, 3)
    xs, ys = np.unique(a[:, 0]), np.unique(a[:, 1])
    w, h = len(xs), len(ys)
    assert a.shape[0] == w * h
    # row-major from the top: x increases fastest, y decreases
    assert np.all(a[:w, 0] == xs) and np.all(a[::w, 1] == ys[::-1])
    v = a[:, 2].reshape(h, w)
    assert np.all(v == np.round(v)) and np.all(v >= 0)
    return v


def decimal_year(d):
    y = d.year
    diy = 366 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 365
    return y + (d.timetuple().tm_yday - 1) / diy


def exact_run(t, y, n):
    """The same OLS fit and MOSUM in exact rational arithmetic (square roots in 50-digit
    decimals) from the double inputs: [1, t] with t near 2017 is badly conditioned, so both
    float computations are off by about 1e-9 on the larger MOSUM values; this says by how much.
    t, y: the valid observations (history first n). Returns floats rounded from the exact."""
    tt = [Fraction(v) for v in t]
    yy = [Fraction(v) for v in y]
    th, yh = tt[:n], yy[:n]
    tm, ym = sum(th) / n, sum(yh) / n
    b1 = sum((a - tm) * (b - ym) for a, b in zip(th, yh)) / sum((a - tm) ** 2 for a in th)
    b0 = ym - b1 * tm
    e = [b - (b0 + b1 * a) for a, b in zip(tt, yy)]
    rss = sum(v * v for v in e[:n])
    tss = sum((b - ym) ** 2 for b in yh)

    def dec(q):
        return Decimal(q.numerator) / Decimal(q.denominator)

    with localcontext() as ctx:
        ctx.prec = 50
        sigma = (dec(rss) / (n - 2)).sqrt()
        scale = sigma * Decimal(n).sqrt()
        mosum = [float(dec(sum(e[s - n:s])) / scale) for s in range(n + 1, len(tt) + 1)]
        sigma = float(sigma)
    mon = sorted(e[n:])
    m = len(mon)
    med = mon[m // 2] if m % 2 else (mon[m // 2 - 1] + mon[m // 2]) / 2
    return {"coefficients": [float(b0), float(b1)], "sigma": sigma,
            "r_squared": float(1 - rss / tss), "mosum": mosum, "magnitude": float(med)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "raster",
                                                   "mapme_vegetation", "s2a"))
    ap.add_argument("--r-json", default="/var/tmp/bfast_monitor_s2_r.json")
    a = ap.parse_args()
    with open(a.r_json) as fh:
        rj = json.load(fh)

    pat = re.compile(r"^S2[AB]_38PLR_(\d{8})_0_L2A_B04\.tif$")
    b04 = sorted((m.group(1), f) for f in os.listdir(a.data) if (m := pat.match(f)))
    dates = [datetime.datetime.strptime(d, "%Y%m%d").date() for d, _ in b04]
    assert [d.isoformat() for d in dates] == rj["meta"]["dates"]
    t = np.array([decimal_year(d) for d in dates])
    start = decimal_year(datetime.date(2017, 7, 1))
    assert t.tolist() == rj["meta"]["times"] and start == rj["meta"]["start"]

    ndvi = []
    for _, f in b04:
        red = read_xyz(os.path.join(a.data, f))
        nir = read_xyz(os.path.join(a.data, f.replace("_B04.tif", "_B08.tif")))
        scl = read_xyz(os.path.join(a.data, f.replace("_B04.tif", "_SCL.tif")))
        r32, n32 = red.astype(np.float32), nir.astype(np.float32)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = (n32 - r32) / (n32 + r32)
        assert v.dtype == np.float32
        v = v.astype(np.float64)
        bad = (red == 0) | (nir == 0) | ~np.isfinite(v) | (scl == 0) | np.isin(scl, SCL_MASKED)
        v[bad] = np.nan
        ndvi.append(v)
    ndvi = np.array(ndvi)  # date, row, col

    bm.H = 1.0
    bm.CRITVAL = CRITVAL_H1_P10
    assert rj["meta"]["critical_value"] == CRITVAL_H1_P10

    r_run = {(p["col"], p["row"]): p for p in rj["pixels"]}
    r_skip = {(p["col"], p["row"]): p for p in rj["skipped"]}
    diff = bm.Diff()
    err_r, err_np = bm.Diff(), bm.Diff()  # R and numpy against the exact computation
    n_run = n_skip = n_break = 0
    margin = math.inf  # smallest | |MO_t| - boundary_t | over all run pixels
    margin_px = None
    for row in range(0, 200, STEP):
        for col in range(0, 200, STEP):
            y = ndvi[:, row, col]
            key = f"c{col}r{row}"
            rp = r_run.get((col, row)) or r_skip[(col, row)]
            rv = np.array([np.nan if x is None else x for x in rp["values"]])
            assert np.array_equal(np.isnan(rv), np.isnan(y)), key
            assert np.all(rv[~np.isnan(rv)] == y[~np.isnan(y)]), key  # bit for bit
            ok = ~np.isnan(y)
            nh = int((ok & (t < start)).sum())
            nm = int((ok & (t >= start)).sum())
            if nh < 3 or nm == 0:
                assert (col, row) in r_skip, key
                reason = "n_history < 3" if nh < 3 else "no monitoring observation"
                diff.exact(key, "reason", reason, rp["reason"])
                diff.exact(key, "n_history", nh, rp["n_history"])
                diff.exact(key, "n_monitor", nm, rp["n_monitor"])
                n_skip += 1
                continue
            assert (col, row) in r_run, key
            n_run += 1
            res = bm.bfm(t[ok], y[ok], t[ok], start, "all", 0)
            assert res["ok"] and res["window_K"] == nh == rp["window_K"]
            res["sigma"] = res["rmse_df"]
            for f in ("history_start", "history_end", "n_history", "n_monitor", "break_time",
                      "break_index"):
                diff.exact(key, f, res[f], rp[f])
            diff.num(key, "coefficients", res["coefficients"], rp["coefficients"], rel=True)
            for f in ("r_squared", "sigma", "magnitude"):
                diff.num(key, f, res[f], rp[f])
            # MOSUM values reach |MO| ~ 60 when sigma is tiny (n = 3, one degree of freedom):
            # compared relative to max(1, |MO|); the absolute differences are recorded
            diff.num(key, "mosum", res["mosum"], rp["mosum"], rel=True)
            diff.num(key, "max_abs_mosum", res["max_abs_mosum"], rp["max_abs_mosum"], rel=True)
            diff.num(key, "mosum_absolute", res["mosum"], rp["mosum"], tol=math.inf)
            ex = exact_run(t[ok], y[ok], nh)
            for who, d, src in (("R", err_r, rp), ("numpy", err_np, res)):
                d.num(key, "coefficients", src["coefficients"], ex["coefficients"], rel=True)
                for f in ("r_squared", "sigma", "magnitude"):
                    d.num(key, f, src[f], ex[f])
                d.num(key, "mosum", src["mosum"], ex["mosum"], rel=True)
                d.num(key, "mosum_absolute", src["mosum"], ex["mosum"], tol=math.inf)
            rb = rp["boundary"]
            rb = rb if isinstance(rb, list) else [rb] * len(res["boundary"])
            diff.num(key, "boundary", res["boundary"], rb)
            m = float(np.min(np.abs(np.abs(res["mosum"]) - np.array(res["boundary"]))))
            if m < margin:
                margin, margin_px = m, [col, row]
            n_break += res["break_time"] is not None
    assert n_run == len(r_run) and n_skip == len(r_skip)
    summary = {
        "generator": "tools/reference/bfast_monitor_s2_numpy.py",
        "python": platform.python_version(), "numpy": np.__version__,
        "reads": "gdal_translate -of XYZ (whole image)",
        "pixels_run": n_run, "pixels_skipped": n_skip, "breaks": n_break,
        "tolerance": TOL,
        "values_bit_identical": True,
        "compared": "coefficients and MOSUM relative to max(1, |value|), the rest absolute",
        "max_diff": diff.max,
        "max_err_r_vs_exact": err_r.max,
        "max_err_numpy_vs_exact": err_np.max,
        "min_margin_abs_mosum_vs_boundary": margin,
        "min_margin_pixel_col_row": margin_px,
    }
    print(f"numpy check: {n_run} run, {n_skip} skipped, {n_break} breaks; max diffs {diff.max}; "
          f"closest |MO| to the boundary: {margin:.3g} at col, row {margin_px}")
    print(f"against exact rational arithmetic: R {err_r.max}; numpy {err_np.max}")
    print("NUMPY_CHECK " + json.dumps(summary, allow_nan=False))


if __name__ == "__main__":
    main()
