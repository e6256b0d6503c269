//! Models of any library as candidates beside the crate's own: a [`Learner`] fits a
//! [`Regressor`] on rows and targets. [`ModelSpec`] is one; [`LinfaLearner`] makes one of
//! any linfa `Fit` whose fitted model predicts through `PredictInplace` (linfa-elasticnet's
//! `ElasticNetParams`, say, or the crate's own parameter structs). [`Standardized`] puts
//! any learner on standardised features, as the crate's linear models' `standardize` does.

use std::fmt;
use std::marker::PhantomData;

use linfa::DatasetBase;
use linfa::prelude::{Fit, PredictInplace};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use crate::error::{LearnError, Result};
use crate::model::{Model, ModelSpec};

/// A fitted model that predicts one value per row.
pub trait Regressor: Send + Sync + fmt::Debug {
    /// One prediction per row of `x` (rows × features).
    fn predict_rows(&self, x: ArrayView2<'_, f64>) -> Array1<f64>;

    /// Parameters of the model, for the n − p corrections of CV(RMSE) and NMBE.
    fn n_params(&self) -> usize;
}

impl Regressor for Model {
    fn predict_rows(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        self.predict(x)
    }

    fn n_params(&self) -> usize {
        Model::n_params(self)
    }
}

impl<R: Regressor + ?Sized> Regressor for Box<R> {
    fn predict_rows(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        (**self).predict_rows(x)
    }

    fn n_params(&self) -> usize {
        (**self).n_params()
    }
}

/// Something that fits a [`Regressor`]: a candidate of a model choice.
pub trait Learner: Send + Sync + fmt::Debug {
    /// The candidate's name in tables and errors.
    fn name(&self) -> &str;

    /// Fits on `x` (rows × features) and `y`.
    fn fit_rows(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn Regressor>>;
}

impl Learner for ModelSpec {
    fn name(&self) -> &str {
        ModelSpec::name(self)
    }

    fn fit_rows(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn Regressor>> {
        Ok(Box::new(self.fit(x, y)?))
    }
}

/// Any linfa `Fit` on owned `f64` records and targets as a [`Learner`]; `E` is its error.
pub struct LinfaLearner<P, E> {
    name: String,
    params: P,
    n_params: Option<usize>,
    error: PhantomData<fn() -> E>,
}

impl<P, E> LinfaLearner<P, E> {
    /// The parameters `params` (checked or not) under the candidate name `name`. The fitted
    /// model counts as many parameters as a linear model (features + 1) unless
    /// [`LinfaLearner::with_n_params`] says otherwise.
    pub fn new(name: impl Into<String>, params: P) -> Self {
        LinfaLearner {
            name: name.into(),
            params,
            n_params: None,
            error: PhantomData,
        }
    }

    /// The parameter count of the fitted model, for the n − p corrections.
    pub fn with_n_params(mut self, n_params: usize) -> Self {
        self.n_params = Some(n_params);
        self
    }

    /// The parameters it fits with.
    pub fn params(&self) -> &P {
        &self.params
    }
}

impl<P: fmt::Debug, E> fmt::Debug for LinfaLearner<P, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinfaLearner")
            .field("name", &self.name)
            .field("params", &self.params)
            .field("n_params", &self.n_params)
            .finish()
    }
}

/// A model fitted through linfa, with its parameter count.
struct LinfaFitted<O> {
    model: O,
    n_params: usize,
}

impl<O: fmt::Debug> fmt::Debug for LinfaFitted<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.model.fmt(f)
    }
}

impl<O> Regressor for LinfaFitted<O>
where
    O: for<'a> PredictInplace<ArrayView2<'a, f64>, Array1<f64>> + Send + Sync + fmt::Debug,
{
    fn predict_rows(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        let mut y = self.model.default_target(&x);
        self.model.predict_inplace(&x, &mut y);
        y
    }

    fn n_params(&self) -> usize {
        self.n_params
    }
}

impl<P, E> Learner for LinfaLearner<P, E>
where
    P: Fit<Array2<f64>, Array1<f64>, E> + Send + Sync + fmt::Debug,
    P::Object: for<'a> PredictInplace<ArrayView2<'a, f64>, Array1<f64>>
        + Send
        + Sync
        + fmt::Debug
        + 'static,
    E: std::error::Error + From<linfa::Error>,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn fit_rows(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn Regressor>> {
        let dataset = DatasetBase::new(x.to_owned(), y.to_owned());
        let model = self
            .params
            .fit(&dataset)
            .map_err(|e| LearnError::Candidate {
                name: self.name.clone(),
                message: e.to_string(),
            })?;
        Ok(Box::new(LinfaFitted {
            model,
            n_params: self.n_params.unwrap_or(x.ncols() + 1),
        }))
    }
}

/// A [`Learner`] on standardised features: each column is centred on its mean over the
/// training rows and divided by its standard deviation there (population form; a constant
/// column is only centred), then the inner learner fits; rows to predict are transformed
/// the same way. This is what `standardize` does inside the crate's linear models, so a
/// learner that does not centre (linfa-elasticnet's intercept is the mean of `y` alone)
/// fits the same problem as they do.
#[derive(Debug)]
pub struct Standardized<L> {
    /// The learner that fits on the standardised features.
    pub inner: L,
}

/// A model fitted on standardised features, with the training means and scales.
#[derive(Debug)]
struct StandardizedModel {
    mean: Array1<f64>,
    scale: Array1<f64>,
    model: Box<dyn Regressor>,
}

impl Regressor for StandardizedModel {
    fn predict_rows(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        let z = (&x - &self.mean) / &self.scale;
        self.model.predict_rows(z.view())
    }

    fn n_params(&self) -> usize {
        self.model.n_params()
    }
}

impl<L: Learner> Learner for Standardized<L> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn fit_rows(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn Regressor>> {
        let mean = x
            .mean_axis(Axis(0))
            .ok_or_else(|| LearnError::Data("no rows to fit".into()))?;
        let centred = &x - &mean;
        let n = x.nrows() as f64;
        let scale = centred.map_axis(Axis(0), |c| {
            let sd = (c.iter().map(|v| v * v).sum::<f64>() / n).sqrt();
            if sd > 0.0 { sd } else { 1.0 }
        });
        let z = centred / &scale;
        let model = self.inner.fit_rows(z.view(), y)?;
        Ok(Box::new(StandardizedModel { mean, scale, model }))
    }
}
