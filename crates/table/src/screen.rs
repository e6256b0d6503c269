//! Values that cannot belong to a measured series: a glitch or a logger's missing-value
//! code among real readings, which one number's weight (a scale, a capacity, a regression)
//! would carry into every result.

/// How many times the series' 99th percentile of magnitude a value may be: a PV or wind
/// series peaks within 1.5× of it (cloud enhancement, rated power), a building's load
/// within 2–3×.
pub const SPIKE: f64 = 10.0;

/// Whether a column's values, in the file's order, count the rows: whole numbers, each
/// greater (or each smaller) than the one before, over 20 rows or more. An identifier
/// (a building's number, a row index) taken as a feature carries the file's order into a
/// model.
pub fn counts_rows(v: &[f64]) -> bool {
    v.len() >= 20
        && v.iter().all(|x| x.fract() == 0.0)
        && (v.windows(2).all(|w| w[1] > w[0]) || v.windows(2).all(|w| w[1] < w[0]))
}

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
    // a pass without a branch a value first: most columns hold no code at all
    let has_code = values.chunks(4096).any(|c| {
        c.iter().fold(false, |a, v| {
            a | CODES.iter().fold(false, |b, k| b | (k == v))
        })
    });
    if !has_code {
        return None;
    }
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

/// The fewest steps between values a series needs before it is judged a register.
pub const FEWEST_STEPS: usize = 30;

/// A register's readings in place of the use of each interval: of the steps between
/// consecutive finite values (30 or more), a quarter or more rise and at most 2 % fall (or
/// the same, falling: newest first). Use per interval goes up and down with the weather,
/// the day and the season; a meter's register only rises (and stays flat while nothing
/// flows: a PV system's at night). The steps that move the register's way and all steps.
pub fn cumulative(values: &[f64]) -> Option<(usize, usize)> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let steps = finite.len().saturating_sub(1);
    if steps < FEWEST_STEPS {
        return None;
    }
    let up = finite.windows(2).filter(|w| w[1] > w[0]).count();
    let down = finite.windows(2).filter(|w| w[1] < w[0]).count();
    let register = |with: usize, against: usize| 4 * with >= steps && 50 * against <= steps;
    if register(up, down) {
        Some((up, steps))
    } else if register(down, up) {
        Some((down, steps))
    } else {
        None
    }
}

/// A step of a thousand in a series: the median of the (up to) 30 values before a row and
/// of the 30 from it (at least 7 near either end) are 300–3,000 times apart, either way, both above zero. It is a unit
/// changed inside the file (kWh to MWh, W to kW: one 1,000), which no building's or plant's
/// use does: an emptied building keeps a base load of tenths, a season of rest a few
/// hundredths at the least, and neither lands on a thousand. The row where the new level
/// starts, the medians before and from it.
pub fn unit_step(values: &[f64]) -> Option<(usize, f64, f64)> {
    let finite: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .map(|(i, v)| (i, *v))
        .collect();
    let block = (finite.len() / 4).clamp(3, 30);
    if finite.len() < 2 * block {
        return None;
    }
    let median = |w: &[(usize, f64)]| {
        let mut v: Vec<f64> = w.iter().map(|p| p.1).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    // the row where the two blocks are farthest apart: the step itself. Near either end a
    // block may be shorter (down to a week of days), so that a unit changed in the last
    // weeks of a file is seen
    let least = block.min(7);
    let mut best: Option<(f64, usize, f64, f64)> = None;
    for k in least..=finite.len() - least {
        let (before, after) = (
            median(&finite[k.saturating_sub(block)..k]),
            median(&finite[k..(k + block).min(finite.len())]),
        );
        if before <= 0.0 || after <= 0.0 {
            continue;
        }
        let r = (before / after).max(after / before);
        if best.is_none_or(|b| r > b.0) {
            best = Some((r, finite[k].0, before, after));
        }
    }
    best.filter(|b| (300.0..=3_000.0).contains(&b.0))
        .map(|(_, row, before, after)| (row, before, after))
}

/// A unit a column's name states, among those a reader of W/m², m/s and °C would misread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedUnit {
    /// Wh/m², kWh/m²: irradiance summed over an interval.
    WattHours,
    /// J/m², kJ/m², MJ/m²: irradiance accumulated (a reanalysis's).
    Joules,
    KilometresPerHour,
    Knots,
    MilesPerHour,
    Fahrenheit,
    Celsius,
}

