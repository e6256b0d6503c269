//! CCDC (as lcmap-pyccd) on the 74 series of the CCDC reference fixture, timed: one thread,
//! one series after another (the work per pixel of a raster run), best of three; the
//! segments must be pyccd's count (140).
//!
//! `cargo run --release --example ccdc_speed` (benches/compare/ccd_speed.py times pyccd on
//! the same series)

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use terrawatt::raster::series::ccd;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let csv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/raster/tests/fixtures/timeseries/ccd_series.csv");
    let text = std::fs::read_to_string(csv)?;
    // per series: ordinal days, the seven bands, the QA values
    type Pixel = (Vec<i64>, [Vec<f64>; 7], Vec<u16>);
    let mut series: BTreeMap<u64, Pixel> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let e = series.entry(f[0].parse()?).or_default();
        let d = chrono::NaiveDate::parse_from_str(f[1], "%Y-%m-%d")?;
        e.0.push(i64::from(chrono::Datelike::num_days_from_ce(&d)));
        for b in 0..7 {
            e.1[b].push(f[2 + b].parse()?);
        }
        e.2.push(f[9].parse()?);
    }
    let mut best = f64::INFINITY;
    let mut segments = 0;
    for _ in 0..3 {
        let t0 = Instant::now();
        segments = series
            .values()
            .map(|(d, b, q)| ccd::detect(d, b, q).segments.len())
            .sum::<usize>();
        best = best.min(t0.elapsed().as_secs_f64());
    }
    println!(
        "terrawatt: {} series in {best:.3} s, {:.2} ms per series (one thread); {segments} segments",
        series.len(),
        1000.0 * best / series.len() as f64
    );
    assert_eq!(segments, 140);
    Ok(())
}
