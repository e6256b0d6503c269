//! The crate's one error type: what went wrong reading a meter, temperature or table file,
//! fitting or using a baseline or a load model, or writing an output. Each names the file,
//! column or setting at fault and says what to do.

use std::path::PathBuf;

use terrawatt_learn::LearnError;
use terrawatt_table::TableError;

/// Errors of the building tasks.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildingError {
    /// The baseline fails CalTRACK's sufficiency rules; each string is one reason.
    #[error("the baseline is disqualified: {}", .0.join("; "))]
    Disqualified(Vec<String>),
    /// A model that cannot be fitted or used on these periods, with why.
    #[error("{0}")]
    Fit(String),
    /// A table that cannot be read or used (it names the file and column).
    #[error(transparent)]
    Table(#[from] TableError),
    /// A model of terrawatt-learn that cannot be fitted or used.
    #[error(transparent)]
    Learn(#[from] LearnError),
    /// A meter or temperature file whose content cannot be used.
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    /// A setting that cannot be used, with what to do.
    #[error("{0}")]
    Setting(String),
    /// A file that cannot be read or written (the message names it).
    #[error("{message}")]
    File { path: PathBuf, message: String },
}
