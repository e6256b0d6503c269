//! Strips of rows sized by a memory budget, computed in parallel and consumed in order.
//!
//! Strips are computed on the pool (rayon), one per thread, and handed to the consumer in
//! row order while the next ones compute, so writing stays sequential and the memory in
//! flight is at most one strip per thread plus the one being written. Nothing computed depends on the strip layout, so
//! results do not depend on the thread count or the budget.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::{RasterError, Result};

/// 0: no raster task runs; 1: a task runs; 2: it was asked to stop.
static STATE: AtomicU8 = AtomicU8::new(0);

/// Marks that a raster task runs: from now on [`interrupt`] asks it to stop between strips
/// (its writers then remove their temporary files) instead of ending the process.
pub fn arm() {
    let _ = STATE.compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst);
}

/// For a signal handler (async-signal-safe: one atomic operation). Returns false when no
/// raster task runs, or when one was already asked to stop: the caller then ends the
/// process.
pub fn interrupt() -> bool {
    STATE
        .compare_exchange(1, 2, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok()
}

/// An error once an interrupt asked the running task to stop.
pub fn check_interrupt() -> Result<()> {
    if STATE.load(Ordering::Relaxed) == 2 {
        Err(RasterError::Interrupted)
    } else {
        Ok(())
    }
}

/// Rows per strip: a multiple of the block height, small enough that the strips in flight
/// ([`in_flight`]: one per thread and one being written) of `bytes_per_pixel` each fit
/// `budget`, at most 512 rows (or one block) and small enough to give each thread two
/// strips.
pub fn strip_rows(
    height: usize,
    width: usize,
    bytes_per_pixel: usize,
    block_rows: usize,
    budget: u64,
    threads: usize,
) -> Result<usize> {
    let threads = threads.max(1);
    let per_row = (width * bytes_per_pixel).max(1) as u64;
    let max_rows = (budget / (in_flight(threads) as u64 * per_row)) as usize;
    if max_rows == 0 {
        return Err(RasterError::Invalid(format!(
            "the memory budget of {budget} bytes does not hold one row per strip in flight ({} bytes × {}); raise --memory",
            per_row,
            in_flight(threads)
        )));
    }
    let block = block_rows.max(1);
    let want = height.div_ceil(2 * threads).clamp(1, 512.max(block));
    let mut rows = want.min(max_rows);
    if rows >= block {
        rows -= rows % block;
    }
    Ok(rows.max(1))
}

/// The share of the memory budget for the strips in flight: three eighths. GDAL's block
/// cache gets a quarter ([`limit_gdal_cache`]), the writer's row of tiles per output band a
/// quarter ([`tiles_for`]), and an eighth is left for the program and passing copies.
pub fn strip_budget(memory: u64) -> u64 {
    memory / 8 * 3
}

/// Gives GDAL's block cache a quarter of the memory budget, so a run's memory stays within the budget whatever the machine's RAM (GDAL's
/// own default is 5 % of it). The cache holds the inputs' blocks that strips shorter than
/// a block read again.
pub fn limit_gdal_cache(budget: u64) {
    let mb = (budget / 4 / 1_000_000).max(16);
    let _ = gdal::config::set_config_option("GDAL_CACHEMAX", &format!("{mb}MB"));
}

/// The output tile size: 512 pixels, halved (down to 16) until a row of tiles of
/// `bytes_per_pixel` (all output bands) over `width` fits `budget` (the writer holds at most
/// one row of tiles per band); and the strip height rounded down to whole tile rows when a
/// strip holds at least one, so strips mostly hand the writer complete tiles.
pub fn tiles_for(rows: usize, width: usize, bytes_per_pixel: usize, budget: u64) -> (usize, usize) {
    let mut tile = 512;
    while tile > 16 && (tile * width * bytes_per_pixel) as u64 > budget {
        tile /= 2;
    }
    let rows = if rows >= tile {
        rows - rows % tile
    } else {
        rows
    };
    (rows, tile)
}

/// Runs `compute(row0, rows)` over the strips of `height` rows in parallel and hands each
/// result to `consume(row0, rows, result)` in row order.
///
/// At most [`in_flight`] strips are alive at once (computing, waiting, or being consumed):
/// strip `i + in_flight` starts when strip `i` has been consumed, so the pool computes the
/// next strips while the consumer writes (and compresses, on the same pool) this one.
pub fn run<R, C, S>(height: usize, rows: usize, compute: C, mut consume: S) -> Result<()>
where
    R: Send,
    C: Fn(usize, usize) -> Result<R> + Sync,
    S: FnMut(usize, usize, R) -> Result<()>,
{
    let strips: Vec<(usize, usize)> = (0..height)
        .step_by(rows.max(1))
        .map(|r| (r, rows.min(height - r)))
        .collect();
    let window = in_flight(rayon::current_num_threads());
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Result<R>)>();
    let mut outcome = Ok(());
    rayon::in_place_scope(|scope| {
        let compute = &compute;
        let spawn = |i: usize| {
            let tx = tx.clone();
            let (r, n) = strips[i];
            scope.spawn(move |_| {
                let _ = tx.send((i, compute(r, n)));
            });
        };
        let mut next = 0;
        while next < strips.len().min(window) {
            spawn(next);
            next += 1;
        }
        let mut waiting = std::collections::BTreeMap::new();
        for (i, &(r, n)) in strips.iter().enumerate() {
            let res = loop {
                if let Some(res) = waiting.remove(&i) {
                    break res;
                }
                let (k, res) = receive(&rx);
                waiting.insert(k, res);
            };
            if let Err(e) = res
                .and_then(|v| check_interrupt().map(|_| v))
                .and_then(|v| consume(r, n, v))
            {
                outcome = Err(e);
                return;
            }
            if next < strips.len() {
                spawn(next);
                next += 1;
            }
        }
    });
    outcome
}

