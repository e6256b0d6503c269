"""Histogram boosting at 10,000,000 rows x 20 features: terrawatt `building fit --model gbm
--memory 2GB` (the Parquet table read a column at a time into bin codes) against LightGBM
on the same rows, each in a process of its own, time and peak memory (ru_maxrss).

Data: x ~ U(0, 10) (20 features), y = 3 sin x0 + x1 x2 / 10 - x3 + N(0, 0.5^2) (the
other 16 features are noise), numpy default_rng(2), written once in row groups of
1,000,000 rows to $BENCH_DIR/ten_million.parquet (1.7 GB; default /var/tmp/gbm-bench),
and 200,000 held-out rows to ten_million_test.parquet.

Hyper-parameters: 100 trees, depth 6 (LightGBM num_leaves=64), learning rate 0.1, at least
20 rows a leaf, no row subsampling, 255/256 bins, 2 threads. terrawatt's time is the whole
command (reading included) and its `fit` phase; LightGBM's is reading the Parquet with
pandas and its `.fit`, each given. One run each (REPS to change).

Run: /var/tmp/venv-gbm/bin/python benches/compare/boosting_ten_million.py target/release/terrawatt
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/terrawatt"
DIR = os.environ.get("BENCH_DIR", "/var/tmp/gbm-bench")
REPS = int(os.environ.get("REPS", "1"))
N, D, CHUNK, N_TEST = 10_000_000, 20, 1_000_000, 200_000
train = os.path.join(DIR, "ten_million.parquet")
test = os.path.join(DIR, "ten_million_test.parquet")
names = [f"x{i}" for i in range(D)]


def rows(rng, n):
    x = rng.uniform(0, 10, (n, D))
    y = np.sin(x[:, 0]) * 3 + x[:, 1] * x[:, 2] / 10 - x[:, 3] + 0.5 * rng.standard_normal(n)
    return pa.table({**{c: x[:, i] for i, c in enumerate(names)}, "y": y})


if not (os.path.exists(train) and os.path.exists(test)):
    os.makedirs(DIR, exist_ok=True)
    rng = np.random.default_rng(2)
    with pq.ParquetWriter(train + ".part", rows(rng, 1).schema) as w:
        for _ in range(N // CHUNK):
            w.write_table(rows(rng, CHUNK), row_group_size=CHUNK)
    os.rename(train + ".part", train)
    pq.write_table(rows(rng, N_TEST), test)


def peak_run(args, env=None):
    """Runs `args` (under /usr/bin/time -f %M: the peak RSS is stderr's last line);
    returns (wall s, stdout, stderr)."""
    t = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = p.communicate()
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{args[0]} failed: {err.decode()}")
    return wall, out.decode(), err.decode()


def terrawatt():
    model = os.path.join(DIR, "model10m.json")
    report = os.path.join(DIR, "report10m.json")
    env = dict(os.environ, RAYON_NUM_THREADS="2")
    args = ["/usr/bin/time", "-f", "%M", BIN, "building", "fit", "--data", train, "--target",
            "y", "--model", "gbm", "--n-trees", "100", "--learning-rate", "0.1",
            "--max-depth", "6", "--min-samples-leaf", "20", "--subsample", "1",
            "--memory", "2GB", "--out", model, "--report", report]
    wall, _, err = peak_run(args, env)
    peak_mb = int(err.strip().splitlines()[-1]) / 1024
    rep = json.load(open(report))
    phases = {c["name"]: c["wall_s"] for c in rep["energy"]["span"]["children"]}
    pred = os.path.join(DIR, "pred10m.csv")
    subprocess.run([BIN, "building", "predict", "--model", model, "--data", test, "--out", pred],
                   check=True, env=env, capture_output=True)
    import pandas as pd
    p = pd.read_csv(pred)["prediction"].to_numpy()
    yte = pq.read_table(test, columns=["y"]).column("y").to_numpy()
    rmse = float(np.sqrt(np.mean((p - yte) ** 2)))
    return wall, phases.get("load"), phases.get("fit"), peak_mb, rmse, rep["results"]["read"]


LGBM = r"""
import sys, time, json, numpy as np, pyarrow.parquet as pq, lightgbm
train, test = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
tab = pq.read_table(train)
X = np.column_stack([tab.column(f"x{i}").to_numpy() for i in range(20)])
y = tab.column("y").to_numpy()
del tab
t1 = time.perf_counter()
m = lightgbm.LGBMRegressor(n_estimators=100, learning_rate=0.1, max_depth=6, num_leaves=64,
                           min_child_samples=20, subsample=1.0, max_bin=255, n_jobs=2,
                           verbose=-1)
m.fit(X, y)
t2 = time.perf_counter()
te = pq.read_table(test)
Xt = np.column_stack([te.column(f"x{i}").to_numpy() for i in range(20)])
rmse = float(np.sqrt(np.mean((m.predict(Xt) - te.column("y").to_numpy()) ** 2)))
print(json.dumps({"read": t1 - t0, "fit": t2 - t1, "rmse": rmse, "lightgbm": lightgbm.__version__}))
"""


def lightgbm_run():
    wall, out, err = peak_run(["/usr/bin/time", "-f", "%M", sys.executable, "-c", LGBM, train,
                               test])
    peak_mb = int(err.strip().splitlines()[-1]) / 1024
    r = json.loads(out)
    return wall, r["read"], r["fit"], peak_mb, r["rmse"], r["lightgbm"]


print(f"{N:,} rows x {D} features; {os.cpu_count()} CPUs; load "
      f"{open('/proc/loadavg').read().split()[0]}", flush=True)
for _ in range(REPS):
    wall, load, fit, peak, rmse, read = terrawatt()
    print(f"terrawatt --memory 2GB: command {wall:.1f} s (reading and binning {load:.1f} s, "
          f"fit {fit:.1f} s), peak RSS {peak:.0f} MB, test RMSE {rmse:.4f}; estimate "
          f"{read['memory_estimate_bytes'] / 1e9:.2f} GB", flush=True)
    wall, load, fit, peak, rmse, ver = lightgbm_run()
    print(f"LightGBM {ver}: process {wall:.1f} s (reading {load:.1f} s, fit {fit:.1f} s), "
          f"peak RSS {peak:.0f} MB, test RMSE {rmse:.4f}", flush=True)
