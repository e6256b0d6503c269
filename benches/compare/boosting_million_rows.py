"""Histogram boosting at a million rows: terrawatt `building fit --model gbm` against
LightGBM and scikit-learn's HistGradientBoostingRegressor, same data, same hyper-parameters,
same machine, one run.

Data: 1,200,000 rows x 8 features, x ~ U(0, 10), y = 3 sin x0 + x1 x2 / 10 - x3 + N(0, 0.5^2)
(numpy default_rng(1)); the first 1,000,000 rows train, the last 200,000 are held out.
Written once as Parquet to $BENCH_DIR (default /var/tmp/gbm-bench).

Hyper-parameters: 100 trees, learning rate 0.1, min 20 rows per leaf, no row subsampling,
255/256 bins, and two tree shapes:
  depth-6   every tree grown to depth 6 (up to 64 leaves): LightGBM num_leaves=64,
            max_depth=6; sklearn max_depth=6, max_leaf_nodes=None; terrawatt --max-depth 6
  leaves-31 LightGBM's default shape: 31 leaves grown best-first, depth <= 6:
            LightGBM num_leaves=31, max_depth=6; sklearn max_leaf_nodes=31, max_depth=6;
            terrawatt --max-leaves 31 --max-depth 6
Each fit is timed alone (terrawatt: the report's `fit` phase; the peers: time around .fit
with the data already in memory), median of REPS runs (default 3), on 2 threads and on 1.
Test RMSE on the 200,000 held-out rows is printed for each.

Run: python3 -m venv /var/tmp/venv-gbm && /var/tmp/venv-gbm/bin/pip install lightgbm \
       scikit-learn pyarrow pandas numpy
     cargo build --release
     /var/tmp/venv-gbm/bin/python benches/compare/boosting_million_rows.py [target/release/terrawatt]
"""
import json
import os
import subprocess
import sys
import time

import lightgbm
import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import HistGradientBoostingRegressor

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/terrawatt"
DIR = os.environ.get("BENCH_DIR", "/var/tmp/gbm-bench")
REPS = int(os.environ.get("REPS", "3"))
SHAPES = os.environ.get("SHAPES", "depth-6,leaves-31").split(",")
THREADS = [int(t) for t in os.environ.get("THREADS", "2,1").split(",")]
os.makedirs(DIR, exist_ok=True)

rng = np.random.default_rng(1)
n, n_test = 1_000_000, 200_000
X = rng.uniform(0, 10, (n + n_test, 8))
y = np.sin(X[:, 0]) * 3 + X[:, 1] * X[:, 2] / 10 - X[:, 3] + 0.5 * rng.standard_normal(n + n_test)
cols = [f"x{i}" for i in range(8)]
train, test = os.path.join(DIR, "train.parquet"), os.path.join(DIR, "test.parquet")
if not (os.path.exists(train) and os.path.exists(test)):
    df = pd.DataFrame(X, columns=cols)
    df["y"] = y
    df.iloc[:n].to_parquet(train, index=False)
    df.iloc[n:].to_parquet(test, index=False)
Xtr, ytr, Xte, yte = X[:n], y[:n], X[n:], y[n:]


def rmse(p):
    return float(np.sqrt(np.mean((p - yte) ** 2)))


def load1():
    return float(open("/proc/loadavg").read().split()[0])


def terrawatt(shape, threads):
    model = os.path.join(DIR, "model.json")
    report = os.path.join(DIR, "report.json")
    args = [BIN, "building", "fit", "--data", train, "--target", "y", "--model", "gbm",
            "--n-trees", "100", "--learning-rate", "0.1", "--max-depth", "6",
            "--min-samples-leaf", "20", "--subsample", "1", "--out", model,
            "--report", report]
    if shape == "leaves-31":
        args += ["--max-leaves", "31"]
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    subprocess.run(args, check=True, env=env, capture_output=True)
    rep = json.load(open(report))

    fit = next(c for c in rep["energy"]["span"]["children"] if c["name"] == "fit")
    secs = fit["wall_s"]
    pred = os.path.join(DIR, "pred.csv")
    subprocess.run([BIN, "building", "predict", "--model", model, "--data", test, "--out", pred],
                   check=True, env=env, capture_output=True)
    p = pd.read_csv(pred)["prediction"].to_numpy()
    return secs, rmse(p)


def lgbm(shape, threads):
    m = lightgbm.LGBMRegressor(n_estimators=100, learning_rate=0.1, max_depth=6,
                               num_leaves=64 if shape == "depth-6" else 31,
                               min_child_samples=20, subsample=1.0, max_bin=255,
                               n_jobs=threads, verbose=-1)
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
    for threads in THREADS:
        res = {}
        for name, f in [("terrawatt", terrawatt), ("lightgbm", lgbm), ("sklearn-hgb", hgb)]:
            runs = [f(shape, threads) for _ in range(REPS)]
            secs = sorted(r[0] for r in runs)
            res[name] = (secs[len(secs) // 2], runs[0][1])
        base = res["terrawatt"][0]
        for name, (s, e) in res.items():
            ratio = "" if name == "terrawatt" else f"  terrawatt {s / base:.2f}x faster"
            print(f"{shape:9s} threads={threads} {name:12s} fit {s:6.2f} s (median of {REPS})"
                  f"  test RMSE {e:.4f}{ratio}")
        print(f"  load now {load1():.2f}")
