#!/usr/bin/env python3
"""OpenEEmeter reference baselines for the CalTRACK sample meters.

Fits eemeter's own models to the simulated Illinois sample meters that ship with
eemeter (also laid out in ``shared/data/building``) and writes what eemeter
reports -- selected model, balance points, coefficients, fit metrics, reporting
totals, savings uncertainty, day alignment, fit timings -- to a JSON fixture that
terrawatt's building models are checked against.

Two eemeter lines are covered, one per run, each in its own throwaway venv:

* eemeter 4.x (``eemeter_4`` section): ``DailyModel(model="legacy")`` for the
  daily files, ``BillingModel`` for the billing file and the CalTRACK hourly
  (TOWT) model ``HourlyCaltrackModel`` for the hourly file.  The 4.x daily and
  billing models optimise the balance points continuously (nlopt); 4.x no longer
  ships the CalTRACK 2.0 balance-point grid search.
* eemeter 3.x (``eemeter_3`` section): the CalTRACK 2.0 usage-per-day model
  (``fit_caltrack_usage_per_day_model``: intercept-only, HDD-only, CDD-only and
  CDD+HDD candidates over a balance-point grid, best qualified candidate by
  adjusted R^2) for the daily and billing files, with ``metered_savings``
  error bands.  3.2.0 is the last release that has it.

Each run replaces only its own section of the output file and its entry under
``provenance``; the other section is kept.

Usage::

    python eemeter_baselines.py [DATA_DIR] [--out PATH] [--no-timing]

DATA_DIR defaults to /work/shared/data/building.  Nothing is copied out of it.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import logging
import math
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytz
from dateutil.parser import parse as parse_date

import eemeter

DEFAULT_DATA = "/work/shared/data/building"
DEFAULT_OUT = str(
    Path(__file__).resolve().parents[2]
    / "crates/building/tests/fixtures/eemeter_baselines.json"
)

DAILY_FILES = ["il-gas-hdd-only-daily", "il-electricity-cdd-only-daily"]
BILLING_FILES = ["il-electricity-cdd-hdd-billing_monthly"]
HOURLY_FILES = ["il-electricity-cdd-hdd-hourly"]

BASELINE_DAYS = 365
REPORTING_DAYS = 365
CONFIDENCE_LEVEL = 0.90
N_RUNS_DAILY = 5
N_RUNS_HOURLY = 3

EEMETER_MAJOR = int(eemeter.__version__.split(".")[0])


# --------------------------------------------------------------------------- utils


def clean(obj):
    """Make obj JSON-safe: numpy scalars to Python, NaN/inf to None, keys to str."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [clean(v) for v in obj]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, (pd.Timestamp, _dt.datetime, _dt.date)):
        return obj.isoformat()
    if hasattr(obj, "value") and type(obj).__module__.startswith("eemeter"):
        return clean(obj.value)  # enums
    return obj


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def raw_first_rows(path, n=3):
    df = pd.read_csv(path, compression="gzip", nrows=n, dtype=str)
    return df.iloc[:, 0].tolist()


def iso3(index):
    return [ts.isoformat() for ts in index[:3]]


def median_time(fn, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "runs_s": times, "n_runs": runs}


def warning_names(ws):
    return [w.qualified_name for w in ws]


def blackout_dates(data_dir):
    """Blackout dates as eemeter's sample loader builds them: UTC midnight."""
    with open(Path(data_dir) / "metadata.json") as f:
        meta = json.load(f)
    m = meta[DAILY_FILES[0]]
    start = pytz.UTC.localize(parse_date(m["blackout_start_date"]))
    end = pytz.UTC.localize(parse_date(m["blackout_end_date"]))
    return meta, start, end


def freq_of(meta, name):
    # eemeter's load_sample: resample only for hourly/daily, billing left as read
    freq = meta[name]["freq"]
    return freq if freq in ("hourly", "daily") else None


