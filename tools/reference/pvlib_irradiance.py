"""Reference irradiance, clear-sky, transposition, tracking, temperature and PVWatts
results from pvlib for crates/solar.

Reads the TMY3 file 723170TYA.CSV (Greensboro Piedmont Triad Int'l, NC) with
``pvlib.iotools.read_tmy3(map_variables=True, coerce_year=1990)``, runs a chain of
pvlib models on the full year (8,760 hourly rows; dirint's delta-kt' and fuentes'
thermal lag use neighbouring rows), then keeps every 5th row (row index % 5 == 0,
1,752 rows) and writes:

* ``crates/solar/tests/fixtures/pvlib_irradiance.csv.gz``: one row per kept hour,
  floats as Python ``repr`` (full float64 precision), NaN as an empty field, UTF-8,
  "\\n" line endings; gzip level 9 with mtime 0 and no file name in the header, so
  the file is byte-for-byte repeatable.
* ``crates/solar/tests/fixtures/pvlib_irradiance.json``: provenance, site metadata,
  read_tmy3's timestamp handling, every model call with its settings, the column
  list, NaN counts, and ``sun_rise_set_transit_spa`` results for the five sites of
  ``pvlib_spa.json`` on the 1st and 15th of each month of 2020.

Run from the repository root (the data stays in ../shared/data/solar):

    python3 -m venv /tmp/venv-pvlib && /tmp/venv-pvlib/bin/pip install pvlib pandas numpy
    /tmp/venv-pvlib/bin/python tools/reference/pvlib_irradiance.py \\
        [--tmy3 /work/shared/data/solar/723170TYA.CSV] [--out-dir DIR]
"""

import argparse
import datetime as dt
import gzip
import hashlib
import io
import json
import math
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("PVLIB_USE_NUMBA", "0")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pvlib  # noqa: E402
from pvlib import atmosphere, clearsky, inverter, irradiance, pvsystem  # noqa: E402
from pvlib import solarposition, temperature, tracking  # noqa: E402
from pvlib.iotools import read_tmy3  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "crates" / "solar" / "tests" / "fixtures"
DEFAULT_TMY3 = "/work/shared/data/solar/723170TYA.CSV"

COERCE_YEAR = 1990  # not a leap year; TMY3 files have no 29 February
KEEP_EVERY = 5
DELTA_T = 67.0
SPA_HOW = "numpy"

SURFACE_TILT = 30.0
SURFACE_AZIMUTH = 180.0
ALBEDO = 0.25

AIRMASS_MODELS = ["kastenyoung1989", "kasten1966", "simple", "young1994",
                  "gueymard1993", "pickering2002", "gueymard2003"]

LINKE_FIXED = 3.0
SOLIS = {"aod700": 0.1, "precipitable_water": 1.0}

TRACKER = {"axis_tilt": 0.0, "axis_azimuth": 180.0, "max_angle": 60.0,
           "backtrack": True, "gcr": 0.35, "cross_axis_tilt": 0.0}

SAPM_KEY = "open_rack_glass_glass"
PVSYST = {"u_c": 29.0, "u_v": 0.0, "module_efficiency": 0.1, "alpha_absorption": 0.9}
FAIMAN = {"u0": 25.0, "u1": 6.84}
FUENTES = {"noct_installed": 45.0, "module_height": 5.0, "wind_height": 9.144,
           "emissivity": 0.84, "absorption": 0.83, "surface_tilt": 30.0,
           "module_width": 0.31579, "module_length": 1.2}

PVWATTS_DC = {"pdc0": 4000.0, "gamma_pdc": -0.0047, "temp_ref": 25.0}
PVWATTS_AC = {"pdc0": 4000.0, "eta_inv_nom": 0.96, "eta_inv_ref": 0.9637}

SPA_FIXTURE = FIXTURES / "pvlib_spa.json"

