//! What the ENB2012 tests (`enb2012.rs`, `linfa_candidates.rs`) share.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use terrawatt_table::{MissingPolicy, Selection, Table};

#[path = "../../../meter/tests/common.rs"]
mod common;

/// The UCI Energy Efficiency data (ENB2012, 768 buildings), or `None` (with a notice) when
/// the shared data is absent and `TERRAWATT_REFERENCE_DATA` is not set.
pub fn enb2012() -> Option<PathBuf> {
    common::reference_data("building/ENB2012.csv")
}

/// ENB2012 (at `path`): its features X1–X8 against `target` (Y1 or Y2; the other left
/// out).
pub fn select(path: &Path, target: &str) -> Selection {
    let other = if target == "Y1" { "Y2" } else { "Y1" };
    Table::read(path)
        .unwrap()
        .select(
            Some(target),
            None,
            &[other.to_string()],
            MissingPolicy::Error,
        )
        .unwrap()
}