def load(io, data_dir, meta, name):
    """Meter and temperature exactly as eemeter.load_sample reads them."""
    d = Path(data_dir)
    meter = io.meter_data_from_csv(
        d / meta[name]["meter_data_filename"], gzipped=True, freq=freq_of(meta, name)
    )
    temp = io.temperature_data_from_csv(
        d / meta[name]["temperature_filename"],
        gzipped=True,
        freq="hourly",
        temp_col="tempF",
    )
    return meter, temp


def periods(transform, meter, start, end):
    """eemeter's get_baseline_data / get_reporting_data (CalTRACK max_days=365)."""
    baseline, bw = transform.get_baseline_data(meter, end=start, max_days=BASELINE_DAYS)
    reporting, rw = transform.get_reporting_data(
        meter, start=end, max_days=REPORTING_DAYS
    )
    return baseline, reporting, bw + rw


def period_summary(df):
    v = df["value"]
    return {
        "first_index": df.index[0].isoformat(),
        "last_index": df.index[-1].isoformat(),
        "rows": int(len(df)),
        "non_null_rows": int(v.notna().sum()),
        "last_row_is_nan": bool(pd.isna(v.iloc[-1])),
        "sum": float(v.sum()),
    }


def data_block(data_dir, meta, name, meter, baseline, reporting):
    path = Path(data_dir) / meta[name]["meter_data_filename"]
    return {
        "meter_file": meta[name]["meter_data_filename"],
        "meter_sha256": sha256(path),
        "freq": meta[name]["freq"],
        "is_electricity": meta[name]["interpretation"] == "electricity",
        "raw_csv_first_3_start": raw_first_rows(path),
        "loaded_first_3_index": iso3(meter.index),
        "loaded_index_tz": str(meter.index.tz),
        "baseline_input": period_summary(baseline),
        "reporting_input": period_summary(reporting),
    }


# ------------------------------------------------------------------- eemeter 4.x