/// Strips alive at once for a pool of `threads`: one per thread and the one being consumed.
pub fn in_flight(threads: usize) -> usize {
    threads.max(1) + 1
}

/// The next finished strip; inside the pool the waiting thread runs pending work meanwhile
/// (a one-thread pool would otherwise wait on itself).
fn receive<T>(rx: &std::sync::mpsc::Receiver<T>) -> T {
    use std::sync::mpsc::TryRecvError;
    loop {
        match rx.try_recv() {
            Ok(m) => return m,
            Err(TryRecvError::Disconnected) => unreachable!("the sender outlives the strips"),
            Err(TryRecvError::Empty) => match rayon::yield_now() {
                Some(rayon::Yield::Executed) => {}
                Some(rayon::Yield::Idle) => {
                    if let Ok(m) = rx.recv_timeout(std::time::Duration::from_millis(1)) {
                        return m;
                    }
                }
                None => return rx.recv().expect("the sender outlives the strips"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_fit_the_budget() {
        // 10,000 × 10,000, 12 bytes per pixel, 1 GB, 2 threads: 512-row strips (61 MB)
        assert_eq!(strip_rows(10_000, 10_000, 12, 16, 1 << 30, 2).unwrap(), 512);
        // a 10 MB budget over 3 strips in flight: 27 rows → 16 (one block of 16)
        assert_eq!(
            strip_rows(10_000, 10_000, 12, 16, 10_000_000, 2).unwrap(),
            16
        );
        assert!(strip_rows(10, 10_000, 12, 16, 1000, 2).is_err());
    }

    #[test]
    fn strips_are_whole_tile_rows() {
        // 5120 wide, two float32 bands, a quarter of 1 GB: 512-pixel tiles
        assert_eq!(tiles_for(512, 5120, 8, 250_000_000), (512, 512));
        assert_eq!(tiles_for(600, 5120, 8, 250_000_000), (512, 512));
        assert_eq!(tiles_for(47, 5120, 8, 250_000_000), (47, 512));
        // 46341 wide under a quarter of 512 MB: 256 (a row of 512-pixel tiles is 190 MB)
        assert_eq!(tiles_for(700, 46341, 8, 128_000_000), (512, 256));
        assert_eq!(tiles_for(7, 1 << 20, 8, 1_000_000), (7, 16));
    }

    #[test]
    fn results_come_in_row_order() {
        let mut seen = vec![];
        run(
            10,
            3,
            |r, n| Ok(r * 100 + n),
            |r, _, v| {
                seen.push((r, v));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, vec![(0, 3), (3, 303), (6, 603), (9, 901)]);
    }
}
