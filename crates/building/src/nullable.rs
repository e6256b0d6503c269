//! Serde helpers: figures that are not defined (NaN) are written as null by serde_json and
//! read back as NaN.

use serde::{Deserialize, Deserializer};

pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Option::<f64>::deserialize(d).map(|v| v.unwrap_or(f64::NAN))
}