def run_eemeter4(data_dir, do_timing):
    import eemeter.eemeter as em
    from eemeter.common.metrics import BaselineMetrics, ReportingMetrics
    from eemeter.eemeter.common import transform
    from eemeter.eemeter.models.hourly_caltrack.metrics import ModelMetrics
    from eemeter.eemeter.utilities import io

    meta, bstart, bend = blackout_dates(data_dir)
    out = {
        "notes": {
            "daily_model": (
                "eemeter.eemeter.DailyModel(model='legacy'): DailyLegacySettings "
                "(no seasonal/weekday splits, no smoothing, alpha_final=2 i.e. least "
                "squares, segment_minimum_count=10). Balance points are optimised "
                "continuously (nlopt DIRECT initial guess, SBPLX local); there is no "
                "balance-point grid, so a 1 degF grid cannot be chosen."
            ),
            "billing_model": (
                "eemeter.eemeter.BillingModel = DailyModel(model='legacy') fitted on "
                "billing reads spread evenly over their days (BillingBaselineData)."
            ),
            "hourly_model": (
                "eemeter.eemeter.HourlyCaltrackModel (hourly_caltrack.wrapper."
                "HourlyModel): CalTRACK TOWT, three_month_weighted segments."
            ),
            "coefficient_signs": (
                "eemeter 4.x stores the heating slope of a one-sided model as a "
                "negative c_hdd_beta; beta_hdd below is reported as a positive "
                "usage increase per degF below the heating balance point."
            ),
            "model_metrics_p": (
                "caltrack_model_metrics: hourly_caltrack.metrics.ModelMetrics with "
                "num_parameters = number of slopes (CalTRACK 2.0 convention, "
                "intercept excluded). common_baseline_metrics: common.metrics."
                "BaselineMetrics with num_model_params = all fitted coefficients of "
                "the selected model (slopes + balance points + intercept). Neither "
                "is computed by DailyModel.fit itself; both classes are eemeter's."
            ),
            "time_fit_only": "Timings cover the model .fit() call only; data classes are built beforehand.",
        },
        "periods": {
            "blackout_start": bstart.isoformat(),
            "blackout_end": bend.isoformat(),
            "baseline": f"get_baseline_data(meter, end=blackout_start, max_days={BASELINE_DAYS})",
            "reporting": f"get_reporting_data(meter, start=blackout_end, max_days={REPORTING_DAYS})",
        },
        "files": {},
        "timing": {},
    }

    def daily_like(name, billing):
        is_elec = meta[name]["interpretation"] == "electricity"
        meter, temp = load(io, data_dir, meta, name)
        baseline, reporting, pw = periods(transform, meter, bstart, bend)
        if billing:
            bd = em.BillingBaselineData.from_series(baseline, temp, is_electricity_data=is_elec)
            rd = em.BillingReportingData.from_series(reporting, temp, is_electricity_data=is_elec)
            make = lambda: em.BillingModel()
        else:
            bd = em.DailyBaselineData.from_series(baseline, temp, is_electricity_data=is_elec)
            rd = em.DailyReportingData.from_series(reporting, temp, is_electricity_data=is_elec)
            make = lambda: em.DailyModel(model="legacy")

        t0 = time.perf_counter()
        model = make().fit(bd, ignore_disqualification=True)
        first_fit_s = time.perf_counter() - t0

        params = model.params.model_dump()
        # legacy settings allow no splits: a single submodel "fw-su_sh_wi"
        assert len(params["submodels"]) == 1, list(params["submodels"])
        sub = next(iter(params["submodels"].values()))
        c = sub["coefficients"]
        mtype = clean(c["model_type"])
        # normalise to CalTRACK naming and positive slopes
        hbp = cbp = beta_h = beta_c = None
        if mtype in ("hdd_tidd_cdd", "hdd_tidd_cdd_smooth"):
            hbp, cbp = c["hdd_bp"], c["cdd_bp"]
            beta_h, beta_c = c["hdd_beta"], c["cdd_beta"]
            caltrack_type = "cdd_hdd"
            n_coeffs = 5
        elif mtype.startswith("hdd_tidd"):
            hbp, beta_h = c["hdd_bp"], -c["hdd_beta"]
            caltrack_type = "hdd_only"
            n_coeffs = 3
        elif mtype.startswith("tidd_cdd") or mtype.startswith("cdd_tidd"):
            cbp, beta_c = c["cdd_bp"], c["cdd_beta"]
            caltrack_type = "cdd_only"
            n_coeffs = 3
        else:
            caltrack_type = "intercept_only"
            n_coeffs = 1
        n_slopes = int(beta_h is not None) + int(beta_c is not None)

        base_pred = model.predict(bd, ignore_disqualification=True)
        rep_pred = model.predict(rd, ignore_disqualification=True)
        fb = base_pred[np.isfinite(base_pred["observed"]) & np.isfinite(base_pred["predicted"])]
        fr = rep_pred[np.isfinite(rep_pred["observed"]) & np.isfinite(rep_pred["predicted"])]

        mm = ModelMetrics(fb["observed"], fb["predicted"], n_slopes)
        bm = BaselineMetrics(df=base_pred, num_model_params=n_coeffs)
        rm = ReportingMetrics(
            baseline_metrics=bm,
            reporting_df=rep_pred,
            data_frequency="billing" if billing else "daily",
            confidence_level=CONFIDENCE_LEVEL,
        )
        unc_quad = float(np.sqrt(np.nansum(rep_pred["predicted_unc"].to_numpy() ** 2)))

        res = {
            "data": data_block(data_dir, meta, name, meter, baseline, reporting),
            "model_class": type(model).__name__,
            "settings_class": type(model.settings).__name__,
            "period_warnings": warning_names(pw),
            "baseline_data": {
                "df_first_3_index": iso3(bd.df.index),
                "df_rows": int(len(bd.df)),
                "df_observed_non_null": int(bd.df["observed"].notna().sum()),
                "df_temperature_first_3": bd.df["temperature"].iloc[:3].tolist(),
                "disqualification": warning_names(bd.disqualification),
                "warnings": warning_names(bd.warnings),
            },
            "reporting_data": {
                "df_first_3_index": iso3(rd.df.index),
                "df_rows": int(len(rd.df)),
                "disqualification": warning_names(rd.disqualification),
                "warnings": warning_names(rd.warnings),
            },
            "fit": {
                "best_combination": model.best_combination,
                "model_type": mtype,
                "caltrack_model_type": caltrack_type,
                "heating_balance_point": hbp,
                "cooling_balance_point": cbp,
                "intercept": c["intercept"],
                "beta_hdd": beta_h,
                "beta_cdd": beta_c,
                "raw_coefficients": c,
                "temperature_constraints": sub["temperature_constraints"],
                "f_unc": sub["f_unc"],
                "model_error": model.error,
                "n": int(len(fb)),
                "n_coefficients": n_coeffs,
                "n_slopes": n_slopes,
                "disqualification": warning_names(model.disqualification),
                "first_fit_s_including_jit": first_fit_s,
            },
            "caltrack_model_metrics": mm.json(),
            "common_baseline_metrics": bm.model_dump(),
            "reporting": {
                "rows": int(len(rep_pred)),
                "n_both_finite": int(len(fr)),
                "observed_total": float(fr["observed"].sum()),
                "predicted_total": float(fr["predicted"].sum()),
                "predicted_total_all_rows": float(rep_pred["predicted"].sum()),
                "savings": float(fr["predicted"].sum() - fr["observed"].sum()),
                "predicted_unc_per_row": float(rep_pred["predicted_unc"].dropna().iloc[0]),
                "predicted_unc_quadrature_total": unc_quad,
                "common_reporting_metrics": rm.model_dump(),
                "months_in_reporting": int(len(fr.index.month.unique())),
            },
        }
        timing = None
        if do_timing:
            timing = median_time(lambda: make().fit(bd, ignore_disqualification=True), N_RUNS_DAILY)
        return res, timing

    for name in DAILY_FILES:
        res, timing = daily_like(name, billing=False)
        out["files"][name] = res
        if timing:
            out["timing"][f"{name}: DailyModel(legacy).fit"] = timing
    for name in BILLING_FILES:
        res, timing = daily_like(name, billing=True)
        out["files"][name] = res
        if timing:
            out["timing"][f"{name}: BillingModel.fit"] = timing
    out["timing"]["daily_1F_grid"] = (
        "not applicable in eemeter 4.x: no balance-point grid (continuous optimisation); "
        "see eemeter_3 timing for the CalTRACK 2.0 grid search"
    )

    for name in HOURLY_FILES:
        is_elec = meta[name]["interpretation"] == "electricity"
        meter, temp = load(io, data_dir, meta, name)
        baseline, reporting, pw = periods(transform, meter, bstart, bend)
        bd = em.HourlyCaltrackBaselineData.from_series(baseline, temp, is_electricity_data=is_elec)
        # the hourly reporting class keeps every temperature row: restrict the
        # temperature to the reporting period so that totals and the wrapper's
        # monthly uncertainty see one reporting year only
        rtemp = temp[reporting.index.min() : reporting.index.max()]
        rd = em.HourlyCaltrackReportingData.from_series(reporting, rtemp, is_electricity_data=is_elec)
        model = em.HourlyCaltrackModel().fit(bd)
        mpv = model.model_process_variables

        seg = {}
        n_params = []
        for sm in model.model.model.segment_models:
            occ = mpv.occupancy_lookup[sm.segment_name]
            ob = mpv.occupied_temperature_bins[sm.segment_name]
            ub = mpv.unoccupied_temperature_bins[sm.segment_name]
            n_params.append(len(sm.model_params))
            seg[sm.segment_name] = {
                "n_params": len(sm.model_params),
                "occupied_hours_of_week": int(occ.sum()),
                "occupied_bin_endpoints": [int(e) for e in ob.index[ob.values]],
                "unoccupied_bin_endpoints": [int(e) for e in ub.index[ub.values]],
                "bin_coefficients": {
                    k: v for k, v in sm.model_params.items() if k.startswith("bin")
                },
                "totals_metrics": sm.totals_metrics.json(),
            }

        base_pred = model.predict(bd)
        rep_pred = model.predict(rd)
        fb = base_pred[np.isfinite(base_pred["observed"]) & np.isfinite(base_pred["predicted"])]
        fr = rep_pred[np.isfinite(rep_pred["observed"]) & np.isfinite(rep_pred["predicted"])]
        p_mean = int(round(float(np.mean(n_params))))
        # no intercept in the TOWT formula: every parameter counts, as in the
        # per-segment totals_metrics eemeter computes (len(model_params))
        mm = ModelMetrics(fb["observed"], fb["predicted"], p_mean)
        bm = BaselineMetrics(df=base_pred, num_model_params=p_mean)
        rm = ReportingMetrics(
            baseline_metrics=bm,
            reporting_df=rep_pred,
            data_frequency="hourly",
            confidence_level=CONFIDENCE_LEVEL,
        )
        # wrapper uncertainty: per month avg_unc = sqrt(total_unc^2 / m) on each hour
        monthly_unc = {}
        for month, g in rep_pred.groupby(rep_pred.index.month):
            u = g["predicted_uncertainty"].dropna()
            if len(u):
                monthly_unc[int(month)] = float(u.iloc[0] * math.sqrt(len(g)))
        total_unc = float(math.sqrt(sum(v * v for v in monthly_unc.values())))

        out["files"][name] = {
            "data": data_block(data_dir, meta, name, meter, baseline, reporting),
            "model_class": "HourlyCaltrackModel",
            "segment_type": model.segment_type,
            "period_warnings": warning_names(pw),
            "baseline_data": {
                "df_first_3_index": iso3(bd.df.index),
                "df_rows": int(len(bd.df)),
                "df_observed_non_null": int(bd.df["observed"].notna().sum()),
                "warnings": warning_names(bd.warnings),
            },
            "segments": seg,
            "baseline_fit": {
                "n": int(len(fb)),
                "observed_total": float(fb["observed"].sum()),
                "predicted_total": float(fb["predicted"].sum()),
                "mean_params_per_segment": float(np.mean(n_params)),
            },
            "caltrack_model_metrics_all_hours": mm.json(),
            "common_baseline_metrics": bm.model_dump(),
            "unc_vars": {str(k): v for k, v in model._autocorr_unc_vars.items()},
            "reporting": {
                "rows": int(len(rep_pred)),
                "n_both_finite": int(len(fr)),
                "observed_total": float(fr["observed"].sum()),
                "predicted_total": float(fr["predicted"].sum()),
                "predicted_total_all_rows": float(rep_pred["predicted"].sum()),
                "savings": float(fr["predicted"].sum() - fr["observed"].sum()),
                "wrapper_total_unc_by_month": monthly_unc,
                "wrapper_total_unc_quadrature": total_unc,
                "common_reporting_metrics": rm.model_dump(),
            },
        }
        if do_timing:
            out["timing"][f"{name}: HourlyCaltrackModel.fit"] = median_time(
                lambda: em.HourlyCaltrackModel().fit(bd), N_RUNS_HOURLY
            )
    return out


