"""Histogram boosting at a million rows: terrawatt `building fit --model gbm` against
LightGBM and scikit-learn's HistGradientBoostingRegressor, same data, same hyper-parameters,
same machine, one run.

Data: million_rows.py (1,000,000 training rows x 8 features, 200,000 held out).

Hyper-parameters: 100 trees, learning rate 0.1, min 20 rows per leaf, no row subsampling,
255/256 bins, and two tree shapes:
  depth-6   every tree grown to depth 6 (up to 64 leaves): LightGBM num_leaves=64,
            max_depth=6; sklearn max_depth=6, max_leaf_nodes=None; terrawatt --max-depth 6
  leaves-31 LightGBM's default shape: 31 leaves grown best-first, depth <= 6:
            LightGBM num_leaves=31, max_depth=6; sklearn max_leaf_nodes=31, max_depth=6;
            terrawatt --max-leaves 31 --max-depth 6
  goss      depth-6 with gradient-based one-side sampling (top 20 %, 10 % of the rest):
            LightGBM data_sample_strategy="goss"; terrawatt --goss; scikit-learn has none
            (SHAPES=goss to run it; not in the default set)
Each fit is timed alone (terrawatt: the report's `fit` phase; the peers: time around .fit
with the data already in memory), median of REPS runs (default 3), on 2 threads and on 1.
The runs are interleaved: each repetition runs every tool at every thread count in turn,
so that a slower stretch of a shared machine falls on all of them alike, not on one tool or
one thread count; each tool's speed-up from 1 thread to 2 is printed after its shape.
Test RMSE on the 200,000 held-out rows is printed for each.

Run: python3 -m venv /var/tmp/venv-gbm && /var/tmp/venv-gbm/bin/pip install lightgbm \
       scikit-learn pyarrow pandas numpy
     cargo build --release
     /var/tmp/venv-gbm/bin/python benches/compare/boosting_million_rows.py [target/release/terrawatt]
"""
import os
import sys
import time

import lightgbm
import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingRegressor

from million_rows import REPS, Xte, Xtr, load1, rmse, terrawatt as terrawatt_fit, ytr

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/terrawatt"
SHAPES = os.environ.get("SHAPES", "depth-6,leaves-31").split(",")
THREADS = [int(t) for t in os.environ.get("THREADS", "2,1").split(",")]


def terrawatt(shape, threads):
    args = ["--model", "gbm", "--n-trees", "100", "--learning-rate", "0.1", "--max-depth", "6",
            "--min-samples-leaf", "20", "--subsample", "1"]
    if shape == "leaves-31":
        args += ["--max-leaves", "31"]
    if shape == "goss":
        args += ["--goss"]
    return terrawatt_fit(BIN, args, threads)


def lgbm(shape, threads):
    goss = {"data_sample_strategy": "goss", "top_rate": 0.2, "other_rate": 0.1}
    m = lightgbm.LGBMRegressor(n_estimators=100, learning_rate=0.1, max_depth=6,
                               num_leaves=31 if shape == "leaves-31" else 64,
                               min_child_samples=20, subsample=1.0, max_bin=255,
                               n_jobs=threads, verbose=-1,
                               **(goss if shape == "goss" else {}))
    t = time.perf_counter()
    m.fit(Xtr, ytr)
    return time.perf_counter() - t, rmse(m.predict(Xte))


def hgb(shape, threads):
    from threadpoolctl import threadpool_limits
    m = HistGradientBoostingRegressor(max_iter=100, learning_rate=0.1, max_depth=6,
                                      max_leaf_nodes=None if shape == "depth-6" else 31,
                                      min_samples_leaf=20, early_stopping=False,
                                      random_state=0)
    with threadpool_limits(threads):
        t = time.perf_counter()
        m.fit(Xtr, ytr)
        return time.perf_counter() - t, rmse(m.predict(Xte))


print(f"lightgbm {lightgbm.__version__}, scikit-learn {sklearn.__version__}, "
      f"numpy {np.__version__}; {os.cpu_count()} CPUs; load at start {load1():.2f}")
for shape in SHAPES:
    tools = [("terrawatt", terrawatt), ("lightgbm", lgbm), ("sklearn-hgb", hgb)]
    tools = tools[:2] if shape == "goss" else tools
    runs = {(name, t): [] for name, _ in tools for t in THREADS}
    for _ in range(REPS):
        for threads in THREADS:
            for name, f in tools:
                runs[(name, threads)].append(f(shape, threads))
    # the median time of each tool and thread count, and its first run's test RMSE
    med = {k: (sorted(r[0] for r in v)[len(v) // 2], v[0][1]) for k, v in runs.items()}
    for threads in THREADS:
        base = med[("terrawatt", threads)][0]
        for name, _ in tools:
            s, e = med[(name, threads)]
            ratio = "" if name == "terrawatt" else f"  terrawatt {s / base:.2f}x faster"
            print(f"{shape:9s} threads={threads} {name:12s} fit {s:6.2f} s (median of {REPS})"
                  f"  test RMSE {e:.4f}{ratio}")
    if 1 in THREADS and 2 in THREADS:
        ups = ", ".join(f"{name} {med[(name, 1)][0] / med[(name, 2)][0]:.2f}x"
                        for name, _ in tools)
        print(f"{shape:9s} speed-up from 1 thread to 2: {ups}")
    print(f"  load now {load1():.2f}")
