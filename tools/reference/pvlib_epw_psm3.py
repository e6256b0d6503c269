"""EPW and NSRDB PSM3 CSV fixtures built from a real TMY3 file, and what pvlib reads back.

Reads ../shared/data/solar/723170TYA.CSV (Greensboro, NC; TMY3) with
``pvlib.iotools.read_tmy3(coerce_year=1990, map_variables=True)`` and writes the same
8,760 hours in two other formats:

* ``crates/solar/tests/fixtures/greensboro.epw.gz``: an EnergyPlus EPW file (8 header
  lines, 8,760 rows of the 35 EPW fields, hour 1..24 = hour ENDING, local standard time,
  year 1990 on every row). Row index 4000 (0-based data row) has GHI = 9999, the EPW
  missing code.
* ``crates/solar/tests/fixtures/greensboro_psm3.csv.gz``: an NSRDB PSM3 CSV as NREL
  serves it (metadata names, metadata values, column header, then 8,760 rows with
  Hour 0..23, Minute 0 = hour START, local standard time). Row k holds the TMY3 values
  of the hour labelled k+1 in the TMY3 file (label minus one hour). Pressure in mbar.

Both are gzip files with mtime 0 and no file name in the gzip header, so reruns are
byte-identical. The uncompressed text is written to a temporary directory and read back
with ``pvlib.iotools.read_epw`` and ``pvlib.iotools.read_nsrdb_psm4`` (pvlib 0.16.1 has
no ``read_psm3``/``parse_psm3``; ``read_nsrdb_psm4`` parses the PSM3 CSV layout).

Output: ``crates/solar/tests/fixtures/pvlib_epw_psm3.json``: per file, the call, the
metadata dict pvlib returns, the index (length, tz, first 3 and last 3 timestamps as
RFC 3339 with offset) and, for ghi, dni, dhi, temp_air, temp_dew, pressure (EPW:
atmospheric_pressure) and wind_speed, ``count`` (non-NaN), ``sum`` (math.fsum),
``first5`` and ``at_row_4000``. Also the sha256 and size of the input and of each
fixture (compressed and uncompressed).

Run from the repository root (about 2 s):

    /tmp/venv-pvlib/bin/python tools/reference/pvlib_epw_psm3.py \\
        [--data /work/shared/data/solar] [--outdir crates/solar/tests/fixtures]
"""

import argparse
import datetime as dt
import gzip
import hashlib
import json
import math
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
from pvlib import iotools

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = Path("/work/shared/data/solar")
DEFAULT_OUTDIR = REPO / "crates" / "solar" / "tests" / "fixtures"
TMY3_NAME = "723170TYA.CSV"
COERCE_YEAR = 1990
MISSING_ROW = 4000
EPW_GHI_MISSING = 9999

# EPW header. 1990-01-01 was a Monday; the start day below is kept as "Sunday" on
# purpose (it is what the fixture specification asks for, and pvlib ignores it).
EPW_HEADER = [
    "LOCATION,GREENSBORO,NC,USA,TMY3,723170,36.10,-79.95,-5.0,273.0",
    "DESIGN CONDITIONS,0",
    "TYPICAL/EXTREME PERIODS,0",
    "GROUND TEMPERATURES,0",
    "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
    "COMMENTS 1,Test fixture built from TMY3 723170TYA.CSV (Greensboro Piedmont Triad Int) "
    "by tools/reference/pvlib_epw_psm3.py",
    "COMMENTS 2,Year set to 1990 on every row; data row 4000 (0-based) has GHI = 9999 "
    "(missing); horizontal infrared is a constant 300",
    "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
]
# Data source and uncertainty flags, one string per row (the usual TMY3-derived form).
EPW_FLAGS = "?9?9?9?9E0?9?9?9?9?9?9?9?9?9?9?9?9?9?9?9*9*9?9?9?9"

PSM3_META = [
    ("Source", "NSRDB"), ("Location ID", "123456"), ("City", "-"), ("State", "-"),
    ("Country", "-"), ("Latitude", "36.10"), ("Longitude", "-79.95"),
    ("Time Zone", "-5"), ("Elevation", "273"), ("Local Time Zone", "-5"),
    ("Dew Point Units", "c"), ("DHI Units", "w/m2"), ("DNI Units", "w/m2"),
    ("GHI Units", "w/m2"), ("Temperature Units", "c"), ("Pressure Units", "mbar"),
    ("Wind Speed Units", "m/s"), ("Version", "3.2.0"),
]
PSM3_COLUMNS = ["Year", "Month", "Day", "Hour", "Minute", "GHI", "DNI", "DHI",
                "Temperature", "Dew Point", "Pressure", "Wind Speed"]

