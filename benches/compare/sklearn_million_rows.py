"""Context for terrawatt-learn's million-row boosting bench: scikit-learn's
HistGradientBoostingRegressor (50 iterations, depth 6) and one GradientBoostingRegressor tree
on 1,000,000 x 8 synthetic rows of the same form (numpy's generator, so not the same draws).
Run: /tmp/venv-sk/bin/python benches/compare/sklearn_million_rows.py"""
import time, numpy as np, sklearn
from sklearn.ensemble import HistGradientBoostingRegressor, GradientBoostingRegressor
rng = np.random.default_rng(1)
n = 1_000_000
X = rng.uniform(0, 10, (n, 8))
y = np.sin(X[:,0])*3 + X[:,1]*X[:,2]/10 - X[:,3] + 0.5*rng.standard_normal(n)
ts=[]
for _ in range(3):
    t=time.perf_counter(); HistGradientBoostingRegressor(max_iter=50, max_depth=6, max_leaf_nodes=None, learning_rate=0.1, early_stopping=False, random_state=0).fit(X,y); ts.append(time.perf_counter()-t)
print("sklearn", sklearn.__version__, "HistGradientBoostingRegressor(max_iter=50, max_depth=6, max_leaf_nodes=None) 1e6x8: median %.2f s min %.2f s" % (np.median(ts), min(ts)))
t=time.perf_counter(); GradientBoostingRegressor(n_estimators=1, max_depth=6, subsample=0.8, random_state=0).fit(X,y); print("GradientBoostingRegressor 1 tree depth 6 subsample 0.8: %.2f s" % (time.perf_counter()-t))