# (column, meaning) in file order.
COLUMNS = [
    ("time", "hour label from read_tmy3 (end of the TMY3 hour), RFC 3339 with the file's fixed UTC offset"),
    ("unix", "the same instant as integer Unix seconds"),
    ("ghi", "TMY3 GHI, W/m2"),
    ("dni", "TMY3 DNI, W/m2"),
    ("dhi", "TMY3 DHI, W/m2"),
    ("temp_air", "TMY3 dry-bulb temperature, degC"),
    ("wind_speed", "TMY3 wind speed, m/s"),
    ("pressure", "TMY3 station pressure converted to Pa (file mbar x 100)"),
    ("albedo", "TMY3 albedo column as read (all 0 in this file; not used by any model here)"),
    ("temp_dew", "TMY3 dew-point temperature, degC"),
    ("apparent_zenith", "spa_python apparent (refracted) zenith, deg"),
    ("zenith", "spa_python topocentric zenith without refraction, deg"),
    ("apparent_elevation", "spa_python apparent elevation, deg"),
    ("azimuth", "spa_python azimuth, deg east of north"),
    ("dni_extra_spencer", "get_extra_radiation(times, method='spencer'), solar constant 1366.1, W/m2"),
    ("dni_extra_asce", "get_extra_radiation(times, method='asce'), W/m2"),
    ("dni_extra_nrel", "get_extra_radiation(times, method='nrel', how='numpy', delta_t=67.0), W/m2"),
]
COLUMNS += [(f"airmass_{m}", f"get_relative_airmass(apparent_zenith, model='{m}')")
            for m in AIRMASS_MODELS]
COLUMNS += [
    ("airmass_absolute", "get_absolute_airmass(airmass_kastenyoung1989, pressure) = am * pressure / 101325"),
    ("cs_haurwitz_ghi", "haurwitz(apparent_zenith) GHI, W/m2"),
    ("cs_ineichen_ghi", "ineichen(..., linke_turbidity=3.0) GHI, W/m2"),
    ("cs_ineichen_dni", "ineichen(..., linke_turbidity=3.0) DNI, W/m2"),
    ("cs_ineichen_dhi", "ineichen(..., linke_turbidity=3.0) DHI, W/m2"),
    ("linke_pvlib", "lookup_linke_turbidity(times, lat, lon) (monthly climatology interpolated by UTC day of year)"),
    ("cs_ineichen_lt_ghi", "ineichen(..., linke_turbidity=linke_pvlib) GHI, W/m2"),
    ("cs_ineichen_lt_dni", "ineichen(..., linke_turbidity=linke_pvlib) DNI, W/m2"),
    ("cs_ineichen_lt_dhi", "ineichen(..., linke_turbidity=linke_pvlib) DHI, W/m2"),
    ("cs_solis_ghi", "simplified_solis(apparent_elevation, aod700=0.1, precipitable_water=1.0, pressure, dni_extra_spencer) GHI, W/m2"),
    ("cs_solis_dni", "simplified_solis DNI, W/m2"),
    ("cs_solis_dhi", "simplified_solis DHI, W/m2"),
    ("erbs_dni", "erbs(ghi, zenith, times) DNI, W/m2"),
    ("erbs_dhi", "erbs DHI, W/m2"),
    ("erbs_kt", "erbs clearness index kt"),
    ("disc_dni", "disc(ghi, zenith, times, pressure) DNI, W/m2"),
    ("disc_kt", "disc clearness index kt"),
    ("disc_airmass", "disc airmass (kasten1966, pressure-corrected, capped at 12)"),
    ("dirint_dni", "dirint(ghi, zenith, times, pressure, use_delta_kt_prime=True, temp_dew=temp_dew) DNI, W/m2"),
    ("dirint_nodew_dni", "the same dirint call with temp_dew=None, W/m2"),
    ("aoi", "aoi(30, 180, apparent_zenith, azimuth), deg"),
    ("sky_isotropic", "isotropic(30, dhi), W/m2"),
    ("sky_haydavies", "haydavies(30, 180, dhi, dni, dni_extra_spencer, apparent_zenith, azimuth), W/m2"),
    ("sky_perez", "perez(30, 180, dhi, dni, dni_extra_spencer, apparent_zenith, azimuth, airmass_kastenyoung1989), W/m2"),
    ("sky_klucher", "klucher(30, 180, dhi, ghi, apparent_zenith, azimuth), W/m2"),
    ("sky_reindl", "reindl(30, 180, dhi, dni, ghi, dni_extra_spencer, apparent_zenith, azimuth), W/m2"),
    ("ground_diffuse", "get_ground_diffuse(30, ghi, albedo=0.25), W/m2"),
    ("poa_global", "get_total_irradiance(model='perez', ...) poa_global, W/m2"),
    ("poa_direct", "get_total_irradiance poa_direct, W/m2"),
    ("poa_diffuse", "get_total_irradiance poa_diffuse (sky + ground), W/m2"),
    ("trk_theta", "singleaxis(backtrack=True) tracker_theta, deg"),
    ("trk_aoi", "singleaxis(backtrack=True) aoi, deg"),
    ("trk_surface_tilt", "singleaxis(backtrack=True) surface_tilt, deg"),
    ("trk_surface_azimuth", "singleaxis(backtrack=True) surface_azimuth, deg"),
    ("trk_theta_nobacktrack", "singleaxis(backtrack=False) tracker_theta, deg"),
    ("t_sapm_cell", "sapm_cell(poa_global (NaN -> 0, as for every temperature column), temp_air, wind_speed, open_rack_glass_glass), degC"),
    ("t_sapm_module", "sapm_module(poa_global, temp_air, wind_speed, a, b of open_rack_glass_glass), degC"),
    ("t_pvsyst_cell", "pvsyst_cell(poa_global, temp_air, wind_speed, u_c=29, u_v=0, eta=0.1, alpha=0.9), degC"),
    ("t_faiman", "faiman(poa_global, temp_air, wind_speed, u0=25, u1=6.84), degC"),
    ("t_fuentes", "fuentes(poa_global, temp_air, wind_speed, noct_installed=45, ...) on the full hourly year, degC"),
    ("pdc", "pvwatts_dc(poa_global (NaN -> 0), t_sapm_cell, pdc0=4000, gamma_pdc=-0.0047, temp_ref=25), W"),
    ("pdc_net", "pdc * (1 - pvwatts_losses()/100), W"),
    ("pac", "inverter.pvwatts(pdc_net, pdc0=4000, eta_inv_nom=0.96, eta_inv_ref=0.9637), W"),
]


