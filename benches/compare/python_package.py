"""The Python package side by side with its peers, in one process:

1. ``terrawatt.solar.position`` against pvlib's ``get_solarposition`` (NREL SPA, numpy)
   for every minute of 2020 (527,040 instants) at 39.74° N, 105.18° W;
2. ``terrawatt.building.baseline`` (CalTRACK daily, 1 °F grid) against eemeter 3.2's
   CalTRACK 2.0 daily fit on the same meter (``../shared/data/building``
   il-electricity-cdd-only, baseline 2015-12-27 → 2016-12-26): eemeter's design matrix
   built beforehand (its fit alone timed) and with it (the whole pipeline); terrawatt's
   call reads the files and joins them too;
3. the call overhead of a tiny call (the position of one instant) and of an empty meter;
4. the meter around a one-second scikit-learn fit against CodeCarbon's
   ``EmissionsTracker`` around the same fit: the wall time each adds, and both rows
   appended to one emissions.csv, read back by pandas and by CodeCarbon's own dashboard
   loader (``codecarbon.viz.data``, with dash installed).

Each figure is the median of ``--repeats`` runs (the tiny calls: of 2,000). Needs, in one
environment: the terrawatt wheel (``maturin build --release -m crates/python/Cargo.toml``),
pvlib, eemeter==3.2.0 with pandas<3, scikit-learn and codecarbon; a part whose peer is
missing is skipped with a notice.

    python benches/compare/python_package.py [--repeats 5] [--data ../shared/data/building]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PVLIB_USE_NUMBA", "0")

import numpy as np
import pandas as pd

import terrawatt


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def line(name, seconds, note=""):
    print(f"{name:72s} {seconds * 1000:10.2f} ms {note}")


def positions(repeats):
    times = pd.date_range("2020-01-01", "2021-01-01", freq="1min", tz="UTC", inclusive="left")
    ours = lambda: terrawatt.solar.position(times, 39.74, -105.18)
    t_ours, _ = median_time(ours, repeats)
    line(f"terrawatt.solar.position, {len(times):,} instants", t_ours)
    try:
        import pvlib
    except ImportError:
        print("pvlib is not installed: its side is skipped")
        return
    theirs = lambda: pvlib.solarposition.get_solarposition(times, 39.74, -105.18)
    t_theirs, _ = median_time(theirs, repeats)
    line(f"pvlib {pvlib.__version__} get_solarposition (nrel_numpy), same instants", t_theirs,
         f"→ terrawatt {t_theirs / t_ours:.1f}× faster")
    a = ours().arrays["apparent_zenith"]
    b = theirs()["apparent_zenith"].to_numpy()
    print(f"{'':72s} largest apparent-zenith difference {np.max(np.abs(a - b)):.2e}°")


def caltrack(data, repeats):
    meter = data / "il-electricity-cdd-only-daily.csv.gz"
    temps = data / "il-tempF.csv.gz"
    if not meter.exists():
        print(f"{meter} is absent: the CalTRACK part is skipped")
        return
    ours = lambda: terrawatt.building.baseline(
        meter, temps, temperature_unit="F", freq="daily", bp_step=1,
        start="2015-12-27T00:00:00-06:00", end="2016-12-26T00:00:00-06:00",
    )
    t_ours, _ = median_time(ours, repeats)
    line("terrawatt.building.baseline daily, 1 °F grid (files read and joined)", t_ours)
    try:
        import eemeter
        from eemeter import io, transform
        from eemeter.caltrack import usage_per_day as upd
        from eemeter.caltrack.design_matrices import create_caltrack_daily_design_matrix
    except ImportError:
        print("eemeter 3.2 is not installed: its side is skipped")
        return
    m = io.meter_data_from_csv(meter, gzipped=True, freq="daily")
    t = io.temperature_data_from_csv(temps, gzipped=True, freq="hourly", temp_col="tempF")
    start = pd.Timestamp("2016-12-26", tz="UTC")
    baseline, _ = transform.get_baseline_data(m, end=start, max_days=365)
    dm = create_caltrack_daily_design_matrix(baseline, t)
    fit = lambda: upd.fit_caltrack_usage_per_day_model(dm, fit_cdd=True)
    t_fit, _ = median_time(fit, repeats)
    line(f"eemeter {eemeter.__version__} fit_caltrack_usage_per_day_model (design matrix prebuilt)", t_fit,
         f"→ terrawatt {t_fit / t_ours:.0f}× faster")
    whole = lambda: upd.fit_caltrack_usage_per_day_model(
        create_caltrack_daily_design_matrix(transform.get_baseline_data(m, end=start, max_days=365)[0], t),
        fit_cdd=True)
    t_whole, _ = median_time(whole, repeats)
    line(f"eemeter {eemeter.__version__} design matrix + fit", t_whole, f"→ terrawatt {t_whole / t_ours:.0f}× faster")


def overhead():
    one = pd.DatetimeIndex(["2020-06-21 12:00"], tz="UTC")
    terrawatt.solar.position(one, 39.74, -105.18)
    n = 2000
    t0 = time.perf_counter()
    for _ in range(n):
        terrawatt.solar.position(one, 39.74, -105.18)
    per = (time.perf_counter() - t0) / n
    print(f"{'a tiny call: the position of one instant (metered, with its report)':72s} {per * 1e6:10.1f} µs")
    t0 = time.perf_counter()
    for _ in range(n):
        with terrawatt.meter("empty"):
            pass
    per = (time.perf_counter() - t0) / n
    print(f"{'an empty meter: open and close, with its report':72s} {per * 1e6:10.1f} µs")
    with tempfile.TemporaryDirectory() as d:
        rows = os.path.join(d, "emissions.csv")
        t0 = time.perf_counter()
        for _ in range(n):
            with terrawatt.meter("empty", country="FR", emissions_csv=rows):
                pass
        per = (time.perf_counter() - t0) / n
        print(f"{'an empty meter with its emissions row appended':72s} {per * 1e6:10.1f} µs")
        try:
            from codecarbon import OfflineEmissionsTracker
        except ImportError:
            return
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            t = OfflineEmissionsTracker(country_iso_code="FRA", output_dir=d, log_level="error",
                                        save_to_file=True, measure_power_secs=1)
            t.start()
            t.stop()
            times.append(time.perf_counter() - t0)
        print(f"{'CodeCarbon OfflineEmissionsTracker start and stop, empty block (median of 20)':72s} "
              f"{statistics.median(times) * 1e6:10.1f} µs")


def meters(repeats):
    try:
        from sklearn.ensemble import RandomForestRegressor
    except ImportError:
        print("scikit-learn is not installed: the meter comparison is skipped")
        return
    try:
        import codecarbon
        from codecarbon import OfflineEmissionsTracker
    except ImportError:
        codecarbon = None
        print("codecarbon is not installed: its side is skipped")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6000, 10))
    y = X[:, 0] * 2 + np.sin(X[:, 1]) + rng.standard_normal(6000) * 0.1
    fit = lambda: RandomForestRegressor(n_estimators=40, random_state=0, n_jobs=1).fit(X, y)
    with tempfile.TemporaryDirectory() as d:
        rows = Path(d) / "emissions.csv"

        def ours():
            with terrawatt.meter("forest", country="FR", emissions_csv=rows, project_name="forest"):
                fit()

        def theirs():
            tracker = OfflineEmissionsTracker(country_iso_code="FRA", output_dir=d, log_level="error",
                                              save_to_file=True, measure_power_secs=1)
            tracker.start()
            try:
                fit()
            finally:
                tracker.stop()

        # interleaved, so that drift of the machine falls on all three alike
        runs = {"bare": [], "terrawatt": [], "codecarbon": []}
        for _ in range(repeats):
            for name, f in [("bare", fit), ("terrawatt", ours), ("codecarbon", theirs)]:
                if name == "codecarbon" and codecarbon is None:
                    continue
                t0 = time.perf_counter()
                f()
                runs[name].append(time.perf_counter() - t0)
        bare = statistics.median(runs["bare"])
        spread = (max(runs["bare"]) - min(runs["bare"])) / bare * 100
        line("a scikit-learn random forest fit (about a second), bare", bare,
             f"(runs spread over {spread:.1f} %)")
        t = statistics.median(runs["terrawatt"])
        line("the same inside terrawatt.meter (emissions row appended)", t, f"median {(t - bare) / bare * 100:+.2f} %")
        if codecarbon is not None:
            t = statistics.median(runs["codecarbon"])
            line(f"the same inside CodeCarbon {codecarbon.__version__} OfflineEmissionsTracker", t,
                 f"median {(t - bare) / bare * 100:+.2f} %")
        table = pd.read_csv(rows)
        cc = table["project_name"] == "codecarbon"
        print(f"emissions.csv: {len(table)} rows × {len(table.columns)} columns read back "
              f"({(~cc).sum()} terrawatt's, {cc.sum()} CodeCarbon's); energy_consumed per fit, median: "
              f"terrawatt {table[~cc]['energy_consumed'].median() * 3.6e6:.2f} J, "
              f"CodeCarbon {table[cc]['energy_consumed'].median() * 3.6e6:.2f} J")
        # CodeCarbon's own dashboard loader (carbonboard; needs dash) over the same file
        try:
            from codecarbon.viz.data import Data
        except ImportError:
            print("codecarbon's dashboard (dash) is not installed: its loader is not tried")
            return
        for project in ("forest", "codecarbon"):
            rows_of = Data.get_project_data(table, project)
            total = Data.get_project_summary(rows_of.data)["total"]
            print(f"carbonboard loads project '{project}': {len(rows_of.data)} runs, "
                  f"{total['energy_consumed'] * 3.6e6:.2f} J, {total['emissions'] * 1e6:.3f} mg CO2e in all")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data" / "building")
    a = p.parse_args()
    print(f"terrawatt {terrawatt.__version__}, Python {sys.version.split()[0]}, pandas {pd.__version__}, "
          f"numpy {np.__version__}, {os.cpu_count()} CPUs; medians of {a.repeats}")
    positions(a.repeats)
    caltrack(a.data, a.repeats)
    overhead()
    meters(a.repeats)


if __name__ == "__main__":
    main()