impl NamedUnit {
    /// The unit as written.
    pub fn name(self) -> &'static str {
        match self {
            NamedUnit::WattHours => "Wh/m²",
            NamedUnit::Joules => "J/m²",
            NamedUnit::KilometresPerHour => "km/h",
            NamedUnit::Knots => "kn",
            NamedUnit::MilesPerHour => "mph",
            NamedUnit::Fahrenheit => "°F",
            NamedUnit::Celsius => "°C",
        }
    }

    /// Whether it is an energy (Wh or J) rather than a power.
    pub fn is_energy(self) -> bool {
        matches!(self, NamedUnit::WattHours | NamedUnit::Joules)
    }

    /// Whether it is a speed other than m/s.
    pub fn is_speed(self) -> bool {
        matches!(
            self,
            NamedUnit::KilometresPerHour | NamedUnit::Knots | NamedUnit::MilesPerHour
        )
    }
}

/// The unit a column's name states, where it is one of [`NamedUnit`]'s: written in it as
/// data portals write units (`ghi (Wh/m2)`, `wind_speed_10m (km/h)`, `temp_F`,
/// `ssrd [J m-2]`). Plain names (`ghi`, `wind_speed`, `temp_air`) state none.
pub fn unit_named(name: &str) -> Option<NamedUnit> {
    let n = name.to_lowercase().replace(['²', ' '], "");
    let has = |marks: &[&str]| marks.iter().any(|m| n.contains(m));
    let ends = |marks: &[&str]| marks.iter().any(|m| n.ends_with(m));
    if has(&["wh/m", "whm-2", "wh_m", "kwh", "(wh", "[wh"]) {
        Some(NamedUnit::WattHours)
    } else if has(&[
        "j/m", "jm-2", "j_m2", "(j)", "[j]", "(mj", "[mj", "(kj", "[kj",
    ]) {
        Some(NamedUnit::Joules)
    } else if has(&["km/h", "kmh", "kph", "km_h"]) {
        Some(NamedUnit::KilometresPerHour)
    } else if has(&["knot", "(kn)", "[kn]", "(kt", "[kt", "_kts", "_kn)"]) || ends(&["_kn", "_kt"])
    {
        Some(NamedUnit::Knots)
    } else if has(&["mph", "mi/h"]) {
        Some(NamedUnit::MilesPerHour)
    } else if has(&["°f", "degf", "deg_f", "fahrenheit", "(f)", "[f]"]) || ends(&["_f", "tempf"]) {
        Some(NamedUnit::Fahrenheit)
    } else if has(&["°c", "degc", "deg_c", "celsius", "(c)", "[c]"]) || ends(&["_c", "tempc"]) {
        Some(NamedUnit::Celsius)
    } else {
        None
    }
}

/// The mean daily cycle of values given with their hour of the day (0–23): the hour it
/// peaks at and its swing (the highest hour's mean less the lowest's), over the hours seen
/// three times or more; `None` unless such hours cover the day with no gap over 3 hours
/// (hourly data, or 3-hourly data such as a reanalysis's or a weather model's). Where
/// every hour is seen the peak is the highest hour; where some are not, the crest of the
/// cycle's first harmonic, to the nearest hour.
pub fn daily_cycle(by_hour: impl IntoIterator<Item = (usize, f64)>) -> Option<(usize, f64)> {
    let (mut sum, mut count) = ([0.0f64; 24], [0usize; 24]);
    for (h, v) in by_hour {
        if v.is_finite() && h < 24 {
            sum[h] += v;
            count[h] += 1;
        }
    }
    let seen: Vec<usize> = (0..24).filter(|&h| count[h] >= 3).collect();
    let widest = seen
        .iter()
        .zip(seen.iter().cycle().skip(1))
        .map(|(&a, &b)| (b + 24 - a - 1) % 24 + 1)
        .max()?;
    if seen.len() < 6 || widest > 3 {
        return None;
    }
    let mean = |h: usize| sum[h] / count[h] as f64;
    let highest = seen
        .iter()
        .copied()
        .max_by(|&a, &b| mean(a).total_cmp(&mean(b)))?;
    let swing = mean(highest) - seen.iter().map(|&h| mean(h)).fold(f64::INFINITY, f64::min);
    if seen.len() == 24 {
        return Some((highest, swing));
    }
    // sampled hours only: the crest of the cycle's first harmonic, which falls between
    // them (the highest sampled hour is up to 2 h off, and where the hours seen move with
    // daylight saving, each hour's mean leans to its season)
    let tau = std::f64::consts::TAU;
    let (c, s) = seen.iter().fold((0.0, 0.0), |(c, s), &h| {
        let a = tau * h as f64 / 24.0;
        (c + mean(h) * a.cos(), s + mean(h) * a.sin())
    });
    let crest = (s.atan2(c) * 24.0 / tau).rem_euclid(24.0);
    Some(((crest.round() as usize) % 24, swing))
}

