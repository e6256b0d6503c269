//! Shared helpers of the meter's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// [`reference_data`] and a new temporary folder for the test's files.
pub fn data_and_dir(sub: &str) -> Option<(PathBuf, tempfile::TempDir)> {
    reference_data(sub).map(|d| (d, tempfile::tempdir().unwrap()))
}

/// The reference data folder, or `None` (with a printed notice) where it is absent;
/// panics where TERRAWATT_REFERENCE_DATA is set, as CI sets it.
pub fn reference_data(sub: &str) -> Option<PathBuf> {
    let root = std::env::var_os("TERRAWATT_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // the package folder as cargo gives it at run time: a test binary built in another
            // checkout that shares the target folder must not look in that checkout. The
            // data sit beside the repository (`../shared/data` from its root); packages are
            // the root itself or `crates/*`
            let package = std::env::var_os("CARGO_MANIFEST_DIR")
                .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
            let repo = if package.join("crates").is_dir() {
                package
            } else {
                package.join("../..")
            };
            repo.join("../shared/data")
        });
    let path = root.join(sub);
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("TERRAWATT_REFERENCE_DATA").is_some() {
        panic!(
            "reference data {} is missing and TERRAWATT_REFERENCE_DATA is set",
            path.display()
        );
    }
    // written to the stream itself, so the test harness's capture does not hide it
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "notice: skipping: reference data {} is absent",
        path.display()
    );
    None
}
