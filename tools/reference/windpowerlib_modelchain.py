"""What windpowerlib's ModelChain returns, for testing terrawatt's wind model.

Reads ``example_weather.csv`` from the wind data folder (default
../shared/data/wind, overridable by the first argument; the data is read in place and
never copied into the repository) the way windpowerlib's ``modelchain_example.py`` does:
two header rows (variable_name, height), ``index_col=0``; the index, which carries UTC
offsets (+01:00), is parsed with ``pd.to_datetime(..., utc=True)`` and then converted to
Europe/Berlin (the example's ``tz_convert('Europe/Berlin')``). The conversion changes
only the labels, not the order or the values; the fixture records the first and last
timestamps in both UTC and local form. Heights are converted to integers as in the
example (ModelChain.run_model also runs ``data.check_weather_data``, which applies
``pd.to_numeric`` to the height level and only warns about NaN).

The turbine is ``WindTurbine(turbine_type='E-126/4200', hub_height=135,
path=<data folder>)``, i.e. power curve, power coefficient curve and turbine data
(nominal power, rotor diameter) are read from the folder's power_curves.csv,
power_coefficient_curves.csv and turbine_data.csv. The script also checks that the
bundled copies in windpowerlib/oedb/ give the same E-126/4200 rows (byte-equality of the
files and equality of the parsed curves) and records the result.

Runs ``ModelChain(turbine, **options).run_model(weather)`` for the defaults and six
variants and records, per run, the annual energy (sum of hourly power_output in W /
1e6 = MWh) and rows 0..23 and 1000..1023 of wind_speed_hub, temperature_hub,
density_hub and power_output. run_model does not compute the density (nor the
temperature) when power_output_model='power_curve' and density_correction=False; the
script then calls ``mc.temperature_hub(weather)`` and ``mc.density_hub(weather)``
itself with the same options, so these columns are always present.

Output: crates/wind/tests/fixtures/windpowerlib_modelchain.json (floats as Python repr,
i.e. shortest round-trip, NaN as null).

Run from the repository root:

    python3 -m venv /tmp/venv-wind && /tmp/venv-wind/bin/pip install windpowerlib pandas numpy
    /tmp/venv-wind/bin/python tools/reference/windpowerlib_modelchain.py [../shared/data/wind]
"""

import datetime
import filecmp
import hashlib
import json
import math
import os
import platform
import sys
import warnings

import numpy as np
import pandas as pd
import windpowerlib
from windpowerlib import ModelChain, WindTurbine
from windpowerlib import wind_turbine as wt_mod

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "crates", "wind", "tests", "fixtures", "windpowerlib_modelchain.json")
TURBINE_TYPE = "E-126/4200"
HUB_HEIGHT = 135
SAMPLE_ROWS = list(range(0, 24)) + list(range(1000, 1024))

VARIANTS = [
    ("default", {}),
    ("a_hellman", {"wind_speed_model": "hellman"}),
    ("b_ideal_gas", {"density_model": "ideal_gas"}),
    ("c_interp_extrap", {"temperature_model": "interpolation_extrapolation",
                         "wind_speed_model": "interpolation_extrapolation"}),
    ("d_density_correction", {"power_output_model": "power_curve", "density_correction": True}),
    ("e_power_coefficient_curve", {"power_output_model": "power_coefficient_curve"}),
    ("f_obstacle_height_20", {"wind_speed_model": "logarithmic", "obstacle_height": 20}),
]

DEFAULTS = {
    "wind_speed_model": "logarithmic",
    "temperature_model": "linear_gradient",
    "density_model": "barometric",
    "power_output_model": "power_curve",
    "density_correction": False,
    "obstacle_height": 0,
    "hellman_exp": None,
}


def fl(x):
    x = float(x)
    return None if math.isnan(x) else x


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def read_weather(path):
    df = pd.read_csv(path, index_col=0, header=[0, 1])
    raw_index = list(df.index)
    df.index = pd.to_datetime(df.index, utc=True).tz_convert("Europe/Berlin")
    l0 = [c[0] for c in df.columns]
    l1 = [int(c[1]) for c in df.columns]
    df.columns = pd.MultiIndex.from_arrays([l0, l1])
    return df, raw_index


def closest(columns, target):
    # same rule as ModelChain: min over column positions of |h - hub|; ties -> first column
    cols = list(columns)
    return cols[min(range(len(cols)), key=lambda i: abs(cols[i] - target))]


def two_closest(columns, target):
    cols = list(columns)
    order = sorted(range(len(cols)), key=lambda i: abs(cols[i] - target))
    return [cols[order[0]], cols[order[1]]]


def curve_dict(df):
    return {"wind_speed": [fl(v) for v in df["wind_speed"]], "value": [fl(v) for v in df["value"]]}


def series_rows(s, rows):
    arr = np.asarray(s, dtype=float)
    return [fl(arr[i]) for i in rows]


