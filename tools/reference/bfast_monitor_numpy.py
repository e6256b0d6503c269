#!/usr/bin/env python3
"""BFAST Monitor written from the papers' equations in numpy, checked against the R reference.

Verbesselt, J., Zeileis, A., Herold, M. (2012). Near real-time disturbance detection using
satellite image time series. Remote Sensing of Environment 123, 98-108.
doi:10.1016/j.rse.2012.02.022
Zeileis, A., Leisch, F., Kleiber, C., Hornik, K. (2005). Monitoring structural change in
dynamic econometric models. Journal of Applied Econometrics 20, 99-121.
Brown, R.L., Durbin, J., Evans, J.M. (1975). Techniques for testing the constancy of
regression relationships over time. JRSS B 37, 149-192.
Zeileis, A., Leisch, F., Hornik, K., Kleiber, C. (2002). strucchange: an R package for testing
for structural change in linear regression models. J. Statistical Software 7(2), 1-38.

Written independently of tools/reference/bfast_monitor_reference.R (which drives R's
strucchange); the same series, settings and conventions, so that every number can be compared.
Plain numpy + scipy (brentq, the normal cdf) + pandas for reading CSV; pixels are read with the
GDAL command-line tool gdallocationinfo.

Season-trend model (paper eq. 1 with the harmonic season of eq. 2, order K = 3):
    y_t = a1 + a2 * trend_t + sum_{j=1..K} [ g_j cos(2 pi j t) + d_j sin(2 pi j t) ] + e_t
  t = decimal time (years); trend_t = 1-based position in the regular series (true-date modis
  runs: trend_t = t). Columns: 1, trend, cos(2 pi t)..cos(2 pi K t), sin(2 pi t)..sin(2 pi K t).

Stable history, reversed-order CUSUM (paper section 2.3; Brown et al. 1975 recursive residuals):
  History = observations with t < start, put in reverse time order; k regressors, n rows.
    w_r = (y_r - x_r' b_{r-1}) / sqrt(1 + x_r' (X_{r-1}' X_{r-1})^{-1} x_r),  r = k+1..n,
  b_{r-1}, X_{r-1}: OLS on the first r-1 (reversed) rows; m = n - k residuals.
    sigma_w = sample standard deviation of w (divisor m - 1, mean removed)
    W_0 = 0,  W_j = sum_{i<=j} w_i / (sigma_w sqrt(m)),  j = 1..m
  Test (Brownian motion limit, max functional, Zeileis et al. 2002 sec. 3; Ploberger & Kramer):
    S = max_j |W_j| / (1 + 2 j / m)
    p(S) = 1 - 0.1465 S                                         for S < 0.3
    p(S) = 2 [1 - Phi(3S) + exp(-4S^2)(Phi(S) + Phi(5S) - 1) - exp(-16S^2)(1 - Phi(S))]  else
  If p(S) < 0.05: lambda solves p(lambda) = 0.05 (0.9479); j* = first j with
  |W_j| > lambda (1 + 2 j / m); the stable history starts at forward row (m + 1) - j* + 1
  (1-based), i.e. right after the crossing observation. Else it is the whole history.
  (R's boundary() finds lambda with uniroot to about 1e-4; this script solves it to 1e-15 and
  also reports whether the crossing is decided differently with R's lambda: it is not.)

OLS-MOSUM monitoring (Zeileis et al. 2005, eq. for the OLS-based MOSUM; Verbesselt 2012 eq. 3-4):
  b, sigma from OLS on the stable history (n obs):  sigma = sqrt(RSS / (n - k)).
  e_i = y_i - x_i' b for every observation from the history start on (N obs), h = 0.25,
    K = floor(h n),  MO_t = (1 / (sigma sqrt(n))) sum_{i = t-K+1}^{t} e_i,  t = n+1..N
  boundary_t = c sqrt(2 logPlus(t / n)),  logPlus(x) = log(x) if x > e else 1
  c = 1.3418245100762800: strucchange's simulated critical-value table (monitorMECritvalTable)
      at h = 0.25, period (end) = 10, max functional, 1 - alpha = 0.95 (a table node, so no
      interpolation). Not derivable from the papers' formulas; transcribed from the table.
  Break: first t with |MO_t| > boundary_t (time of that observation), none otherwise.
  Magnitude: median over observations with t >= start of (y_i - x_i' b).
  R^2 = 1 - RSS / sum (y - mean y)^2 on the stable history.

Times: a regular series of frequency f = 23 starting at period p0 of year Y0 has
  t_i = t0 + i * by, t0 = Y0 + (p0 - 1) / f, t_end = t0 + (n - 1) / f, by = (t_end - t0)/(n - 1),
  first and last exactly t0 and t_end (what R's time() of a ts computes, seq(from, to,
  length.out)); the monitoring start is year + (period - 1) / f. These doubles decide
  "t < start", so they are reproduced exactly. True dates: t = year + (doy - 1) / days_in_year.

Series and runs: as in bfast_monitor_reference.R (its docstring); 400 modis pixel runs
(25 pixels x 4 time conventions x history ROC/all x order 3/1) plus the named series.

Checks: every run is compared with R's full dump (--r-full, written by the R script, default
/var/tmp/bfast_monitor_r_full.json) and with the committed R fixture: history start, counts,
break time, break index and the ROC crossing exactly; coefficients to 1e-9 x max(1, |value|);
R^2, RMSE, MOSUM, boundary, magnitude, ROC statistic and p-value to 1e-9 absolute. Any
difference beyond that stops the script. One exception: strucchange's default recursive
residuals (recresid engine "R", used by efp(type = "Rec-CUSUM") and so by the ROC test) update
the fit row by row and carry rounding errors (measured on the residuals: 1.04e-8 on som
NDVI.a; on the ROC statistic up to ~1e-5 for the true-date modis runs, whose trend column is
the decimal year, a badly conditioned design); the ROC statistic and p-value are therefore
checked to 1e-9 against the same quantities from
recursive residuals that the R script computes with a fresh lm.fit per row (recorded as
statistic_direct / p_value_direct); the differences to the engine "R" values are only recorded
(max_abs_diff_vs_r_full_dump: roc.statistic_engine_r, roc.p_value_engine_r), not asserted.
(recresid's engine "C" is not used: it loses all precision on some of these designs.) The stable-history start is identical either way.

Run from the repository root (R script first):
    /var/tmp/venv-ts/bin/python tools/reference/bfast_monitor_numpy.py \
        [--data DIR] [--r-full FILE] [--r-fixture FILE] [--out FILE]
The fixture is generated by this script: do not edit it by hand.
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import subprocess
import sys

import numpy as np
import pandas as pd
import scipy
from scipy.optimize import brentq
from scipy.special import ndtr

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "crates", "raster", "tests", "fixtures", "timeseries")

H = 0.25
LEVEL = 0.05
FREQ = 23
CRITVAL = 1.3418245100762800  # monitorMECritvalTable["0.25", "10", "0.95", "max"]
TOL = 1e-9
TOL_ENGINE_R = math.inf  # recorded, not asserted (see docstring)


# ----------------------------------------------------------------------------- model pieces
def design(t, trend, order):
    t = np.asarray(t, dtype=float)
    cols = [np.ones_like(t), np.asarray(trend, dtype=float)]
    cols += [np.cos(2 * np.pi * k * t) for k in range(1, order + 1)]
    cols += [np.sin(2 * np.pi * k * t) for k in range(1, order + 1)]
    return np.column_stack(cols)


def ols(X, y):
    b, *_ = np.linalg.lstsq(X, y, rcond=None)
    return b


def recursive_residuals(X, y):
    n, k = X.shape
    w = np.empty(n - k)
    for r in range(k, n):  # 0-based row r uses rows 0..r-1
        Xa, ya = X[:r], y[:r]
        q, R = np.linalg.qr(Xa)
        b = np.linalg.solve(R, q.T @ ya)
        z = np.linalg.solve(R.T, X[r])
        w[r - k] = (y[r] - X[r] @ b) / math.sqrt(1.0 + z @ z)
    return w


def p_bm_max(s):
    """p-value of sup |W(t)| / (1 + 2t) for Brownian motion W (Zeileis et al. 2002)."""
    if s < 0.3:
        return 1.0 - 0.1465 * s
    return 2.0 * (1.0 - ndtr(3 * s) + math.exp(-4 * s * s) * (ndtr(s) + ndtr(5 * s) - 1.0)
                  - math.exp(-16 * s * s) * (1.0 - ndtr(s)))


LAMBDA = brentq(lambda x: p_bm_max(x) - LEVEL, 0.3, 5.0, xtol=1e-15, rtol=4 * np.finfo(float).eps)


def roc(X, y, t, lam_r=None):
    n, k = X.shape
    Xr, yr = X[::-1], y[::-1]
    w = recursive_residuals(Xr, yr)
    m = len(w)
    sig = np.std(w, ddof=1)
    W = np.cumsum(w) / (sig * math.sqrt(m))
    j = np.arange(1, m + 1)
    stat = float(np.max(np.abs(W) / (1 + 2 * j / m)))
    p = p_bm_max(stat)
    out = {"p_value": p, "statistic": stat, "lambda": LAMBDA, "m": m, "first_crossing_j": None}
    if p < LEVEL:
        cross = np.nonzero(np.abs(W) > LAMBDA * (1 + 2 * j / m))[0]
        jstar = int(cross[0]) + 1
        if lam_r is not None:  # the same decision with R's uniroot lambda?
            cross_r = np.nonzero(np.abs(W) > lam_r * (1 + 2 * j / m))[0]
            assert int(cross_r[0]) + 1 == jstar, "ROC crossing depends on lambda's last digits"
        idx = (m + 1) - jstar + 1
        out["first_crossing_j"] = jstar
    else:
        idx = 1
    out["start_row"] = idx
    out["start"] = float(t[idx - 1])
    return out


def bfm(t, y, trend, start, history, order, lam_r=None):
    """t, y, trend: the non-missing observations in time order; start: decimal time."""
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    X = design(t, trend, order)
    k = X.shape[1]
    hmask = t < start
    res = {"history": history}
    if history == "ROC":
        r = roc(X[hmask], y[hmask], t[hmask], lam_r)
        hstart = r["start"]
        res["roc"] = r
    else:
        hstart = float(t[hmask][0])
    sel = t >= hstart
    t, y, X = t[sel], y[sel], X[sel]
    hist = t < start
    n = int(hist.sum())
    b = ols(X[hist], y[hist])
    e = y - X @ b
    rss = float(e[hist] @ e[hist])
    yh = y[hist]
    res.update({
        "start": start, "history_start": hstart, "history_end": float(t[hist][-1]),
        "n_history": n, "n_monitor": int((t >= start).sum()), "n_regressors": k,
        "coefficients": b.tolist(),
        "r_squared": 1.0 - rss / float(((yh - yh.mean()) ** 2).sum()),
        "rmse_df": math.sqrt(rss / (n - k)), "rmse_n": math.sqrt(rss / n),
    })
    if math.floor(H * n) <= 1 or n <= k:
        res.update(ok=False, break_time=None, magnitude=None)
        return res
    sigma = res["rmse_df"]
    K = math.floor(H * n)
    N = len(y)
    cs = np.concatenate([[0.0], np.cumsum(e)])
    tt = np.arange(n + 1, N + 1)  # 1-based positions of the monitored observations
    mo = np.array([e[s - K:s].sum() for s in tt]) / (sigma * math.sqrt(n))
    x = tt / n
    bound = CRITVAL * np.sqrt(2 * np.where(x > math.e, np.log(np.maximum(x, 1.0)), 1.0))
    over = np.nonzero(np.abs(mo) > bound)[0]
    bi = int(over[0]) + 1 if len(over) else None
    res.update({
        "ok": True, "critical_value": CRITVAL, "window_K": K, "mosum_time": t[n:].tolist(),
        "mosum": mo.tolist(), "boundary": bound.tolist(),
        "break_time": float(t[n + bi - 1]) if bi else None, "break_index": bi,
        "magnitude": float(np.median(e[t >= start])),
        "max_abs_mosum": float(np.max(np.abs(mo))),
    })
    del cs
    return res


# ----------------------------------------------------------------------------- times, data
def ts_time(year0, period0, n, f=FREQ):
    t0 = year0 + (period0 - 1) / f
    t1 = t0 + (n - 1) / f
    by = (t1 - t0) / (n - 1)
    t = t0 + np.arange(n) * by
    t[-1] = t1
    return t


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        h.update(fh.read())
    return h.hexdigest()


def read_pixels(tif, nb):
    px = []
    for row in range(5):
        for col in range(5):
            out = subprocess.run(["gdallocationinfo", "-valonly", tif, str(col), str(row)],
                                 check=True, capture_output=True, text=True).stdout.split()
            v = np.array([float(s) for s in out])
            assert len(v) == nb
            px.append(v / 10000.0)
    return px


def runs(data, lam_r):
    """Yield (key, result) for every run, in the R script's order."""
    som = pd.read_csv(os.path.join(data, "som.csv"))
    t = ts_time(2000, 4, len(som))
    assert np.all(np.abs(np.round(t, 6) - som["Time"].to_numpy()) < 1e-9)
    start = 2010 + (13 - 1) / FREQ
    pos = np.arange(1, len(som) + 1)
    for col in ("NDVI.b", "NDVI.a"):
        y = som[col].to_numpy(float)
        ok = ~np.isnan(y)
        for hist in ("ROC", "all"):
            yield f"som_{col}_{hist}", bfm(t[ok], y[ok], pos[ok], start, hist, 3, lam_r)
    y = som["NDVI.b"].to_numpy(float)
    ok = ~np.isnan(y) & (t >= 2008 + (7 - 1) / FREQ)
    yield "som_NDVI.b_hist2008p7_order4", bfm(t[ok], y[ok], pos[ok], start, "all", 4, lam_r)

    sim = pd.read_csv(os.path.join(data, "simts.csv"))
    harv = pd.read_csv(os.path.join(data, "harvest.csv"))
    named = {
        "simts": ((sim["seasonal"] + sim["abrupt"] + sim["remainder"]).to_numpy(float), 2007.0),
        "harvest": (harv["harvest"].to_numpy(float), 2006.0),
    }
    for nm, (y, st) in named.items():
        t = ts_time(2000, 4, len(y))
        for hist in ("ROC", "all"):
            yield f"{nm}_{hist}", bfm(t, y, np.arange(1, len(y) + 1), st, hist, 3, lam_r)

    dates = pd.to_datetime(pd.read_csv(os.path.join(data, "modisraster_dates.csv"))["dates"])
    yr = dates.dt.year.to_numpy()
    doy = dates.dt.day_of_year.to_numpy()
    diy = np.where(((yr % 4 == 0) & (yr % 100 != 0)) | (yr % 400 == 0), 366, 365)
    t_true = yr + (doy - 1) / diy
    # bfastts-like 16-day index year + (doy - 1) / 16 / 23: all dates here fall on the
    # 16-day grid with no gap, so the regular ts is just 23 per year from the first date
    slot = (doy - 1) / 16
    assert np.all(slot == np.round(slot))
    idx = yr + slot / FREQ
    p0 = int(slot[0]) + 1
    t_reg = ts_time(int(yr[0]), p0, len(dates))
    assert np.all(np.abs(t_reg - idx) < 1e-9) and np.all(np.diff(np.round(idx * FREQ)) == 1)
    start_reg = 2010 + (12 - 1) / FREQ
    win_reg = 2011 + (14 - 1) / FREQ
    i_start = int(np.nonzero(dates == pd.Timestamp("2010-06-26"))[0][0])
    i_win = int(np.nonzero(dates == pd.Timestamp("2011-07-28"))[0][0])
    start_true, win_true = t_true[i_start], t_true[i_win]
    pos = np.arange(1, len(dates) + 1)
    pixels = read_pixels(os.path.join(data, "modisraster.tif"), len(dates))
    for p, x in enumerate(pixels):
        ok = ~np.isnan(x)
        for order in (3, 1):
            conv = {
                "reg_full": (t_reg, pos, ok, start_reg),
                "reg_win": (t_reg, pos, ok & (t_reg <= win_reg + 1e-8), start_reg),
                "true_full": (t_true, t_true, ok, start_true),
                "true_win": (t_true, t_true, ok & (t_true <= win_true), start_true),
            }
            for cv, (tt, tr, m, st) in conv.items():
                for hist in ("ROC", "all"):
                    yield (f"px{p:02d}_{cv}_{hist}_o{order}",
                           bfm(tt[m], x[m], tr[m], st, hist, order, lam_r))


