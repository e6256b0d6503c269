//! Minimum-norm OLS on ENB2012 (centred, 768 x 8, rank 7): terrawatt-learn's one-sided
//! Jacobi SVD against faer's thin SVD, exactness and time.
use std::time::Instant;

use terrawatt_learn::linalg::svd_columns;

fn main() {
    let path = std::env::args().nth(1).expect("ENB2012.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|v| v.trim().parse().unwrap()).collect())
        .collect();
    let (n, p) = (rows.len(), 8);
    let mean: Vec<f64> = (0..p)
        .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n as f64)
        .collect();
    let ym = rows.iter().map(|r| r[8]).sum::<f64>() / n as f64;
    let cols: Vec<Vec<f64>> = (0..p)
        .map(|j| rows.iter().map(|r| r[j] - mean[j]).collect())
        .collect();
    let y: Vec<f64> = rows.iter().map(|r| r[8] - ym).collect();

    let ours = |cols: Vec<Vec<f64>>| {
        let svd = svd_columns(cols);
        svd.solve(&y, |s| 1.0 / (s * s))
    };
    let theirs = |cols: &[Vec<f64>]| {
        let a = faer::Mat::<f64>::from_fn(n, p, |i, j| cols[j][i]);
        let svd = a.thin_svd().unwrap();
        let (u, s, v) = (svd.U(), svd.S().column_vector(), svd.V());
        let smax = (0..p).map(|k| s[k]).fold(0.0, f64::max);
        let cut = smax * n.max(p) as f64 * f64::EPSILON;
        let mut beta = vec![0.0; p];
        for k in 0..p {
            if s[k] <= cut {
                continue;
            }
            let uty: f64 = (0..n).map(|i| u[(i, k)] * y[i]).sum();
            let c = uty / s[k];
            for (j, b) in beta.iter_mut().enumerate() {
                *b += c * v[(j, k)];
            }
        }
        beta
    };
    let b1 = ours(cols.clone());
    let b2 = theirs(&cols);
    let fit = |b: &[f64]| -> Vec<f64> {
        (0..n)
            .map(|i| (0..p).map(|j| cols[j][i] * b[j]).sum())
            .collect()
    };
    let (f1, f2) = (fit(&b1), fit(&b2));
    let dfit = f1
        .iter()
        .zip(&f2)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let dbeta = b1
        .iter()
        .zip(&b2)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    // the normal equations' residual X^T (y - X b), and the null-space component
    let grad = |f: &[f64]| -> f64 {
        (0..p)
            .map(|j| {
                (0..n)
                    .map(|i| cols[j][i] * (y[i] - f[i]))
                    .sum::<f64>()
                    .abs()
            })
            .fold(0.0, f64::max)
    };
    println!("beta ours   {b1:?}\nbeta faer   {b2:?}");
    println!("max |beta diff| {dbeta:.3e}, max |fitted diff| {dfit:.3e}");
    println!("max |X^T r| ours {:.3e}, faer {:.3e}", grad(&f1), grad(&f2));
    println!(
        "null-space component b1 - b2 - 2 b3 (X2 = X3 + 2 X4): ours {:.3e}, faer {:.3e}",
        b1[1] - b1[2] - 2.0 * b1[3],
        b2[1] - b2[2] - 2.0 * b2[3]
    );
    let reps = 2000;
    let mut t = Vec::new();
    for _ in 0..5 {
        let s = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(ours(cols.clone()));
        }
        let a = s.elapsed().as_secs_f64() / reps as f64;
        let s = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(theirs(&cols));
        }
        let b = s.elapsed().as_secs_f64() / reps as f64;
        t.push((a, b));
    }
    t.sort_by(|x, y| x.0.total_cmp(&y.0));
    let med_a = t[2].0;
    let mut tb: Vec<f64> = t.iter().map(|x| x.1).collect();
    tb.sort_by(f64::total_cmp);
    println!(
        "solve time (median of 5 x {reps}): ours {:.1} us, faer {:.1} us",
        med_a * 1e6,
        tb[2] * 1e6
    );
}
