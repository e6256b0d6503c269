"""What pvlib's weather-file readers return, for testing terrawatt's readers.

Reads the weather files in ../shared/data/solar with pvlib.iotools and records, per
file, the metadata dict, the index (length, first and last three timestamps as RFC 3339
with their UTC offset, monotonicity, steps), the column names and dtypes, and for every
column summary statistics and its first five values. Files pvlib cannot read (the
pre-parsed PSM3 table, the PVWatts 8760 exports) are described and summarised from the
raw text instead.

Output: crates/solar/tests/fixtures/pvlib_readers.json (UTF-8, "\\n" line endings,
floats as Python repr, NaN as null, keys in a fixed order).

Calls:

* read_tmy3('723170TYA.CSV', coerce_year=1990, map_variables=True)
* read_tmy3('703165TY.csv', coerce_year=1990, map_variables=True)
* read_tmy2('12839.tm2')
* read_pvgis_tmy('tmy_45.000_8.000_2005_2023.csv', map_variables=True) (format from
  the file extension; the script checks that pvgis_format='csv' gives the same frame)
* test_psm3_2017.csv: pvlib 0.16.1 has no read_psm3; the script records what
  read_nsrdb_psm4 does with the file, then reads it with pandas.read_csv(index_col=0)
* pvwatts_8760_rackmount.csv, pvwatts_8760_roofmount.csv: parsed with the csv module
* pvgis_tmy_meta.json: loaded and compared with the descriptions in the PVGIS CSV

Per numeric column: ``count`` (non-NaN), ``sum`` (math.fsum, i.e. the correctly
rounded sum of the float64 values; an exact integer for integer columns), ``min``,
``max``, ``first5``. Per text column: ``count``, ``first5`` and, when there are at most
40 of them, the sorted distinct values with their counts.

Each file also gets a ``labelling_check``, which places the values in time without
relying on the format's documentation: per local standard day, the first and last
labels with irradiance > 0 are compared with sunrise and sunset, and ``tau_h`` is the
offset (label + tau) that makes the first and last values lie symmetrically inside
daylight. About -0.5 h means hour averages labelled at the end, +0.5 h labelled at the
start, 0 values at the label instant (see ``labelling_check`` below).

Run from the repository root (about 4 s):

    python3 -m venv /tmp/venv-pvlib && /tmp/venv-pvlib/bin/pip install pvlib pandas numpy
    /tmp/venv-pvlib/bin/python tools/reference/pvlib_readers.py \\
        [--data /work/shared/data/solar] [--out FILE]
"""

import argparse
import csv
import datetime as dt
import hashlib
import json
import math
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
from pvlib import iotools
from pvlib import solarposition

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = Path("/work/shared/data/solar")
DEFAULT_OUT = REPO / "crates" / "solar" / "tests" / "fixtures" / "pvlib_readers.json"
COERCE_YEAR = 1990
MAX_DISTINCT = 40


# ---------------------------------------------------------------- helpers

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def jsonable(v):
    """Python/numpy scalar or container -> JSON-able value (NaN -> None)."""
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if math.isnan(f) else f
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return rfc3339(v)
    return str(v)


def rfc3339(ts):
    ts = pd.Timestamp(ts)
    if ts.nanosecond or ts.microsecond:
        raise ValueError(f"sub-second timestamp {ts}")
    return ts.isoformat()