def fmt(v):
    if v is None:
        return ""
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    f = float(v)
    if math.isnan(f):
        return ""
    return repr(f)


def rfc3339(ts):
    s = ts.isoformat()
    if s.endswith("+00:00"):
        s = s[:-6] + "Z"
    return s


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def series(x, index):
    if isinstance(x, pd.DataFrame):
        raise TypeError("expected a 1-D result")
    if isinstance(x, pd.Series):
        return x.astype(float)
    return pd.Series(np.asarray(x, dtype=float), index=index)


def compute(tmy3_path):
    data, meta = read_tmy3(tmy3_path, coerce_year=COERCE_YEAR, map_variables=True)
    raw_data, _ = read_tmy3(tmy3_path, map_variables=True)
    if len(data) != 8760:
        sys.exit(f"expected 8760 rows, got {len(data)}")
    times = data.index
    if not times.is_monotonic_increasing or not (np.diff(times.asi8) > 0).all():
        sys.exit("index not strictly increasing")
    step = np.unique(np.diff(times.asi8))
    lat, lon, alt = meta["latitude"], meta["longitude"], meta["altitude"]

    out = pd.DataFrame(index=times)
    ghi, dni, dhi = data["ghi"].astype(float), data["dni"].astype(float), data["dhi"].astype(float)
    temp_air = data["temp_air"].astype(float)
    wind = data["wind_speed"].astype(float)
    pressure = data["pressure"].astype(float) * 100.0  # mbar -> Pa
    temp_dew = data["temp_dew"].astype(float)
    out["ghi"], out["dni"], out["dhi"] = ghi, dni, dhi
    out["temp_air"], out["wind_speed"], out["pressure"] = temp_air, wind, pressure
    out["albedo"] = data["albedo"].astype(float) if "albedo" in data else np.nan
    out["temp_dew"] = temp_dew

    sp = solarposition.spa_python(times, lat, lon, altitude=alt,
                                  pressure=pressure.values, temperature=temp_air.values,
                                  delta_t=DELTA_T, how=SPA_HOW)
    for c in ["apparent_zenith", "zenith", "apparent_elevation", "azimuth"]:
        out[c] = sp[c]
    zen_app, zen, elev_app, azi = sp["apparent_zenith"], sp["zenith"], sp["apparent_elevation"], sp["azimuth"]

    out["dni_extra_spencer"] = irradiance.get_extra_radiation(times, method="spencer")
    out["dni_extra_asce"] = irradiance.get_extra_radiation(times, method="asce")
    out["dni_extra_nrel"] = irradiance.get_extra_radiation(times, method="nrel", how=SPA_HOW,
                                                           delta_t=DELTA_T)
    dni_extra = out["dni_extra_spencer"]

    for m in AIRMASS_MODELS:
        out[f"airmass_{m}"] = series(atmosphere.get_relative_airmass(zen_app, model=m), times)
    am_rel = out["airmass_kastenyoung1989"]
    am_abs = series(atmosphere.get_absolute_airmass(am_rel, pressure), times)
    out["airmass_absolute"] = am_abs

    out["cs_haurwitz_ghi"] = clearsky.haurwitz(zen_app)["ghi"]
    cs = clearsky.ineichen(zen_app, am_abs, linke_turbidity=LINKE_FIXED, altitude=alt,
                           dni_extra=dni_extra, perez_enhancement=False)
    for c in ["ghi", "dni", "dhi"]:
        out[f"cs_ineichen_{c}"] = series(cs[c], times)
    lt = clearsky.lookup_linke_turbidity(times, lat, lon)
    out["linke_pvlib"] = lt
    cs = clearsky.ineichen(zen_app, am_abs, linke_turbidity=lt, altitude=alt,
                           dni_extra=dni_extra, perez_enhancement=False)
    for c in ["ghi", "dni", "dhi"]:
        out[f"cs_ineichen_lt_{c}"] = series(cs[c], times)
    cs = clearsky.simplified_solis(elev_app, aod700=SOLIS["aod700"],
                                   precipitable_water=SOLIS["precipitable_water"],
                                   pressure=pressure, dni_extra=dni_extra)
    for c in ["ghi", "dni", "dhi"]:
        out[f"cs_solis_{c}"] = series(cs[c], times)

    e = irradiance.erbs(ghi, zen, times)
    out["erbs_dni"], out["erbs_dhi"], out["erbs_kt"] = e["dni"], e["dhi"], e["kt"]
    d = irradiance.disc(ghi, zen, times, pressure=pressure)
    out["disc_dni"], out["disc_kt"], out["disc_airmass"] = d["dni"], d["kt"], d["airmass"]
    out["dirint_dni"] = series(irradiance.dirint(ghi, zen, times, pressure=pressure,
                                                 use_delta_kt_prime=True, temp_dew=temp_dew), times)
    out["dirint_nodew_dni"] = series(irradiance.dirint(ghi, zen, times, pressure=pressure,
                                                       use_delta_kt_prime=True, temp_dew=None), times)

    T, A = SURFACE_TILT, SURFACE_AZIMUTH
    out["aoi"] = series(irradiance.aoi(T, A, zen_app, azi), times)
    out["sky_isotropic"] = series(irradiance.isotropic(T, dhi), times)
    out["sky_haydavies"] = series(irradiance.haydavies(T, A, dhi, dni, dni_extra, zen_app, azi), times)
    out["sky_perez"] = series(irradiance.perez(T, A, dhi, dni, dni_extra, zen_app, azi, am_rel), times)
    out["sky_klucher"] = series(irradiance.klucher(T, A, dhi, ghi, zen_app, azi), times)
    out["sky_reindl"] = series(irradiance.reindl(T, A, dhi, dni, ghi, dni_extra, zen_app, azi), times)
    out["ground_diffuse"] = series(irradiance.get_ground_diffuse(T, ghi, albedo=ALBEDO), times)
    poa = irradiance.get_total_irradiance(T, A, zen_app, azi, dni, ghi, dhi, dni_extra=dni_extra,
                                          airmass=am_rel, albedo=ALBEDO, model="perez")
    for c in ["poa_global", "poa_direct", "poa_diffuse"]:
        out[c] = series(poa[c], times)
    if not np.allclose(poa["poa_sky_diffuse"].values, out["sky_perez"].values, rtol=0, atol=0,
                       equal_nan=True):
        sys.exit("get_total_irradiance's Perez sky diffuse differs from perez()")

    trk = tracking.singleaxis(zen_app, azi, **TRACKER)
    out["trk_theta"], out["trk_aoi"] = trk["tracker_theta"], trk["aoi"]
    out["trk_surface_tilt"], out["trk_surface_azimuth"] = trk["surface_tilt"], trk["surface_azimuth"]
    trk_nb = tracking.singleaxis(zen_app, azi, **{**TRACKER, "backtrack": False})
    out["trk_theta_nobacktrack"] = trk_nb["tracker_theta"]

    # pvlib's perez() returns NaN where dhi = dni = 0 with the sun up (clearness
    # 0/0 -> NaN bin -> NaN coefficients; only rows with NaN airmass are zeroed).
    # Those rows are exported as NaN; the thermal and PVWatts models get 0 there
    # (ghi = dni = dhi = 0, so every component is 0), otherwise fuentes would carry
    # the NaN through the rest of the year.
    poa_nan = out["poa_global"].isna()
    if not ((ghi[poa_nan] == 0) & (dni[poa_nan] == 0) & (dhi[poa_nan] == 0)).all():
        sys.exit("poa_global is NaN on a row with nonzero irradiance")
    poa_global = out["poa_global"].fillna(0.0)
    sapm = temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][SAPM_KEY]
    out["t_sapm_cell"] = series(temperature.sapm_cell(poa_global, temp_air, wind, **sapm), times)
    out["t_sapm_module"] = series(temperature.sapm_module(poa_global, temp_air, wind,
                                                          sapm["a"], sapm["b"]), times)
    out["t_pvsyst_cell"] = series(temperature.pvsyst_cell(poa_global, temp_air, wind, **PVSYST), times)
    out["t_faiman"] = series(temperature.faiman(poa_global, temp_air, wind, **FAIMAN), times)
    out["t_fuentes"] = series(temperature.fuentes(poa_global, temp_air, wind, **FUENTES), times)

    pdc = series(pvsystem.pvwatts_dc(poa_global, out["t_sapm_cell"], **PVWATTS_DC), times)
    loss = float(pvsystem.pvwatts_losses())
    pdc_net = pdc * (1 - loss / 100.0)
    out["pdc"], out["pdc_net"] = pdc, pdc_net
    out["pac"] = series(inverter.pvwatts(pdc_net, **PVWATTS_AC), times)

    info = {
        "meta": meta, "lat": lat, "lon": lon, "alt": alt, "sapm": dict(sapm), "loss": loss,
        "step_ns": [int(s) for s in step], "poa_nan_rows": int(poa_nan.sum()),
        "poa_nan_max_zenith": float(zen_app[poa_nan].max()) if poa_nan.any() else None,
        "poa_nan_min_zenith": float(zen_app[poa_nan].min()) if poa_nan.any() else None, "raw_index": raw_data.index,
        "linke_filepath": os.path.join(os.path.dirname(os.path.abspath(clearsky.__file__)),
                                       "data", "LinkeTurbidities.h5"),
        "data": data,
    }
    return out, info