STAT_COLUMNS = ["ghi", "dni", "dhi", "temp_air", "temp_dew", "pressure", "wind_speed"]


# ---------------------------------------------------------------- helpers

def sha256_bytes(b):
    return hashlib.sha256(b).hexdigest()


def jsonable(v):
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
    if v is None:
        return None
    return str(v)


def rfc3339(ts):
    ts = pd.Timestamp(ts)
    if ts.nanosecond or ts.microsecond:
        raise ValueError(f"sub-second timestamp {ts}")
    return ts.isoformat()


def fmt1(x):
    """One decimal, no negative zero."""
    s = f"{x:.1f}"
    return "0.0" if s == "-0.0" else s


def column_stats(s):
    f = s.to_numpy().astype(np.float64)
    ok = f[~np.isnan(f)]
    return {
        "dtype": str(s.dtype),
        "count": int(ok.size),
        "sum": math.fsum(ok.tolist()),
        "first5": [jsonable(x) for x in f[:5]],
        "at_row_4000": jsonable(f[MISSING_ROW]),
    }


def frame_summary(df, meta, names):
    """names: {output key: pvlib column}."""
    idx = df.index
    return {
        "metadata": jsonable(meta),
        "index": {
            "length": int(len(idx)),
            "tz": str(idx.tz),
            "first3": [rfc3339(t) for t in idx[:3]],
            "last3": [rfc3339(t) for t in idx[-3:]],
            "at_row_4000": rfc3339(idx[MISSING_ROW]),
            "is_monotonic_increasing": bool(idx.is_monotonic_increasing),
        },
        "columns": [str(c) for c in df.columns],
        "stats": {k: dict(pvlib_column=c, **column_stats(df[c])) for k, c in names.items()},
    }


# ---------------------------------------------------------------- builders

def hour_starts(tmy):
    """Hour-start timestamps (local standard time, naive) of the TMY3 rows."""
    return (tmy.index - pd.Timedelta(hours=1)).tz_localize(None)


def build_epw(tmy):
    start = hour_starts(tmy)
    lines = list(EPW_HEADER)

    def flagged(col, src, missing, conv=lambda v: v):
        return [missing if s == "?" else conv(v) for v, s in zip(tmy[col], tmy[src])]

    aod = flagged("AOD (unitless)", "AOD source", ".999", lambda v: f"{v:.3f}")
    alb = flagged("albedo", "Alb source", "999", lambda v: f"{v:.3f}")
    for i, ts in enumerate(start):
        row = tmy.iloc[i]
        ghi = EPW_GHI_MISSING if i == MISSING_ROW else int(row["ghi"])
        fields = [
            COERCE_YEAR, ts.month, ts.day, ts.hour + 1, 60, EPW_FLAGS,
            fmt1(row["temp_air"]), fmt1(row["temp_dew"]), int(row["relative_humidity"]),
            int(round(row["pressure"] * 100)),                  # mbar -> Pa
            int(row["ghi_extra"]), int(row["dni_extra"]), 300,  # ETR, ETRN, IR (fixed)
            ghi, int(row["dni"]), int(row["dhi"]),
            int(row["GH illum (lx)"]), int(row["DN illum (lx)"]), int(row["DH illum (lx)"]),
            int(row["Zenith lum (cd/m^2)"]),
            int(row["wind_direction"]), fmt1(row["wind_speed"]),
            int(row["TotCld (tenths)"]), int(row["OpqCld (tenths)"]),
            fmt1(row["Hvis (m)"] / 1000.0),                     # m -> km
            int(row["CeilHgt (m)"]),
            9, "999999999",                                     # present weather: none
            int(round(row["precipitable_water"] * 10)),        # cm -> mm
            aod[i], 999, 99,                                    # AOD, snow depth, days since snow
            alb[i],
            fmt1(row["Lprecip depth (mm)"]), fmt1(row["Lprecip quantity (hr)"]),
        ]
        assert len(fields) == 35
        lines.append(",".join(str(f) for f in fields))
    return "\n".join(lines) + "\n"


