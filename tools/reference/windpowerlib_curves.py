"""What windpowerlib's power-curve alterations return, for testing terrawatt's wind model.

Reads the E-126/4200 power curve from ``power_curves.csv`` in the wind data folder
(default ../shared/data/wind, overridable by the first argument; the data is read in
place and never copied into the repository) via
``WindTurbine(turbine_type='E-126/4200', hub_height=135, path=<data folder>)`` and runs:

* ``power_curves.smooth_power_curve(ws, p, block_width=0.5, wind_speed_range=15.0,
  standard_deviation_method='turbulence_intensity', mean_gauss=0,
  turbulence_intensity=0.15)``;
* the same with ``standard_deviation_method='Staffell_Pfenninger'`` (the
  ``turbulence_intensity`` keyword is then ignored);
* ``power_curves.wake_losses_to_power_curve(ws, p, wind_farm_efficiency=...)`` on the raw
  curve, with the 'dena_mean' efficiency curve
  (``wake_losses.get_wind_efficiency_curve('dena_mean')``, which reads windpowerlib's
  bundled data/wind_efficiency_curves_dena.csv; the script checks that file is
  byte-identical to the data folder's copy and that the parsed curve equals the folder's
  'dena_mean' column) and with the constant efficiency 0.8;
* the same two wake-loss variants applied to the turbulence-intensity smoothed curve
  (smoothing first, then wake losses, the order used by windpowerlib's
  ``WindFarm.assign_power_curve``).

It also prints a description of both algorithms with line numbers of the installed
``windpowerlib/power_curves.py``, ``tools.py`` and ``wake_losses.py`` (found by searching
the installed source, so they stay right for the installed version) and stores the same
text in the fixture under ``algorithm``.

Output: crates/wind/tests/fixtures/windpowerlib_curves.json (floats as Python repr, i.e.
shortest round-trip, NaN as null).

Usage (from the repository root):
    /tmp/venv-wind/bin/python tools/reference/windpowerlib_curves.py [DATA_DIR]
"""

import datetime
import hashlib
import inspect
import json
import math
import os
import platform
import sys

import numpy as np
import pandas as pd
import windpowerlib
from windpowerlib import WindTurbine, power_curves, tools, wake_losses

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(REPO, "crates", "wind", "tests", "fixtures", "windpowerlib_curves.json")


def fl(x):
    x = float(x)
    return None if math.isnan(x) else x


def curve(df):
    return {
        "n": int(len(df)),
        "wind_speed": [fl(v) for v in df["wind_speed"]],
        "value": [fl(v) for v in df["value"]],
    }


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def line_of(func, needle):
    """Absolute line number (in the installed file) of the first source line of
    ``func`` containing ``needle``."""
    lines, start = inspect.getsourcelines(func)
    for i, line in enumerate(lines):
        if needle in line:
            return start + i
    raise LookupError(f"{needle!r} not found in {func.__name__}")


