//! linfa's traits on the crate's models: [`ParamGuard`] on each parameter struct, [`Fit`]
//! on the checked parameters (and on [`ModelSpec`]), [`PredictInplace`] on the fitted
//! models (and on [`Model`]). Records and targets are `f64` arrays, owned or views, so
//! linfa's `Dataset::fold` and `cross_validate` work with them. A dataset fits exactly as
//! the crate's own `fit` on the same rows: the same code runs on the same values, and the
//! predictions are bit-identical.

use linfa::DatasetBase;
use linfa::prelude::{Fit, ParamGuard, PredictInplace};
use ndarray::{Array1, ArrayBase, ArrayView1, ArrayView2, Data, Ix1, Ix2};

use crate::boost::{BoostParams, Boosting, ValidBoostParams};
use crate::error::{LearnError, Result};
use crate::forest::{Forest, ForestParams, ValidForestParams};
use crate::linear::{LinearModel, LinearParams, ValidLinearParams};
use crate::model::{Model, ModelSpec};
use crate::tree::{Tree, TreeParams, ValidTreeParams};

/// `ParamGuard` of an unchecked struct whose checked newtype is `#[repr(transparent)]`
/// over it and has no other way in than `check`.
macro_rules! param_guard {
    ($unchecked:ty, $checked:ty) => {
        impl ParamGuard for $unchecked {
            type Checked = $checked;
            type Error = LearnError;

            fn check_ref(&self) -> Result<&$checked> {
                self.validate()?;
                // SAFETY: the checked type is a `#[repr(transparent)]` newtype of the
                // unchecked one, so both references have the same layout; the values were
                // validated just above, as `check` does before it wraps them.
                Ok(unsafe { &*(self as *const $unchecked).cast::<$checked>() })
            }

            fn check(self) -> Result<$checked> {
                <$unchecked>::check(self)
            }
        }
    };
}

param_guard!(LinearParams, ValidLinearParams);
param_guard!(TreeParams, ValidTreeParams);
param_guard!(ForestParams, ValidForestParams);
param_guard!(BoostParams, ValidBoostParams);

/// The records and targets of a dataset, refused when their lengths differ or it is empty.
fn rows<'a, D, T>(
    dataset: &'a DatasetBase<ArrayBase<D, Ix2>, ArrayBase<T, Ix1>>,
) -> Result<(ArrayView2<'a, f64>, ArrayView1<'a, f64>)>
where
    D: Data<Elem = f64>,
    T: Data<Elem = f64>,
{
    let (x, y) = (dataset.records.view(), dataset.targets.view());
    if x.nrows() != y.len() {
        return Err(linfa::Error::MismatchedShapes(x.nrows(), y.len()).into());
    }
    if x.nrows() == 0 {
        return Err(linfa::Error::NotEnoughSamples.into());
    }
    Ok((x, y))
}

/// `Fit` on checked parameters through the crate's own `fit`.
macro_rules! fit {
    ($checked:ty, $object:ty, |$p:ident, $x:ident, $y:ident| $fit:expr) => {
        impl<D, T> Fit<ArrayBase<D, Ix2>, ArrayBase<T, Ix1>, LearnError> for $checked
        where
            D: Data<Elem = f64>,
            T: Data<Elem = f64>,
        {
            type Object = $object;

            fn fit(
                &self,
                dataset: &DatasetBase<ArrayBase<D, Ix2>, ArrayBase<T, Ix1>>,
            ) -> Result<$object> {
                let ($x, $y) = rows(dataset)?;
                let $p = self;
                $fit
            }
        }
    };
}

fit!(ValidLinearParams, LinearModel, |p, x, y| p.fit(x, y));
fit!(ValidTreeParams, Tree, |p, x, y| p.fit(x, &y.to_vec()));
fit!(ValidForestParams, Forest, |p, x, y| p.fit(x, &y.to_vec()));
fit!(ValidBoostParams, Boosting, |p, x, y| p.fit(x, &y.to_vec()));
fit!(ModelSpec, Model, |p, x, y| p.fit(x, y));

/// `PredictInplace` through the model's own `predict`.
macro_rules! predict_inplace {
    ($model:ty) => {
        impl<D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix2>, Array1<f64>> for $model {
            fn predict_inplace<'a>(&'a self, x: &'a ArrayBase<D, Ix2>, y: &mut Array1<f64>) {
                assert_eq!(
                    x.nrows(),
                    y.len(),
                    "the target array must hold one value per row"
                );
                y.assign(&self.predict(x.view()));
            }

            fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<f64> {
                Array1::zeros(x.nrows())
            }
        }
    };
}

predict_inplace!(LinearModel);
predict_inplace!(Tree);
predict_inplace!(Forest);
predict_inplace!(Boosting);
predict_inplace!(Model);
