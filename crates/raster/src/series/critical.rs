//! Critical values of the OLS-MOSUM monitoring test (max functional), from the simulated
//! table of Zeileis, Leisch, Kleiber & Hornik (2005) as R's strucchange ships it
//! (`data/mosum_critical_values.csv`, written by tools/gen_mosum_critical_values.R): h 0.25,
//! 0.5 and 1; horizons 2, 4, 6, 8 and 10; levels 0.001 … 0.05 in steps of 0.001.

use crate::RasterError;

const TABLE: &str = include_str!("../../data/mosum_critical_values.csv");

/// The critical value at bandwidth `h`, horizon `end` and significance `level`; an error
/// naming the table's values for settings off it.
pub fn mosum(h: f64, end: f64, level: f64) -> Result<f64, RasterError> {
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    let confidence = 1.0 - level;
    for line in TABLE.lines().skip(2) {
        let f: Vec<f64> = line.split(',').filter_map(|v| v.parse().ok()).collect();
        if f.len() == 4 && close(f[0], h) && close(f[1], end) && close(f[2], confidence) {
            return Ok(f[3]);
        }
    }
    Err(RasterError::Invalid(format!(
        "no critical value for h {h}, horizon {end}, level {level}: the OLS-MOSUM table has h 0.25, 0.5 or 1, horizons 2, 4, 6, 8 or 10 (times the history) and levels 0.001 to 0.05 in steps of 0.001"
    )))
}

#[cfg(test)]
mod tests {
    #[test]
    fn bfastmonitor_default() {
        assert_eq!(super::mosum(0.25, 10.0, 0.05).unwrap(), 1.34182451007628);
        assert!(super::mosum(0.3, 10.0, 0.05).is_err());
        assert!(super::mosum(0.25, 10.0, 0.1).is_err());
    }
}
