//! Saving and loading a fitted model with its feature schema and a format version.

use std::path::Path;

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::error::{LearnError, Result};
use crate::model::Model;

/// The format written now.
pub const FORMAT: &str = "terrawatt-model";
pub const FORMAT_VERSION: u32 = 1;

/// A model with what it was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedModel {
    pub format: String,
    pub format_version: u32,
    /// Feature names in the order the model takes them.
    pub features: Vec<String>,
    pub target: String,
    pub n_train: usize,
    pub model: Model,
    /// Anything else worth keeping (scores, the command line, the seed).
    #[serde(default)]
    pub meta: serde_json::Value,
    /// Each feature's range in training, [least, greatest], in the model's order (absent
    /// from files written before it was kept: then nothing is checked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<[f64; 2]>,
}

/// A feature with values outside its training range, where a model extrapolates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outside {
    pub feature: String,
    /// Rows with a value below the least or above the greatest seen in training.
    pub rows: usize,
    /// Rows looked at.
    pub of: usize,
    pub least: f64,
    pub greatest: f64,
}

/// Each column's [least, greatest] finite value ([NaN, NaN] for a column without one).
pub fn ranges_of(x: ArrayView2<'_, f64>) -> Vec<[f64; 2]> {
    x.columns()
        .into_iter()
        .map(|c| range_of(c.iter().copied()))
        .collect()
}

/// The [least, greatest] finite value ([NaN, NaN] if none).
pub fn range_of(values: impl Iterator<Item = f64>) -> [f64; 2] {
    values
        .filter(|v| v.is_finite())
        .fold([f64::NAN, f64::NAN], |[lo, hi], v| [lo.min(v), hi.max(v)])
}

impl SavedModel {
    pub fn new(model: Model, features: Vec<String>, target: String, n_train: usize) -> Self {
        SavedModel {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            features,
            target,
            n_train,
            model,
            meta: serde_json::Value::Null,
            ranges: Vec::new(),
        }
    }

    /// The features of `x` (columns in the model's order) with values outside their
    /// training range; none where the file keeps no ranges.
    pub fn outside_training(&self, x: ArrayView2<'_, f64>) -> Vec<Outside> {
        if self.ranges.len() != x.ncols() {
            return Vec::new();
        }
        self.features
            .iter()
            .zip(&self.ranges)
            .zip(x.columns())
            .filter_map(|((feature, &[least, greatest]), c)| {
                let rows = c.iter().filter(|v| **v < least || **v > greatest).count();
                (rows > 0).then(|| Outside {
                    feature: feature.clone(),
                    rows,
                    of: c.len(),
                    least,
                    greatest,
                })
            })
            .collect()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a model serialises")
    }

    /// Reads a model file, refusing other formats and newer versions.
    pub fn load(path: &Path) -> Result<SavedModel> {
        let err = |message: String| LearnError::File {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let head: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| err(format!("not a model file: {e}")))?;
        if head.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(err(
                "not a terrawatt model file (no \"format\": \"terrawatt-model\")".into(),
            ));
        }
        let v = head
            .get("format_version")
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        if v != u64::from(FORMAT_VERSION) {
            return Err(err(format!(
                "model format version {v}; this terrawatt reads version {FORMAT_VERSION}"
            )));
        }
        serde_json::from_value(head).map_err(|e| err(format!("damaged model file: {e}")))
    }

    /// Checks that `available` columns hold every feature; returns their positions in the
    /// model's order, or an error naming what is missing.
    pub fn locate_features(&self, available: &[String]) -> Result<Vec<usize>> {
        let missing: Vec<&str> = self
            .features
            .iter()
            .filter(|f| !available.contains(f))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(LearnError::Schema(format!(
                "the model was trained on features [{}]; the data lacks [{}] (it has [{}])",
                self.features.join(", "),
                missing.join(", "),
                available.join(", ")
            )));
        }
        Ok(self
            .features
            .iter()
            .map(|f| available.iter().position(|a| a == f).expect("checked"))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linear::LinearParams;

    #[test]
    fn roundtrip_and_refusals() {
        let x = ndarray::array![[1.0, 2.0], [2.0, 1.0], [3.0, 4.0]];
        let y = ndarray::array![1.0, 2.0, 4.0];
        let m = LinearParams::ols()
            .check()
            .unwrap()
            .fit(x.view(), y.view())
            .unwrap();
        let saved = SavedModel::new(
            Model::Linear(m),
            vec!["a".into(), "b".into()],
            "y".into(),
            3,
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.json");
        std::fs::write(&p, saved.to_json()).unwrap();
        let back = SavedModel::load(&p).unwrap();
        assert_eq!(back, saved);
        assert_eq!(
            back.locate_features(&["b".into(), "x".into(), "a".into()])
                .unwrap(),
            vec![2, 0]
        );
        let e = back.locate_features(&["a".into()]).unwrap_err().to_string();
        assert!(e.contains("lacks [b]"), "{e}");
        let newer = saved
            .to_json()
            .replace("\"format_version\":1", "\"format_version\":2");
        std::fs::write(&p, newer).unwrap();
        let e = SavedModel::load(&p).unwrap_err().to_string();
        assert!(e.contains("model format version 2"), "{e}");
    }
}
