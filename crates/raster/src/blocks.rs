//! Strips of rows sized by a memory budget, computed in parallel and consumed in order.
//!
//! A batch of as many strips as the pool has threads is computed at once (rayon); their
//! results are handed to the consumer in row order, so writing stays sequential and the
//! memory in flight is at most one batch. Nothing computed depends on the strip layout, so
//! results do not depend on the thread count or the budget.

use rayon::prelude::*;

use crate::{RasterError, Result};

/// Rows per strip: a multiple of the block height, small enough that a batch of `threads`
/// strips of `bytes_per_pixel` each fits `budget`, at most 512 rows (or one block) and
/// small enough to give each thread two strips.
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
    let max_rows = (budget / (threads as u64 * per_row)) as usize;
    if max_rows == 0 {
        return Err(RasterError::Invalid(format!(
            "the memory budget of {budget} bytes does not hold one row per thread ({} bytes × {threads} threads); raise --memory",
            per_row
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

/// Gives GDAL's block cache a quarter of the memory budget (the strips in flight take at
/// most half), so a run's memory stays within the budget whatever the machine's RAM (GDAL's
/// own default is 5 % of it). The cache holds the inputs' blocks that strips shorter than
/// a block read again.
pub fn limit_gdal_cache(budget: u64) {
    let mb = (budget / 4 / 1_000_000).max(16);
    let _ = gdal::config::set_config_option("GDAL_CACHEMAX", &format!("{mb}MB"));
}

/// The output tile size for strips of `rows` rows (a multiple of 16, at most 512), and the
/// strip height rounded down to whole tile rows, so every strip writes complete tiles and
/// no half-written tile waits in GDAL's cache.
pub fn tiles_for(rows: usize) -> (usize, usize) {
    let tile = (rows / 16 * 16).clamp(16, 512);
    let rows = if rows >= tile {
        rows - rows % tile
    } else {
        rows
    };
    (rows, tile)
}

/// Runs `compute(row0, rows)` over the strips of `height` rows in parallel batches and hands
/// each result to `consume(row0, rows, result)` in row order.
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
    let batch = rayon::current_num_threads().max(1);
    for chunk in strips.chunks(batch) {
        let results: Vec<Result<R>> = chunk.par_iter().map(|&(r, n)| compute(r, n)).collect();
        for (&(r, n), res) in chunk.iter().zip(results) {
            consume(r, n, res?)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_fit_the_budget() {
        // 10,000 × 10,000, 12 bytes per pixel, 1 GB, 2 threads: 512-row strips (61 MB)
        assert_eq!(strip_rows(10_000, 10_000, 12, 16, 1 << 30, 2).unwrap(), 512);
        // a 10 MB budget: 43 rows → 32 (two blocks of 16)
        assert_eq!(
            strip_rows(10_000, 10_000, 12, 16, 10_000_000, 2).unwrap(),
            32
        );
        assert!(strip_rows(10, 10_000, 12, 16, 1000, 2).is_err());
    }

    #[test]
    fn strips_are_whole_tile_rows() {
        assert_eq!(tiles_for(512), (512, 512));
        assert_eq!(tiles_for(47), (32, 32));
        assert_eq!(tiles_for(600), (512, 512));
        assert_eq!(tiles_for(7), (7, 16));
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
