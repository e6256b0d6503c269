"""Random forests at a million rows: terrawatt `building fit --model forest` against
scikit-learn's RandomForestRegressor (n_jobs=2) and LightGBM's random-forest mode, same
data, same machine, one run.

Data: million_rows.py (1,000,000 training rows x 8 features, 200,000 held out).

Hyper-parameters: 100 trees, depth <= 10, min 20 rows per leaf, every feature at every
split, one row sample per tree:
  terrawatt --max-bins 255  histogram trees on bootstrap samples (n draws with replacement)
  terrawatt (exact)         exact splits on the same samples (scikit-learn's algorithm)
  scikit-learn              RandomForestRegressor(max_depth=10, min_samples_leaf=20,
                            bootstrap=True, max_features=1.0, n_jobs=2): exact splits
  LightGBM                  boosting_type="rf", num_leaves=1024, max_depth=10,
                            min_child_samples=20, bagging 0.632 of the rows without
                            replacement each tree (LightGBM's rf mode takes no bootstrap),
                            max_bin=255
Each fit is timed alone (terrawatt: the report's `fit` phase; the peers: time around .fit
with the data already in memory). The histogram forests: median of REPS runs (default 3) on
2 threads and on 1; the exact ones, at least 40 times slower, one run on 2 threads.
Test RMSE on the 200,000 held-out rows is printed for each.

Run: python3 -m venv /var/tmp/venv-gbm && /var/tmp/venv-gbm/bin/pip install lightgbm \
       scikit-learn pyarrow pandas numpy
     cargo build --release
     /var/tmp/venv-gbm/bin/python benches/compare/forest_million_rows.py [target/release/terrawatt]
"""
import os
import sys
import time

import lightgbm
import numpy as np
import sklearn
from sklearn.ensemble import RandomForestRegressor

from million_rows import Xte, Xtr, load1, median_runs, rmse, terrawatt as terrawatt_fit, ytr

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/terrawatt"
THREADS = [int(t) for t in os.environ.get("THREADS", "2,1").split(",")]
EXACT = os.environ.get("EXACT", "1") == "1"
ARGS = ["--model", "forest", "--n-trees", "100", "--max-depth", "10",
        "--min-samples-leaf", "20"]


def timed_fit(m):
    t = time.perf_counter()
    m.fit(Xtr, ytr)
    return time.perf_counter() - t, rmse(m.predict(Xte))


def lgbm(threads):
    return timed_fit(lightgbm.LGBMRegressor(
        boosting_type="rf", n_estimators=100, num_leaves=1024, max_depth=10,
        min_child_samples=20, subsample=0.632, subsample_freq=1, colsample_bytree=1.0,
        max_bin=255, n_jobs=threads, verbose=-1))


def sklearn_rf(threads):
    return timed_fit(RandomForestRegressor(
        n_estimators=100, max_depth=10, min_samples_leaf=20, max_features=1.0,
        bootstrap=True, n_jobs=threads, random_state=0))


def report(label, res):
    base = res["terrawatt"][0]
    for name, (s, e) in res.items():
        ratio = "" if name == "terrawatt" else f"  terrawatt {s / base:.2f}x faster"
        print(f"{label} {name:12s} fit {s:7.2f} s  test RMSE {e:.4f}{ratio}", flush=True)
    print(f"  load now {load1():.2f}", flush=True)


print(f"lightgbm {lightgbm.__version__}, scikit-learn {sklearn.__version__}, "
      f"numpy {np.__version__}; {os.cpu_count()} CPUs; load at start {load1():.2f}", flush=True)
for threads in THREADS:
    res = {
        "terrawatt": median_runs(lambda: terrawatt_fit(BIN, ARGS + ["--max-bins", "255"],
                                                       threads)),
        "lightgbm-rf": median_runs(lambda: lgbm(threads)),
    }
    report(f"histogram threads={threads}", res)
if EXACT:
    res = {
        "terrawatt": terrawatt_fit(BIN, ARGS, 2),
        "sklearn-rf": sklearn_rf(2),
    }
    report("exact threads=2 (one run)", res)
    print("histogram terrawatt against exact scikit-learn, 2 threads: see the rows above")
