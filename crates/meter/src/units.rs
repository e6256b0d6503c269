//! Human-readable quantities with SI prefixes, three significant digits.

fn sig3(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = (2 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    format!("{v:.digits$}")
}

/// `value` of `unit` with an SI prefix from nano to giga.
pub fn si(value: f64, unit: &str) -> String {
    if !value.is_finite() {
        return format!("{value} {unit}");
    }
    if value == 0.0 {
        return format!("0 {unit}");
    }
    const PREFIXES: [(f64, &str); 7] = [
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
        (1.0, ""),
        (1e-3, "m"),
        (1e-6, "µ"),
        (1e-9, "n"),
    ];
    let a = value.abs();
    let (scale, p) = PREFIXES
        .iter()
        .find(|(s, _)| a >= *s * 0.9995)
        .copied()
        .unwrap_or((1e-9, "n"));
    format!("{} {p}{unit}", sig3(value / scale))
}

/// A duration as `3h`, `1h30m`, `45s`, `2d4h`.
pub fn seconds(s: f64) -> String {
    if !(s.is_finite() && s >= 0.0) {
        return format!("{s} s");
    }
    let mut left = s.round() as u64;
    let mut out = String::new();
    for (unit, n) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if left >= n {
            out.push_str(&format!("{}{unit}", left / n));
            left %= n;
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

/// Joules as `12.4 J`, `3.21 kJ`.
pub fn joules(j: f64) -> String {
    si(j, "J")
}

/// Watt-hours as `3.44 mWh`, `1.20 kWh`.
pub fn watt_hours(j: f64) -> String {
    si(j / 3600.0, "Wh")
}

/// Grams of CO2e as `1.60 mgCO2e`, `2.10 kgCO2e`.
pub fn grams_co2e(g: f64) -> String {
    si(g, "gCO2e")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting() {
        let cases: [(String, &str); 9] = [
            (joules(12.4), "12.4 J"),
            (joules(3210.0), "3.21 kJ"),
            (joules(0.0), "0 J"),
            (watt_hours(12.4), "3.44 mWh"),
            (watt_hours(3600.0), "1.00 Wh"),
            (watt_hours(7.2e6), "2.00 kWh"),
            (grams_co2e(0.0016), "1.60 mgCO2e"),
            (grams_co2e(8.0e-7), "800 ngCO2e"),
            (grams_co2e(2100.0), "2.10 kgCO2e"),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }
}
