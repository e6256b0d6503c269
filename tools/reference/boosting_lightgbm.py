"""Reference for terrawatt-learn's histogram boosting and forests: LightGBM and
scikit-learn's HistGradientBoostingRegressor and RandomForestRegressor on one synthetic data
set (and LightGBM's GOSS), their test RMSE written to crates/learn/tests/fixtures/boosting_peers.json.

The data are defined by a seeded splitmix64 stream (Steele, Lea & Flood 2014), uniform
doubles from its top 53 bits and Box–Muller normals (u1 = 1 − U, u2 = U), so the Rust test
draws the very same numbers: per row, x0..x7 = 10·U, then y = 3 sin x0 + x1·x2/10 − x3
+ 0.5·N. 20,000 training rows, then 5,000 test rows, seed 42.

Hyper-parameters: 100 trees, learning rate 0.1, at least 20 rows a leaf, no row
subsampling, 255 bins; two tree shapes: every node split down to depth 6 (LightGBM
num_leaves=64, max_depth=6; scikit-learn max_leaf_nodes=None, max_depth=6) and LightGBM's
default best-first growth to 31 leaves within depth 6.

GOSS (gradient-based one-side sampling): the depth-6 boosting with LightGBM's
data_sample_strategy="goss", top_rate 0.2, other_rate 0.1 (its defaults).

Forests: 100 trees, depth <= 8, at least 5 rows a leaf, every feature at every split:
scikit-learn's RandomForestRegressor (exact splits, bootstrap samples, random_state 0) and
LightGBM's random-forest mode (num_leaves=256, 255 bins, 0.632 of the rows drawn without
replacement for each tree, LightGBM's rf having no bootstrap).

Run: python3 -m venv /var/tmp/venv-gbm && /var/tmp/venv-gbm/bin/pip install lightgbm \
       scikit-learn numpy
     /var/tmp/venv-gbm/bin/python tools/reference/boosting_lightgbm.py
"""
import json
import math
import os

import lightgbm
import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor

M64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.s = seed & M64

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def uniform(self):
        return (self.next() >> 11) * (1.0 / (1 << 53))

    def normal(self):
        u1 = 1.0 - self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def data(n, rng):
    X = np.empty((n, 8))
    y = np.empty(n)
    for i in range(n):
        for j in range(8):
            X[i, j] = 10.0 * rng.uniform()
        y[i] = 3 * math.sin(X[i, 0]) + X[i, 1] * X[i, 2] / 10 - X[i, 3] + 0.5 * rng.normal()
    return X, y


rng = SplitMix64(42)
Xtr, ytr = data(20_000, rng)
Xte, yte = data(5_000, rng)


def rmse(p):
    return float(np.sqrt(np.mean((p - yte) ** 2)))


out = {
    "made_by": "tools/reference/boosting_lightgbm.py",
    "lightgbm": lightgbm.__version__,
    "scikit_learn": sklearn.__version__,
    "first_rows": {"x": Xtr[:2].tolist(), "y": ytr[:2].tolist()},
    "shapes": {},
}
for shape, leaves in [("depth6", 64), ("leaves31", 31)]:
    lgb = lightgbm.LGBMRegressor(n_estimators=100, learning_rate=0.1, max_depth=6,
                                 num_leaves=leaves, min_child_samples=20, subsample=1.0,
                                 max_bin=255, n_jobs=1, verbose=-1).fit(Xtr, ytr)
    hgb = HistGradientBoostingRegressor(max_iter=100, learning_rate=0.1, max_depth=6,
                                        max_leaf_nodes=None if leaves == 64 else 31,
                                        min_samples_leaf=20, early_stopping=False,
                                        random_state=0).fit(Xtr, ytr)
    out["shapes"][shape] = {
        "lightgbm_test_rmse": rmse(lgb.predict(Xte)),
        "sklearn_hgb_test_rmse": rmse(hgb.predict(Xte)),
    }
goss = lightgbm.LGBMRegressor(n_estimators=100, learning_rate=0.1, max_depth=6, num_leaves=64,
                              min_child_samples=20, max_bin=255, n_jobs=1, verbose=-1,
                              data_sample_strategy="goss", top_rate=0.2,
                              other_rate=0.1).fit(Xtr, ytr)
out["goss_depth6"] = {"lightgbm_test_rmse": rmse(goss.predict(Xte))}
rf = RandomForestRegressor(n_estimators=100, max_depth=8, min_samples_leaf=5,
                           max_features=1.0, bootstrap=True, n_jobs=1,
                           random_state=0).fit(Xtr, ytr)
lrf = lightgbm.LGBMRegressor(boosting_type="rf", n_estimators=100, num_leaves=256,
                             max_depth=8, min_child_samples=5, subsample=0.632,
                             subsample_freq=1, colsample_bytree=1.0, max_bin=255, n_jobs=1,
                             verbose=-1).fit(Xtr, ytr)
out["forest_depth8"] = {
    "sklearn_rf_test_rmse": rmse(rf.predict(Xte)),
    "lightgbm_rf_test_rmse": rmse(lrf.predict(Xte)),
}
path = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "learn", "tests",
                    "fixtures", "boosting_peers.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(json.dumps(out, indent=1))
