"""Speed and accuracy of a skforecast backtest of 15-minute PV power, 1 hour ahead, to set
beside terrawatt's own backtest of the same series.

What it does
------------
Reads PVDAQ system 50 (``ac_power_2``, AC power in W, 15-minute stamps at a fixed
-07:00 offset) from ``/work/shared/data/solar/pvdaq/system_50_ac_power_2_full_DST.parquet``,
indexes it by ``measured_on`` and reindexes it to a complete 15-minute grid (missing
stamps become NaN; the file in shared/ has none missing, only 2,904 NaN values).

Exogenous features, one row per target time, computed once for the whole grid:

- calendar: sin/cos of the hour of day (``hour + minute/60``, period 24 h) and
  sin/cos of the day of year (``dayofyear - 1``, period 365.25 d), from the stamp's
  clock time at -07:00;
- ``poa_clearsky``: plane-of-array clear-sky irradiance (W/m2) of the array from pvlib:
  ``Location(39.7406, -105.1775, tz='Etc/GMT+7', altitude=1730)``, solar position
  (``get_solarposition``, pvlib's default ``nrel_numpy``) at the interval centre
  (stamp + 7.5 min), Ineichen clear sky with constant ``linke_turbidity=3.0``, then
  ``irradiance.get_total_irradiance(surface_tilt=45, surface_azimuth=158,
  model='isotropic', albedo=0.2)`` on the apparent zenith and ``poa_global`` kept.

Model: skforecast ``ForecasterDirect`` (one estimator per step, ``steps=4`` = 1 h ahead
at 15 min, ``lags=8``) with
``HistGradientBoostingRegressor(max_iter=200, max_depth=6, learning_rate=0.1,
random_state=0)`` and the exogenous features above; skforecast's direct forecaster gives
the step-h estimator the exogenous row of the target time t+h.

Missing values: skforecast 0.26 accepts NaN in the target, so nothing is filled.
``ForecasterDirect`` drops the training rows whose target is NaN (it warns
``MissingValuesWarning``), and with ``dropna_from_series=False`` (the default) it keeps
rows whose lag predictors hold NaN; HistGradientBoostingRegressor handles NaN predictors
natively, so forecasts are made from last windows that contain NaN as well. The one
place skforecast 0.26 fails on NaN is the metric it computes inside
``backtesting_forecaster`` (scikit-learn's ``mean_absolute_error`` refuses NaN in
``y_true``), so the backtest is given a NaN-skipping MAE instead; the figures reported
below are computed by this script from the returned predictions, not by skforecast.
The backtest runs with ``suppress_warnings=True``, which hides those
``MissingValuesWarning`` boxes (one per fit) and the long-training warning.

Backtest: ``backtesting_forecaster`` with ``TimeSeriesFold(steps=4, refit=24,
fixed_train_size=True, initial_train_size=5760)``. The series handed to it starts
60 days (5,760 stamps) before the first target, so the first training window is
2011-11-02T00:00 .. 2011-12-31T23:45 -07:00 (its first 8 stamps serve only as lags).
Folds are 4 stamps (1 h) long and back to back (``fold_stride`` = steps), so the
targets are every 15-minute stamp of the evaluation period exactly once: 2012-01-01T00:00
.. 2012-12-31T23:45 for the full run (8,784 folds, 35,136 predictions), January 2012
for ``--quick`` (744 folds, 2,976 predictions). A fold's forecast origin is the last
stamp before its first target; the i-th prediction of a fold is horizon i (i * 15 min
after the origin). The forecaster is fitted before fold 0 and refitted every 24 folds
(daily), each time on the 5,760 stamps before the fold (a rolling 60-day window); each
fit trains 4 estimators. ``n_jobs='auto'`` is passed to both the forecaster and the
backtest: skforecast 0.26 forces the backtest to ``n_jobs=1`` whenever ``refit`` is an
integer other than 1 (folds between refits must run in order), and resolves the
forecaster's per-step fitting to ``cpu_count() - 1`` jobs (1 on a 2-core machine).
scikit-learn's histogram boosting still uses its own OpenMP threads (all cores unless
``OMP_NUM_THREADS`` is set). The script prints what was resolved.

Timing: ``time.perf_counter()`` around the ``backtesting_forecaster`` call only (it
includes the initial fit, every refit, every prediction and skforecast's own metric;
it excludes reading the file and pvlib). Timings are wall-clock on the machine the
script runs on, in one run, no warm-up; compare them only with runs on the same machine.
The process CPU time and the load average before and after the call are printed too:
histogram boosting's OpenMP threads slow down several-fold when another process holds
a core, so a run with a load average well above the core count is not a clean timing.
``--omp-threads N`` limits the OpenMP (and BLAS) thread pools to N for the backtest
through threadpoolctl; with N = 1 the timing is single-threaded and far steadier on a
shared 2-core machine. Without it the libraries' defaults apply (all cores).

Accuracy: RMSE and MAE in W per horizon 1..4, on daytime rows only: target stamps where
the clear-sky POA is > 0, the observation at the target is present and the observation
at the fold's origin is present. The same rows score naive persistence (the observed
value at the origin, for every horizon), so model and persistence are compared on
identical rows. The skill is ``1 - RMSE_model / RMSE_persistence``.

Usage, from the repository root:

    python3 -m venv /tmp/venv-skf && /tmp/venv-skf/bin/pip install skforecast \\
        scikit-learn pandas pyarrow pvlib
    /tmp/venv-skf/bin/python benches/compare/skforecast_backtest.py --quick   # January 2012
    /tmp/venv-skf/bin/python benches/compare/skforecast_backtest.py           # all of 2012
    /tmp/venv-skf/bin/python benches/compare/skforecast_backtest.py --omp-threads 1

One run on this project's 2-core machine (2026-11-28, another tenant keeping the load
average near 3 throughout), full year with ``--omp-threads 1``: 554 s wall-clock,
366 fits, 35,136 predictions, daytime RMSE over horizons 1..4 389.4 W against 454.7 W for
persistence on the same 16,898 rows. January with ``--quick``: 37 s with
``--omp-threads 1``, 360 s with the default two OpenMP threads under the same load.

Written against skforecast 0.26.0, scikit-learn 1.9.1, pandas 2.3.3, numpy 2.4.6,
pvlib 0.16.1, pyarrow 26.0.1 and threadpoolctl (a scikit-learn dependency) on Python 3.11.
"""

