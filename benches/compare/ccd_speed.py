#!/usr/bin/env python3
"""Times lcmap-pyccd's ccd.detect on the 74 series of the CCDC fixture, one after another
(the work per pixel of a raster run), best of three; prints seconds per series.

    /var/tmp/venv-ccd/bin/python benches/compare/ccd_speed.py

Installed as tools/reference/README.md says (lcmap-pyccd 2021.7.19, numpy 1.23.5,
scipy 1.10.1, scikit-learn 1.2.2). `cargo run --release --example ccdc_speed` is
terrawatt's side of the same measurement.
"""
import csv
import datetime as dt
import os
import time
import warnings

import numpy as np
import ccd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CSV = os.path.join(ROOT, "crates", "raster", "tests", "fixtures", "timeseries", "ccd_series.csv")
BANDS = ["blue", "green", "red", "nir", "swir1", "swir2", "thermal"]

series = {}
with open(CSV) as fh:
    for r in csv.DictReader(fh):
        s = series.setdefault(r["series"], {"dates": [], "qa": [], **{b: [] for b in BANDS}})
        s["dates"].append(dt.date.fromisoformat(r["date"]).toordinal())
        s["qa"].append(int(r["qa"]))
        for b in BANDS:
            s[b].append(int(r[b]))
arrays = [
    (np.array(s["dates"]), [np.array(s[b]) for b in BANDS], np.array(s["qa"]))
    for s in series.values()
]
best = float("inf")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for _ in range(3):
        t0 = time.perf_counter()
        for d, b, q in arrays:
            ccd.detect(d, *b, q)
        best = min(best, time.perf_counter() - t0)
from importlib.metadata import version

print(f"lcmap-pyccd {version('lcmap-pyccd')}: {len(arrays)} series in "
      f"{best:.2f} s, {1000 * best / len(arrays):.1f} ms per series (one thread)")