def build_psm3(tmy):
    start = hour_starts(tmy)
    names = [k for k, _ in PSM3_META]
    values = [v for _, v in PSM3_META]
    lines = [",".join(names), ",".join(values), ",".join(PSM3_COLUMNS)]
    for ts, (_, row) in zip(start, tmy.iterrows()):
        lines.append(",".join(str(x) for x in [
            ts.year, ts.month, ts.day, ts.hour, 0,
            int(row["ghi"]), int(row["dni"]), int(row["dhi"]),
            fmt1(row["temp_air"]), fmt1(row["temp_dew"]), int(row["pressure"]),
            fmt1(row["wind_speed"]),
        ]))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--outdir", type=Path, default=DEFAULT_OUTDIR)
    args = ap.parse_args()
    src = args.data / TMY3_NAME
    src_bytes = src.read_bytes()

    tmy, tmy_meta = iotools.read_tmy3(str(src), coerce_year=COERCE_YEAR, map_variables=True)
    assert len(tmy) == 8760
    starts = hour_starts(tmy)
    assert (starts.year == COERCE_YEAR).all() and starts.is_monotonic_increasing

    texts = {"greensboro.epw": build_epw(tmy), "greensboro_psm3.csv": build_psm3(tmy)}

    args.outdir.mkdir(parents=True, exist_ok=True)
    fixtures = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in texts.items():
            raw = text.encode("ascii")
            gz = gzip.compress(raw, compresslevel=9, mtime=0)
            assert gzip.decompress(gz) == raw
            (args.outdir / (name + ".gz")).write_bytes(gz)
            (Path(tmp) / name).write_bytes(raw)
            fixtures[name + ".gz"] = {
                "bytes": len(gz), "sha256": sha256_bytes(gz),
                "uncompressed_bytes": len(raw), "uncompressed_sha256": sha256_bytes(raw),
                "lines": text.count("\n"),
            }

        epw, epw_meta = iotools.read_epw(str(Path(tmp) / "greensboro.epw"))
        epw_rec = {
            "call": "pvlib.iotools.read_epw(path)",
            **frame_summary(epw, epw_meta, {
                "ghi": "ghi", "dni": "dni", "dhi": "dhi", "temp_air": "temp_air",
                "temp_dew": "temp_dew", "pressure": "atmospheric_pressure",
                "wind_speed": "wind_speed"}),
        }

        psm3, psm3_meta = iotools.read_nsrdb_psm4(str(Path(tmp) / "greensboro_psm3.csv"),
                                                 map_variables=True)
        psm3_rec = {
            "call": "pvlib.iotools.read_nsrdb_psm4(path, map_variables=True)",
            **frame_summary(psm3, psm3_meta, {c: c for c in STAT_COLUMNS}),
        }

    # Cross-checks: same hours, and the values agree with the TMY3 source.
    assert (epw.index == psm3.index).all()
    for c in ["dni", "dhi", "temp_air", "temp_dew", "wind_speed"]:
        assert np.array_equal(epw[c].to_numpy(float), tmy[c].to_numpy(float)), c
        assert np.array_equal(psm3[c].to_numpy(float), tmy[c].to_numpy(float)), c
    assert epw["ghi"].iloc[MISSING_ROW] == EPW_GHI_MISSING
    assert np.array_equal(np.delete(epw["ghi"].to_numpy(float), MISSING_ROW),
                          np.delete(tmy["ghi"].to_numpy(float), MISSING_ROW))
    assert np.array_equal(epw["atmospheric_pressure"].to_numpy(float),
                          tmy["pressure"].to_numpy(float) * 100)

    out = {
        "provenance": {
            "script": "tools/reference/pvlib_epw_psm3.py",
            "command": " ".join([Path(sys.executable).as_posix()] + sys.argv),
            "date_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "python": platform.python_version(),
            "pvlib": pvlib.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "input": {"name": TMY3_NAME, "sha256": sha256_bytes(src_bytes),
                      "bytes": len(src_bytes),
                      "call": "pvlib.iotools.read_tmy3(path, coerce_year=1990, "
                              "map_variables=True)",
                      "metadata": jsonable(tmy_meta)},
            "fixtures": fixtures,
            "conventions": (
                "Timestamps RFC 3339 with the index's UTC offset. 'sum' is math.fsum of "
                "the non-NaN float64 values. Row numbers are 0-based data rows. "
                "EPW hour h (1..24, hour ending) is read by pvlib as hour h-1 of the same "
                "date (hour start); PSM3 Hour (0..23) is the hour start as written. "
                "pvlib keeps the EPW missing code 9999 as a number (no NaN)."),
        },
        "files": {"greensboro.epw": epw_rec, "greensboro_psm3.csv": psm3_rec},
    }
    text = json.dumps(out, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    out_path = args.outdir / "pvlib_epw_psm3.json"
    with open(out_path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)

    print(f"wrote {out_path} ({len(text):,} bytes)")
    for name, f in fixtures.items():
        print(f"  {name}: {f['bytes']:,} bytes gz, {f['uncompressed_bytes']:,} raw, "
              f"{f['lines']} lines")
    for name, rec in out["files"].items():
        ix = rec["index"]
        print(f"  {name}: {ix['length']} rows {ix['first3'][0]} .. {ix['last3'][-1]}, "
              f"ghi sum {rec['stats']['ghi']['sum']}, row 4000 ghi "
              f"{rec['stats']['ghi']['at_row_4000']}")


if __name__ == "__main__":
    main()
