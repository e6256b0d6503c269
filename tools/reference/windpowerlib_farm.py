"""What windpowerlib's TurbineClusterModelChain gives for a wind farm, for testing
terrawatt's farm model.

The farm (turbine data, power curves and nominal powers read with
``WindTurbine(turbine_type=..., hub_height=..., path=<data folder>)`` from the OEDB CSVs in
the wind data folder, default ../shared/data/wind, overridable by the first argument; the
data is read in place and never copied into the repository):

* 6 x E-126/4200 at 135 m (``number_of_turbines=6``);
* V90/2000 at 80 m with ``total_capacity=6e6`` (3 turbines; its curve peaks at 2.0077 MW
  while its nominal power is 2 MW, so the capacity, not the curve, weighs it);
* 2 x V112/3000 at 94 m (its curve starts at 3 m/s with 23 kW, so the zero point that the
  aggregation adds at 0 m/s matters).

Weather: ``example_weather.csv`` read as in windpowerlib's examples
(``pd.read_csv(path, index_col=0, header=[0, 1])``, heights as ints). Every run is
``TurbineClusterModelChain(WindFarm(fleet, efficiency=...), **options).run_model(weather)``
with the options in RUNS below (everything else at windpowerlib's defaults:
logarithmic profile, linear temperature gradient, barometric density, power curve,
block_width 0.5, wind_speed_range 15). Efficiency curves: windpowerlib's bundled
``wind_efficiency_curves_{dena,knorr}.csv`` (the script checks they are byte-identical to
the data folder's copies); a curve given as the farm's power efficiency is passed after
``drop_duplicates()`` (the dena file repeats the row at 9.5328 m/s and windpowerlib's
outer join refuses a repeated wind speed).

Output: crates/wind/tests/fixtures/windpowerlib_farm.csv: '#' comment lines saying how it
was made, then one row per run: the options, the farm's mean hub height, nominal power,
the turbulence intensity used by smoothing (empty where none), the annual energy in MWh
(sum of the 8760 hourly W / 1e6) and the first 48 hourly powers in W (space-separated).
Floats are written as Python repr (shortest round-trip).

Usage (from the repository root, about 2 s):
    /tmp/venv-wind/bin/python tools/reference/windpowerlib_farm.py [DATA_DIR]
"""

import datetime
import filecmp
import hashlib
import math
import os
import platform
import sys
import warnings

import numpy as np
import pandas as pd
import windpowerlib
from windpowerlib import TurbineClusterModelChain, WindFarm, WindTurbine, tools, wake_losses

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(REPO, "crates", "wind", "tests", "fixtures", "windpowerlib_farm.csv")

FLEET = [
    # turbine type, hub height, number_of_turbines, total_capacity
    ("E-126/4200", 135, 6, None),
    ("V90/2000", 80, None, 6e6),
    ("V112/3000", 94, 2, None),
]

# name, farm efficiency ('dena_mean_curve' = the dena_mean curve as a power efficiency),
# TurbineClusterModelChain options
RUNS = [
    ("no_wake_losses", None, dict(wake_losses_model=None)),
    ("farm_efficiency_0_9", 0.9, dict(wake_losses_model="wind_farm_efficiency")),
    ("farm_efficiency_dena_mean_curve", "dena_mean_curve",
     dict(wake_losses_model="wind_farm_efficiency")),
    ("dena_mean", None, dict()),  # the chain's defaults
    ("knorr_mean", None, dict(wake_losses_model="knorr_mean")),
    ("knorr_extreme2", None, dict(wake_losses_model="knorr_extreme2")),
    ("smooth_ti_farm_curves", None,
     dict(wake_losses_model=None, smoothing=True,
          standard_deviation_method="turbulence_intensity",
          smoothing_order="wind_farm_power_curves")),
    ("smooth_ti_turbine_curves", None,
     dict(wake_losses_model=None, smoothing=True,
          standard_deviation_method="turbulence_intensity",
          smoothing_order="turbine_power_curves")),
    ("smooth_sp_farm_curves_dena_mean", None,
     dict(wake_losses_model="dena_mean", smoothing=True,
          standard_deviation_method="Staffell_Pfenninger",
          smoothing_order="wind_farm_power_curves")),
    ("smooth_sp_turbine_curves_efficiency_0_9", 0.9,
     dict(wake_losses_model="wind_farm_efficiency", smoothing=True,
          standard_deviation_method="Staffell_Pfenninger",
          smoothing_order="turbine_power_curves")),
    ("smooth_ti_farm_curves_efficiency_dena_mean_curve", "dena_mean_curve",
     dict(wake_losses_model="wind_farm_efficiency", smoothing=True,
          standard_deviation_method="turbulence_intensity",
          smoothing_order="wind_farm_power_curves")),
    ("density_correction_dena_mean", None,
     dict(wake_losses_model="dena_mean", density_correction=True)),
    ("hellman_ideal_gas_density_correction_knorr_mean", None,
     dict(wake_losses_model="knorr_mean", wind_speed_model="hellman",
          density_model="ideal_gas", density_correction=True)),
]