/// How far a daily peak at `peak` o'clock, outside the usual hours `from` to `to`, is from
/// them on a 24-hour circle: the least and the most hours, and whether the stamps run
/// "late" (the peak comes after), "early", or, half a day off, "late or early".
pub fn hours_off(peak: usize, from: i64, to: i64) -> (i64, i64, &'static str) {
    let off = |norm: i64| (peak as i64 - norm + 36).rem_euclid(24) - 12;
    let (a, b) = (off(to), off(from));
    if a > 0 && b > 0 {
        (a, b, "late")
    } else if a < 0 && b < 0 {
        (-b, -a, "early")
    } else {
        let near = a.abs().min(b.abs()).max(1);
        (near, near + (to - from), "late or early")
    }
}

/// Positions per block of [`correlation`]: a block's two passes read it from the cache.
const BLOCK: usize = 2048;

/// Lanes of a block's sums: eight running sums, added together at the end.
const LANES: usize = 8;

/// Pearson's correlation of two series over the positions where both are finite; `None`
/// under 3 such pairs or without spread. The series are read once, a block of 2,048
/// positions at a time: each block's means and centred sums by two passes over it (from the
/// cache), the blocks merged in order (Chan, Golub & LeVeque's pairwise update), so a table
/// read whole and one read a column at a time give the same bits.
pub fn correlation(a: &[f64], b: &[f64]) -> Option<f64> {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    // n, the means of a and b, and the centred sums of a·b, a² and b²
    let mut t = [0.0f64; 6];
    for (ca, cb) in a.chunks(BLOCK).zip(b.chunks(BLOCK)) {
        let [n, sa, sb] = lane_sums(ca, cb, |x, y, k| [k, x, y]);
        if n == 0.0 {
            continue;
        }
        let (ma, mb) = (sa / n, sb / n);
        let [ab, aa, bb] = lane_sums(ca, cb, |x, y, k| {
            let (dx, dy) = (k * (x - ma), k * (y - mb));
            [dx * dy, dx * dx, dy * dy]
        });
        let m = t[0] + n;
        let (da, db) = (ma - t[1], mb - t[2]);
        let w = t[0] * n / m;
        t = [
            m,
            t[1] + da * n / m,
            t[2] + db * n / m,
            t[3] + ab + da * db * w,
            t[4] + aa + da * da * w,
            t[5] + bb + db * db * w,
        ];
    }
    let [n, _, _, ab, aa, bb] = t;
    (n >= 3.0 && aa > 0.0 && bb > 0.0).then(|| ab / (aa * bb).sqrt())
}

