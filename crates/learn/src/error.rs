/// Errors of model fitting and evaluation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LearnError {
    /// A hyper-parameter outside its valid range, caught before training.
    #[error("invalid hyper-parameter {name} = {value}: {expected}")]
    Param {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    /// The data cannot be used as given.
    #[error("{0}")]
    Data(String),
    /// A saved model that does not fit the data it is applied to.
    #[error("{0}")]
    Schema(String),
    /// A model file that cannot be read.
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// An error of linfa's, raised where a model of the crate is fitted through linfa's
    /// traits (a dataset that cannot be split into the folds asked for, say).
    #[error("{0}")]
    Linfa(#[from] linfa::Error),
    /// A model from another library that failed to fit, named as its candidate is.
    #[error("{name} could not be fitted: {message}")]
    Candidate { name: String, message: String },
}

/// Result with [`LearnError`].
pub type Result<T, E = LearnError> = std::result::Result<T, E>;

pub(crate) fn param(
    name: &'static str,
    value: impl ToString,
    expected: &'static str,
) -> LearnError {
    LearnError::Param {
        name,
        value: value.to_string(),
        expected,
    }
}