COLUMNS = ["run", "wake_losses_model", "farm_efficiency", "smoothing",
           "standard_deviation_method", "smoothing_order", "density_correction",
           "wind_speed_model", "density_model", "mean_hub_height_m", "nominal_power_w",
           "turbulence_intensity", "annual_energy_mwh", "first_48_hours_w"]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_weather(path):
    df = pd.read_csv(path, index_col=0, header=[0, 1])
    df.index = pd.to_datetime(df.index, utc=True)
    df.columns = pd.MultiIndex.from_arrays(
        [[c[0] for c in df.columns], [int(c[1]) for c in df.columns]])
    return df


def build_fleet(data_dir):
    fleet = []
    for turbine_type, hub_height, n, capacity in FLEET:
        t = WindTurbine(turbine_type=turbine_type, hub_height=hub_height, path=data_dir)
        fleet.append(t.to_group(number_turbines=n, total_capacity=capacity))
    return fleet


def main():
    data_dir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1
                               else os.path.join(REPO, "..", "shared", "data", "wind"))
    weather_path = os.path.join(data_dir, "example_weather.csv")
    weather = read_weather(weather_path)
    bundled = os.path.join(os.path.dirname(wake_losses.__file__), "data")
    for name in ("wind_efficiency_curves_dena.csv", "wind_efficiency_curves_knorr.csv"):
        if not filecmp.cmp(os.path.join(bundled, name), os.path.join(data_dir, name),
                           shallow=False):
            sys.exit(f"windpowerlib's bundled {name} differs from the data folder's")
    dena_curve = wake_losses.get_wind_efficiency_curve("dena_mean").drop_duplicates()
    dena_curve = dena_curve.reset_index(drop=True)
    roughness_mean = float(weather["roughness_length"].values.mean())

    rows = []
    for name, efficiency, options in RUNS:
        eff = dena_curve if efficiency == "dena_mean_curve" else efficiency
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            farm = WindFarm(build_fleet(data_dir), efficiency=eff, name=name)
            mc = TurbineClusterModelChain(farm, **options).run_model(weather.copy())
        power = np.asarray(mc.power_output, dtype=float)
        full = dict(wake_losses_model="dena_mean", smoothing=False,
                    standard_deviation_method="turbulence_intensity",
                    smoothing_order="wind_farm_power_curves", density_correction=False,
                    wind_speed_model="logarithmic", density_model="barometric")
        full.update(options)
        ti = ""
        if full["smoothing"] and full["standard_deviation_method"] == "turbulence_intensity":
            # windpowerlib estimates it once, at the first fleet's hub height, from the
            # mean roughness length of the weather
            ti = repr(float(tools.estimate_turbulence_intensity(FLEET[0][1], roughness_mean)))
        energy = float(np.sum(power)) / 1e6
        rows.append([
            name, str(full["wake_losses_model"]).replace("None", "none"),
            "" if efficiency is None else str(efficiency),
            str(full["smoothing"]).lower(),
            full["standard_deviation_method"] if full["smoothing"] else "",
            full["smoothing_order"] if full["smoothing"] else "",
            str(full["density_correction"]).lower(), full["wind_speed_model"],
            full["density_model"], repr(float(farm.hub_height)),
            repr(float(farm.nominal_power)), ti, repr(energy),
            " ".join(repr(float(p)) for p in power[:48]),
        ])
        print(f"{name:50s} {energy:14.6f} MWh  hub {farm.hub_height:.4f} m")
        assert not math.isnan(energy)

    header = [
        "windpowerlib TurbineClusterModelChain on a three-fleet farm; generated by",
        "tools/reference/windpowerlib_farm.py (do not edit by hand).",
        f"command: {os.path.basename(sys.executable)} tools/reference/windpowerlib_farm.py "
        "<data folder>",
        f"generated {datetime.date.today().isoformat()} with windpowerlib "
        f"{windpowerlib.__version__}, pandas {pd.__version__}, numpy {np.__version__}, "
        f"Python {platform.python_version()}",
        "weather: example_weather.csv sha256 " + sha256(weather_path),
        "turbines from the data folder's OEDB CSVs (power_curves.csv sha256 "
        + sha256(os.path.join(data_dir, "power_curves.csv")) + ")",
        "fleet: 6 x E-126/4200 at 135 m; V90/2000 at 80 m, total_capacity 6 MW; "
        "2 x V112/3000 at 94 m",
        "efficiency 'dena_mean_curve' = wind_efficiency_curves_dena.csv column dena_mean "
        "(repeated row dropped) as the farm's power efficiency",
        "unlisted options: windpowerlib's defaults (temperature linear_gradient, "
        "block_width 0.5, wind_speed_range 15)",
        "annual_energy_mwh = sum of the 8760 hourly powers (W) / 1e6; first_48_hours_w: "
        "rows 0..47, W",
    ]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for line in header:
            f.write("# " + line + "\n")
        f.write(",".join(COLUMNS) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")
    print("wrote", os.path.relpath(OUT, REPO))


if __name__ == "__main__":
    main()