def describe_index(idx):
    steps = pd.Series(np.diff(idx.asi8)).value_counts() if len(idx) > 1 else pd.Series()
    # asi8 is in the index's unit; express steps in seconds
    unit = np.datetime_data(idx.dtype.base if hasattr(idx.dtype, "base") else idx.dtype)[0]
    per_s = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
    return {
        "length": int(len(idx)),
        "name": idx.name,
        "tz": str(idx.tz) if idx.tz is not None else None,
        "first3": [rfc3339(t) for t in idx[:3]],
        "last3": [rfc3339(t) for t in idx[-3:]],
        "is_monotonic_increasing": bool(idx.is_monotonic_increasing),
        "duplicates": int(idx.duplicated().sum()),
        "step_seconds_counts": {str(int(k) // per_s): int(v)
                                for k, v in sorted(steps.items())},
    }


def column_stats(s):
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("int64")
    if pd.api.types.is_numeric_dtype(s.dtype):
        vals = s.to_numpy()
        if pd.api.types.is_integer_dtype(s.dtype):
            ints = [int(x) for x in vals]
            return {"kind": "integer", "count": len(ints), "sum": sum(ints),
                    "min": min(ints), "max": max(ints), "first5": ints[:5]}
        f = vals.astype(np.float64)
        ok = f[~np.isnan(f)]
        return {
            "kind": "float",
            "count": int(ok.size),
            "sum": math.fsum(ok.tolist()) if ok.size else None,
            "min": float(ok.min()) if ok.size else None,
            "max": float(ok.max()) if ok.size else None,
            "first5": [jsonable(x) for x in f[:5]],
        }
    ok = s.dropna()
    out = {"kind": "text", "count": int(ok.size), "first5": [jsonable(x) for x in s.iloc[:5]]}
    vc = ok.astype(str).value_counts()
    if len(vc) <= MAX_DISTINCT:
        out["distinct"] = {k: int(vc[k]) for k in sorted(vc.index)}
    else:
        out["n_distinct"] = int(len(vc))
    return out


def frame_record(df):
    return {
        "columns": [str(c) for c in df.columns],
        "dtypes": {str(c): str(df[c].dtype) for c in df.columns},
        "stats": {str(c): column_stats(df[c]) for c in df.columns},
    }


def value_counts_of(df, codes):
    """{column: {code: count}} for the given codes, nonzero counts only."""
    out = {}
    for c in df.columns:
        s = df[c]
        if not pd.api.types.is_numeric_dtype(s.dtype):
            continue
        hits = {}
        for code in codes.get(c, codes.get("*", [])):
            n = int((s == code).sum())
            if n:
                hits[repr(code)] = n
        if hits:
            out[str(c)] = hits
    return out


def flag_counts(df, flag, cols):
    out = {}
    for c in cols:
        n = int((df[c].astype(str) == flag).sum())
        if n:
            out[c] = n
    return out


def labelling_check(index, weight, latitude, longitude, utc_offset_h):
    """Where in time the irradiance of a row sits relative to its label.

    Per local standard day (UTC offset ``utc_offset_h``), take the first and the last
    label with irradiance > 0 and subtract that day's sunrise and sunset
    (pvlib.solarposition.sun_rise_set_transit_spa, refraction -0.8333 deg). If row
    values stand for the instant label + tau, the first morning and last evening
    values lie symmetrically inside the daylight period, so
    tau = -(min(first - sunrise) + max(last - sunset)) / 2. Expected tau: -0.5 h for
    hour averages labelled at the end, +0.5 h labelled at the start, 0 for values at
    the label instant (or averages centred on it).
    """
    idx = pd.DatetimeIndex(index).tz_convert(dt.timezone(dt.timedelta(hours=utc_offset_h)))
    w = pd.Series(np.asarray(weight, dtype=float), index=idx)
    w = w[w > 0]
    days = w.index.normalize()
    first = w.index.to_series().groupby(days).min()
    last = w.index.to_series().groupby(days).max()
    rs = solarposition.sun_rise_set_transit_spa(
        pd.DatetimeIndex(first.index) + pd.Timedelta(hours=12), latitude, longitude)
    hour = pd.Timedelta(hours=1)
    a = ((first.to_numpy() - rs["sunrise"].to_numpy()) / hour).astype(float)
    b = ((last.to_numpy() - rs["sunset"].to_numpy()) / hour).astype(float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    pct = [0, 1, 50, 99, 100]
    return {
        "weight_column": getattr(weight, "name", None),
        "utc_offset_h": utc_offset_h,
        "days": int(a.size),
        "first_nonzero_minus_sunrise_h_percentiles_0_1_50_99_100":
            [float(x) for x in np.percentile(a, pct)],
        "last_nonzero_minus_sunset_h_percentiles_0_1_50_99_100":
            [float(x) for x in np.percentile(b, pct)],
        "tau_h": float(-(a.min() + b.max()) / 2.0),
        "tau_h_from_1st_99th_percentiles": float(
            -(np.percentile(a, 1) + np.percentile(b, 99)) / 2.0),
    }


# ---------------------------------------------------------------- formats

TMY3_NOTES = {
    "reader": "pvlib.iotools.read_tmy3",
    "layout": (
        "Line 1: USAF,\"Name\",State,TZ,latitude,longitude,elevation (7 comma-separated "
        "fields; the name is quoted). Line 2: column names with units in parentheses. "
        "Then 8760 rows, one per hour, 'MM/DD/YYYY,HH:MM,...'; hours 01:00..24:00. "
        "Each month comes from its own source year. The newer files carry 71 columns "
        "(ending with PresWth METAR code, source, uncertainty); older ones end at "
        "'Lprecip uncert (code)' (68 columns)."),
    "metadata": (
        "The first line split on ',' and zipped with USAF, Name, State, TZ, latitude, "
        "longitude, altitude. USAF -> int, TZ/latitude/longitude/altitude -> float; "
        "Name and State are kept as text, and the quote characters around the name are "
        "kept ('\"SAND POINT\"')."),
    "interval_labelling": (
        "End of the hour: the 01:00 row holds the irradiance of 00:00-01:00 (TMY3 "
        "manual; pvlib's docstring says the same). pvlib keeps the end label; 'HH:24' "
        "becomes 00:00 of the next day. A 29 February row would be moved to 1 March. "
        "labelling_check: tau = -0.50 h (723170) and -0.49 h (703165)."),
    "time_zone": (
        "Local standard time, no daylight saving. The index is localised to a fixed "
        "offset of TZ hours (int(TZ*3600) seconds), e.g. UTC-05:00."),
    "coerce_year": (
        "With coerce_year=Y every date gets year Y, then the last row (31 Dec 24:00 -> "
        "1 Jan 00:00) gets Y+1, so the index is monotonic. Without it each row keeps its "
        "source year and the index is not monotonic."),
    "unit_conversions": (
        "None. Values are as in the file: irradiance W/m2 (hour means), illuminance lx, "
        "temperatures degC, pressure mbar (not Pa), wind m/s, visibility and ceiling m, "
        "precipitable water cm, AOD and albedo unitless, Lprecip depth mm. map_variables "
        "only renames the 13 columns of VARIABLE_MAP (GHI->ghi, ETR->ghi_extra, DNI->dni, "
        "ETRN->dni_extra, DHI->dhi, Pressure->pressure, Wdir->wind_direction, "
        "Wspd->wind_speed, Dry-bulb->temp_air, Dew-point->temp_dew, RHum->relative_humidity, "
        "Alb->albedo, Pwat->precipitable_water)."),
    "dtypes": (
        "pandas.read_csv inference: integer-valued columns int64 (so 'PresWth' '00' "
        "becomes 0, and the irradiance and illuminance source flags, which are digits, "
        "are integers), decimal columns float64, letter source flags ('A', 'E', '?') "
        "and the date and time columns text."),
    "missing_values": (
        "TMY3 marks missing data with -9900 and source flag '?'; pvlib leaves both as "
        "they are (no NaN)."),
}

TMY2_NOTES = {
    "reader": "pvlib.iotools.read_tmy2",
    "layout": (
        "Fixed-width text. Line 1 (header): ' WBAN CITY STATE TZ N|S deg min E|W deg min "
        "elevation' separated by spaces. Then 8760 records of 142 characters: a "
        "leading space, then 70 fixed-width fields (141 characters): year (2 digits), month, day, hour 1..24, then for each element "
        "a value followed by a one-character source flag and a one-digit uncertainty "
        "(pvlib's format string '%2d%2d%2d%2d%4d%4d%4d%1s%1d...')."),
    "metadata": (
        "WBAN, City, State as text; TZ int; latitude and longitude in decimal degrees "
        "(degrees + minutes/60, S and W negative); altitude float (m)."),
    "interval_labelling": (
        "The file labels hours by their end (hour 1 = 00:00-01:00, TMY2 manual). "
        "pvlib builds the index as hour - 1 on the same date, so its index labels the "
        "START of the hour (file hour 1 -> 00:00, hour 24 -> 23:00 of the same day). "
        "This differs from read_tmy3, which keeps the end label. labelling_check on "
        "pvlib's index: tau = +0.50 h."),
    "year": (
        "Every row gets the first record's year + 1900 (here 1962); the per-row 'year' "
        "column keeps the 2-digit source year. The index is therefore monotonic within "
        "one calendar year."),
    "time_zone": "Local standard time; fixed offset of TZ hours.",
    "unit_conversions": (
        "None: values stay in TMY2 file units. Irradiance Wh/m2 over the preceding hour; "
        "illuminance in 100 lx; zenith luminance in 10 cd/m2; TotCld/OpqCld tenths; "
        "DryBulb and DewPoint in 0.1 degC; RHum %; Pressure mbar; Wdir deg; Wspd 0.1 m/s; "
        "Hvis 0.1 km; CeilHgt m; Pwat mm; AOD thousandths; SnowDepth cm; LastSnowfall "
        "days. No column renaming (read_tmy2 has no map_variables)."),
    "dtypes": (
        "Every numeric field, date fields included, is float64; source flags are "
        "one-character text. PresentWeather (10 digits) is parsed as a number, so "
        "leading zeros are lost ('0999999999' -> 999999999.0). The last column is named "
        "'LastSnowfallUncertaint' (sic)."),
    "missing_values": (
        "Kept as in the file. Documented codes (pvlib docstring, TMY2 manual): Hvis "
        "7777 unlimited / 9999 missing; CeilHgt 77777 unlimited / 88888 cirroform / "
        "99999 missing; SnowDepth 999 missing; LastSnowfall 88 = 88 days or more, 99 "
        "missing; source flag '?' = missing (irradiance at night is 0 with flag '?')."),
}

PVGIS_NOTES = {
    "reader": "pvlib.iotools.read_pvgis_tmy (CSV parser chosen from the '.csv' extension; "
              "pvgis_format='csv' is equivalent)",
    "layout": (
        "'Latitude (decimal degrees): 45.000', 'Longitude (decimal degrees): 8.000', "
        "'Elevation (m): 250.0', 'Irradiance Time Offset (h): 0.1761' (newer PVGIS "
        "only), 'month,year' and 12 rows 'month,year' of the selected months; the header "
        "'time(UTC),T2m,RH,G(h),Gb(n),Gd(h),IR(h),WS10m,WD10m,SP'; 8760 rows with time "
        "'YYYYMMDD:HHMM'; a blank line; 'name: description (units)' lines for each "
        "variable; a blank line and 'PVGIS (c) European Union, 2001-2025'."),
    "metadata": (
        "{'inputs': {'latitude', 'longitude', 'elevation', 'irradiance time offset'}, "
        "'months_selected': [{'month', 'year'} x 12], 'descriptions': {name: "
        "'description (units)'}} (only trailing lines containing ':' are kept)."),
    "interval_labelling": (
        "Timestamps are whole UTC hours; pvlib keeps them and does not apply the "
        "'Irradiance Time Offset (h): 0.1761'. labelling_check gives tau = +0.17 h: the "
        "irradiance of the HH:00 row belongs to about HH:10.6 UTC, which is what the "
        "offset line states (the satellite observation time), not to an hour ending "
        "or starting at the label."),
    "time_zone": (
        "UTC (index tz UTC, name 'time(UTC)'). Each month keeps the year it was taken "
        "from, so the index is not monotonic. read_pvgis_tmy neither rolls to local time "
        "nor coerces the year (get_pvgis_tmy does, with roll_utc_offset/coerce_year)."),
    "unit_conversions": (
        "None. SP is surface pressure in Pa; irradiance W/m2; T2m degC; RH %; WS10m m/s; "
        "WD10m degrees (0 = N, 90 = E). map_variables renames T2m->temp_air, "
        "RH->relative_humidity, G(h)->ghi, Gb(n)->dni, Gd(h)->dhi, WS10m->wind_speed, "
        "WD10m->wind_direction, SP->pressure; IR(h) keeps its name."),
    "dtypes": "All data columns float64; '-0.0' in the file stays -0.0.",
    "missing_values": "No missing-value code; the file has no gaps.",
}

PSM3_NOTES = {
    "what_it_is": (
        "Not a raw NSRDB PSM3 download. It is a pandas DataFrame written with "
        "DataFrame.to_csv(): pvlib's test suite used it as the expected result of "
        "get_psm3(40.5137, -108.5449, names='2017', interval=30) and of reading the "
        "raw file test_read_psm3.csv. The two PSM3 metadata lines (Source, Location ID, "
        "..., Time Zone, Elevation, units, Version) are not in it."),
    "layout": (
        "Line 1: ',Year,Month,Day,Hour,Minute,Temperature,Dew Point,DHI,DNI,GHI,"
        "Surface Albedo,Pressure,Wind Direction,Wind Speed' (first field empty: the "
        "unnamed pandas RangeIndex). Then 17,520 rows (the 365 days of 2017 x 48 half hours), "
        "first field the row number 0..17519, times 00:00, 00:30, ..., "
        "23:30. Integer date fields; the data fields are written as floats ('-8.4', "
        "'0.0', '779.0'). No blank or comment lines; '\\n' line endings."),
    "units": (
        "As PSM3 reports them (from the PSM3 header, not present here): Temperature "
        "and Dew Point degC, DHI/DNI/GHI W/m2, Surface Albedo unitless, Pressure mbar, "
        "Wind Direction degrees, Wind Speed m/s."),
    "time_zone": (
        "Not stated in the file. The values were requested with utc='false', i.e. "
        "local standard time of the site; for 40.5137 N, 108.5449 W PSM3 reports "
        "Time Zone -7 (UTC-07:00). The reader that parses raw PSM3/PSM4 files "
        "(read_nsrdb_psm4, formerly read_psm3) localises Year..Minute to 'Etc/GMT+7' "
        "for Time Zone -7."),
    "interval_labelling": (
        "Not stated in the file. labelling_check (with UTC-07:00) gives tau = -0.01 h: "
        "the values belong to the label instant (instantaneous satellite-derived values, "
        "or 30-minute means centred on the label), not to the half hour after it. The "
        "symmetric sunrise/sunset edges also confirm the UTC-07:00 offset."),
    "missing_values": "None: no empty fields, no sentinel codes.",
}

PVWATTS_NOTES = {
    "what_it_is": (
        "Hourly export of NREL's PVWatts web calculator (pvwatts.nrel.gov), 'PVWatts: "
        "Hourly PV Performance Data'. No pvlib reader; pvlib's own tests read it with "
        "pandas.read_csv(skiprows=17, skipfooter=1) to test temperature.fuentes."),
    "layout": (
        "Every line has 11 comma-separated fields (trailing empty ones padded). "
        "Line 1: title. Lines 2-16: 'key:,value' system parameters (line 3's value is "
        "quoted: \"Lat, Lon: 39.73, -105.18\"; line 16 'Capacity Factor (%)' has no "
        "colon and its quoted value ends with a tab). Line 17: empty fields. Line 18: "
        "column names. Lines 19-8778: 8760 hourly rows 'Month,Day,Hour,...' with Hour "
        "0..23, 1 January 0 to 31 December 23, no 29 February. Line 8779: 'Totals, , ,' "
        "then the column totals, followed by a newline. '\\n' line endings."),
    "units": "In the column names: W/m^2, C, m/s, W.",
    "time_zone": (
        "Not stated in the file: PVWatts reports local standard time of the weather "
        "data (no daylight saving); for Denver UTC-07:00. labelling_check with "
        "UTC-07:00 gives tau = +0.49 h: each row is the hour that starts at the label "
        "(Hour 0 = 00:00-01:00), which also confirms the UTC-07:00 offset."),
    "totals": (
        "The Totals row is the plain sum of each column over the 8760 rows, rounded "
        "as the other values of the column are written (integers for the first four "
        "data columns, at most 3 decimals with trailing zeros dropped for the rest, "
        "e.g. '6023671.24'); it is also written for temperature and wind speed, where "
        "a sum has no physical meaning. The fsum of the rows equals every total. "
        "Capacity Factor = AC total / (DC System Size x 8760 h), e.g. 6023.67 kWh / "
        "35040 kWh = 17.19 %, shown rounded to one decimal. AC output is capped at "
        "DC size / DC-to-AC ratio = 3333.333 W."),
}


def read_tmy3_file(path):
    df, meta = iotools.read_tmy3(str(path), coerce_year=COERCE_YEAR, map_variables=True)
    source_cols = [c for c in df.columns if c.endswith(" source")]
    rec = {
        "call": f"read_tmy3('{path.name}', coerce_year={COERCE_YEAR}, map_variables=True)",
        "metadata": jsonable(meta),
        "index": describe_index(df.index),
        **frame_record(df),
        "code_counts": {
            "value_-9900": value_counts_of(df, {"*": [-9900]}),
            "source_flag_?": flag_counts(df, "?", source_cols),
        },
        "labelling_check": labelling_check(df.index, df["ghi"], meta["latitude"],
                                           meta["longitude"], meta["TZ"]),
    }
    return rec


TMY2_CODES = {"Hvis": [7777, 9999], "CeilHgt": [77777, 88888, 99999],
              "SnowDepth": [999], "LastSnowfall": [88, 99]}


def read_tmy2_file(path):
    df, meta = iotools.read_tmy2(str(path))
    source_cols = [c for c in df.columns if c.endswith("Source")]
    return {
        "call": f"read_tmy2('{path.name}')",
        "metadata": jsonable(meta),
        "index": describe_index(df.index),
        **frame_record(df),
        "code_counts": {
            "documented_codes": value_counts_of(df, TMY2_CODES),
            "source_flag_?": flag_counts(df, "?", source_cols),
        },
        "labelling_check": labelling_check(df.index, df["GHI"], meta["latitude"],
                                           meta["longitude"], meta["TZ"]),
    }


def read_pvgis_file(path, meta_json_path):
    df, meta = iotools.read_pvgis_tmy(str(path), map_variables=True)
    df2, meta2 = iotools.read_pvgis_tmy(str(path), pvgis_format="csv", map_variables=True)
    if not (df.equals(df2) and meta == meta2):
        sys.exit("read_pvgis_tmy: extension and pvgis_format='csv' disagree")
    rec = {
        "call": f"read_pvgis_tmy('{path.name}', map_variables=True)",
        "metadata": jsonable(meta),
        "index": describe_index(df.index),
        **frame_record(df),
        "labelling_check": labelling_check(df.index, df["ghi"], meta["inputs"]["latitude"],
                                           meta["inputs"]["longitude"], 1),
    }
    # The JSON meta file: the 'meta' object of a PVGIS TMY JSON response.
    with open(meta_json_path, encoding="utf-8") as fh:
        mj = json.load(fh)
    variables = mj["outputs"]["tmy_hourly"]["variables"]
    csv_desc = meta["descriptions"]
    mismatches = {k: [f"{v['description']} ({v['units']})", csv_desc.get(k)]
                  for k, v in variables.items()
                  if csv_desc.get(k) != f"{v['description']} ({v['units']})"}
    rec["meta_json"] = {
        "file": meta_json_path.name,
        "what_it_is": (
            "The 'meta' object of a PVGIS TMY response in JSON format (outputformat="
            "'json'): descriptions and units of the inputs (location: latitude, longitude, "
            "elevation; meteo_data: radiation_db, meteo_db, year_min, year_max, "
            "use_horizon, horizon_db) and outputs (months_selected; tmy_hourly variables "
            "T2m, RH, G(h), Gb(n), Gd(h), IR(h), WS10m, WD10m, SP with units). It holds no "
            "data values and no input values. pvlib's tests load it as the expected "
            "'meta' of a JSON TMY and build from it the expected 'name: description "
            "(units)' lines of a CSV TMY; read_pvgis_tmy does not read it."),
        "top_level_keys": list(mj.keys()),
        "input_groups": {k: list(v["variables"].keys()) for k, v in mj["inputs"].items()},
        "output_variables_units": {k: v.get("units") for k, v in variables.items()},
        "matches_csv_descriptions": not mismatches,
        "mismatches": mismatches,
    }
    return rec


def read_psm3_file(path):
    attempt = {}
    attempt["pvlib_has_read_psm3"] = hasattr(iotools, "read_psm3")
    try:
        iotools.read_nsrdb_psm4(str(path))
        attempt["read_nsrdb_psm4"] = "parsed (unexpected)"
    except Exception as exc:  # record what happens
        attempt["read_nsrdb_psm4"] = f"{type(exc).__name__}: {exc}"
    df = pd.read_csv(path, index_col=0)
    local = pd.to_datetime(df[["Year", "Month", "Day", "Hour", "Minute"]])
    idx = pd.DatetimeIndex(local).tz_localize("Etc/GMT+7")
    rec = {
        "pvlib_attempt": attempt,
        "call": f"pandas.read_csv('{path.name}', index_col=0)",
        "row_label_column": {"first5": df.index[:5].tolist(), "last": int(df.index[-1]),
                             "is_range": bool((df.index == np.arange(len(df))).all())},
        "index_from_date_columns_assuming_utc-07:00": describe_index(idx),
        **frame_record(df),
        "labelling_check": labelling_check(idx, df["GHI"], 40.5137, -108.5449, -7),
    }
    return rec


def read_pvwatts_file(path):
    with open(path, newline="", encoding="utf-8") as fh:
        raw_text = fh.read()
    rows = list(csv.reader(raw_text.splitlines()))
    widths = sorted({len(r) for r in rows})
    title = rows[0][0]
    params = []
    for r in rows[1:16]:
        key, value = r[0], r[1]
        entry = {"key": key, "value": value}
        try:
            entry["number"] = float(value.strip())
        except ValueError:
            pass
        params.append(entry)
    if any(x for x in rows[16]):
        sys.exit(f"{path.name}: line 17 is not empty")
    header = rows[17]
    data = rows[18:-1]
    totals = rows[-1]
    if totals[0] != "Totals" or len(data) != 8760:
        sys.exit(f"{path.name}: unexpected layout")
    names = [h for h in header if h]
    cols = {n: [float(r[i]) for r in data] for i, n in enumerate(names)}
    stats = {}
    for i, n in enumerate(names):
        v = cols[n]
        decimals = max((len(r[i].split(".")[1]) if "." in r[i] else 0) for r in data)
        st = {"count": len(v), "sum": math.fsum(v), "min": min(v), "max": max(v),
              "first5": v[:5], "max_decimals_in_file": decimals}
        if i >= 3:
            st["reported_total"] = totals[i]
            st["reported_total_number"] = float(totals[i])
            st["sum_minus_reported"] = math.fsum(v) - float(totals[i])
        stats[n] = st
    # hour labels as local standard time of 2019 (any non-leap year)
    idx = pd.DatetimeIndex([pd.Timestamp(2019, int(m), int(d), int(h))
                            for m, d, h in zip(cols["Month"], cols["Day"], cols["Hour"])]
                           ).tz_localize("Etc/GMT+7")
    poa = pd.Series(cols["Plane of Array Irradiance (W/m^2)"],
                    name="Plane of Array Irradiance (W/m^2)")
    ac = math.fsum(cols["AC System Output (W)"])
    dc_kw = next(p["number"] for p in params if p["key"].startswith("DC System Size"))
    return {
        "line_count": raw_text.count("\n") + (0 if raw_text.endswith("\n") else 1),
        "ends_with_newline": raw_text.endswith("\n"),
        "fields_per_line": widths,
        "title": title,
        "system_parameters": params,
        "column_names": names,
        "data_rows": len(data),
        "first_row": data[0][:len(names)],
        "last_row": data[-1][:len(names)],
        "totals_row": totals,
        "stats": stats,
        "annual_ac_kwh": ac / 1000.0,
        "capacity_factor_from_ac_percent": 100.0 * ac / (dc_kw * 1000.0 * 8760.0),
        "labelling_check": labelling_check(idx, poa, 39.73, -105.18, -7),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    d = args.data

    inputs = ["723170TYA.CSV", "703165TY.csv", "12839.tm2", "test_psm3_2017.csv",
              "tmy_45.000_8.000_2005_2023.csv", "pvgis_tmy_meta.json",
              "pvwatts_8760_rackmount.csv", "pvwatts_8760_roofmount.csv"]

    out = {
        "provenance": {
            "script": "tools/reference/pvlib_readers.py",
            "command": " ".join([Path(sys.executable).as_posix()] + sys.argv),
            "date_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "python": platform.python_version(),
            "pvlib": pvlib.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "inputs": {n: {"sha256": sha256(d / n), "bytes": (d / n).stat().st_size}
                       for n in inputs},
            "conventions": (
                "Timestamps RFC 3339 with the index's UTC offset. 'sum' is math.fsum of "
                "the non-NaN float64 values (exact for integer columns). NaN is null. "
                "labelling_check.tau_h: the row's values stand for about label + tau; "
                "-0.5 for hour averages labelled at the end, +0.5 at the start, 0 for "
                "values at the label instant"),
        },
        "formats": {
            "tmy3": TMY3_NOTES,
            "tmy2": TMY2_NOTES,
            "pvgis_tmy_csv": PVGIS_NOTES,
            "psm3_preparsed": PSM3_NOTES,
            "pvwatts_8760": PVWATTS_NOTES,
        },
        "files": {
            "723170TYA.CSV": read_tmy3_file(d / "723170TYA.CSV"),
            "703165TY.csv": read_tmy3_file(d / "703165TY.csv"),
            "12839.tm2": read_tmy2_file(d / "12839.tm2"),
            "tmy_45.000_8.000_2005_2023.csv": read_pvgis_file(
                d / "tmy_45.000_8.000_2005_2023.csv", d / "pvgis_tmy_meta.json"),
            "test_psm3_2017.csv": read_psm3_file(d / "test_psm3_2017.csv"),
            "pvwatts_8760_rackmount.csv": read_pvwatts_file(d / "pvwatts_8760_rackmount.csv"),
            "pvwatts_8760_roofmount.csv": read_pvwatts_file(d / "pvwatts_8760_roofmount.csv"),
        },
    }

    text = json.dumps(out, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)

    print(f"wrote {args.out} ({len(text):,} bytes)")
    for name, rec in out["files"].items():
        idx = rec.get("index") or rec.get("index_from_date_columns_assuming_utc-07:00")
        tau = rec["labelling_check"]["tau_h"]
        n = idx["length"] if idx else rec["data_rows"]
        print(f"  {name}: {n} rows, values at label {tau:+.3f} h")


if __name__ == "__main__":
    main()
