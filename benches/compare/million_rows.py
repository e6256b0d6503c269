"""The million-row data set of the learner benchmarks, and terrawatt's side of them.

Data: 1,200,000 rows x 8 features, x ~ U(0, 10), y = 3 sin x0 + x1 x2 / 10 - x3 + N(0, 0.5^2)
(numpy default_rng(1)); the first 1,000,000 rows train, the last 200,000 are held out.
Written once as Parquet to $BENCH_DIR (default /var/tmp/gbm-bench).
"""
import json
import os
import subprocess

import numpy as np
import pandas as pd

DIR = os.environ.get("BENCH_DIR", "/var/tmp/gbm-bench")
REPS = int(os.environ.get("REPS", "3"))
os.makedirs(DIR, exist_ok=True)

rng = np.random.default_rng(1)
n, n_test = 1_000_000, 200_000
X = rng.uniform(0, 10, (n + n_test, 8))
y = np.sin(X[:, 0]) * 3 + X[:, 1] * X[:, 2] / 10 - X[:, 3] + 0.5 * rng.standard_normal(n + n_test)
train, test = os.path.join(DIR, "train.parquet"), os.path.join(DIR, "test.parquet")
if not (os.path.exists(train) and os.path.exists(test)):
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)])
    df["y"] = y
    df.iloc[:n].to_parquet(train, index=False)
    df.iloc[n:].to_parquet(test, index=False)
Xtr, ytr, Xte, yte = X[:n], y[:n], X[n:], y[n:]


def rmse(p):
    return float(np.sqrt(np.mean((p - yte) ** 2)))


def load1():
    return float(open("/proc/loadavg").read().split()[0])


def terrawatt(binary, model_args, threads):
    """`building fit` on the training rows with `model_args`: the report's `fit` phase (s)
    and the test RMSE of `building predict`."""
    model = os.path.join(DIR, "model.json")
    report = os.path.join(DIR, "report.json")
    args = [binary, "building", "fit", "--data", train, "--target", "y", *model_args,
            "--out", model, "--report", report]
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    subprocess.run(args, check=True, env=env, capture_output=True)
    rep = json.load(open(report))
    fit = next(c for c in rep["energy"]["span"]["children"] if c["name"] == "fit")
    pred = os.path.join(DIR, "pred.csv")
    subprocess.run([binary, "building", "predict", "--model", model, "--data", test,
                    "--out", pred], check=True, env=env, capture_output=True)
    return fit["wall_s"], rmse(pd.read_csv(pred)["prediction"].to_numpy())


def median_runs(f, reps=REPS):
    """The median time of `reps` runs of `f` (-> (seconds, rmse)) and the first run's RMSE."""
    runs = [f() for _ in range(reps)]
    secs = sorted(r[0] for r in runs)
    return secs[len(secs) // 2], runs[0][1]