# ------------------------------------------------------------------- eemeter 3.x


def run_eemeter3(data_dir, do_timing):
    from eemeter import io, transform
    from eemeter.caltrack import usage_per_day as upd
    from eemeter.caltrack.design_matrices import (
        create_caltrack_billing_design_matrix,
        create_caltrack_daily_design_matrix,
    )
    from eemeter.derivatives import metered_savings
    from eemeter.features import (
        compute_temperature_features,
        compute_usage_per_day_feature,
        merge_features,
    )

    meta, bstart, bend = blackout_dates(data_dir)
    grid_default = list(range(30, 91))
    grid_3f = list(range(30, 91, 3))
    out = {
        "notes": {
            "model": (
                "eemeter.caltrack.usage_per_day.fit_caltrack_usage_per_day_model: "
                "CalTRACK 2.0 usage-per-day candidates (intercept_only, hdd_only, "
                "cdd_only, cdd_hdd with hbp <= cbp), OLS/WLS via statsmodels, "
                "best QUALIFIED candidate by statsmodels rsquared_adj."
            ),
            "default_grid": (
                "create_caltrack_daily_design_matrix / create_caltrack_billing_design_matrix "
                "use heating_balance_points = cooling_balance_points = range(30, 91): "
                "30..90 degF in 1 degF steps, so the default grid is the 1 degF grid."
            ),
            "gas": "fit_cdd=False for gas (CalTRACK: heating-only candidates).",
            "billing": "use_billing_presets=True, weights_col='n_days_kept'.",
            "time_fit_only": "Timings cover fit_caltrack_usage_per_day_model only; the design matrix is built beforehand.",
        },
        "periods": {
            "blackout_start": bstart.isoformat(),
            "blackout_end": bend.isoformat(),
            "baseline": f"get_baseline_data(meter, end=blackout_start, max_days={BASELINE_DAYS})",
            "reporting": f"get_reporting_data(meter, start=blackout_end, max_days={REPORTING_DAYS})",
        },
        "grids": {"default": [grid_default[0], grid_default[-1], 1], "coarse_3F": [grid_3f[0], grid_3f[-1], 3]},
        "files": {},
        "timing": {},
    }

    def daily_design(meter, temp, points):
        upd_feature = compute_usage_per_day_feature(meter, series_name="meter_value")
        tf = compute_temperature_features(
            meter.index,
            temp,
            heating_balance_points=points,
            cooling_balance_points=points,
            data_quality=True,
        )
        return merge_features([upd_feature, tf])

    for name in DAILY_FILES + BILLING_FILES:
        billing = name in BILLING_FILES
        is_elec = meta[name]["interpretation"] == "electricity"
        meter, temp = load(io, data_dir, meta, name)
        baseline, reporting, pw = periods(transform, meter, bstart, bend)
        if billing:
            dm = create_caltrack_billing_design_matrix(baseline, temp)
            fit = lambda d: upd.fit_caltrack_usage_per_day_model(
                d, fit_cdd=is_elec, use_billing_presets=True, weights_col="n_days_kept"
            )
        else:
            dm = create_caltrack_daily_design_matrix(baseline, temp)
            fit = lambda d: upd.fit_caltrack_usage_per_day_model(d, fit_cdd=is_elec)

        suff = upd.caltrack_sufficiency_criteria(
            dm,
            requested_start=bstart - _dt.timedelta(days=BASELINE_DAYS),
            requested_end=bstart,
        )
        res = fit(dm)
        best = res.model
        mp = dict(best.model_params)
        status_counts = {}
        for cand in res.candidates:
            key = f"{cand.model_type}:{cand.status}"
            status_counts[key] = status_counts.get(key, 0) + 1
        best_by_type = {}
        for cand in res.candidates:
            if cand.status != "QUALIFIED":
                continue
            cur = best_by_type.get(cand.model_type)
            if cur is None or cand.r_squared_adj > cur["r_squared_adj"]:
                best_by_type[cand.model_type] = {
                    "r_squared_adj": cand.r_squared_adj,
                    "model_params": dict(cand.model_params),
                }

        ms, bands = metered_savings(res, reporting, temp, with_disaggregated=True)
        fr = ms.dropna(subset=["reporting_observed", "counterfactual_usage"])
        tm = res.totals_metrics

        entry = {
            "data": data_block(data_dir, meta, name, meter, baseline, reporting),
            "period_warnings": warning_names(pw),
            "design_matrix": {
                "first_3_index": iso3(dm.index),
                "rows": int(len(dm)),
                "meter_value_non_null": int(dm["meter_value"].notna().sum()),
                "n_hdd_columns": int(sum(c.startswith("hdd_") for c in dm.columns)),
                "n_cdd_columns": int(sum(c.startswith("cdd_") for c in dm.columns)),
            },
            "sufficiency": {
                "status": suff.status,
                "warnings": warning_names(suff.warnings),
                "data": suff.data,
            },
            "fit": {
                "status": res.status,
                "interval": res.interval,
                "model_type": best.model_type,
                "formula": best.formula,
                "heating_balance_point": mp.get("heating_balance_point"),
                "cooling_balance_point": mp.get("cooling_balance_point"),
                "intercept": mp.get("intercept"),
                "beta_hdd": mp.get("beta_hdd"),
                "beta_cdd": mp.get("beta_cdd"),
                "r_squared_adj": best.r_squared_adj,
                "r_squared": float(best.result.rsquared),
                "nobs": float(best.result.nobs),
                "df_model": float(best.result.df_model),
                "df_resid": float(best.result.df_resid),
                "pvalues": {k: float(v) for k, v in best.result.pvalues.items()},
                "bse": {k: float(v) for k, v in best.result.bse.items()},
                "n_candidates": len(res.candidates),
                "candidate_status_counts": status_counts,
                "best_qualified_by_type": best_by_type,
                "settings": res.settings,
            },
            "totals_metrics": tm.json(),
            "avgs_metrics": res.avgs_metrics.json(),
            "reporting": {
                "rows": int(len(ms)),
                "n_both_finite": int(len(fr)),
                "observed_total": float(fr["reporting_observed"].sum()),
                "predicted_total": float(fr["counterfactual_usage"].sum()),
                "savings": float(fr["metered_savings"].sum()),
                "counterfactual_base_load": float(fr["counterfactual_base_load"].sum()),
                "counterfactual_heating_load": float(fr["counterfactual_heating_load"].sum()),
                "counterfactual_cooling_load": float(fr["counterfactual_cooling_load"].sum()),
                "error_bands": bands,
                "fsu": (
                    None
                    if not bands or not bands.get("FSU Error Band")
                    else bands["FSU Error Band"] / float(fr["metered_savings"].sum())
                ),
            },
        }
        out["files"][name] = entry

        if do_timing:
            out["timing"][f"{name}: default grid (30..90 step 1)"] = median_time(
                lambda: fit(dm), N_RUNS_DAILY
            )
            if not billing:
                dm3 = daily_design(baseline, temp, grid_3f)
                res3 = fit(dm3)
                out["timing"][f"{name}: 3F grid (30..90 step 3)"] = median_time(
                    lambda: fit(dm3), N_RUNS_DAILY
                )
                m3 = res3.model
                out["files"][name]["fit_3F_grid"] = {
                    "model_type": m3.model_type,
                    "model_params": dict(m3.model_params),
                    "r_squared_adj": m3.r_squared_adj,
                }
    return out