def main():
    data_dir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "..", "shared", "data", "wind"))
    weather_path = os.path.join(data_dir, "example_weather.csv")
    weather, raw_index = read_weather(weather_path)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        turbine = WindTurbine(turbine_type=TURBINE_TYPE, hub_height=HUB_HEIGHT, path=data_dir)
        bundled = WindTurbine(turbine_type=TURBINE_TYPE, hub_height=HUB_HEIGHT)

    bundled_dir = os.path.join(os.path.dirname(wt_mod.__file__), "oedb")
    files_check = {}
    for name in ("turbine_data.csv", "power_curves.csv", "power_coefficient_curves.csv"):
        files_check[name] = {
            "folder_sha256": sha256(os.path.join(data_dir, name)),
            "bundled_sha256": sha256(os.path.join(bundled_dir, name)),
            "identical": filecmp.cmp(os.path.join(data_dir, name), os.path.join(bundled_dir, name), shallow=False),
        }
    same_curves = (
        turbine.power_curve.equals(bundled.power_curve)
        and turbine.power_coefficient_curve.equals(bundled.power_coefficient_curve)
        and turbine.nominal_power == bundled.nominal_power
        and turbine.rotor_diameter == bundled.rotor_diameter
    )

    runs = {}
    for name, opts in VARIANTS:
        mc = ModelChain(turbine, **opts)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mc.run_model(weather.copy())
            w = weather.copy()
            ws = mc.wind_speed_hub(w)
            th = mc.temperature_hub(w)
            rho = mc.density_hub(w)
        po = mc.power_output
        energy = float(np.sum(np.asarray(po, dtype=float))) / 1e6
        full = dict(DEFAULTS)
        full.update(opts)
        runs[name] = {
            "options": opts,
            "effective_options": full,
            "annual_energy_mwh": energy,
            "annual_energy_mwh_fsum": math.fsum(np.asarray(po, dtype=float)) / 1e6,
            "power_output_nan_count": int(np.isnan(np.asarray(po, dtype=float)).sum()),
            "power_output_max_w": fl(np.nanmax(np.asarray(po, dtype=float))),
            "hours_at_zero_power": int((np.asarray(po, dtype=float) == 0).sum()),
            "density_computed_by_run_model": not (
                full["power_output_model"] == "power_curve" and full["density_correction"] is False
            ),
            "samples": {
                "rows": SAMPLE_ROWS,
                "wind_speed_hub": series_rows(ws, SAMPLE_ROWS),
                "temperature_hub": series_rows(th, SAMPLE_ROWS),
                "density_hub": series_rows(rho, SAMPLE_ROWS),
                "power_output": series_rows(po, SAMPLE_ROWS),
            },
        }
        print(f"{name:28s} {energy:.6f} MWh")

    heights = {
        "wind_speed_columns": [int(h) for h in weather["wind_speed"].columns],
        "temperature_columns": [int(h) for h in weather["temperature"].columns],
        "pressure_columns": [int(h) for h in weather["pressure"].columns],
        "roughness_length_columns": [int(h) for h in weather["roughness_length"].columns],
        "closest_wind_speed_height": int(closest(weather["wind_speed"].columns, HUB_HEIGHT)),
        "closest_temperature_height": int(closest(weather["temperature"].columns, HUB_HEIGHT)),
        "closest_pressure_height": int(closest(weather["pressure"].columns, HUB_HEIGHT)),
        "roughness_length_column_used": int(weather["roughness_length"].columns[0]),
        "interpolation_extrapolation_wind_speed_heights_h0_h1": [int(h) for h in two_closest(weather["wind_speed"].columns, HUB_HEIGHT)],
        "interpolation_extrapolation_temperature_heights_h0_h1": [int(h) for h in two_closest(weather["temperature"].columns, HUB_HEIGHT)],
        "hub_height_in_data": {
            "wind_speed": HUB_HEIGHT in weather["wind_speed"].columns,
            "temperature": HUB_HEIGHT in weather["temperature"].columns,
        },
    }

    formulas = {
        "closest_height_rule": "For each variable, ModelChain picks columns[min(range(n), key=|h_i - hub_height|)]: the data height nearest the hub height; on a tie the first column in file order wins. If the hub height itself is a column of wind_speed (resp. temperature), that column is used directly and no model is applied.",
        "roughness_length": "weather['roughness_length'].iloc[:, 0], i.e. the first roughness_length column whatever its height.",
        "wind_speed_logarithmic": "v_hub = v_data * ln((h_hub - 0.7*obstacle_height)/z0) / ln((h_data - 0.7*obstacle_height)/z0); h_data = closest wind-speed height; ValueError if 0.7*obstacle_height > h_data.",
        "wind_speed_hellman": "v_hub = v_data * (h_hub/h_data)**alpha; alpha = hellman_exp if given, else 1/ln(h_hub/z0) (z0 given by ModelChain, so 1/7 is never used from ModelChain); note alpha uses h_hub, not h_data; h_data = closest wind-speed height.",
        "interpolation_extrapolation": "tools.linear_interpolation_extrapolation: heights sorted by |h - h_hub| (stable sort, ties keep column order); h0 = closest, h1 = second closest; f = (f(h1) - f(h0))/(h1 - h0) * (h_hub - h0) + f(h0). Used for wind speed (80, 10) and temperature (10, 2) here, i.e. extrapolation above 80 m / 10 m.",
        "temperature_linear_gradient": "T_hub = T_data - 0.0065 * (h_hub - h_T); h_T = closest temperature height.",
        "density_barometric": "rho_hub = (p/100 - (h_hub - h_p) * 1/8) * 1.225 * 288.15 * 100 / (101330 * T_hub); p in Pa at the closest pressure height h_p; T_hub from the temperature model; evaluated left to right in this order in Python.",
        "density_ideal_gas": "rho_hub = (p/100 - (h_hub - h_p) * 1/8) * 100 / (287.058 * T_hub).",
        "density_when_computed": "run_model computes density (and with it temperature) only if power_output_model != 'power_curve' or density_correction is True; otherwise density_hub is None and temperature is not used at all.",
        "power_curve": "np.interp(v_hub, curve.wind_speed, curve.value, left=0, right=0): linear interpolation; v below the first curve speed -> 0, above the last curve speed -> 0 (cut-out); exactly at the end points -> the end values (25.0 m/s -> 4.2e6 W here). The curve is taken in file column order: WindTurbine calls sort_values(by='wind_speed') without assigning the result, so no sorting happens (the file is already sorted). Curve points whose cell is empty in the CSV are dropped (dropna(axis=1)); wind speeds are the header labels converted with float().",
        "power_curve_density_correction": "power_output._get_power_output: per time step, corrected curve speeds v_site_j = v_std_j * (1.225/rho_hub)**p_j with p_j = np.interp(v_std_j, [7.5, 12.5], [1/3, 2/3]) (1/3 at or below 7.5, 2/3 at or above 12.5, linear between: v/15 - 1/6); P = np.interp(v_hub, v_site, P_std, left=0, right=0). Only the curve speeds are scaled, power values unchanged; rho_0 = 1.225.",
        "power_coefficient_curve": "cp = np.interp(v_hub, cp_curve.wind_speed, cp_curve.value, left=0, right=0); P = 1/8 * rho_hub * d_rotor**2 * pi * v_hub**3 * cp (evaluated in that order); d_rotor from turbine_data.csv (127 m); no clipping at nominal power.",
        "np_interp_edges": "numpy.interp with left=0, right=0 everywhere in power output; xp must be increasing (not checked); x = NaN gives NaN (not 0); x exactly equal to xp[0] or xp[-1] gives fp[0] / fp[-1].",
        "nan_handling": "data.check_weather_data only warns (WindpowerlibUserWarning) when any weather column has NaN; NaN propagates through the height models and np.interp returns NaN for NaN wind speed, so power_output is NaN at those hours; a plain pandas/numpy sum then yields NaN energy (Series.sum() would skip NaN). This file has no NaN.",
        "heights_dtype": "check_weather_data converts the height level with pd.to_numeric; the example converts it with int().",
        "annual_energy": "sum over the 8760 hourly power_output values in W, divided by 1e6 -> MWh (annual_energy_mwh: numpy pairwise sum; annual_energy_mwh_fsum: math.fsum).",
    }

    out = {
        "provenance": {
            "tool": "tools/reference/windpowerlib_modelchain.py",
            "command": " ".join([sys.executable] + sys.argv),
            "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "windpowerlib": windpowerlib.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "data_dir": data_dir,
            "weather_file": "example_weather.csv",
            "weather_sha256": sha256(weather_path),
        },
        "weather_reading": {
            "read_csv": "pd.read_csv(path, index_col=0, header=[0, 1])",
            "index": "pd.to_datetime(index, utc=True).tz_convert('Europe/Berlin') as in windpowerlib's modelchain_example.py; labels only, rows stay in file order",
            "rows": int(len(weather)),
            "first_raw_label": str(raw_index[0]),
            "last_raw_label": str(raw_index[-1]),
            "first_utc": weather.index[0].tz_convert("UTC").isoformat(),
            "last_utc": weather.index[-1].tz_convert("UTC").isoformat(),
            "first_local": weather.index[0].isoformat(),
            "last_local": weather.index[-1].isoformat(),
            "nan_cells": int(weather.isna().sum().sum()),
            "sample_row_labels_utc": [weather.index[i].tz_convert("UTC").isoformat() for i in SAMPLE_ROWS],
        },
        "turbine": {
            "turbine_type": TURBINE_TYPE,
            "hub_height": HUB_HEIGHT,
            "path": "data folder (WindTurbine(path=...))",
            "nominal_power_w": fl(turbine.nominal_power),
            "rotor_diameter_m": fl(turbine.rotor_diameter),
            "power_curve": curve_dict(turbine.power_curve),
            "power_coefficient_curve": curve_dict(turbine.power_coefficient_curve),
            "bundled_oedb_files_check": files_check,
            "bundled_oedb_same_e126_data": bool(same_curves),
        },
        "heights": heights,
        "formulas": formulas,
        "runs": runs,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")
    print("wrote", os.path.relpath(OUT, REPO))


if __name__ == "__main__":
    main()
