use std::path::PathBuf;

/// Errors of the meter. Each names the file, setting or code at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MeterError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file was read but its content is not what was expected.
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// A setting is out of its valid range.
    #[error("invalid {name} {value}: {reason}")]
    Setting {
        name: &'static str,
        value: String,
        reason: String,
    },
    /// A country code that the bundled grid-intensity table does not hold.
    #[error(
        "unknown country code '{code}': give an ISO 3166 alpha-2 or alpha-3 code (e.g. FR or FRA); `terrawatt energy countries` lists the {known} known codes"
    )]
    UnknownCountry { code: String, known: usize },
    /// A cloud region that the bundled table does not hold.
    #[error("unknown cloud region '{region}'{provider}: known regions are {known}")]
    UnknownCloudRegion {
        region: String,
        provider: String,
        known: String,
    },
    /// An emissions CSV whose header is not CodeCarbon's; it is never overwritten.
    #[error(
        "{path}: its header is not CodeCarbon's emissions.csv header (first line: '{found}'); refusing to append to it — name a new file or move this one away"
    )]
    EmissionsHeader { path: PathBuf, found: String },
    /// A run that cannot be placed or measured as asked, with what to change.
    #[error("{0}")]
    Schedule(String),
    /// Calibration needs a hardware counter that this machine does not expose.
    #[error("calibration needs a readable energy counter (RAPL): {0}")]
    NoCounter(String),
}

impl MeterError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        MeterError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn parse(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        MeterError::Parse {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Result with [`MeterError`].
pub type Result<T, E = MeterError> = std::result::Result<T, E>;
