"""terrawatt's forecast backtest beside mlforecast and skforecast (both with LightGBM) on the
same folds: every 15-minute origin of 2012, horizons 15..60 min, a daily refit on the 60
days before, the same clock-corrected PV series, scored on the same (origin, horizon) pairs.

What it does
------------
1. Runs terrawatt (``target/release/terrawatt`` by default, ``--tw``) three times, with
   ``--model gbm``, ``--model auto`` and ``--model linear``, each under ``/usr/bin/time -v``::

       terrawatt forecast backtest --data <DATA> --time-column measured_on --target ac_power_2 \\
         --interval 15min --horizon 1h --site-lat 39.7406 --site-lon -105.1775 \\
         --site-elevation 1730 --tilt 45 --azimuth 158 --fix-time-shift America/Denver \\
         --model <M> --start 2012-01-01 --end 2013-01-01 \\
         --report <OUT>/tw_<M>.json --out <OUT>/tw_<M>.csv

   terrawatt's defaults apply otherwise: lags 8, ``--train-window 60d``, ``--refit 1d``,
   boosting with 100 trees, depth 3, learning rate 0.1, subsample 0.8, 64 bins, 20 rows
   per leaf, seed 0. Its ``--out`` CSV has one row per (origin, horizon): ``origin, target,
   horizon_minutes, observed, forecast, persistence, diurnal, clear_sky, climatology,
   optimal_blend``; targets with the Sun down are forecast 0 and not scored.

2. Rebuilds the series terrawatt forecast. The file's stamps (``measured_on``, fixed
   -07:00 offset) are the logger's America/Denver wall clock, so during daylight-saving
   time they are an hour late. ``--fix-time-shift America/Denver`` re-reads each stamp as
   Denver wall-clock time (``report results.time_fix``: 63,211 values moved, 4 moved before
   the series start, none collided, none off the wall clock). This script does the same:
   ``tz_localize('America/Denver', ambiguous=DST, nonexistent=NaT)`` on the naive stamps,
   back to -07:00, reindexed to the full 15-minute grid (the repeated hour of each
   November gets no value: 2,908 NaN on the grid, as terrawatt reports). The 8 stamps
   that do not exist on the wall clock (spring-forward hours) are asserted to be NaN in
   the file. It then ASSERTS that this series equals terrawatt's ``observed`` column at
   every target stamp of every run's CSV (values within 1e-3 W, NaN at the same stamps)
   and its ``persistence`` column at every daytime origin, so the peers get exactly the
   series terrawatt corrected.

3. Exogenous features at each target stamp (on the corrected clock), computed exactly as
   ``skforecast_backtest.py`` does: sin/cos of the hour of day (period 24 h) and of the day
   of year (``dayofyear - 1``, period 365.25 d) from the -07:00 clock, and ``poa_clearsky``,
   pvlib's clear-sky plane-of-array irradiance (``Location(39.7406, -105.1775,
   tz='Etc/GMT+7', altitude=1730)``, solar position at the interval centre stamp + 7.5 min,
   Ineichen with ``linke_turbidity=3.0``, isotropic transposition, tilt 45, azimuth 158,
   albedo 0.2, ``poa_global``).

4. LightGBM for both peers: ``LGBMRegressor(n_estimators=100, max_depth=3,
   learning_rate=0.1, min_child_samples=20, subsample=0.8, subsample_freq=1, max_bin=63,
   num_leaves=8, random_state=0, verbose=-1, n_jobs=2)``, wrapped in a subclass whose
   ``fit`` drops the rows whose target is NaN (and counts the fits). NaN lags are kept
   and left to LightGBM's missing-value handling.

   - mlforecast: ``MLForecast(models={'lgbm': ...}, freq='15min', lags=range(1, 9))``
     with the 5 exogenous columns as dynamic features, ``cross_validation(h=4,
     step_size=1, n_windows=<origins>, refit=96, input_size=5760, max_horizon=4,
     dropna=False)``. Direct strategy: one LightGBM per horizon; mlforecast 1.1 joins the
     exogenous row of the target time (origin + h) to the horizon-h model, in training and
     in prediction. Window i's cutoff is the i-th origin; the models are refitted at
     windows 0, 96, 192, ... (each midnight) on the last 5,760 stamps up to and including
     the cutoff (the first 8 rows of each window carry partly NaN lags and are kept,
     ``dropna=False``); between refits mlforecast predicts from the new history
     (``new_df=train``). Timestamps are handed over naive, on the -07:00 clock.
   - skforecast: ``ForecasterDirect(steps=4, lags=8, dropna_from_series=False,
     n_jobs='auto')``, ``backtesting_forecaster`` with ``TimeSeriesFold(steps=4,
     fold_stride=1, initial_train_size=5760, refit=96, fixed_train_size=True,
     allow_incomplete_fold=False)``: one fold per 15-minute origin (4 overlapping
     predictions each), refit at folds 0, 96, ... (each midnight) on the 5,760 stamps
     before the fold's first target (the first 8 serve only as lags). Step-h estimator
     gets the exogenous row of the target time. skforecast's own metric is a NaN-skipping
     MAE (its built-in metrics refuse NaN observations); figures below are not skforecast's.

   Both peers are handed the series from 5,759 stamps before the first origin to 4 stamps
   after the last one, so their first training window is the same 5,760 stamps
   (2011-11-02T00:15 .. 2012-01-01T00:00 -07:00 for the full year).

Scoring
-------
Every tool's forecasts are joined on (origin, horizon) with terrawatt's rows. terrawatt
scores a pair when the target is in daylight, the observation is present, and the forecast
and every reference forecast are present; its CSV has no "scored" column, and daylight is
pvlib's clear-sky POA at the target > 0 (this reproduces terrawatt's counts exactly: 67,708
daylight pairs with an observation, 65,827 scored for gbm; the script asserts the per-horizon
counts against ``results.per_horizon[].n`` of each report). The shared pairs are those scored
by all three terrawatt runs and forecast (non-NaN) by both peers. On them, per horizon:
RMSE (W) of terrawatt gbm/auto/linear, mlforecast, skforecast, persistence (the corrected
observation at the origin) and clear-sky persistence (terrawatt's ``clear_sky`` column: the
origin's clear-sky index times the target's clear-sky POA); skill = 1 - RMSE/RMSE_ref
against persistence and against clear-sky persistence.

Timing: terrawatt's wall-clock and CPU (user + system) from ``/usr/bin/time -v`` of the
whole process (reading, clock fix, backtest, report); the peers' from ``time.perf_counter``
and ``time.process_time`` around the ``cross_validation`` / ``backtesting_forecaster`` call
only. The load average (1 min) is read before and after each. One run each, no warm-up, on
a shared 2-core machine: compare timings only with runs on the same machine and load.

Usage, from the repository root::

    python3 -m venv /var/tmp/venv-peers && /var/tmp/venv-peers/bin/pip install mlforecast \\
        skforecast lightgbm pvlib pandas pyarrow scikit-learn
    /var/tmp/venv-peers/bin/python benches/compare/forecast_peers_same_folds.py        # 2012
    /var/tmp/venv-peers/bin/python benches/compare/forecast_peers_same_folds.py \\
        --end 2012-02-01                                                  # January only
    # --reuse-terrawatt: use tw_*.csv/json/timing of a previous run in --outdir

    --start 2012-04-01 --end 2012-07-01 --outdir /tmp/peers/q2      # one quarter
    --skip mlforecast (or skforecast): leave a peer out (the shared pairs then ignore it)

Outputs (``--outdir``, default /tmp/peers): terrawatt's CSV/JSON reports, ``pairs.csv``
(every shared pair with all forecasts), and the tables on stdout.

Runs on this project's 2-core machine (2026-12-06, another tenant building; one run each).
Full year 2012 (35,136 origins, 65,827 shared pairs = all that terrawatt gbm scored): RMSE
15-60 min terrawatt gbm 370.1, auto 354.7, linear 358.2, mlforecast 364.7, skforecast 363.8,
persistence 465.6, clear-sky persistence 419.9 W. Wall-clock: terrawatt gbm 30.9 s, auto
76.7 s, linear 3.0 s (load 2-5.6); mlforecast 997 s, skforecast 114 s (load 0.1-1.9).
April-June 2012 alone (load ~3.6-4.0): mlforecast 598 s, skforecast 153 s; October-December
(load ~2): 321 s and 29 s. The peers' time is dominated by per-origin overhead (a one-row
prediction per horizon and origin; LightGBM with n_jobs=2 slows down several-fold when
another process holds a core).

Written against mlforecast 1.1.0 (utilsforecast 0.2.17), skforecast 0.26.0, lightgbm 4.7.0,
scikit-learn 1.9.1, pandas 2.3.3, numpy 2.4.6, pvlib 0.16.1, pyarrow 26.0.1, Python 3.11.7.
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
import warnings

import lightgbm
import numpy as np
import pandas as pd
import pvlib
import sklearn
from lightgbm import LGBMRegressor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# the calendar terms and clear-sky POA of the earlier skforecast comparison, the same here
from skforecast_backtest import exogenous  # noqa: E402

DEFAULT_DATA = "/work/shared/data/solar/pvdaq/system_50_ac_power_2_full_DST.parquet"
STEP = pd.Timedelta("15min")
H = 4
LAGS = 8
REFIT = 96
TRAIN_SIZE = 60 * 96
TZ = "-07:00"
MISSING = -99999.0  # stands for NaN in mlforecast's copy of the target
TW_MODELS = ["gbm", "auto", "linear"]
REFS = ["persistence", "diurnal", "clear_sky", "climatology", "optimal_blend"]
LGBM_PARAMS = dict(
    n_estimators=100, max_depth=3, learning_rate=0.1, min_child_samples=20, subsample=0.8,
    subsample_freq=1, max_bin=63, num_leaves=8, random_state=0, verbose=-1, n_jobs=2,
)


class NanDropLGBM(LGBMRegressor):
    """LGBMRegressor that reads MISSING as NaN in X and y, drops the training rows whose
    target is NaN, and counts its fits (mlforecast refuses NaN in the target column, so
    its copy of the series carries MISSING instead; see the docstring)."""

    n_fits = 0
    n_rows = 0

    @staticmethod
    def _nan(X):
        if hasattr(X, "mask"):
            return X.mask(X == MISSING)
        X = np.asarray(X, dtype=float)
        return np.where(X == MISSING, np.nan, X)

    def fit(self, X, y, *args, **kwargs):
        X = self._nan(X)
        y = np.asarray(y, dtype=float)
        ok = np.isfinite(y) & (y != MISSING)
        if not ok.all():
            X = X.iloc[ok] if hasattr(X, "iloc") else X[ok]
            y = y[ok]
        NanDropLGBM.n_fits += 1
        NanDropLGBM.n_rows += len(y)
        return super().fit(X, y, *args, **kwargs)

    def predict(self, X, *args, **kwargs):
        return super().predict(self._nan(X), *args, **kwargs)


def load_corrected(path):
    """The file's series with its stamps re-read as America/Denver wall clock, on the
    full -07:00 15-minute grid (terrawatt's --fix-time-shift America/Denver)."""
    df = pd.read_parquet(path, columns=["measured_on", "ac_power_2"])
    s = df.set_index("measured_on")["ac_power_2"].astype("float64").sort_index()
    if s.index.has_duplicates:
        raise SystemExit("duplicated stamps")
    naive = s.index.tz_convert(TZ).tz_localize(None)
    local = naive.tz_localize(
        "America/Denver", ambiguous=np.ones(len(naive), dtype=bool), nonexistent="NaT"
    )
    off_clock = local.isna()
    if s[off_clock].notna().any():
        raise SystemExit("values on stamps that do not exist on the Denver wall clock")
    fixed = pd.Series(s.to_numpy()[~off_clock], index=local[~off_clock].tz_convert(TZ))
    if fixed.index.has_duplicates:
        raise SystemExit("the clock fix made two values collide")
    grid = pd.date_range(s.index[0], s.index[-1], freq=STEP)
    out = (fixed.index < grid[0]) | (fixed.index > grid[-1])
    outside = int(out.sum())
    moved = int(((fixed.index != s.index[~off_clock]) & fixed.notna().to_numpy() & ~out).sum())
    y = fixed.reindex(grid)
    y.index.name = "measured_on"
    y.name = "ac_power_2"
    return y, dict(rows=len(s), moved=moved, outside=outside, off_clock=int(off_clock.sum()),
                   nan_file=int(s.isna().sum()), nan_grid=int(y.isna().sum()))


def parse_gnu_time(path):
    txt = open(path).read()
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", txt).group(1))
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", txt).group(1))
    el = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", txt).group(1)
    wall = 0.0
    for part in el.split(":"):
        wall = wall * 60 + float(part)
    return wall, user + system


def run_terrawatt(args, model):
    base = os.path.join(args.outdir, f"tw_{model}")
    if args.reuse_terrawatt and os.path.exists(base + ".timing.json"):
        return json.load(open(base + ".timing.json"))
    cmd = [
        args.tw, "forecast", "backtest", "--data", args.data, "--time-column", "measured_on",
        "--target", "ac_power_2", "--interval", "15min", "--horizon", "1h",
        "--site-lat", "39.7406", "--site-lon", "-105.1775", "--site-elevation", "1730",
        "--tilt", "45", "--azimuth", "158", "--fix-time-shift", "America/Denver",
        "--model", model, "--start", args.start, "--end", args.end,
        "--report", base + ".json", "--out", base + ".csv",
    ]
    load_before = os.getloadavg()[0]
    with open(base + ".stdout", "w") as out:
        subprocess.run(["/usr/bin/time", "-v", "-o", base + ".time"] + cmd, stdout=out,
                       stderr=subprocess.STDOUT, check=True)
    load_after = os.getloadavg()[0]
    wall, cpu = parse_gnu_time(base + ".time")
    t = dict(tool=f"terrawatt {model}", wall=wall, cpu=cpu, load_before=load_before,
             load_after=load_after, cmd=" ".join(cmd))
    json.dump(t, open(base + ".timing.json", "w"))
    return t


def read_tw(args, model):
    base = os.path.join(args.outdir, f"tw_{model}")
    d = pd.read_csv(base + ".csv")
    d["origin"] = pd.to_datetime(d["origin"])
    d["target"] = pd.to_datetime(d["target"])
    d["horizon"] = d["horizon_minutes"] // 15
    if not (d["target"] - d["origin"] == d["horizon"] * STEP).all():
        raise SystemExit(f"{base}.csv: target != origin + horizon")
    rep = json.load(open(base + ".json"))["results"]
    return d.set_index(["origin", "horizon"]).sort_index(), rep


def timed(fn):
    load_before = os.getloadavg()[0]
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return out, dict(wall=wall, cpu=cpu, load_before=load_before, load_after=os.getloadavg()[0])


def run_mlforecast(y, exog, n_origins):
    from mlforecast import MLForecast

    df = exog.copy()
    df.insert(0, "y", y.fillna(MISSING).to_numpy())
    df.insert(0, "ds", y.index.tz_localize(None))
    df.insert(0, "unique_id", "system50")
    df = df.reset_index(drop=True)
    fcst = MLForecast(models={"lgbm": NanDropLGBM(**LGBM_PARAMS)}, freq="15min",
                      lags=list(range(1, LAGS + 1)))
    NanDropLGBM.n_fits = NanDropLGBM.n_rows = 0

    def call():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fcst.cross_validation(
                df, n_windows=n_origins, h=H, step_size=1, refit=REFIT, input_size=TRAIN_SIZE,
                max_horizon=H, dropna=False, static_features=[],
            )

    cv, t = timed(call)
    t.update(tool="mlforecast", fits=NanDropLGBM.n_fits, rows_per_fit=NanDropLGBM.n_rows / max(1, NanDropLGBM.n_fits))
    cv["origin"] = cv["cutoff"].dt.tz_localize(TZ)
    cv["horizon"] = ((cv["ds"] - cv["cutoff"]) / STEP).astype(int)
    return cv.set_index(["origin", "horizon"])["lgbm"].rename("mlforecast").sort_index(), t


def run_skforecast(y, exog):
    from skforecast.direct import ForecasterDirect
    from skforecast.model_selection import TimeSeriesFold, backtesting_forecaster

    def nan_mae(y_true, y_pred):
        a, b = np.asarray(y_true, float), np.asarray(y_pred, float)
        ok = np.isfinite(a)
        return float(np.mean(np.abs(a[ok] - b[ok]))) if ok.any() else float("nan")

    forecaster = ForecasterDirect(estimator=NanDropLGBM(**LGBM_PARAMS), steps=H, lags=LAGS,
                                  dropna_from_series=False, n_jobs="auto")
    cv = TimeSeriesFold(steps=H, fold_stride=1, initial_train_size=TRAIN_SIZE, refit=REFIT,
                        fixed_train_size=True, allow_incomplete_fold=False, verbose=False)
    NanDropLGBM.n_fits = NanDropLGBM.n_rows = 0

    def call():
        return backtesting_forecaster(forecaster=forecaster, y=y, cv=cv, metric=nan_mae,
                                      exog=exog, n_jobs="auto", show_progress=False,
                                      suppress_warnings=True)

    (_, preds), t = timed(call)
    t.update(tool="skforecast", fits=NanDropLGBM.n_fits, rows_per_fit=NanDropLGBM.n_rows / max(1, NanDropLGBM.n_fits))
    preds = preds.copy()
    preds["target"] = preds.index
    preds["horizon"] = preds.groupby("fold").cumcount() + 1
    first = preds.groupby("fold")["target"].transform("first")
    preds["origin"] = first - STEP
    if not (preds["target"] == preds["origin"] + preds["horizon"] * STEP).all():
        raise SystemExit("skforecast: predictions are not 15-minute steps from the origin")
    return preds.set_index(["origin", "horizon"])["pred"].rename("skforecast").sort_index(), t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--tw", default="target/release/terrawatt")
    ap.add_argument("--start", default="2012-01-01", help="first origin (date, -07:00 clock)")
    ap.add_argument("--end", default="2013-01-01", help="end of the origins (exclusive)")
    ap.add_argument("--outdir", default="/tmp/peers")
    ap.add_argument("--reuse-terrawatt", action="store_true")
    ap.add_argument("--skip", default="", help="comma-separated peers to skip (mlforecast,skforecast)")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    skip = set(filter(None, args.skip.split(",")))

    import mlforecast, skforecast, utilsforecast  # noqa: E401

    print(f"run at {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}; "
          f"{platform.machine()}, {os.cpu_count()} CPUs")
    print(f"python {platform.python_version()}, mlforecast {mlforecast.__version__}, "
          f"utilsforecast {utilsforecast.__version__}, skforecast {skforecast.__version__}, "
          f"lightgbm {lightgbm.__version__}, scikit-learn {sklearn.__version__}, pandas "
          f"{pd.__version__}, numpy {np.__version__}, pvlib {pvlib.__version__}")
    tw_version = subprocess.run([args.tw, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"terrawatt: {args.tw} ({tw_version})")

    timings = []
    for m in TW_MODELS:
        timings.append(run_terrawatt(args, m))
        print(f"terrawatt {m}: {timings[-1]['wall']:.1f} s")
        sys.stdout.flush()
    tw = {}
    for m in TW_MODELS:
        tw[m] = read_tw(args, m)

    y_all, info = load_corrected(args.data)
    print(f"corrected series: {info}")
    exog_all = exogenous(y_all.index)

    first_origin = pd.Timestamp(args.start + "T00:00" + TZ)
    last_origin = pd.Timestamp(args.end + "T00:00" + TZ) - STEP
    origins = pd.date_range(first_origin, last_origin, freq=STEP)
    n_origins = len(origins)

    # Same series as terrawatt: assert on every stamp of every CSV.
    for m, (d, rep) in tw.items():
        tgt = d["target"].to_numpy()
        a = y_all.reindex(pd.DatetimeIndex(tgt)).to_numpy()
        b = d["observed"].to_numpy()
        same_nan = np.isnan(a) == np.isnan(b)
        both = ~np.isnan(a) & ~np.isnan(b)
        if not same_nan.all() or not np.allclose(a[both], b[both], atol=1e-3, rtol=0):
            raise SystemExit(f"tw_{m}.csv observed != corrected series "
                             f"({(~same_nan).sum()} NaN mismatches)")
        poa_t = exog_all["poa_clearsky"].reindex(pd.DatetimeIndex(tgt)).to_numpy()
        o = y_all.reindex(d.index.get_level_values("origin")).to_numpy()
        p = d["persistence"].to_numpy()
        chk = (poa_t > 0) & ~np.isnan(o) & ~np.isnan(p)
        if not np.allclose(o[chk], p[chk], atol=1e-3, rtol=0):
            raise SystemExit(f"tw_{m}.csv persistence != corrected series at the origin")
        if (np.isnan(p) & (poa_t > 0) & ~np.isnan(o)).any():
            raise SystemExit(f"tw_{m}.csv persistence missing where the origin is observed")
        if sorted(set(d.index.get_level_values("origin"))) != list(origins):
            raise SystemExit(f"tw_{m}.csv origins differ from {args.start} .. {args.end}")
        # terrawatt's scored pairs: daylight (clear-sky POA > 0), observed, forecast and refs.
        scored = (poa_t > 0) & d["observed"].notna().to_numpy() & \
            d[["forecast"] + REFS].notna().all(axis=1).to_numpy()
        d["scored"] = scored
        n_rep = [r["n"] for r in rep["per_horizon"]]
        n_mine = [int(scored[d.index.get_level_values("horizon") == h].sum()) for h in range(1, H + 1)]
        if n_rep != n_mine:
            raise SystemExit(f"tw_{m}: scored pairs per horizon {n_mine} != report {n_rep}")
        print(f"tw_{m}.csv: {len(d)} rows; observed == corrected series on all "
              f"{int(both.sum())} present stamps, NaN on the same {int(np.isnan(b).sum())}; "
              f"scored per horizon {n_mine} == report; time_fix {json.dumps({k: v for k, v in rep['time_fix'].items() if k not in ('before', 'after')})}")

    train_start = first_origin - (TRAIN_SIZE - 1) * STEP
    last_target = last_origin + H * STEP
    y = y_all.loc[train_start:last_target].asfreq(STEP)
    exog = exog_all.loc[y.index]
    if y.index[0] != train_start or y.index[-1] != last_target:
        raise SystemExit("the data do not cover the training window and the last target")
    print(f"peer series: {y.index[0]} .. {y.index[-1]} ({len(y)} stamps, {int(y.isna().sum())} "
          f"NaN); {n_origins} origins {first_origin} .. {last_origin}")
    sys.stdout.flush()

    peers = {}
    if "mlforecast" not in skip:
        peers["mlforecast"], t = run_mlforecast(y, exog, n_origins)
        timings.append(t)
        print(f"mlforecast: {t}")
        sys.stdout.flush()
    if "skforecast" not in skip:
        peers["skforecast"], t = run_skforecast(y, exog)
        timings.append(t)
        print(f"skforecast: {t}")
        sys.stdout.flush()

    base = tw["gbm"][0]
    pairs = pd.DataFrame(index=base.index)
    pairs["target"] = base["target"]
    pairs["observed"] = base["observed"]
    pairs["persistence"] = y_all.reindex(pairs.index.get_level_values("origin")).to_numpy()
    pairs["clear_sky_persistence"] = base["clear_sky"]
    if not np.allclose(tw["auto"][0]["clear_sky"].reindex(pairs.index),
                       base["clear_sky"], equal_nan=True, atol=1e-3):
        print("note: the clear_sky reference differs between terrawatt runs; gbm's is used")
    shared = pd.Series(True, index=pairs.index)
    for m, (d, _) in tw.items():
        pairs[f"terrawatt {m}"] = d["forecast"].reindex(pairs.index)
        shared &= d["scored"].reindex(pairs.index).fillna(False).astype(bool)
    for name, p in peers.items():
        if p.index.has_duplicates:
            raise SystemExit(f"{name}: duplicated (origin, horizon)")
        pairs[name] = p.reindex(pairs.index)
        n_missing = int(pairs[name].isna().sum())
        print(f"{name}: {len(p)} forecasts, {n_missing} of terrawatt's pairs without one")
        shared &= pairs[name].notna()
    pairs["shared"] = shared
    pairs.to_csv(os.path.join(args.outdir, "pairs.csv"))

    tools = [f"terrawatt {m}" for m in TW_MODELS] + list(peers) + ["persistence", "clear_sky_persistence"]
    hz = pairs.index.get_level_values("horizon")
    print(f"\nshared pairs: {int(shared.sum())} (terrawatt gbm scored "
          f"{int(tw['gbm'][0]['scored'].sum())})\n")
    print("| horizon | pairs | tool | RMSE (W) | skill vs persistence | skill vs clear-sky persistence |")
    print("|---|---|---|---|---|---|")
    for h in list(range(1, H + 1)) + ["all"]:
        m = shared.to_numpy() & ((hz == h) if h != "all" else True)
        obs = pairs["observed"].to_numpy()[m]
        rmse = {t: float(np.sqrt(np.mean((pairs[t].to_numpy()[m] - obs) ** 2))) for t in tools}
        for t in tools:
            label = f"{h * 15} min" if h != "all" else "15-60 min"
            print(f"| {label} | {int(m.sum())} | {t} | {rmse[t]:.1f} | "
                  f"{1 - rmse[t] / rmse['persistence']:.3f} | "
                  f"{1 - rmse[t] / rmse['clear_sky_persistence']:.3f} |")
    print("\n| tool | wall (s) | CPU (s) | load 1-min before -> after | fits |")
    print("|---|---|---|---|---|")
    for t in timings:
        fits = f"{t['fits']} LightGBM fits, {t['rows_per_fit']:.0f} rows each" if "fits" in t else ""
        print(f"| {t['tool']} | {t['wall']:.1f} | {t['cpu']:.1f} | "
              f"{t['load_before']:.2f} -> {t['load_after']:.2f} | {fits} |")


if __name__ == "__main__":
    main()