def write_csv_gz(out, path):
    names = [c for c, _ in COLUMNS]
    data_cols = [c for c in names if c not in ("time", "unix")]
    missing = [c for c in data_cols if c not in out.columns]
    if missing:
        sys.exit(f"missing columns: {missing}")
    buf = io.StringIO()
    buf.write(",".join(names) + "\n")
    # asi8 is in the index's unit; normalise to seconds.
    unit_ns = pd.Timedelta(1, unit=out.index.unit).value
    unix = (out.index.asi8 * unit_ns) // 10**9
    vals = out[data_cols].to_numpy(dtype=float)
    for ts, u, row in zip(out.index, unix, vals):
        buf.write(",".join([rfc3339(ts), str(int(u))] + [fmt(v) for v in row]) + "\n")
    raw = buf.getvalue().encode("utf-8")
    with open(path, "wb") as fh:
        with gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz:
            gz.write(raw)
    return len(raw)


def rise_set(spa_fixture):
    sites = json.loads(Path(spa_fixture).read_text())["sites"]
    dates = [dt.date(2020, m, d) for m in range(1, 13) for d in (1, 15)]
    result = []
    for s in sites:
        lat, lon = s["latitude"], s["longitude"]
        # Local mean solar noon, as a UTC instant: 12:00 UTC - lon/15 h. For these five
        # sites it falls on the same UTC calendar date, and pvlib uses only the calendar
        # date of each timestamp (in the timestamp's own zone, here UTC).
        noon = pd.DatetimeIndex([pd.Timestamp(d.isoformat(), tz="UTC")
                                 + pd.Timedelta(hours=12) - pd.Timedelta(hours=lon / 15.0)
                                 for d in dates]).round("s")
        if [t.date() for t in noon] != dates:
            sys.exit(f"{s['name']}: local noon leaves the UTC date")
        r = solarposition.sun_rise_set_transit_spa(noon, lat, lon, how=SPA_HOW, delta_t=DELTA_T)
        rows = []
        for t, (_, row) in zip(noon, r.iterrows()):
            entry = {"date_utc": t.date().isoformat(), "input_time": rfc3339(t)}
            for c in ["sunrise", "sunset", "transit"]:
                v = row[c]
                if pd.isna(v):
                    entry[c] = None
                    entry[c + "_unix"] = None
                else:
                    v = pd.Timestamp(v).tz_convert("UTC")
                    entry[c] = rfc3339(v)
                    entry[c + "_unix"] = v.as_unit("ns").value / 1e9
            rows.append(entry)
        result.append({"name": s["name"], "latitude": lat, "longitude": lon, "days": rows})
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tmy3", default=DEFAULT_TMY3)
    ap.add_argument("--out-dir", default=str(FIXTURES))
    ap.add_argument("--spa-fixture", default=str(SPA_FIXTURE))
    args = ap.parse_args()
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    full, info = compute(args.tmy3)
    keep = full.iloc[np.arange(len(full)) % KEEP_EVERY == 0]
    csv_path = out_dir / "pvlib_irradiance.csv.gz"
    raw_len = write_csv_gz(keep, csv_path)

    meta = info["meta"]
    raw_idx = info["raw_index"]
    nan_counts = {c: int(keep[c].isna().sum()) for c, _ in COLUMNS if c in keep and keep[c].isna().any()}
    nan_counts_full = {c: int(full[c].isna().sum()) for c, _ in COLUMNS if c in full and full[c].isna().any()}
    data = info["data"]
    sidecar = {
        "provenance": {
            "generator": "tools/reference/pvlib_irradiance.py",
            "command": " ".join([Path(sys.executable).as_posix()] + sys.argv),
            "date_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "python": platform.python_version(),
            "pvlib": pvlib.__version__, "numpy": np.__version__, "pandas": pd.__version__,
            "pvlib_spa_numba": False,
            "input": {"path": str(args.tmy3), "sha256": sha256(args.tmy3),
                      "bytes": os.path.getsize(args.tmy3)},
            "csv_gz": {"path": "crates/solar/tests/fixtures/pvlib_irradiance.csv.gz",
                       "sha256": sha256(csv_path), "bytes": os.path.getsize(csv_path),
                       "uncompressed_bytes": raw_len,
                       "gzip": "level 9, mtime 0, empty FNAME"},
        },
        "site": {
            "usaf": meta["USAF"], "name": meta["Name"].strip('"'), "name_raw": meta["Name"],
            "state": meta["State"], "tz_hours": meta["TZ"],
            "latitude": meta["latitude"], "longitude": meta["longitude"],
            "altitude_m": meta["altitude"],
        },
        "read_tmy3": {
            "call": f"read_tmy3(path, coerce_year={COERCE_YEAR}, map_variables=True)",
            "coerce_year": COERCE_YEAR,
            "notes": [
                "Each TMY3 row is labelled by the END of its hour ('01:00' covers 00:00-01:00 local standard time); pvlib keeps that label. No half-hour shift is applied anywhere in this file: solar position and every model use the label instant.",
                "'24:00' is read as 00:00 of the next day (hour % 24 and the date advanced one day).",
                "A date that lands on 29 February after that shift is moved to 1 March.",
                "The index is localized to a fixed offset of TZ hours (UTC-05:00 here, no DST).",
                f"Without coerce_year the index keeps each month's source year, so it is not monotonic: this file's raw index runs from {rfc3339(raw_idx[0])} to {rfc3339(raw_idx[-1])} (the last row, 31 Dec 24:00, becomes 1 January of the December source year + 1).",
                f"With coerce_year={COERCE_YEAR} every row gets year {COERCE_YEAR} except the last (31 Dec 24:00 -> {COERCE_YEAR + 1}-01-01T00:00-05:00), so the index is strictly increasing with a constant 1 h step; dirint's delta-kt' (neighbouring rows) and fuentes' time step (index differences) need that.",
                "pressure is in mbar in the file and in pvlib's DataFrame; this file's pressure column is that value x 100 (Pa), and that Pa series is what every model below receives.",
                "The file's albedo column is 0 on every row (source flag '?' on 5904 rows, 'F' on 2856): it is exported as read and not used; the transposition uses albedo 0.25.",
            ],
            "first_time": rfc3339(full.index[0]), "last_time": rfc3339(full.index[-1]),
            "index_step_ns": info["step_ns"],
            "source_years_by_month": {int(m): int(y) for m, y in
                                      pd.Series(raw_idx.year, index=data.index.month)
                                      .groupby(level=0).agg(lambda s: s.mode().iloc[0]).items()},
        },
        "rows": {"computed": len(full), "kept": len(keep),
                 "selection": f"row index % {KEEP_EVERY} == 0 of the full 8760-row year, after all models ran on the full year"},
        "settings": {
            "solar_position": {
                "call": "spa_python(times, latitude, longitude, altitude=altitude_m, pressure=pressure_pa_column, temperature=temp_air_column, delta_t=67.0, how='numpy')",
                "delta_t": DELTA_T, "how": SPA_HOW, "atmos_refract": 0.5667,
                "note": "atmos_refract left at pvlib's default (None -> 0.5667)."},
            "dni_extra": {
                "spencer": "get_extra_radiation(times, method='spencer') (solar_constant 1366.1; day of year taken in UTC)",
                "asce": "get_extra_radiation(times, method='asce') (solar_constant 1366.1; day of year in UTC)",
                "nrel": "get_extra_radiation(times, method='nrel', how='numpy', delta_t=67.0): 1366.1 / R^2 with R = pvlib.solarposition.nrel_earthsun_distance(times, how='numpy', delta_t=67.0), the SPA Earth radius vector; it depends only on the instant and delta_t",
                "pyephem": "not computed",
                "solar_constant": 1366.1,
                "used_downstream": "dni_extra_spencer"},
            "airmass": {"relative": "get_relative_airmass(apparent_zenith, model=m); NaN where the model is undefined (zenith > 90)",
                        "models": AIRMASS_MODELS,
                        "absolute": "get_absolute_airmass(airmass_kastenyoung1989, pressure=pressure_pa_column)"},
            "clearsky": {
                "haurwitz": "haurwitz(apparent_zenith)['ghi']; 0 where cos(apparent_zenith) <= 0",
                "ineichen": {"call": "ineichen(apparent_zenith, airmass_absolute, linke_turbidity, altitude=altitude_m, dni_extra=dni_extra_spencer, perez_enhancement=False)",
                             "linke_turbidity_fixed": LINKE_FIXED},
                "ineichen_lt": {"call": "the same with linke_turbidity=lookup_linke_turbidity(times, latitude, longitude)",
                                "interp_turbidity": True,
                                "filepath": info["linke_filepath"],
                                "filepath_sha256": sha256(info["linke_filepath"]),
                                "note": "LinkeTurbidities.h5 holds 20 x TL as uint8 on a 1/12 deg grid, one value per month; pvlib takes the nearest grid cell and interpolates linearly between mid-month days (by UTC day of year, non-leap table for 1990), then divides by 20."},
                "simplified_solis": {"call": "simplified_solis(apparent_elevation, aod700=0.1, precipitable_water=1.0, pressure=pressure_pa_column, dni_extra=dni_extra_spencer)",
                                     **SOLIS},
            },
            "decomposition": {
                "erbs": "erbs(ghi, zenith, times) (min_cos_zenith=0.065, max_zenith=87); dni_extra inside = get_extra_radiation(times) spencer 1366.1",
                "disc": "disc(ghi, zenith, times, pressure=pressure_pa_column) (min_cos_zenith=0.065, max_zenith=87, max_airmass=12); I0 = get_extra_radiation(times, 1370.0, 'spencer'); airmass = kasten1966 on zenith x pressure/101325",
                "dirint": "dirint(ghi, zenith, times, pressure=pressure_pa_column, use_delta_kt_prime=True, temp_dew=temp_dew_column) (min_cos_zenith=0.065, max_zenith=87)",
                "dirint_nodew": "dirint(..., use_delta_kt_prime=True, temp_dew=None)",
                "zenith_used": "zenith (topocentric, no refraction), as the calls above state",
            },
            "fixed_plane": {
                "surface_tilt": SURFACE_TILT, "surface_azimuth": SURFACE_AZIMUTH, "albedo": ALBEDO,
                "solar_zenith_used": "apparent_zenith", "solar_azimuth_used": "azimuth",
                "aoi": "aoi(30, 180, apparent_zenith, azimuth)",
                "isotropic": "isotropic(30, dhi)",
                "haydavies": "haydavies(30, 180, dhi, dni, dni_extra_spencer, apparent_zenith, azimuth)",
                "perez": "perez(30, 180, dhi, dni, dni_extra_spencer, apparent_zenith, azimuth, airmass_kastenyoung1989, model='allsitescomposite1990')",
                "klucher": "klucher(30, 180, dhi, ghi, apparent_zenith, azimuth)",
                "reindl": "reindl(30, 180, dhi, dni, ghi, dni_extra_spencer, apparent_zenith, azimuth)",
                "ground": "get_ground_diffuse(30, ghi, albedo=0.25)",
                "total": "get_total_irradiance(30, 180, apparent_zenith, azimuth, dni, ghi, dhi, dni_extra=dni_extra_spencer, airmass=airmass_kastenyoung1989, albedo=0.25, model='perez') (model_perez='allsitescomposite1990'); its poa_sky_diffuse equals sky_perez exactly (checked)",
            },
            "tracker": {"call": "singleaxis(apparent_zenith, azimuth, axis_tilt=0, axis_azimuth=180, max_angle=60, backtrack=True, gcr=0.35)",
                        **TRACKER,
                        "no_backtrack": "the same with backtrack=False (only tracker_theta kept)"},
            "temperature": {
                "input": "poa_global (Perez, get_total_irradiance) with NaN replaced by 0, temp_air, wind_speed",
                "poa_global_nan": {"rows_full_year": info["poa_nan_rows"],
                                   "apparent_zenith_range": [info["poa_nan_min_zenith"], info["poa_nan_max_zenith"]],
                                   "note": "pvlib's perez() gives NaN where dhi = dni = 0 (so ghi = 0) while airmass is finite (sun up): the clearness (dhi + dni)/dhi is 0/0, its bin is -1 and the coefficients are NaN; perez() zeroes only rows whose airmass is NaN. sky_perez, poa_diffuse and poa_global are exported as NaN there. The temperature and PVWatts models receive 0 on those rows (all irradiance components are 0); without that fuentes, a recursion, would be NaN for the rest of the year."},
                "sapm": {"parameters": f"TEMPERATURE_MODEL_PARAMETERS['sapm']['{SAPM_KEY}']", **info["sapm"],
                         "irrad_ref": 1000.0,
                         "sapm_module": "sapm_module(poa_global, temp_air, wind_speed, a, b)"},
                "pvsyst_cell": PVSYST, "faiman": FAIMAN,
                "fuentes": {**FUENTES, "note": "run on the full hourly year (time step from the index; first step set equal to the second); starts from 20 degC module temperature (tmod0 = 293.15 K)"},
            },
            "pvwatts": {
                "dc": {"call": "pvwatts_dc(poa_global, t_sapm_cell, pdc0=4000, gamma_pdc=-0.0047, temp_ref=25)", **PVWATTS_DC, "k": None},
                "losses": {"call": "pvwatts_losses() with pvlib's defaults",
                           "inputs_percent": {"soiling": 2, "shading": 3, "snow": 0, "mismatch": 2, "wiring": 2,
                                              "connections": 0.5, "lid": 1.5, "nameplate_rating": 1, "age": 0,
                                              "availability": 3},
                           "combined": "(1 - prod(1 - x/100)) x 100",
                           "loss_percent": info["loss"]},
                "net": "pdc_net = pdc * (1 - loss_percent/100)",
                "ac": {"call": "inverter.pvwatts(pdc_net, pdc0=4000, eta_inv_nom=0.96, eta_inv_ref=0.9637)", **PVWATTS_AC,
                       "note": "AC is capped at eta_inv_nom x pdc0 = 3840 W and floored at 0; pdc = 0 gives eta 0"},
            },
        },
        "columns": [{"name": c, "meaning": m} for c, m in COLUMNS],
        "nan_counts_kept": nan_counts,
        "nan_counts_full_year": nan_counts_full,
        "sun_rise_set_transit": {
            "call": "sun_rise_set_transit_spa(times, latitude, longitude, how='numpy', delta_t=67.0)",
            "times": "local mean solar noon of each date as a UTC instant (12:00 UTC - longitude/15 h, rounded to the second); pvlib takes the calendar date of each timestamp in the timestamp's zone (UTC here) and computes for 00:00 UTC of that date, so the results are those of the UTC date",
            "dates": "2020, the 1st and 15th of each month",
            "delta_t": DELTA_T,
            "output": "sunrise/sunset/transit as RFC 3339 UTC strings at the nanosecond resolution pvlib returns (it converts SPA's float seconds with pd.to_datetime(x*1e9, unit='ns')), and the same instants as float Unix seconds (nanoseconds / 1e9); null where pvlib returns NaT (polar day or night: SPA gives NaN rise/set, transit is still given). Sunrise can fall on the previous UTC date and sunset on the next one, since the day is the UTC date, not the local one.",
            "sites": rise_set(args.spa_fixture),
        },
    }
    json_path = out_dir / "pvlib_irradiance.json"
    json_path.write_text(json.dumps(sidecar, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    print(f"wrote {csv_path} ({os.path.getsize(csv_path)} bytes, {len(keep)} rows, "
          f"{len(COLUMNS)} columns) and {json_path} ({os.path.getsize(json_path)} bytes)")
    print(f"pvwatts_losses() = {info['loss']!r} %")


if __name__ == "__main__":
    main()
