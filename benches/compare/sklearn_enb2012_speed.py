"""Fit and predict timings of scikit-learn on ENB2012 (target Y1), to set beside terrawatt's.

Models, as in tools/reference/sklearn_enb2012.py:

* LinearRegression()
* RandomForestRegressor(n_estimators=100, random_state=0, n_jobs=2)
* GradientBoostingRegressor(n_estimators=1000, learning_rate=0.05, max_depth=5,
  subsample=0.8, random_state=0)

Each model is fitted on all rows (X1..X8 -> Y1) `--repeats` times and then predicts 1,000
rows (the data cycled) `--repeats` times; the median and the minimum wall time in seconds
are reported (no untimed warm-up). `--rows N` stacks copies of the data to N rows, every
copy after the first with Gaussian noise of 1e-3 column standard deviations on features
and target, for a scaling check; the noise makes feature values distinct, so trees have
more candidate thresholds than on the original 768 rows.

Record with the timings (printed and written to the JSON): logical cores and the cores
this process may use, CPU model, Python / scikit-learn / numpy / scipy versions, the
BLAS thread pools, and the OPENBLAS_* / OMP_NUM_THREADS / MKL_NUM_THREADS variables.
Timings are taken with the environment as it is: OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE
may be set on this machine; they do not affect the tree models.

    python benches/compare/sklearn_enb2012_speed.py --data ../shared/data/building/ENB2012.csv \\
        [--rows 768] [--repeats 5] [--out FILE.json]
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import sklearn
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression
from threadpoolctl import threadpool_info

FEATURES = [f"X{i}" for i in range(1, 9)]
TARGET = "Y1"
PREDICT_ROWS = 1000
MODELS = {
    "LinearRegression": lambda: LinearRegression(),
    "RandomForestRegressor(100, n_jobs=2)": lambda: RandomForestRegressor(
        n_estimators=100, random_state=0, n_jobs=2
    ),
    "GradientBoostingRegressor(1000, depth 5)": lambda: GradientBoostingRegressor(
        n_estimators=1000, learning_rate=0.05, max_depth=5, subsample=0.8, random_state=0
    ),
}


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment():
    keys = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    return {
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "threadpools": [
            {k: p.get(k) for k in ("user_api", "internal_api", "version", "num_threads")}
            for p in threadpool_info()
        ],
        "env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_") or k in keys},
    }


def tile(x, y, rows, seed=0):
    reps = -(-rows // len(x))
    rng = np.random.default_rng(seed)
    xs, ys = [x], [y]
    for _ in range(reps - 1):
        xs.append(x + rng.normal(0, 1e-3, x.shape) * x.std(axis=0))
        ys.append(y + rng.normal(0, 1e-3, y.shape) * y.std())
    return np.vstack(xs)[:rows], np.concatenate(ys)[:rows]


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"median": statistics.median(times), "min": min(times), "all": times}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="ENB2012.csv")
    ap.add_argument("--rows", type=int, default=768, help="rows to fit on (data tiled)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", help="JSON to write")
    a = ap.parse_args()

    df = pd.read_csv(a.data)
    x0, y0 = df[FEATURES].to_numpy(dtype=float), df[TARGET].to_numpy(dtype=float)
    x, y = tile(x0, y0, a.rows)
    x_pred = np.resize(x0, (PREDICT_ROWS, x0.shape[1]))

    results = {}
    for name, make in MODELS.items():
        fit = timed(lambda: make().fit(x, y), a.repeats)
        model = make().fit(x, y)
        pred = timed(lambda: model.predict(x_pred), a.repeats)
        results[name] = {"fit": fit, "predict_1000": pred}

    env = environment()
    print(f"ENB2012 {TARGET}, {len(x)} rows x {x.shape[1]} features, {a.repeats} repeats; "
          f"scikit-learn {env['sklearn']}, numpy {env['numpy']}, Python {env['python']}; "
          f"{env['usable_cpus']}/{env['logical_cpus']} CPUs ({env['cpu']}); env {env['env']}")
    print()
    print("| model | fit median (s) | fit min (s) | predict 1,000 rows median (s) | predict min (s) |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results.items():
        f, p = r["fit"], r["predict_1000"]
        print(f"| {name} | {f['median']:.4f} | {f['min']:.4f} | {p['median']:.5f} | {p['min']:.5f} |")

    if a.out:
        doc = {
            "generated_by": "benches/compare/sklearn_enb2012_speed.py",
            "command": " ".join(["python", *sys.argv]),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "rows": len(x),
            "features": FEATURES,
            "target": TARGET,
            "repeats": a.repeats,
            "environment": env,
            "seconds": results,
        }
        out = Path(a.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