/// The three sums of `f(x, y, k)` over the positions of `a` and `b` (as long), where `k` is
/// 1 for a pair of finite values and 0 (with `x`, `y` zero) otherwise: position `i`'s terms
/// go to lane `i % 8`, and the lanes are added in order.
fn lane_sums(a: &[f64], b: &[f64], f: impl Fn(f64, f64, f64) -> [f64; 3]) -> [f64; 3] {
    let term = |x: f64, y: f64| {
        if x.is_finite() & y.is_finite() {
            f(x, y, 1.0)
        } else {
            f(0.0, 0.0, 0.0)
        }
    };
    let mut acc = [[0.0f64; LANES]; 3];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (xa, xb) in ca.zip(cb) {
        for l in 0..LANES {
            let v = term(xa[l], xb[l]);
            acc[0][l] += v[0];
            acc[1][l] += v[1];
            acc[2][l] += v[2];
        }
    }
    for (l, (&x, &y)) in ra.iter().zip(rb).enumerate() {
        let v = term(x, y);
        acc[0][l] += v[0];
        acc[1][l] += v[1];
        acc[2][l] += v[2];
    }
    acc.map(|s| s.iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_numbers_are_told_from_features() {
        let ids: Vec<f64> = (1..=30).map(f64::from).collect();
        assert!(counts_rows(&ids));
        let down: Vec<f64> = ids.iter().rev().copied().collect();
        assert!(counts_rows(&down));
        // gaps (dropped rows) keep it a counter; a repeat, a fraction or 19 rows do not
        let gaps: Vec<f64> = (1..=30).map(|i| f64::from(i * 3)).collect();
        assert!(counts_rows(&gaps));
        let mut repeat = ids.clone();
        repeat[10] = repeat[9];
        assert!(!counts_rows(&repeat));
        let fractions: Vec<f64> = ids.iter().map(|x| x + 0.5).collect();
        assert!(!counts_rows(&fractions));
        assert!(!counts_rows(&ids[..19]));
    }

    #[test]
    fn a_daily_cycle_and_how_far_its_peak_is() {
        // a cycle peaking at 15:00 (cosine), three days of it
        let v = (0..72).map(|i| {
            let h = i % 24;
            (
                h,
                10.0 + 5.0 * (2.0 * std::f64::consts::PI * (h as f64 - 15.0) / 24.0).cos(),
            )
        });
        let (peak, swing) = daily_cycle(v.clone()).unwrap();
        assert_eq!(peak, 15);
        assert!((swing - 10.0).abs() < 1e-9);
        assert_eq!(daily_cycle(v.clone().take(48)), None);
        // every third hour (a reanalysis's), and every sixth (too coarse)
        let every = |k: usize| v.clone().filter(move |(h, _)| h % k == 0);
        assert_eq!(daily_cycle(every(3)).map(|c| c.0), Some(15));
        assert_eq!(daily_cycle(every(6)), None);
        // every third hour from 01:00, of a cycle cresting at 14:00 with a sharper peak
        // (a second harmonic): the highest sampled hour is 13:00, the crest 14:00
        let sharp = (0..72).filter(|i| i % 3 == 1).map(|i| {
            let h = (i % 24) as f64;
            let a = 2.0 * std::f64::consts::PI * (h - 14.0) / 24.0;
            (i % 24, 10.0 + 5.0 * a.cos() + 1.5 * (2.0 * a).cos())
        });
        assert_eq!(daily_cycle(sharp).map(|c| c.0), Some(14));
        assert_eq!(hours_off(20, 13, 17), (3, 7, "late"));
        assert_eq!(hours_off(8, 13, 17), (5, 9, "early"));
        assert_eq!(hours_off(19, 12, 16), (3, 7, "late"));
        assert_eq!(hours_off(2, 12, 16), (10, 14, "late or early"));
    }

    #[test]
    fn units_stated_in_column_names() {
        for (name, unit) in [
            ("GHI (Wh/m2)", Some(NamedUnit::WattHours)),
            ("ghi_kWh_m2", Some(NamedUnit::WattHours)),
            ("ssrd [J m-2]", Some(NamedUnit::Joules)),
            ("radiation (MJ/m²)", Some(NamedUnit::Joules)),
            ("wind_speed_10m (km/h)", Some(NamedUnit::KilometresPerHour)),
            ("wind_kph", Some(NamedUnit::KilometresPerHour)),
            ("wind (kn)", Some(NamedUnit::Knots)),
            ("wind_speed_kt", Some(NamedUnit::Knots)),
            ("WindSpeed mph", Some(NamedUnit::MilesPerHour)),
            ("temp_F", Some(NamedUnit::Fahrenheit)),
            ("Temperature (°F)", Some(NamedUnit::Fahrenheit)),
            ("tempF", Some(NamedUnit::Fahrenheit)),
            ("shortwave_radiation (W/m²)", None),
            ("wind_speed_10m (m/s)", None),
            ("temperature_2m (°C)", Some(NamedUnit::Celsius)),
            ("tempC", Some(NamedUnit::Celsius)),
            ("t_c", Some(NamedUnit::Celsius)),
            ("ghi", None),
            ("dhi", None),
            ("white_noise", None),
            ("temp_air", None),
            ("wind_speed", None),
            ("t2m", None),
            ("power_kw", None),
        ] {
            assert_eq!(unit_named(name), unit, "{name}");
        }
    }

    #[test]
    fn correlation_over_the_finite_pairs() {
        // y = 2x + 1 with holes on either side: exactly correlated over the pairs left
        let x: Vec<f64> = (0..101).map(|i| (i as f64 * 0.37).sin() * 50.0).collect();
        let mut y: Vec<f64> = x.iter().map(|v| 2.0 * v + 1.0).collect();
        let mut x2 = x.clone();
        x2[3] = f64::NAN;
        y[50] = f64::INFINITY;
        assert!((correlation(&x2, &y).unwrap() - 1.0).abs() < 1e-12);
        let neg: Vec<f64> = x.iter().map(|v| -v).collect();
        assert!((correlation(&x, &neg).unwrap() + 1.0).abs() < 1e-12);
        // against the two-pass formula over the finite pairs, across blocks
        let n = 5003;
        let u: Vec<f64> = (0..n)
            .map(|i| (i as f64 * 0.37).sin() * 50.0 + 1e4)
            .collect();
        let mut z: Vec<f64> = (0..n)
            .map(|i| ((i * 7919) % 101) as f64 + u[i] / 9.0)
            .collect();
        z[2500] = f64::NAN;
        let keep: Vec<(f64, f64)> = u
            .iter()
            .zip(&z)
            .filter(|p| p.1.is_finite())
            .map(|(a, b)| (*a, *b))
            .collect();
        let m = keep.len() as f64;
        let mu = keep.iter().map(|p| p.0).sum::<f64>() / m;
        let mz = keep.iter().map(|p| p.1).sum::<f64>() / m;
        let suz: f64 = keep.iter().map(|(a, b)| (a - mu) * (b - mz)).sum();
        let suu: f64 = keep.iter().map(|(a, _)| (a - mu) * (a - mu)).sum();
        let szz: f64 = keep.iter().map(|(_, b)| (b - mz) * (b - mz)).sum();
        let want = suz / (suu * szz).sqrt();
        assert!(
            (correlation(&u, &z).unwrap() - want).abs() < 1e-12,
            "{want}"
        );
        assert_eq!(correlation(&[1.0, f64::NAN, 2.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(correlation(&[1.0; 10], &[2.0; 10]), None);
    }

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
    #[test]
    fn a_register_is_told_from_use() {
        // daily use with the weather in it
        let daily: Vec<f64> = (0..120)
            .map(|d| 40.0 + 15.0 * ((d as f64) / 9.0).sin() + (d % 7) as f64)
            .collect();
        assert_eq!(cumulative(&daily), None);
        // its register: the running sum, and the same newest first
        let mut sum = 12_000.0;
        let mut register: Vec<f64> = daily
            .iter()
            .map(|u| {
                sum += u;
                sum
            })
            .collect();
        assert_eq!(cumulative(&register), Some((119, 119)));
        register[40] = f64::NAN;
        assert_eq!(cumulative(&register), Some((118, 118)));
        register.reverse();
        assert_eq!(cumulative(&register), Some((118, 118)));
        // a vacant building's zeros, and too short a series, are not judged
        assert_eq!(cumulative(&[0.0; 200]), None);
        assert_eq!(cumulative(&register[..20]), None);
        // PV power: zero nights, rising mornings, falling afternoons
        let pv: Vec<f64> = (0..400)
            .map(|i| {
                (((i % 96) as f64 - 24.0) / 48.0 * std::f64::consts::PI)
                    .sin()
                    .max(0.0)
            })
            .collect();
        assert_eq!(cumulative(&pv), None);
        // its energy register: flat at night, rising by day
        let mut e = 0.0;
        let energy: Vec<f64> = pv
            .iter()
            .map(|p| {
                e += p / 4.0;
                e
            })
            .collect();
        let (with, steps) = cumulative(&energy).unwrap();
        assert!(with * 4 >= steps && with * 2 < steps, "{with} of {steps}");
    }
}