import argparse
import datetime
import os
import platform
import sys
import time
import warnings

import joblib
import numpy as np
import threadpoolctl
import pandas as pd
import pvlib
import sklearn
import skforecast
from pvlib.location import Location
from sklearn.ensemble import HistGradientBoostingRegressor
from skforecast.direct import ForecasterDirect
from skforecast.model_selection import TimeSeriesFold, backtesting_forecaster

DEFAULT_DATA = "/work/shared/data/solar/pvdaq/system_50_ac_power_2_full_DST.parquet"
STEP = pd.Timedelta("15min")
STEPS = 4  # 1 hour ahead at 15 minutes
LAGS = 8
REFIT_EVERY = 24  # folds of 1 hour: a daily refit
TRAIN_DAYS = 60
TRAIN_SIZE = TRAIN_DAYS * 96
TZ = "-07:00"
LAT, LON, ALTITUDE = 39.7406, -105.1775, 1730.0
TILT, AZIMUTH, ALBEDO = 45.0, 158.0, 0.2
LINKE_TURBIDITY = 3.0


def load_series(path):
    df = pd.read_parquet(path, columns=["measured_on", "ac_power_2"])
    s = df.set_index("measured_on")["ac_power_2"].astype("float64").sort_index()
    if s.index.has_duplicates:
        raise SystemExit(f"{path}: duplicated timestamps")
    grid = pd.date_range(s.index[0], s.index[-1], freq=STEP)
    n_missing_stamps = len(grid) - len(s)
    y = s.reindex(grid)
    y.index.name = "measured_on"
    y.name = "ac_power_2"
    return y, len(s), n_missing_stamps


def exogenous(index):
    """Calendar terms and the array's clear-sky POA at each stamp of ``index``."""
    hour = index.hour + index.minute / 60.0
    doy = index.dayofyear - 1
    exog = pd.DataFrame(
        {
            "hour_sin": np.sin(2 * np.pi * hour / 24.0),
            "hour_cos": np.cos(2 * np.pi * hour / 24.0),
            "doy_sin": np.sin(2 * np.pi * doy / 365.25),
            "doy_cos": np.cos(2 * np.pi * doy / 365.25),
        },
        index=index,
    )
    loc = Location(LAT, LON, tz="Etc/GMT+7", altitude=ALTITUDE)
    centre = index + STEP / 2
    solpos = loc.get_solarposition(centre)
    cs = loc.get_clearsky(
        centre, model="ineichen", solar_position=solpos, linke_turbidity=LINKE_TURBIDITY
    )
    poa = pvlib.irradiance.get_total_irradiance(
        surface_tilt=TILT,
        surface_azimuth=AZIMUTH,
        solar_zenith=solpos["apparent_zenith"],
        solar_azimuth=solpos["azimuth"],
        dni=cs["dni"],
        ghi=cs["ghi"],
        dhi=cs["dhi"],
        albedo=ALBEDO,
        model="isotropic",
    )
    exog["poa_clearsky"] = poa["poa_global"].to_numpy()
    return exog


