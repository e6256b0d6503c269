"""scikit-learn reference results on ENB2012 (UCI Energy efficiency) for the Rust models.

For each target (Y1 heating load, Y2 cooling load) and each fold k of a given fold
assignment, three models are fitted on the rows whose fold != k and scored on fold k:

* LinearRegression()
* RandomForestRegressor(n_estimators=100, random_state=0, n_jobs=2)
* GradientBoostingRegressor(n_estimators=1000, learning_rate=0.05, max_depth=5,
  subsample=0.8, random_state=0)

Recorded per model and target: MAE, RMSE and R² per fold (sklearn.metrics) and their mean
and sample standard deviation over folds (ddof=1); for LinearRegression also the
out-of-fold prediction of every row. A LinearRegression fitted on all rows gives
predictions, coefficients and intercept. X2 = X3 + 2·X4 makes the design rank-deficient:
the predictions are unique, the coefficients are scikit-learn's minimum-norm solution
(scipy.linalg.lstsq on centred data) and are not.

The fold file is CSV with header `row,fold`: row is the 0-based data row in file order,
fold is 0..K-1, every row listed once. Floats in the JSON are written with repr (full
precision).

    python tools/reference/sklearn_enb2012.py --data ../shared/data/building/ENB2012.csv \\
        --folds FOLDS.csv --out crates/building/tests/fixtures/sklearn_enb2012.json
"""

import argparse
import datetime
import hashlib
import json
import platform
import shlex
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

FEATURES = [f"X{i}" for i in range(1, 9)]
TARGETS = {"Y1": "heating load", "Y2": "cooling load"}
MODELS = {
    "ols": lambda: LinearRegression(),
    "forest": lambda: RandomForestRegressor(n_estimators=100, random_state=0, n_jobs=2),
    "gbm": lambda: GradientBoostingRegressor(
        n_estimators=1000, learning_rate=0.05, max_depth=5, subsample=0.8, random_state=0
    ),
}
METRICS = {"mae": mean_absolute_error, "rmse": root_mean_squared_error, "r2": r2_score}


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def floats(a):
    return [float(v) for v in np.asarray(a).ravel()]


def load_data(path):
    df = pd.read_csv(path)
    missing = [c for c in FEATURES + list(TARGETS) if c not in df.columns]
    if missing:
        sys.exit(f"{path}: missing columns {missing} (have {list(df.columns)})")
    df = df[FEATURES + list(TARGETS)]
    if df.isna().any().any() or not all(np.issubdtype(t, np.number) for t in df.dtypes):
        sys.exit(f"{path}: expected numeric columns without missing values")
    return df


def load_folds(path, n):
    f = pd.read_csv(path)
    if list(f.columns) != ["row", "fold"]:
        sys.exit(f"{path}: header must be `row,fold`, got {list(f.columns)}")
    if f.isna().any().any() or (f != f.round()).any().any():
        sys.exit(f"{path}: row and fold must be integers")
    f = f.astype(int)
    if sorted(f["row"]) != list(range(n)):
        sys.exit(f"{path}: rows must be 0..{n - 1}, each once ({len(f)} rows given)")
    fold = f.sort_values("row")["fold"].to_numpy()
    k = fold.max() + 1
    if fold.min() != 0 or len(np.unique(fold)) != k or k < 2:
        sys.exit(f"{path}: folds must be 0..K-1 (K >= 2), each non-empty")
    return fold, int(k)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="ENB2012.csv")
    ap.add_argument("--folds", required=True, help="fold assignment CSV (row,fold)")
    ap.add_argument("--out", required=True, help="JSON to write")
    a = ap.parse_args()

    df = load_data(a.data)
    n = len(df)
    fold, k = load_folds(a.folds, n)
    x = df[FEATURES].to_numpy(dtype=float)

    results = {}
    for target in TARGETS:
        y = df[target].to_numpy(dtype=float)
        per_target = {}
        for name, make in MODELS.items():
            scores = {m: [] for m in METRICS}
            oof = np.full(n, np.nan)
            for f in range(k):
                train, test = fold != f, fold == f
                pred = make().fit(x[train], y[train]).predict(x[test])
                oof[test] = pred
                for m, fn in METRICS.items():
                    scores[m].append(float(fn(y[test], pred)))
            entry = {"params": make().get_params()}
            for m, v in scores.items():
                entry[m] = {
                    "folds": v,
                    "mean": float(np.mean(v)),
                    "sd": float(np.std(v, ddof=1)),
                }
            if name == "ols":
                entry["oof_predictions"] = floats(oof)
            per_target[name] = entry
        full = LinearRegression().fit(x, y)
        per_target["ols_full"] = {
            "predictions": floats(full.predict(x)),
            "coef": dict(zip(FEATURES, floats(full.coef_))),
            "intercept": float(full.intercept_),
            "rank": int(full.rank_),
        }
        results[target] = per_target

    doc = {
        "generated_by": "tools/reference/sklearn_enb2012.py",
        "command": shlex.join(["python", *sys.argv]),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "data": {"file": Path(a.data).name, "sha256": sha256(a.data), "rows": n,
                 "features": FEATURES, "targets": TARGETS},
        "folds": {"file": Path(a.folds).name, "sha256": sha256(a.folds), "k": k,
                  "sizes": [int((fold == f).sum()) for f in range(k)]},
        "sd": "sample standard deviation over folds (ddof=1)",
        "ols_coef_note": "X2 = X3 + 2*X4: coefficients are the minimum-norm least-squares "
                         "solution and not unique; predictions are unique",
        "results": results,
    }
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")

    print(f"scikit-learn {sklearn.__version__}, {k} folds, {n} rows -> {out}")
    print(f"{'target':<6} {'model':<7} {'MAE':>17} {'RMSE':>17} {'R²':>17}")
    for target, per_target in results.items():
        for name in MODELS:
            cells = [f"{per_target[name][m]['mean']:.4f} ± {per_target[name][m]['sd']:.4f}"
                     for m in METRICS]
            print(f"{target:<6} {name:<7} " + " ".join(f"{c:>17}" for c in cells))
    print("(mean ± sd over folds, sd with ddof=1)")


if __name__ == "__main__":
    main()
