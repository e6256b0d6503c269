//! Any model of the crate behind one type: [`ModelSpec`] (what to fit, checked) and
//! [`Model`] (fitted).

use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::boost::{BoostParams, Boosting, ValidBoostParams};
use crate::error::Result;
use crate::forest::{Forest, ForestParams, ValidForestParams};
use crate::linear::{LinearModel, LinearParams, ValidLinearParams};
use crate::tree::{Tree, TreeParams, ValidTreeParams};

/// A checked specification of a model to fit.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelSpec {
    Linear(ValidLinearParams),
    Tree(ValidTreeParams),
    Forest(ValidForestParams),
    Boosting(ValidBoostParams),
}

impl ModelSpec {
    pub fn linear(p: LinearParams) -> Result<ModelSpec> {
        Ok(ModelSpec::Linear(p.check()?))
    }
    pub fn tree(p: TreeParams) -> Result<ModelSpec> {
        Ok(ModelSpec::Tree(p.check()?))
    }
    pub fn forest(p: ForestParams) -> Result<ModelSpec> {
        Ok(ModelSpec::Forest(p.check()?))
    }
    pub fn boosting(p: BoostParams) -> Result<ModelSpec> {
        Ok(ModelSpec::Boosting(p.check()?))
    }

    /// Fits on `x` (rows × features) and `y`.
    pub fn fit(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<Model> {
        if x.nrows() != y.len() {
            return Err(crate::LearnError::Data(format!(
                "{} rows of features but {} targets",
                x.nrows(),
                y.len()
            )));
        }
        if x.nrows() == 0 {
            return Err(crate::LearnError::Data("no rows to fit".into()));
        }
        let yv = y.to_vec();
        Ok(match self {
            ModelSpec::Linear(p) => Model::Linear(p.fit(x, y)?),
            ModelSpec::Tree(p) => Model::Tree(p.fit(x, &yv)?),
            ModelSpec::Forest(p) => Model::Forest(p.fit(x, &yv)?),
            ModelSpec::Boosting(p) => Model::Boosting(p.fit(x, &yv)?),
        })
    }

    /// Fits, and returns the model's predictions for the rows of `x` where the fit already
    /// made them (boosting without early stopping), saving a pass over the data.
    pub fn fit_scored(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
    ) -> Result<(Model, Option<Array1<f64>>)> {
        match self {
            ModelSpec::Boosting(p) if x.nrows() == y.len() && x.nrows() > 0 => {
                let (m, fitted) = p.fit_scored(x, &y.to_vec())?;
                Ok((Model::Boosting(m), fitted.map(Array1::from)))
            }
            _ => Ok((self.fit(x, y)?, None)),
        }
    }

    /// A short name: `ols`, `ridge`, `elasticnet`, `quantile` (linear), `tree`, `forest`,
    /// `gbm`.
    pub fn name(&self) -> &'static str {
        match self {
            ModelSpec::Linear(p) if p.params().quantile.is_some() => "quantile",
            ModelSpec::Linear(p) => match p.params().penalty {
                crate::linear::Penalty::None => "ols",
                crate::linear::Penalty::Ridge { .. } => "ridge",
                crate::linear::Penalty::ElasticNet { .. } => "elasticnet",
            },
            ModelSpec::Tree(_) => "tree",
            ModelSpec::Forest(_) => "forest",
            ModelSpec::Boosting(_) => "gbm",
        }
    }
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Model {
    Linear(LinearModel),
    Tree(Tree),
    Forest(Forest),
    Boosting(Boosting),
}

impl Model {
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        match self {
            Model::Linear(m) => m.predict(x),
            Model::Tree(m) => m.predict(x),
            Model::Forest(m) => m.predict(x),
            Model::Boosting(m) => m.predict(x),
        }
    }

    /// Impurity importance (each tree's squared-error decreases per feature, normalised to
    /// sum to 1 per tree, then averaged), for tree models.
    pub fn impurity_importance(&self) -> Option<Vec<f64>> {
        let trees: Vec<&Tree> = match self {
            Model::Linear(_) => return None,
            Model::Tree(t) => vec![t],
            Model::Forest(f) => f.trees.iter().collect(),
            Model::Boosting(b) => b.trees.iter().collect(),
        };
        let d = trees.first().map_or(0, |t| t.n_features);
        let mut acc = vec![0.0; d];
        let mut counted = 0usize;
        for t in &trees {
            let total: f64 = t.importance.iter().sum();
            if total > 0.0 {
                counted += 1;
                for (a, v) in acc.iter_mut().zip(&t.importance) {
                    *a += v / total;
                }
            }
        }
        if counted > 0 {
            acc.iter_mut().for_each(|a| *a /= counted as f64);
        }
        Some(acc)
    }

    /// Parameters for n − p corrections: coefficients for linear models, leaves for trees.
    pub fn n_params(&self) -> usize {
        match self {
            Model::Linear(m) => m.n_params(),
            Model::Tree(t) => t.n_leaves(),
            Model::Forest(f) => {
                f.trees.iter().map(Tree::n_leaves).sum::<usize>() / f.trees.len().max(1)
            }
            Model::Boosting(b) => 1 + b.trees.iter().map(Tree::n_leaves).sum::<usize>(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Model::Linear(_) => "linear",
            Model::Tree(_) => "tree",
            Model::Forest(_) => "forest",
            Model::Boosting(_) => "boosting",
        }
    }
}
