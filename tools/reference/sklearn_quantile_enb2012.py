"""scikit-learn reference for terrawatt-learn's linear quantile regression, on ENB2012.

For each target (Y1 heating load, Y2 cooling load) and quantile τ in 0.1, 0.5, 0.9,
`QuantileRegressor(quantile=τ, alpha=0, fit_intercept=True, solver="highs")` is fitted on
all 768 rows twice:

* `full_rank`: features X1, X3..X8 (X2 = X3 + 2·X4 left out), a design of full rank, whose
  optimum is unique: coefficients, intercept and mean pinball loss;
* `all_features`: X1..X8 (rank 7 of 8), whose optimal coefficients are not unique: the
  mean pinball loss only (every optimum has it).

The mean pinball loss is computed here from the definition
ρ_τ(r) = r·(τ − 1[r < 0]) (Koenker & Bassett 1978), not by a terrawatt routine. Floats are
written with repr (full precision).

    python tools/reference/sklearn_quantile_enb2012.py --data ../shared/data/building/ENB2012.csv \\
        --out crates/learn/tests/fixtures/quantile_enb2012.json
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
import scipy
import sklearn
from sklearn.linear_model import QuantileRegressor

QUANTILES = [0.1, 0.5, 0.9]
TARGETS = ["Y1", "Y2"]
DESIGNS = {
    "full_rank": ["X1", "X3", "X4", "X5", "X6", "X7", "X8"],
    "all_features": [f"X{i}" for i in range(1, 9)],
}


def pinball(y, pred, tau):
    r = y - pred
    return float(np.mean(np.where(r >= 0, tau * r, (tau - 1) * r)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    df = pd.read_csv(args.data)
    out = {
        "generated_by": "tools/reference/sklearn_quantile_enb2012.py",
        "command": " ".join(shlex.quote(a) for a in sys.argv),
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "data_sha256": hashlib.sha256(Path(args.data).read_bytes()).hexdigest(),
        "model": 'QuantileRegressor(quantile=tau, alpha=0, fit_intercept=True, solver="highs")',
        "fits": [],
    }
    for design, cols in DESIGNS.items():
        x = df[cols].to_numpy(float)
        for target in TARGETS:
            y = df[target].to_numpy(float)
            for tau in QUANTILES:
                m = QuantileRegressor(quantile=tau, alpha=0.0, fit_intercept=True, solver="highs")
                m.fit(x, y)
                pred = m.predict(x)
                fit = {
                    "design": design,
                    "features": cols,
                    "target": target,
                    "quantile": tau,
                    "mean_pinball": pinball(y, pred, tau),
                }
                if design == "full_rank":
                    fit["coef"] = [float(c) for c in m.coef_]
                    fit["intercept"] = float(m.intercept_)
                out["fits"].append(fit)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