# ----------------------------------------------------------------------------- comparison
class Diff:
    def __init__(self):
        self.max = {}

    def num(self, key, field, a, b, rel=False, tol=TOL):
        if a is None or b is None:
            assert a is None and b is None, (key, field, a, b)
            return
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
        assert a.shape == b.shape, (key, field, a.shape, b.shape)
        if a.size == 0:
            return
        d = np.abs(a - b)
        scale = np.maximum(1.0, np.abs(b)) if rel else 1.0
        worst = float(np.max(d / scale))
        self.max[field] = max(self.max.get(field, 0.0), worst)
        assert worst <= tol, f"{key}.{field}: numpy vs R differ by {worst:.3g}"

    def exact(self, key, field, a, b):
        assert a == b, f"{key}.{field}: numpy {a!r} vs R {b!r}"


def compare(key, mine, r, diff):
    for f in ("history_start", "n_history", "n_monitor", "break_time", "break_index"):
        if f in r:
            diff.exact(key, f, mine.get(f), r[f])
    if "history_end" in r:
        diff.exact(key, "history_end", mine["history_end"], r["history_end"])
    diff.num(key, "coefficients", mine["coefficients"], r["coefficients"], rel=True)
    for f in ("r_squared", "rmse_df", "rmse_n", "magnitude", "max_abs_mosum", "critical_value"):
        if f in r:
            diff.num(key, f, mine.get(f), r[f])
    if "mosum" in r:
        diff.num(key, "mosum", mine["mosum"], r["mosum"])
        rb = r["boundary"]
        rb = [rb] * len(mine["boundary"]) if not isinstance(rb, list) else rb
        diff.num(key, "boundary", mine["boundary"], rb)
    if "mosum_time" in r:
        diff.num(key, "mosum_time", mine["mosum_time"], r["mosum_time"])
    if "roc" in r:
        for f in ("start_row", "first_crossing_j", "m"):
            diff.exact(key, "roc." + f, mine["roc"][f], r["roc"][f])
        diff.num(key, "roc.statistic", mine["roc"]["statistic"], r["roc"]["statistic_direct"])
        diff.num(key, "roc.p_value", mine["roc"]["p_value"], r["roc"]["p_value_direct"])
        # strucchange's default (engine "R") recursive residuals: rounding, see docstring
        diff.num(key, "roc.statistic_engine_r", mine["roc"]["statistic"], r["roc"]["statistic"],
                 tol=TOL_ENGINE_R)
        diff.num(key, "roc.p_value_engine_r", mine["roc"]["p_value"], r["roc"]["p_value"],
                 tol=TOL_ENGINE_R)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "timeseries"))
    ap.add_argument("--r-full", default="/var/tmp/bfast_monitor_r_full.json")
    ap.add_argument("--r-fixture", default=os.path.join(FIX, "bfast_monitor_reference.json"))
    ap.add_argument("--out", default=os.path.join(FIX, "bfast_monitor_numpy.json"))
    a = ap.parse_args()
    data = os.path.normpath(a.data)
    with open(a.r_fixture) as fh:
        rfix = json.load(fh)
    rfull = None
    if os.path.exists(a.r_full):
        with open(a.r_full) as fh:
            rfull = json.load(fh)
    # R's uniroot lambda (same for every Rec-CUSUM): used only to check the crossing decision
    lam_r = rfix["series"]["som_NDVI.b_ROC"]["roc"]["lambda"]

    diff_fix, diff_full = Diff(), Diff()
    rows = []
    n_cmp_full = 0
    for key, res in runs(data, lam_r):
        r = rfix["series"].get(key) or rfix["modis"].get(key)
        if r is not None:
            compare(key, res, r, diff_fix)
        if rfull is not None:
            rf = rfull["series"].get(key) or rfull["modis"].get(key)
            assert rf is not None, key
            compare(key, res, rf, diff_full)
            n_cmp_full += 1
        rows.append([key, res["history_start"], res["n_history"], res.get("break_time"),
                     res.get("magnitude")])
        if not key.startswith("px"):
            print(f"{key:30s} hist {res['history_start']:.6f} n {res['n_history']:3d} "
                  f"R2 {res['r_squared']:.6f} break {res.get('break_time')} "
                  f"magnitude {res.get('magnitude')}")
    n_px = sum(1 for r in rows if r[0].startswith("px"))
    print(f"{len(rows)} runs ({n_px} modis pixel runs); compared with the R fixture: "
          f"max diffs {diff_fix.max}")
    if rfull is not None:
        print(f"compared {n_cmp_full} runs with R's full dump: max diffs {diff_full.max}")
    else:
        print(f"R's full dump {a.r_full} not found: compared with the committed fixture only")

    files = ["som.csv", "simts.csv", "harvest.csv", "modisraster.tif", "modisraster_dates.csv"]
    out = {
        "meta": {
            "generator": "tools/reference/bfast_monitor_numpy.py",
            "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "pandas": pd.__version__,
            "inputs_sha256": {f: sha256(os.path.join(data, f)) for f in files},
            "lambda_roc_5pct": LAMBDA, "lambda_roc_r_uniroot": lam_r,
            "critical_value": CRITVAL,
            "tolerance": TOL,
            "compared_with_r_full_dump_runs": n_cmp_full,
            "max_abs_diff_vs_r_fixture": diff_fix.max,
            "max_abs_diff_vs_r_full_dump": diff_full.max if rfull is not None else None,
            "columns": ["key", "history_start", "n_history", "break_time", "magnitude"],
            "keys": "as in bfast_monitor_reference.json; pxPP_<convention>_<history>_o<order>",
        },
        "rows": rows,
    }
    text = json.dumps(out, indent=1, allow_nan=False)
    # one row per line
    with open(a.out, "w") as fh:
        head, _, _ = text.partition('"rows": [')
        fh.write(head + '"rows": [\n')
        fh.write(",\n".join("  " + json.dumps(r, allow_nan=False) for r in rows))
        fh.write("\n ]\n}\n")
    json.load(open(a.out))
    print("wrote", a.out)


if __name__ == "__main__":
    main()
