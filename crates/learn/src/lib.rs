//! terrawatt-learn: models that learn, and their evaluation, on ndarray and rayon.
//!
//! What it offers:
//! - [`linear`]: OLS (minimum-norm on rank-deficient designs), ridge, lasso and elastic
//!   net, optional standardisation; linear quantile regression (exact, interior point).
//! - [`tree`]: CART regression trees (squared error; depth, split, leaf and feature limits).
//! - [`forest`]: random forests, trees in parallel.
//! - [`boost`]: gradient boosting with histogram split finding; squared, absolute, Huber
//!   and quantile (pinball) losses; subsampling; early stopping.
//! - [`model`]: [`ModelSpec`] (checked parameters) and [`Model`] (fitted) over all of them.
//! - [`cv`]: shuffled, grouped and rolling-origin splits; folds fitted in parallel.
//! - [`metrics`]: MAE, RMSE, R², MAPE, CV(RMSE), NMBE (with n − p), pinball loss.
//! - [`importance`]: permutation importance; impurity importance is on [`Model`].
//! - [`persist`]: save/load with the feature schema and a format version.
//! - [`distill`]: a compact student trained on a teacher's predictions.
//! - [`stats`]: Student t p-values and quantiles (incomplete beta).
//! - [`learner`]: any model as a candidate ([`learner::Learner`]), linfa's among them.
//!
//! linfa's traits hold on every model: `ParamGuard` on the parameter structs, `Fit` on
//! the checked parameters and on [`ModelSpec`] (records `Array2<f64>`, targets
//! `Array1<f64>`, owned or views), `PredictInplace` on the fitted models; so linfa's
//! `Dataset::fold` and `cross_validate` take them. [`linfa`] and [`linfa_elasticnet`]
//! are re-exported.
//!
//! Every parameter struct is checked (`check()`) into a valid one before training. Every
//! random draw comes from a seeded stream per work item, so results do not depend on the
//! thread count.
//!
//! A model specified, fitted and cross-validated (a straight line recovered exactly; a
//! forest scored on five shuffled folds):
//!
//! ```
//! use ndarray::{Array1, Array2};
//! use terrawatt_learn::forest::ForestParams;
//! use terrawatt_learn::linear::LinearParams;
//! use terrawatt_learn::{ModelSpec, cv};
//!
//! // y = 3 + 2·x₀ − x₁ on a small grid
//! let x = Array2::from_shape_fn((40, 2), |(i, j)| ((i * (j + 3)) % 11) as f64);
//! let y: Array1<f64> = x.rows().into_iter().map(|r| 3.0 + 2.0 * r[0] - r[1]).collect();
//!
//! let ols = ModelSpec::linear(LinearParams::ols())?;
//! let model = ols.fit(x.view(), y.view())?;
//! let pred = model.predict(x.view());
//! assert!(pred.iter().zip(&y).all(|(p, o)| (p - o).abs() < 1e-9));
//!
//! let forest = ModelSpec::forest(ForestParams { n_trees: 20, ..Default::default() })?;
//! let folds = cv::kfold_assignment(y.len(), 5, 0)?;
//! let result = cv::cross_validate(&forest, x.view(), y.view(), &cv::splits_from_folds(&folds))?;
//! let (mae, _sd) = result.mean_sd(|s| s.mae);
//! assert_eq!(result.oof.len(), 40); // an out-of-fold prediction per row
//! assert!(mae.is_finite() && mae > 0.0);
//! # Ok::<(), terrawatt_learn::LearnError>(())
//! ```

pub mod boost;
pub mod cv;
pub mod distill;
mod error;
pub mod forest;
pub mod importance;
pub mod learner;
pub mod linalg;
pub mod linear;
mod linfa_traits;
pub mod metrics;
pub mod model;
pub mod persist;
mod quantreg;
pub mod rng;
pub mod stats;
pub mod tree;

pub use error::{LearnError, Result};
pub use linfa;
pub use linfa_elasticnet;
pub use model::{Model, ModelSpec};

/// A pool of `n` threads, for tests that compare results across thread counts.
#[doc(hidden)]
pub fn pool_of(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
}

/// Runs `f` in a one-thread and a two-thread pool: tests compare the two results (the
/// crate's results do not depend on the thread count).
#[doc(hidden)]
pub fn on_one_and_two_threads<T: Send>(f: impl Fn() -> T + Sync) -> (T, T) {
    (pool_of(1).install(&f), pool_of(2).install(&f))
}
