//! `terrawatt energy calibrate`: fits per-core power from a hardware counter.
//!
//! For k = 0, 1, …, n busy cores, k threads spin for a fixed time while the counter's
//! machine-wide energy is read; the mean powers are fitted by least squares as
//! `P(k) = P_idle + k · P_core`. `P_core` then serves the model on this CPU model where
//! no counter is readable (a container on the same hardware, say).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{MeterError, Result};
use crate::meter::Meter;
use crate::model::Calibration;
use crate::source::Method;

/// Least-squares line through `points`: (intercept, slope, r²).
pub fn fit_line(points: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let syy: f64 = points.iter().map(|p| (p.1 - my).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let r2 = if syy > 0.0 {
        (sxy * sxy) / (sxx * syy)
    } else {
        1.0
    };
    Some((intercept, slope, r2))
}

fn machine_joules(meter: &Meter) -> Result<f64> {
    meter
        .refresh()
        .map(|v| v.iter().sum())
        .ok_or_else(|| MeterError::NoCounter("the counter could not be read".into()))
}

/// Runs the calibration: `step` of load at each core count from 0 to the logical CPU
/// count. `progress(k, n)` is called before each step.
pub fn calibrate(
    meter: &Meter,
    step: Duration,
    mut progress: impl FnMut(usize, usize),
) -> Result<Calibration> {
    if meter.method() == Method::Model {
        let why: Vec<String> = meter
            .probes()
            .iter()
            .filter_map(|p| p.unavailable.as_ref().map(|u| format!("{}: {u}", p.method)))
            .collect();
        return Err(MeterError::NoCounter(why.join("; ")));
    }
    let n = meter.cpu().logical_cpus.max(1);
    let mut points = Vec::new();
    for k in 0..=n {
        progress(k, n);
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..k)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    let mut x = 1u64;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..10_000 {
                            x = x
                                .wrapping_mul(6364136223846793005)
                                .wrapping_add(1442695040888963407);
                        }
                    }
                    std::hint::black_box(x)
                })
            })
            .collect();
        // let the threads start before measuring
        std::thread::sleep(Duration::from_millis(100));
        let e0 = machine_joules(meter)?;
        let t0 = Instant::now();
        std::thread::sleep(step);
        let e1 = machine_joules(meter)?;
        let dt = t0.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            let _ = w.join();
        }
        points.push((k as f64, (e1 - e0) / dt));
    }
    let (idle_w, w_per_core, r2) =
        fit_line(&points).ok_or_else(|| MeterError::NoCounter("too few points to fit".into()))?;
    Ok(Calibration {
        cpu_model: meter.cpu().model_name.clone(),
        w_per_core,
        idle_w,
        r2,
        points,
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_fit() {
        let pts = [(0.0, 20.0), (1.0, 29.0), (2.0, 38.0), (3.0, 47.0)];
        let (a, b, r2) = fit_line(&pts).unwrap();
        assert!((a - 20.0).abs() < 1e-12 && (b - 9.0).abs() < 1e-12 && (r2 - 1.0).abs() < 1e-12);
        assert!(fit_line(&[(1.0, 2.0)]).is_none());
        assert!(fit_line(&[(1.0, 2.0), (1.0, 3.0)]).is_none());
    }
}