def nan_mae(y_true, y_pred):
    """MAE over the rows where the observation is present (skforecast's built-in
    metrics refuse NaN in y_true)."""
    t = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    ok = np.isfinite(t)
    return float(np.mean(np.abs(t[ok] - p[ok]))) if ok.any() else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", nargs="?", default=DEFAULT_DATA)
    ap.add_argument("--quick", action="store_true", help="backtest January 2012 only")
    ap.add_argument(
        "--omp-threads", type=int, default=None, metavar="N",
        help="limit OpenMP/BLAS threads to N (threadpoolctl) for the backtest; "
        "default: the libraries' own (all cores)",
    )
    args = ap.parse_args()

    first_target = pd.Timestamp("2012-01-01T00:00" + TZ)
    last_target = pd.Timestamp(
        ("2012-01-31T23:45" if args.quick else "2012-12-31T23:45") + TZ
    )
    train_start = first_target - pd.Timedelta(days=TRAIN_DAYS)

    print(f"skforecast backtest, {'quick (January 2012)' if args.quick else 'full year 2012'}")
    print(f"run at {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}")
    print(
        f"python {platform.python_version()}, skforecast {skforecast.__version__}, "
        f"scikit-learn {sklearn.__version__}, pandas {pd.__version__}, numpy {np.__version__}, "
        f"pvlib {pvlib.__version__}, joblib {joblib.__version__}"
    )
    print(
        f"machine: {platform.machine()}, os.cpu_count() {os.cpu_count()}, "
        f"joblib.cpu_count() {joblib.cpu_count()}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"
    )

    y_all, n_rows, n_missing_stamps = load_series(args.data)
    print(
        f"data: {args.data}: {n_rows} rows, {y_all.index[0]} .. {y_all.index[-1]}; "
        f"{n_missing_stamps} stamps added by the reindex; {int(y_all.isna().sum())} NaN on the grid"
    )
    exog_all = exogenous(y_all.index)

    y = y_all.loc[train_start:last_target].asfreq(STEP)
    exog = exog_all.loc[y.index]
    if y.index[0] != train_start or y.index[TRAIN_SIZE] != first_target:
        raise SystemExit("the series does not cover the training window")
    n_targets = len(y) - TRAIN_SIZE
    print(
        f"backtest series: {y.index[0]} .. {y.index[-1]} ({len(y)} stamps, "
        f"{int(y.isna().sum())} NaN; training window {TRAIN_SIZE} stamps, "
        f"{int(y.iloc[:TRAIN_SIZE].isna().sum())} NaN in the first one); "
        f"targets {first_target} .. {last_target} ({n_targets} stamps, "
        f"{int(y.iloc[TRAIN_SIZE:].isna().sum())} NaN)"
    )

    estimator = HistGradientBoostingRegressor(
        max_iter=200, max_depth=6, learning_rate=0.1, random_state=0
    )
    forecaster = ForecasterDirect(
        estimator=estimator, steps=STEPS, lags=LAGS, dropna_from_series=False, n_jobs="auto"
    )
    cv = TimeSeriesFold(
        steps=STEPS,
        initial_train_size=TRAIN_SIZE,
        refit=REFIT_EVERY,
        fixed_train_size=True,
        allow_incomplete_fold=False,
        verbose=False,
    )

    # What the folds and n_jobs resolve to (outside the timed call).
    from skforecast.model_selection._utils import select_n_jobs_backtesting
    from skforecast.utils import select_n_jobs_fit_forecaster

    n_jobs_backtest = select_n_jobs_backtesting(forecaster=forecaster, refit=REFIT_EVERY)
    n_jobs_fit = select_n_jobs_fit_forecaster("ForecasterDirect", estimator)
    cv_check = TimeSeriesFold(
        steps=STEPS, initial_train_size=TRAIN_SIZE, window_size=forecaster.window_size,
        refit=REFIT_EVERY, fixed_train_size=True, allow_incomplete_fold=False, verbose=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folds = cv_check.split(X=y, as_pandas=True)
    n_fits = int(folds["fit_forecaster"].sum())
    train_lengths = (folds["train_end"] - folds["train_start"]).unique()
    print(
        f"skforecast: ForecasterDirect(steps={STEPS}, lags={LAGS}, dropna_from_series=False, "
        f"n_jobs='auto' -> {n_jobs_fit}); backtesting_forecaster(n_jobs='auto' -> {n_jobs_backtest}); "
        f"TimeSeriesFold(steps={STEPS}, initial_train_size={TRAIN_SIZE}, refit={REFIT_EVERY}, "
        f"fixed_train_size=True): {len(folds)} folds, {n_fits} fits "
        f"(initial + {n_fits - 1} refits) x {STEPS} estimators, training lengths {list(train_lengths)}"
    )
    sys.stdout.flush()

    with threadpoolctl.threadpool_limits(limits=args.omp_threads):
        threads = sorted(
            {f"{i['internal_api']}={i['num_threads']}" for i in threadpoolctl.threadpool_info()}
        )
        print(f"thread pools during the backtest (--omp-threads {args.omp_threads}): "
              f"{', '.join(threads)}")
        sys.stdout.flush()
        load_before = os.getloadavg()
        c0 = time.process_time()
        t0 = time.perf_counter()
        metric, preds = backtesting_forecaster(
            forecaster=forecaster,
            y=y,
            cv=cv,
            metric=nan_mae,
            exog=exog,
            n_jobs="auto",
            show_progress=False,
            suppress_warnings=True,
        )
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0
        load_after = os.getloadavg()

    # Horizons: the i-th prediction of a fold is horizon i.
    preds = preds.copy()
    preds["horizon"] = preds.groupby("fold").cumcount() + 1
    fold_start = pd.DatetimeIndex(
        preds.index.to_series().groupby(preds["fold"]).transform("first")
    )
    origin = fold_start - STEP
    if not (preds.index == origin + preds["horizon"].to_numpy() * STEP).all():
        raise SystemExit("predictions are not back to back 15-minute steps from the origin")
    if not preds.groupby("fold").size().eq(STEPS).all() or len(preds) != n_targets:
        raise SystemExit("unexpected fold sizes")
    if preds["pred"].isna().any():
        raise SystemExit(f"{int(preds['pred'].isna().sum())} NaN predictions")

    obs = y.reindex(preds.index).to_numpy()
    persistence = y.reindex(origin).to_numpy()
    poa = exog["poa_clearsky"].reindex(preds.index).to_numpy()
    model = preds["pred"].to_numpy()
    rows = (poa > 0) & np.isfinite(obs) & np.isfinite(persistence)

    print()
    print(f"backtest wall-clock: {wall:.2f} s (time.perf_counter around backtesting_forecaster); "
          f"process CPU time {cpu:.2f} s (all threads)")
    print(f"load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in load_before)}; "
          f"after: {', '.join(f'{x:.2f}' for x in load_after)}")
    print(f"folds: {preds['fold'].nunique()}; fits: {n_fits} (initial + {n_fits - 1} refits, "
          f"{n_fits * STEPS} HistGradientBoostingRegressor fits); predictions: {len(preds)}")
    print(f"skforecast's own metric (NaN-skipping MAE, all hours, last prediction per stamp): "
          f"{float(metric.iloc[0, 0]):.2f} W")
    print(
        f"scored rows: clear-sky POA > 0, observation present at target and at origin: "
        f"{int(rows.sum())} of {len(preds)} "
        f"(POA > 0: {int((poa > 0).sum())}; of those, target NaN: "
        f"{int(((poa > 0) & ~np.isfinite(obs)).sum())}, origin NaN with target present: "
        f"{int(((poa > 0) & np.isfinite(obs) & ~np.isfinite(persistence)).sum())})"
    )
    print()
    print(f"{'horizon':>7} {'rows':>6} {'RMSE model':>11} {'RMSE persist':>12} "
          f"{'MAE model':>10} {'MAE persist':>11} {'skill(RMSE)':>11}")
    horizons = preds["horizon"].to_numpy()
    for h in list(range(1, STEPS + 1)) + ["all"]:
        m = rows if h == "all" else rows & (horizons == h)
        e_model = model[m] - obs[m]
        e_pers = persistence[m] - obs[m]
        rmse_m = float(np.sqrt(np.mean(e_model**2)))
        rmse_p = float(np.sqrt(np.mean(e_pers**2)))
        mae_m = float(np.mean(np.abs(e_model)))
        mae_p = float(np.mean(np.abs(e_pers)))
        label = f"{h * 15} min" if h != "all" else "1..4"
        print(f"{label:>7} {int(m.sum()):>6} {rmse_m:>11.2f} {rmse_p:>12.2f} "
              f"{mae_m:>10.2f} {mae_p:>11.2f} {1 - rmse_m / rmse_p:>11.3f}")


if __name__ == "__main__":
    main()
