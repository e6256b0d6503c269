"""Plane-of-array irradiance with a weather file's albedo, as pvlib computes it, for
testing that terrawatt's `solar simulate` takes a weather file's albedo column.

Reads ../shared/data/solar/test_psm3_2017.csv (NSRDB PSM3, 30 minutes, Golden CO,
Etc/GMT+7; its ``Surface Albedo`` is 0.8 under January's snow and 0.11-0.14 in summer)
with pandas, stamps taken as interval centres in Etc/GMT+7 (as the test's
``--label centre --tz Etc/GMT+7`` reads them), and computes for a vertical south-facing
plane (tilt 90, azimuth 180) with pvlib 0.16.1:

* solar position: ``pvlib.solarposition.get_solarposition`` (NREL SPA) at 39.74 N,
  105.18 W, 1829 m, with the file's temperature and pressure;
* ``get_total_irradiance(..., dni_extra=get_extra_radiation(times), airmass=
  get_relative_airmass(apparent zenith, 'kastenyoung1989'), model='perez',
  albedo=A)`` with A the file's ``Surface Albedo`` series, and with A = 0.25;

and writes, per albedo, the sum of ``poa_global`` and of ``poa_ground_diffuse`` (W/m2
summed over the 30-minute intervals, NaN as 0) over the year and over January-February,
to crates/solar/tests/fixtures/pvlib_albedo.json.

    python3 -m venv /var/tmp/venv-pvlib && /var/tmp/venv-pvlib/bin/pip install pvlib pandas
    /var/tmp/venv-pvlib/bin/python tools/reference/pvlib_albedo.py [--data /work/shared/data/solar]
"""

import argparse
import json
from pathlib import Path

import pandas as pd
import pvlib
from pvlib import irradiance, solarposition, atmosphere

REPO = Path(__file__).resolve().parents[2]
LAT, LON, ELEV = 39.74, -105.18, 1829.0
TILT, AZIMUTH = 90.0, 180.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data/solar")
    args = ap.parse_args()
    df = pd.read_csv(Path(args.data) / "test_psm3_2017.csv", index_col=0)
    times = pd.DatetimeIndex(
        pd.to_datetime(df[["Year", "Month", "Day", "Hour", "Minute"]].rename(columns=str.lower))
    ).tz_localize("Etc/GMT+7")
    df.index = times
    sp = solarposition.get_solarposition(
        times, LAT, LON, altitude=ELEV, pressure=df["Pressure"] * 100.0, temperature=df["Temperature"]
    )
    dni_extra = irradiance.get_extra_radiation(times)
    am = atmosphere.get_relative_airmass(sp["apparent_zenith"], "kastenyoung1989")
    out = {
        "generated_by": "tools/reference/pvlib_albedo.py",
        "pvlib": pvlib.__version__,
        "plane": {"tilt": TILT, "azimuth": AZIMUTH, "sky": "perez"},
        "file_albedo_mean": float(df["Surface Albedo"].mean()),
    }
    winter = times.month <= 2
    for name, albedo in (("file", df["Surface Albedo"]), ("fixed_0.25", 0.25)):
        poa = irradiance.get_total_irradiance(
            TILT, AZIMUTH, sp["apparent_zenith"], sp["azimuth"], df["DNI"], df["GHI"], df["DHI"],
            dni_extra=dni_extra, airmass=am, albedo=albedo, model="perez",
        ).fillna(0.0)
        out[name] = {
            "poa_global_sum": float(poa["poa_global"].sum()),
            "poa_ground_diffuse_sum": float(poa["poa_ground_diffuse"].sum()),
            "poa_global_jan_feb": float(poa["poa_global"][winter].sum()),
        }
    dest = REPO / "crates" / "solar" / "tests" / "fixtures" / "pvlib_albedo.json"
    dest.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
