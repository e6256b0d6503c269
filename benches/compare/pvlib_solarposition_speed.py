"""Timing of pvlib's SPA (numpy path) over one year at 1-minute steps, to set beside
terrawatt's crates/solar.

Times ``pvlib.solarposition.spa_python(times, 39.74, -105.18, how='numpy')`` (defaults:
altitude 0, 101325 Pa, 12 degC, delta_t 67 s) for every minute of 2020 in UTC
(527,040 instants; 2020 is a leap year), ``--repeats`` times, and prints the median and
minimum wall time and the peak resident set size of the process
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``; it includes the interpreter, numpy,
pandas and pvlib, so the RSS after imports is printed too). The DatetimeIndex is built
once, outside the timed calls; each timed call includes pvlib's conversion to Unix
seconds and the DataFrame it returns. numba is switched off (PVLIB_USE_NUMBA=0 before
pvlib is imported) and the run stops if pvlib.spa was compiled with it anyway.

    /tmp/venv-pvlib/bin/python benches/compare/pvlib_solarposition_speed.py \\
        [--repeats 3] [--out FILE.json]
"""

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import sys
import time

os.environ["PVLIB_USE_NUMBA"] = "0"

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pvlib  # noqa: E402
from pvlib import solarposition, spa  # noqa: E402

LATITUDE = 39.74
LONGITUDE = -105.18


def peak_rss_mib():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", help="also write the results as JSON to this file")
    args = ap.parse_args()

    if spa.USE_NUMBA:
        sys.exit("pvlib.spa was compiled with numba; unset PVLIB_USE_NUMBA")

    rss_after_imports = peak_rss_mib()
    times = pd.date_range("2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z",
                          freq="1min", inclusive="left")
    assert len(times) == 527040, len(times)

    walls = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        df = solarposition.spa_python(times, LATITUDE, LONGITUDE, how="numpy")
        walls.append(time.perf_counter() - t0)
    assert len(df) == len(times)
    del df

    result = {
        "what": "pvlib.solarposition.spa_python(how='numpy'), 2020 at 1-minute steps",
        "points": len(times),
        "latitude": LATITUDE,
        "longitude": LONGITUDE,
        "repeats": args.repeats,
        "wall_s": walls,
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "points_per_s_median": len(times) / statistics.median(walls),
        "peak_rss_mib": peak_rss_mib(),
        "rss_after_imports_mib": rss_after_imports,
        "numba": bool(spa.USE_NUMBA),
        "python": platform.python_version(),
        "pvlib": pvlib.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "loadavg": os.getloadavg(),
        "env": {k: os.environ[k] for k in sorted(os.environ)
                if k.startswith("OPENBLAS_") or k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")},
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": " ".join([sys.executable] + sys.argv),
    }

    print(f"pvlib {pvlib.__version__} spa_python(how='numpy'), numba off; "
          f"Python {result['python']}, numpy {result['numpy']}, pandas {result['pandas']}")
    print(f"CPU: {result['cpu']} ({result['usable_cores']} usable cores), "
          f"load average {', '.join(f'{x:.2f}' for x in result['loadavg'])}")
    print(f"{len(times):,} points (2020, 1-minute steps, lat {LATITUDE}, lon {LONGITUDE})")
    print("runs: " + ", ".join(f"{w:.3f} s" for w in walls))
    print(f"median {result['median_s']:.3f} s, min {result['min_s']:.3f} s "
          f"({result['points_per_s_median']:,.0f} points/s)")
    print(f"peak RSS {result['peak_rss_mib']:.0f} MiB "
          f"(after imports {rss_after_imports:.0f} MiB)")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
