"""Timing and annual energy of a pvlib ModelChain on one TMY3 year, to set beside
terrawatt's ``solar simulate`` (tests/solar.rs, ``simulate_a_tmy3_year``).

Usage, from the repository root:

    /tmp/venv-pvlib/bin/python benches/compare/pvlib_modelchain_speed.py \\
        [../shared/data/solar/723170TYA.CSV] [--repeats 7] [--out FILE.json]

Input: the TMY3 file (default ``/work/shared/data/solar/723170TYA.CSV``, Greensboro NC),
read with ``read_tmy3(coerce_year=1990, map_variables=True)``; pressure converted from
mbar to Pa. The weather passed to ``run_model`` has ``ghi``, ``dni``, ``dhi``,
``temp_air``, ``wind_speed`` and ``pressure``. The file's ``albedo`` column (0 on every
row) is left out: ModelChain would otherwise take it in place of the array's albedo 0.25.

System: Location(36.1, -79.95, 273 m, 'Etc/GMT+5'); a fixed 30 deg / 180 deg array, albedo
0.25, PVWatts DC (pdc0 4000 W, gamma_pdc -0.0047 1/K), SAPM open-rack glass/glass cell
temperature, PVWatts default losses (14.0757 %), PVWatts inverter (pdc0 4000 W,
eta_inv_nom 0.96, eta_inv_ref 0.9637); ModelChain with aoi and spectral 'no_loss',
Perez transposition, 'nrel_numpy' solar position and 'kastenyoung1989' airmass.

What ModelChain does with these choices (pvlib 0.16.1):
- solar position: ``spa_python(how='numpy')`` with the weather's ``pressure`` and
  ``temp_air`` columns; ModelChain passes no ``delta_t``, so spa_python's default 67.0 s
  applies (checked below against an explicit call);
- airmass: relative ``kastenyoung1989`` on the apparent zenith;
- Perez: apparent zenith, that airmass, and ``dni_extra`` from
  ``get_extra_radiation(times)`` (Spencer, solar constant 1366.1);
- rows where Perez gives NaN (dhi = dni = 0 with the sun up) stay NaN through cell
  temperature and DC power; ``pvwatts_inverter`` then sets AC NaN to 0.

``run_model`` is called once as a warm-up, then ``--repeats`` times; the median and
every run's wall time are printed with the annual AC energy (sum of hourly
``results.ac`` in kWh, NaN counted as 0) and the NaN count. Outside the timed runs the
script checks the solar position against ``spa_python(..., delta_t=67.0)`` and the AC
series against the same chain written out with the model functions
(tools/reference/pvlib_irradiance.py builds it that way).
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time

os.environ["PVLIB_USE_NUMBA"] = "0"

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pvlib  # noqa: E402
from pvlib import atmosphere, inverter, irradiance, pvsystem, solarposition, temperature  # noqa: E402
from pvlib.location import Location  # noqa: E402
from pvlib.modelchain import ModelChain  # noqa: E402
from pvlib.pvsystem import PVSystem  # noqa: E402
from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS  # noqa: E402

DEFAULT_TMY3 = "/work/shared/data/solar/723170TYA.CSV"
MODULE = {"pdc0": 4000.0, "gamma_pdc": -0.0047}
INVERTER = {"pdc0": 4000.0, "eta_inv_nom": 0.96, "eta_inv_ref": 0.9637}
SAPM = TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_glass"]
WEATHER_COLUMNS = ["ghi", "dni", "dhi", "temp_air", "wind_speed", "pressure"]


def load_weather(path):
    data, meta = pvlib.iotools.read_tmy3(path, coerce_year=1990, map_variables=True)
    weather = data[WEATHER_COLUMNS].astype(float).copy()
    weather["pressure"] = weather["pressure"] * 100.0  # mbar -> Pa
    return weather, meta


def build_modelchain():
    location = Location(36.1, -79.95, tz="Etc/GMT+5", altitude=273.0)
    system = PVSystem(surface_tilt=30, surface_azimuth=180, albedo=0.25,
                      module_parameters=dict(MODULE), inverter_parameters=dict(INVERTER),
                      temperature_model_parameters=dict(SAPM), losses_parameters={})
    mc = ModelChain(system, location, dc_model="pvwatts", ac_model="pvwatts",
                    aoi_model="no_loss", spectral_model="no_loss", temperature_model="sapm",
                    losses_model="pvwatts", transposition_model="perez",
                    solar_position_method="nrel_numpy", airmass_model="kastenyoung1989")
    return mc, location


def explicit_chain(weather, location):
    """The same chain from the model functions, NaN POA set to 0 before temperature."""
    times = weather.index
    sp = solarposition.spa_python(times, location.latitude, location.longitude,
                                  altitude=location.altitude, pressure=weather["pressure"],
                                  temperature=weather["temp_air"], delta_t=67.0, how="numpy")
    zen, azi = sp["apparent_zenith"], sp["azimuth"]
    am = atmosphere.get_relative_airmass(zen, model="kastenyoung1989")
    dni_extra = irradiance.get_extra_radiation(times)
    poa = irradiance.get_total_irradiance(30, 180, zen, azi, weather["dni"], weather["ghi"],
                                          weather["dhi"], dni_extra=dni_extra, airmass=am,
                                          albedo=0.25, model="perez")
    poa_global = poa["poa_global"].fillna(0.0)
    tcell = temperature.sapm_cell(poa_global, weather["temp_air"], weather["wind_speed"], **SAPM)
    pdc = pvsystem.pvwatts_dc(poa_global, tcell, MODULE["pdc0"], MODULE["gamma_pdc"])
    pdc = pdc * (1 - pvsystem.pvwatts_losses() / 100.0)
    return sp, pd.Series(inverter.pvwatts(pdc, **INVERTER), index=times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tmy3", nargs="?", default=DEFAULT_TMY3)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", help="also write the results as JSON to this file")
    args = ap.parse_args()

    weather, meta = load_weather(args.tmy3)
    mc, location = build_modelchain()

    mc.run_model(weather)  # warm-up
    walls = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        mc.run_model(weather)
        walls.append(time.perf_counter() - t0)
    median_ms = statistics.median(walls) * 1e3

    ac = mc.results.ac
    ac_nan = int(ac.isna().sum())
    poa_nan = int(mc.results.total_irrad["poa_global"].isna().sum())
    energy_kwh = float(ac.fillna(0.0).sum()) / 1000.0  # hourly rows: W -> Wh

    # checks outside the timed runs
    sp, ac_explicit = explicit_chain(weather, location)
    sp_cols = ["apparent_zenith", "zenith", "azimuth"]
    sp_max_diff = float((mc.results.solar_position[sp_cols] - sp[sp_cols]).abs().max().max())
    ac_max_diff = float((ac.fillna(0.0) - ac_explicit).abs().max())
    explicit_kwh = float(ac_explicit.sum()) / 1000.0

    result = {
        "what": "pvlib ModelChain.run_model on one TMY3 year (8760 hourly rows)",
        "tmy3": os.path.abspath(args.tmy3),
        "rows": len(weather),
        "first": weather.index[0].isoformat(),
        "last": weather.index[-1].isoformat(),
        "repeats": args.repeats,
        "wall_ms": [w * 1e3 for w in walls],
        "median_ms": median_ms,
        "annual_ac_kwh": energy_kwh,
        "ac_nan": ac_nan,
        "poa_global_nan": poa_nan,
        "explicit_chain_kwh": explicit_kwh,
        "max_abs_diff_ac_vs_explicit_w": ac_max_diff,
        "max_abs_diff_solar_position_vs_delta_t_67_deg": sp_max_diff,
        "pvwatts_losses_percent": float(pvsystem.pvwatts_losses()),
        "python": platform.python_version(),
        "pvlib": pvlib.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "logical_cores": os.cpu_count(),
        "loadavg": os.getloadavg(),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": " ".join([sys.executable] + sys.argv),
    }

    print(f"pvlib {pvlib.__version__}, numpy {np.__version__}, pandas {pd.__version__}, "
          f"Python {result['python']}")
    print(f"load average {', '.join(f'{x:.2f}' for x in result['loadavg'])}")
    print(f"{args.tmy3}: {len(weather)} rows, {result['first']} .. {result['last']}")
    print(f"run_model, {args.repeats} runs after one warm-up: "
          + ", ".join(f"{w * 1e3:.1f}" for w in walls) + " ms")
    print(f"median {median_ms:.1f} ms")
    print(f"annual AC {energy_kwh:.3f} kWh (results.ac NaN: {ac_nan}; "
          f"poa_global NaN: {poa_nan})")
    print(f"check: solar position vs spa_python(delta_t=67.0): max |diff| {sp_max_diff:.3g} deg")
    print(f"check: explicit chain {explicit_kwh:.3f} kWh, max |AC diff| {ac_max_diff:.3g} W")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