# --------------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data_dir", nargs="?", default=DEFAULT_DATA)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--no-timing", action="store_true")
    args = ap.parse_args()

    warnings.simplefilter("ignore")
    logging.getLogger("eemeter").setLevel(logging.ERROR)

    if EEMETER_MAJOR >= 4:
        section = "eemeter_4"
        result = run_eemeter4(args.data_dir, not args.no_timing)
    elif EEMETER_MAJOR == 3:
        section = "eemeter_3"
        result = run_eemeter3(args.data_dir, not args.no_timing)
    else:
        sys.exit(f"eemeter {eemeter.__version__}: only 3.x and 4.x are supported")

    out_path = Path(args.out)
    doc = {}
    if out_path.exists():
        with open(out_path) as f:
            doc = json.load(f)
    doc.setdefault("provenance", {})
    doc["provenance"][section] = {
        "eemeter": eemeter.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
        "cpu_count": os.cpu_count(),
        "loadavg_at_end": list(os.getloadavg()),
        "temperature_sha256": sha256(Path(args.data_dir) / "il-tempF.csv.gz"),
    }
    doc[section] = clean(result)
    doc = {k: doc[k] for k in sorted(doc, key=lambda k: (k != "provenance", k))}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "w") as f:
        json.dump(clean(doc), f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {section} to {out_path}")


if __name__ == "__main__":
    main()
