//! Values that cannot belong to a measured series: a glitch or a logger's missing-value
//! code among real readings, which one number's weight (a scale, a capacity, a regression)
//! would carry into every result.

/// How many times the series' 99th percentile of magnitude a value may be: a PV or wind
/// series peaks within 1.5× of it (cloud enhancement, rated power), a building's load
/// within 2–3×.
pub const SPIKE: f64 = 10.0;

/// The missing-value codes of loggers and archives.
pub const CODES: [f64; 5] = [-999.0, -9999.0, 9999.0, 99999.0, -99999.0];

/// The first value that cannot be the series': more than [`SPIKE`] times the 99th
/// percentile of the finite values' magnitudes (of 100 values or more, the percentile above
/// 0), or a missing-value code outside the range of the other values. Its row, the value,
/// why, and how many such values there are.
pub fn implausible(values: &[f64]) -> Option<(usize, f64, String, usize)> {
    let code = |v: f64| CODES.contains(&v);
    let (lo, hi) = range_without_codes(values);
    let mut mags: Vec<f64> = values
        .iter()
        .filter(|v| v.is_finite())
        .map(|v| v.abs())
        .collect();
    // with fewer than 100 values the percentile is the largest value itself
    let typical = if mags.len() >= 100 {
        let k = (mags.len() as f64 * 0.99) as usize;
        *mags.select_nth_unstable_by(k, f64::total_cmp).1
    } else {
        f64::NAN
    };
    let over = |v: &f64| {
        v.is_finite()
            && ((typical > 0.0 && v.abs() > SPIKE * typical)
                || (code(*v) && !(lo..=hi).contains(v)))
    };
    let row = values.iter().position(over)?;
    let v = values[row];
    let why = if code(v) && !(lo..=hi).contains(&v) {
        format!("a missing-value code, outside the other values' range ({lo} to {hi})")
    } else {
        format!("more than {SPIKE}× the series' 99th percentile of magnitude ({typical})")
    };
    Some((row, v, why, values.iter().filter(|v| over(v)).count()))
}

/// The smallest and largest finite values that are not [`CODES`].
fn range_without_codes(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .filter(|v| v.is_finite() && !CODES.contains(v))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        })
}

/// The first missing-value code ([`CODES`]) outside the range of the other values: its
/// row, the code, that range and how many such codes there are. Unlike [`implausible`],
/// no spike rule: a table of buildings or sites is heavy-tailed (a hospital among houses),
/// and only a code is sure to be no value.
pub fn code_outside_range(values: &[f64]) -> Option<(usize, f64, (f64, f64), usize)> {
    let (lo, hi) = range_without_codes(values);
    let outside = |v: &f64| CODES.contains(v) && !(lo..=hi).contains(v);
    let row = values.iter().position(outside)?;
    Some((
        row,
        values[row],
        (lo, hi),
        values.iter().filter(|v| outside(v)).count(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spike_and_a_code_outside_the_range_are_found_and_real_peaks_are_not() {
        let mut v: Vec<f64> = (0..200).map(|i| (i % 24) as f64 * 10.0).collect();
        assert_eq!(implausible(&v), None);
        v[7] = 2250.0; // under 10× the 99th percentile (230)
        assert_eq!(implausible(&v), None);
        v[7] = 0.0;
        v[9] = 2400.0;
        let (row, value, why, count) = implausible(&v).unwrap();
        assert_eq!((row, value, count), (9, 2400.0, 1));
        assert!(why.contains("10×"), "{why}");
        v[9] = 1.0;
        v[11] = -999.0;
        v[12] = -999.0;
        let (row, _, why, count) = implausible(&v).unwrap();
        assert_eq!((row, count), (11, 2));
        assert!(why.contains("missing-value code"), "{why}");
        // a code inside the other values' range is a value
        let mut w: Vec<f64> = (0..200).map(|i| i as f64 * 100.0).collect();
        w[5] = 9999.0;
        assert_eq!(implausible(&w), None);
        // fewer than 100 values: no percentile to judge by, codes still
        assert_eq!(implausible(&[1.0, 1e300]), None);
        assert_eq!(implausible(&[1.0, 2.0, -9999.0]).unwrap().0, 2);
        // codes alone: a heavy tail is kept, a code outside the range is found
        let tail = [100.0, 120.0, 90.0, 500_000.0, -999.0, 110.0, -999.0];
        assert_eq!(
            code_outside_range(&tail),
            Some((4, -999.0, (90.0, 500_000.0), 2))
        );
        assert_eq!(code_outside_range(&[1.0, 9999.0, 20_000.0]), None);
    }
}