def describe():
    sp = power_curves.smooth_power_curve
    wl = power_curves.wake_losses_to_power_curve
    gd = tools.gauss_distribution
    ge = wake_losses.get_wind_efficiency_curve
    L = lambda f, s: line_of(f, s)  # noqa: E731
    pc_file = os.path.relpath(inspect.getsourcefile(sp), os.path.dirname(windpowerlib.__file__))
    return f"""windpowerlib {windpowerlib.__version__}; line numbers refer to the installed
windpowerlib/{pc_file} (power_curves.py), tools.py and wake_losses.py.

smooth_power_curve(ws, p, block_width=bw, wind_speed_range=R,
                   standard_deviation_method=m, mean_gauss=mu, turbulence_intensity=TI)
  Inputs are pandas Series (the turbine's power_curve columns, NaN-free rows of the
  CSV in column order, wind speeds ascending, index 0..n-1).
  1. Normalised standard deviation s_n (power_curves.py l.{L(sp, 'if standard_deviation_method == "turbulence_intensity"')}-{L(sp, 'normalized_standard_deviation = 0.2')}):
     'turbulence_intensity' -> s_n = TI (ValueError if not given);
     'Staffell_Pfenninger'  -> s_n = 0.2.
  2. Grid extension (l.{L(sp, 'maximum_value =')}-{L(sp, 'pd.Series(0.0')}): maximum_value = ws[-1] + R (computed once
     from the ORIGINAL last speed). step = ws[5] - ws[4] (the difference of the 6th and
     5th ORIGINAL speeds; positions 4 and 5 never change as points are only appended).
     While ws[-1] < maximum_value: append ws[-1] + step to ws (repeated floating
     addition, each new point = previous last point + step) and append 0.0 to p.
     So the curve is padded with zero-power points up to the first accumulated value
     >= maximum_value (it may overshoot maximum_value by < step). The extended speeds
     are the output speeds; the output has one value per extended speed.
  3. For every speed v of the EXTENDED grid, in order (l.{L(sp, 'for power_curve_wind_speed in')}-{L(sp, 'smoothed_power_curve_values.append')}):
     a. block = np.arange(-R, R + bw, bw) + v  (l.{L(sp, 'np.arange(')}-{L(sp, '+ power_curve_wind_speed') }).
        np.arange with float arguments: length ceil((R + bw - (-R)) / bw) (=61 for
        R=15, bw=0.5), element k = -R + k*bw (numpy computes start + k*step), then v is
        added elementwise: w_k = (-R + k*bw) + v.
     b. sigma (l.{L(sp, 'standard_deviation = (')}-{L(sp, 'else power_curve_wind_speed * normalized_standard_deviation')}):
        'Staffell_Pfenninger': sigma = v*s_n + 0.6 = v*0.2 + 0.6 (the code adds 0.6;
                               the docstring's "0.6*0.2*v" does not match the code);
        otherwise:             sigma = v*s_n = v*TI.
     c. If sigma == 0.0 (only v == 0 with 'turbulence_intensity'): value = 0.0
        (l.{L(sp, 'if standard_deviation == 0.0')}-{L(sp, 'smoothed_value = 0.0')}).
     d. Else value = Python builtin sum (integer 0 start, left-to-right accumulation in
        k order) over k of  (bw * P(w_k)) * G(v - w_k)   (l.{L(sp, 'smoothed_value = sum(')}-{L(sp, 'for wind_speed in wind_speeds_block')}), where
        P(w) = np.interp(w, ext_ws, ext_p, left=0, right=0): piecewise-linear
               interpolation on the EXTENDED curve (padded zeros included), 0 below
               ext_ws[0] and above ext_ws[-1];
        G(x) = tools.gauss_distribution(x, sigma, mu) (tools.py l.{L(gd, 'return (')}-{L(gd, '(2 * standard_deviation') + 2}):
               1 / (sigma * sqrt(2*pi)) * exp(-((x - mu)**2) / (2 * sigma**2)),
               evaluated as ((1 / (sigma*sqrt(2pi))) * exp(...)), with
               exponent = (-((x-mu)**2)) / (2*sigma**2).
        Note the argument is v - w_k = v - ((-R + k*bw) + v), i.e. approximately
        R - k*bw but computed in floating point exactly as written.
        No normalisation: the Gaussian weights are not rescaled to sum to 1 (the sum
        of bw*G over the finite window is < 1, and the window is truncated at +-R).
  4. Returns DataFrame(wind_speed=extended speeds, value=smoothed values)
     (l.{L(sp, 'smoothed_power_curve_df = pd.DataFrame(')}-{L(sp, 'return smoothed_power_curve_df')}).

wake_losses_to_power_curve(ws, p, wind_farm_efficiency=eff)
  1. power_curve_df = DataFrame(wind_speed=list(ws), value=list(p))
     (power_curves.py l.{L(wl, 'power_curve_df = pd.DataFrame(')}-{L(wl, 'power_curve_df.columns = ["wind_speed", "value"]')}).
  2. eff a Python float (l.{L(wl, 'if isinstance(wind_farm_efficiency, float)')}-{L(wl, 'power_curve_values * wind_farm_efficiency')}): value = p * eff elementwise; speeds unchanged,
     same length.
  3. eff a DataFrame with 'wind_speed' and 'efficiency' (l.{L(wl, 'elif isinstance(wind_farm_efficiency, dict)')}-{L(wl, 'reduced_power = df') + 4}):
     a. df = pd.concat([power_curve_df.set_index('wind_speed'),
                        eff.set_index('wind_speed')], axis=1, sort=True):
        outer join on wind speed: the sorted union of the power-curve speeds and the
        efficiency-curve speeds (a speed present in both becomes one row carrying both
        the value and the efficiency; others get NaN in the missing column).
     b. efficiency column .interpolate(method='index') (l.{L(wl, 'df["efficiency"].interpolate(')}): NaN efficiencies are
        filled by linear interpolation in the wind-speed index between the neighbouring
        known efficiencies; with pandas' default limit_direction='forward', NaNs after
        the last known efficiency are filled with that last efficiency (constant
        extrapolation to the right); NaNs before the first known efficiency would stay
        NaN (no left extrapolation; irrelevant here, the dena curve starts at 0 m/s).
     c. reduced_power = value * interpolated efficiency; .dropna() (l.{L(wl, 'reduced_power = df')}) removes the
        rows that came only from the efficiency curve (value NaN) - and any
        power-curve row left of the first efficiency speed.
     d. Returns DataFrame(wind_speed=remaining index, value=reduced_power): the
        power-curve speeds (sorted), same count as the input when the efficiency
        curve starts at or below the first power-curve speed.
     The efficiency curve used is get_wind_efficiency_curve('dena_mean')
     (wake_losses.py l.{L(ge, 'path = os.path.join(')}-{L(ge, 'return efficiency_curve[curve_names[0]]')}): pd.read_csv of
     windpowerlib/data/wind_efficiency_curves_dena.csv, columns 'wind_speed' and
     'dena_mean' renamed to 'efficiency'.
     Duplicate wind speeds in the efficiency curve (the bundled dena file has 9.5328
     twice) make step a raise pandas InvalidIndexError ("Reindexing only valid with
     uniquely valued Index objects"); the fixture's dena results use the curve with the
     identical duplicate row removed.
  4. Anything else: TypeError (a Python int such as 1 is rejected, only float).
"""


def main():
    data_dir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1
                               else os.path.join(REPO, "..", "shared", "data", "wind"))
    turbine = WindTurbine(turbine_type="E-126/4200", hub_height=135, path=data_dir)
    pc = turbine.power_curve
    ws, p = pc["wind_speed"], pc["value"]

    smoothing = dict(block_width=0.5, wind_speed_range=15.0, mean_gauss=0)
    sm_ti = power_curves.smooth_power_curve(
        ws, p, standard_deviation_method="turbulence_intensity",
        turbulence_intensity=0.15, **smoothing)
    sm_sp = power_curves.smooth_power_curve(
        ws, p, standard_deviation_method="Staffell_Pfenninger",
        turbulence_intensity=0.15, **smoothing)

    eff = wake_losses.get_wind_efficiency_curve("dena_mean")
    bundled = os.path.join(os.path.dirname(wake_losses.__file__), "data",
                           "wind_efficiency_curves_dena.csv")
    folder = os.path.join(data_dir, "wind_efficiency_curves_dena.csv")
    folder_df = pd.read_csv(folder)
    parsed_equal = bool(
        np.array_equal(folder_df["wind_speed"].values, eff["wind_speed"].values)
        and np.array_equal(folder_df["dena_mean"].values, eff["efficiency"].values))
    files_equal = sha256(bundled) == sha256(folder)
    if not (files_equal and parsed_equal):
        print("WARNING: bundled dena curve differs from the data folder's", file=sys.stderr)

    # The bundled dena curve lists wind speed 9.5328 twice (two identical rows). With
    # this pandas, concat(axis=1) on a non-unique index raises InvalidIndexError, so the
    # call with the curve as returned fails; the error is recorded and the curve is
    # passed again with the exact duplicate row dropped (same curve, unique speeds).
    try:
        power_curves.wake_losses_to_power_curve(ws, p, wind_farm_efficiency=eff)
        raw_error = None
    except Exception as e:  # noqa: BLE001
        raw_error = f"{type(e).__module__}.{type(e).__name__}: {e}"
    dups = eff[eff["wind_speed"].duplicated(keep=False)]
    eff_unique = eff.drop_duplicates().reset_index(drop=True)
    assert not eff_unique["wind_speed"].duplicated().any()
    eff = eff_unique
    wl_dena = power_curves.wake_losses_to_power_curve(ws, p, wind_farm_efficiency=eff)
    wl_08 = power_curves.wake_losses_to_power_curve(ws, p, wind_farm_efficiency=0.8)
    wl_dena_sm = power_curves.wake_losses_to_power_curve(
        sm_ti["wind_speed"], sm_ti["value"], wind_farm_efficiency=eff)
    wl_08_sm = power_curves.wake_losses_to_power_curve(
        sm_ti["wind_speed"], sm_ti["value"], wind_farm_efficiency=0.8)

    algorithm = describe()
    print(algorithm)

    curves = {
        "smooth_turbulence_intensity": curve(sm_ti),
        "smooth_staffell_pfenninger": curve(sm_sp),
        "wake_losses_dena_mean": curve(wl_dena),
        "wake_losses_constant_0_8": curve(wl_08),
        "smooth_turbulence_intensity_then_wake_losses_dena_mean": curve(wl_dena_sm),
        "smooth_turbulence_intensity_then_wake_losses_constant_0_8": curve(wl_08_sm),
    }
    for name, c in curves.items():
        print(f"{name}: n={c['n']} first 5 speeds={c['wind_speed'][:5]} values={c['value'][:5]}")

    out = {
        "description": "windpowerlib power_curves.smooth_power_curve and "
                       "wake_losses_to_power_curve on the E-126/4200 power curve; "
                       "generated by tools/reference/windpowerlib_curves.py",
        "versions": {
            "python": platform.python_version(),
            "windpowerlib": windpowerlib.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
        "generated": datetime.date.today().isoformat(),
        "data_sha256": {
            "power_curves.csv": sha256(os.path.join(data_dir, "power_curves.csv")),
            "wind_efficiency_curves_dena.csv": sha256(folder),
        },
        "turbine": {"turbine_type": "E-126/4200", "hub_height": 135},
        "input_power_curve": curve(pc),
        "parameters": {
            "smooth": {"block_width": 0.5, "wind_speed_range": 15.0, "mean_gauss": 0,
                       "turbulence_intensity": 0.15},
            "wake_losses_constant": 0.8,
        },
        "dena_mean_efficiency_curve": {
            "source": "windpowerlib.wake_losses.get_wind_efficiency_curve('dena_mean')",
            "bundled_file_equals_data_folder_file": files_equal,
            "parsed_curve_equals_data_folder_column": parsed_equal,
            "n_rows_as_returned": int(len(eff) + len(dups) - dups.drop_duplicates().shape[0]),
            "duplicate_rows_as_returned": {"row": [int(i) for i in dups.index],
                                           "wind_speed": [fl(v) for v in dups["wind_speed"]],
                                           "efficiency": [fl(v) for v in dups["efficiency"]]},
            "error_with_curve_as_returned": raw_error,
            "deduplication": "eff.drop_duplicates() (identical rows only); the curve below "
                             "and the dena_mean results use it",
            "wind_speed": [fl(v) for v in eff["wind_speed"]],
            "efficiency": [fl(v) for v in eff["efficiency"]],
        },
        "curves": curves,
        "algorithm": algorithm,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")
    print("wrote", os.path.relpath(OUT, REPO))


if __name__ == "__main__":
    main()
