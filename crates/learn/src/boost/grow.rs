//! Growing one boosting tree on binned rows.
//!
//! The rows move with their packed codes and pseudo-residuals between two buffers: a node's
//! rows are a run of one of them, and a split writes its run to the same place of the other
//! buffer, the left child's rows first, each side in its former (increasing) order (a
//! stable partition, whose result does not depend on how the run is cut for the threads).
//! Histogram runs are cut into blocks by position, not by thread, and block sums are added
//! in block order, so the tree does not depend on the thread count. The histogram of the
//! smaller child is built from its rows' packed codes and pseudo-residuals and the larger
//! child's is its parent's minus it. A node whose two children cannot be split further is
//! not reordered: its leaves are read through the split's test. Depth-first, the two
//! children of a node grow at once, sharing the threads.

use ndarray::ArrayView2;
use rayon::prelude::*;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};

use super::Bins;
use super::awake::{join_awake, run_awake};
use crate::rng::Rng;
use crate::tree::{LEAF, Node, Tree};

/// A split whose smaller side has at most this share (1 / SEQ) of its node's rows grows its
/// two subtrees one after the other, each on all the node's threads: grown at once, one
/// thread each, the larger subtree's first nodes would be cut for one thread while the
/// other thread, soon done with the small one, waits.
const SEQ: usize = 3;

/// Rows per block of the histogram passes, at the least.
const BLOCK: usize = 8_192;

/// Partial histograms of one node at the most (larger nodes take larger blocks).
const HIST_PARTS: usize = 16;

/// Rows per block of a histogram of a run of `len` rows: at least [`BLOCK`], and at most
/// [`HIST_PARTS`] blocks, so that there are few partial histograms to clear and add (the
/// cut depends on the rows alone, not the threads).
pub(crate) fn hist_block(len: usize) -> usize {
    BLOCK.max(len.div_ceil(HIST_PARTS))
}

/// One histogram cell: the sum of the pseudo-residuals of the rows in a bin, and their
/// count (exact in an f64 below 2⁵³; the pair is added as one vector).
pub(crate) type Cell = [f64; 2];

/// A node's histogram: 256 cells per feature (bin codes are bytes).
pub(crate) type Hist = Vec<[Cell; 256]>;

/// The bin codes of the training rows, eight to a little-endian word (feature `f` is byte
/// `f % 8` of word `f / 8` of its row).
#[derive(Debug)]
pub(crate) struct Codes {
    pub words: Vec<u64>,
    /// Words per row.
    pub w: usize,
    pub d: usize,
    /// The same codes column by column, for the splits, which read one feature.
    pub cols: Vec<Vec<u8>>,
}

impl Codes {
    /// Bins the rows `rows` of `x` (all rows when `None`).
    pub fn new(x: ArrayView2<'_, f64>, rows: Option<&[usize]>, bins: &Bins) -> Codes {
        let n = rows.map_or(x.nrows(), <[usize]>::len);
        let cols = (0..x.ncols())
            .into_par_iter()
            .map(|f| {
                let col = x.column(f);
                (0..n)
                    .map(|i| bins.bin(f, col[rows.map_or(i, |r| r[i])]))
                    .collect()
            })
            .collect();
        Codes::from_columns(cols, n)
    }

    /// The codes of `n` rows given column by column (`cols[f][i]`: row `i`'s code of
    /// feature `f`).
    pub fn from_columns(cols: Vec<Vec<u8>>, n: usize) -> Codes {
        let d = cols.len();
        let w = d.div_ceil(8).max(1);
        let mut words = vec![0u64; n * w];
        words
            .par_chunks_mut(w * 4096)
            .enumerate()
            .for_each(|(k, chunk)| {
                for (j, out) in chunk.chunks_exact_mut(w).enumerate() {
                    let i = k * 4096 + j;
                    for (f, col) in cols.iter().enumerate() {
                        out[f / 8] |= (col[i] as u64) << (8 * (f % 8));
                    }
                }
            });
        Codes { words, w, d, cols }
    }
}

/// Asks Linux to back the pages of `v`, a large buffer not yet written, with huge pages
/// (where transparent huge pages are on for the asking): its first pass then takes a page
/// fault every 2 MiB instead of every 4 KiB (each one costly in a virtual machine), and
/// its scattered writes miss the address cache less.
pub(crate) fn huge_pages<T>(v: &[T]) {
    #[cfg(target_os = "linux")]
    {
        let start = v.as_ptr() as usize;
        // the whole pages within the buffer
        let first = start.next_multiple_of(4096);
        let end = (start + std::mem::size_of_val(v)) & !4095;
        if end > first {
            // SAFETY: the range lies within the buffer's own allocation, and the advice
            // changes how its pages are backed, not their contents
            unsafe {
                libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// A best split: rows with code ≤ `b` of feature `f` go left.
#[derive(Debug, Clone, Copy)]
struct Split {
    f: usize,
    b: usize,
    gain: f64,
    /// The left child's sum of pseudo-residuals, its rows and their weight (the rows but
    /// under GOSS).
    left_sum: f64,
    left_n: usize,
    left_h: f64,
}

/// A leaf that may still be split: its rows are `start..end` of row buffer `buf`.
struct Open {
    node: usize,
    start: usize,
    end: usize,
    buf: usize,
    depth: usize,
    /// Sum of the pseudo-residuals of its rows, and of their weights.
    sum: f64,
    h: f64,
    hist: Option<Hist>,
    split: Option<Split>,
}

/// A finished leaf: the rows `start..end` of row buffer `buf` (0: the rows, 1: the
/// scratch given to [`Grower::grow`]) that pass `test` (feature, bin, side: true for the
/// rows with code ≤ bin), or all of them.
pub(crate) struct Leaf {
    pub node: usize,
    pub start: usize,
    pub end: usize,
    pub buf: usize,
    pub sum: f64,
    /// The rows' weights (their number but under GOSS).
    pub h: f64,
    pub test: Option<(usize, u8, bool)>,
}

impl Leaf {
    /// The words of the run the leaf's rows are in (`bufs`: the rows and the scratch the
    /// tree was grown on).
    fn run<'a>(&self, bufs: [&'a [u64]; 2], sw: usize) -> &'a [u64] {
        &bufs[self.buf][self.start * sw..self.end * sw]
    }

    /// Calls `f` with the index of each of the leaf's rows (`bufs`: the rows and the
    /// scratch the tree was grown on).
    pub fn for_each_row(&self, bufs: [&[u64]; 2], codes: &Codes, mut f: impl FnMut(u32)) {
        let sw = codes.w + 1;
        let rows = self.run(bufs, sw).chunks_exact(sw);
        match self.test {
            None => rows.for_each(|r| f(unpack(r[sw - 1]).0)),
            Some((feat, bin, left)) => {
                // the test reads the row's own codes
                let (word, shift) = (feat / 8, 8 * (feat % 8));
                for r in rows {
                    if ((r[word] >> shift) as u8 <= bin) == left {
                        f(unpack(r[sw - 1]).0);
                    }
                }
            }
        }
    }
}

/// A grown tree, the bin threshold of each split node, and its leaves.
/// The rows a tree is grown on, `w + 1` words each: the row's code words, then its index
/// and pseudo-residual ([`Rows::set`]).
pub(crate) struct Rows;

impl Rows {
    /// Writes the rows `ids` with their codes and pseudo-residuals `g(id)` to `out`.
    pub fn fill(out: &mut [u64], ids: &[u32], codes: &Codes, g: impl Fn(usize) -> f64) {
        match codes.w {
            1 => fill::<1>(out, ids, codes, g),
            2 => fill::<2>(out, ids, codes, g),
            3 => fill::<3>(out, ids, codes, g),
            _ => fill::<0>(out, ids, codes, g),
        }
    }
}

impl Rows {
    /// [`Rows::fill`] for GOSS: the rows `picked` (index, sampled from the small
    /// pseudo-residuals), the sampled ones' pseudo-residuals multiplied by `amp` and marked
    /// ([`pack_weighted`]).
    pub fn fill_weighted(
        out: &mut [u64],
        picked: &[(u32, bool)],
        codes: &Codes,
        g: &[f64],
        amp: f64,
    ) {
        let w = codes.w;
        for (o, &(i, small)) in out.chunks_exact_mut(w + 1).zip(picked) {
            let i = i as usize;
            o[..w].copy_from_slice(&codes.words[i * w..(i + 1) * w]);
            let gi = if small { g[i] * amp } else { g[i] };
            o[w] = pack_weighted(i as u32, gi, small);
        }
    }
}

fn fill<const W: usize>(out: &mut [u64], ids: &[u32], codes: &Codes, g: impl Fn(usize) -> f64) {
    let w = if W == 0 { codes.w } else { W };
    for (o, &i) in out.chunks_exact_mut(w + 1).zip(ids) {
        let i = i as usize;
        o[..w].copy_from_slice(&codes.words[i * w..(i + 1) * w]);
        o[w] = pack(i as u32, g(i));
    }
}

pub(crate) struct Grown {
    pub tree: Tree,
    pub bin_thr: Vec<u8>,
    pub leaves: Vec<Leaf>,
}

pub(crate) struct Grower<'a> {
    pub bins: &'a Bins,
    pub codes: &'a Codes,
    pub max_depth: usize,
    /// `usize::MAX`: not limited (depth-first growth).
    pub max_leaves: usize,
    pub min_leaf: usize,
    /// A node of fewer rows is not split.
    pub min_split: usize,
    /// Each split considers this many features, drawn anew for every node from `rng`
    /// (all of them when `None`).
    pub features: Option<(usize, Mutex<Rng>)>,
    /// GOSS: the weight of the rows marked as sampled from the small gradients (see
    /// [`pack_weighted`]); the other rows weigh 1.
    pub amp: Option<f64>,
}

/// A row of the moving layout: its `w` code words, then its index (low half) and its
/// pseudo-residual as an f32 (high half) in one word.
#[inline(always)]
fn pack(id: u32, g: f64) -> u64 {
    id as u64 | ((g as f32).to_bits() as u64) << 32
}

#[inline(always)]
fn unpack(word: u64) -> (u32, f64) {
    (word as u32, f32::from_bits((word >> 32) as u32) as f64)
}

/// [`pack`] for GOSS: the pseudo-residual (already multiplied by the row's weight) with
/// the lowest bit of its f32 set where the row weighs `amp`, cleared where it weighs 1 (a
/// change of one unit in the last place).
#[inline(always)]
pub(crate) fn pack_weighted(id: u32, g: f64, amplified: bool) -> u64 {
    let bits = ((g as f32).to_bits() & !1) | amplified as u32;
    id as u64 | (bits as u64) << 32
}

/// Under GOSS a histogram's count cell adds 1 for each row and this for each row sampled
/// from the small pseudo-residuals, so the cell holds both numbers exactly (up to 2²⁶ rows
/// a node, 2²⁷ sampled).
pub(crate) const SAMPLED: f64 = (1u64 << 26) as f64;

/// What a row adds to a count cell under GOSS.
#[inline(always)]
fn count_of(word: u64) -> f64 {
    if (word >> 32) & 1 == 1 {
        1.0 + SAMPLED
    } else {
        1.0
    }
}

fn add_block<const SW: usize, const W: bool>(rows: &[u64], sw: usize, h: &mut [[Cell; 256]]) {
    let sw = if SW == 0 { sw } else { SW };
    let w = sw - 1;
    // the features eight to a code word; the last word's may be fewer
    let (full, rest) = h.as_chunks_mut::<8>();
    for row in rows.chunks_exact(sw) {
        let gi = unpack(row[w]).1;
        let hi = if W { count_of(row[w]) } else { 1.0 };
        for (hk, &word) in full.iter_mut().zip(&row[..w]) {
            for (t, hf) in hk.iter_mut().enumerate() {
                let cell = &mut hf[(word >> (8 * t)) as u8 as usize];
                cell[0] += gi;
                cell[1] += hi;
            }
        }
        if !rest.is_empty() {
            let word = row[full.len()];
            for (t, hf) in rest.iter_mut().enumerate() {
                let cell = &mut hf[(word >> (8 * t)) as u8 as usize];
                cell[0] += gi;
                cell[1] += hi;
            }
        }
    }
}

/// Rows of a run per thread in a partition, at the least.
const PART_MIN: usize = 4_096;

/// Writes the rows of `src` (rows of one node, `sw` words each) to `dst` (as long) by the
/// split `s`: the rows whose code of its feature `f` is ≤ its bin `b` first, each side in
/// its order (`nl`: how many go left, as the split's histogram counts them). The run is
/// cut into one piece for each of `threads` threads. The first half of the pieces write
/// forward from the start of each side, the others backward from its end (the last piece
/// from the slots before `nl` and before the end), so that a piece needs the left rows of
/// the pieces between it and the end it writes from, and the two middle pieces need no
/// count: with two threads no piece is counted. A count that does not hold stops the
/// program: the counted pieces must take as many rows as counted, and the middle two meet.
fn partition<const SW: usize>(sw: usize, s: &Split, src: &[u64], dst: &mut [u64], threads: usize) {
    // a constant row width where one is given (the copies become moves)
    let sw = if SW == 0 { sw } else { SW };
    let (f, b, nl) = (s.f, s.b as u8, s.left_n);
    let (word, shift) = (f / 8, 8 * (f % 8));
    let len = src.len() / sw;
    assert!(nl <= len, "the split's count of left rows");
    // two pieces at the least where the pool has more threads than the node: the second,
    // written backward, needs no count, and a thread done with other work may take it
    let parts = threads
        .max(if rayon::current_num_threads() > 1 {
            2
        } else {
            1
        })
        .min(len / PART_MIN)
        .max(1);
    let piece = len.div_ceil(parts) * sw;
    let goes_left = move |row: &[u64]| (row[word] >> shift) as u8 <= b;
    let lens: Vec<usize> = src.chunks(piece).map(|c| c.len() / sw).collect();
    let p = lens.len();
    // pieces `..m` write forward, `m..` backward; `m - 1` and `m` are not counted
    let m = p.div_ceil(2);
    let counted = |k: usize| k + 1 < m || k > m;
    // the counted pieces, each cut into runs so that counting takes every thread
    let run = (piece / sw).div_ceil(parts).max(1) * sw;
    let counts: Vec<(usize, usize)> = if (0..p).any(counted) {
        src.par_chunks(piece)
            .enumerate()
            .filter(|(k, _)| counted(*k))
            .map(|(k, c)| {
                let n = c
                    .par_chunks(run)
                    .map(|r| r.chunks_exact(sw).filter(|r| goes_left(r)).count());
                (k, n.sum())
            })
            .collect()
    } else {
        vec![]
    };
    let mut lefts = vec![0; p];
    for (k, c) in counts {
        lefts[k] += c;
    }
    // each piece's first slot (forward) or the slot after its last (backward) on either
    // side, in rows
    let mut ends = vec![(0, 0); p];
    let (mut at_l, mut at_r) = (0, nl);
    for k in 0..m {
        ends[k] = (at_l, at_r);
        at_l += lefts[k];
        at_r += lens[k] - lefts[k];
    }
    let (mut at_l, mut at_r) = (nl, len);
    for k in (m..p).rev() {
        ends[k] = (at_l, at_r);
        at_l = at_l
            .checked_sub(lefts[k])
            .expect("the split's count of left rows");
        at_r = at_r
            .checked_sub(lens[k] - lefts[k])
            .expect("the split's count of left rows");
    }
    assert!(
        ends[m - 1].0 <= nl && ends[m - 1].1 <= len,
        "the split's count of left rows"
    );
    // written as atomic words, so that the two middle pieces, which cannot be kept apart in
    // advance, are sound even where the count does not hold (relaxed stores: plain moves)
    assert_eq!(dst.as_ptr().align_offset(align_of::<AtomicU64>()), 0);
    // SAFETY: `AtomicU64` has the size of `u64`, the alignment is checked above, and `dst`
    // is borrowed mutably for the whole partition
    let out: &[AtomicU64] = unsafe { &*(dst as *mut [u64] as *const [AtomicU64]) };
    let pieces: Vec<(&[u64], (usize, usize))> = src.chunks(piece).zip(ends.clone()).collect();
    let reached = run_awake(pieces, |k, (src, at)| {
        move_piece::<SW>(sw, (word, shift, b), src, out, at, k < m)
    });
    // the counted pieces took as many rows as counted, and the middle ones met
    for (k, &(l, r)) in reached.iter().enumerate() {
        let want = if k + 1 < m {
            ends[k + 1]
        } else if k + 1 == m {
            if m < p { reached[m] } else { (nl, len) }
        } else if k > m {
            ends[k - 1]
        } else {
            reached[k]
        };
        assert_eq!((l, r), want, "the split's count of left rows");
    }
}

/// Writes the rows of one piece of a partition (`test`: the code word, its shift and the
/// split's bin) to `out`, forward from the slots `at` (left, right) or backward from the
/// slots before them, and returns the slots reached. A slot is clamped to the last of
/// `out`, so that a count that does not hold (which the caller stops at) writes only
/// within it.
#[inline(never)]
fn move_piece<const SW: usize>(
    sw: usize,
    (word, shift, b): (usize, usize, u8),
    src: &[u64],
    out: &[AtomicU64],
    (mut l, mut r): (usize, usize),
    forward: bool,
) -> (usize, usize) {
    let sw = if SW == 0 { sw } else { SW };
    let last = out.len() / sw - 1;
    let put = |row: &[u64], at: usize| {
        let at = at.min(last) * sw;
        for (i, &v) in row[..sw].iter().enumerate() {
            // SAFETY: `at` is at most the last slot, whose `sw` words are within `out`
            unsafe { out.get_unchecked(at + i) }.store(v, Relaxed);
        }
    };
    let goes_left = |row: &[u64]| ((row[word] >> shift) as u8 <= b) as usize;
    let rows = src.chunks_exact(sw);
    if forward {
        for row in rows {
            let go = goes_left(row);
            // the next free slot of the row's side, chosen without a branch (a mask of
            // all ones for the left side)
            let mask = go.wrapping_neg();
            put(row, (l & mask) | (r & !mask));
            l += go;
            r += 1 - go;
        }
    } else {
        for row in rows.rev() {
            let go = goes_left(row);
            let mask = go.wrapping_neg();
            l = l.wrapping_sub(go);
            r = r.wrapping_sub(1 - go);
            put(row, (l & mask) | (r & !mask));
        }
    }
    (l, r)
}

fn partition_dispatch(sw: usize, s: &Split, src: &[u64], dst: &mut [u64], threads: usize) {
    match sw {
        2 => partition::<2>(sw, s, src, dst, threads),
        3 => partition::<3>(sw, s, src, dst, threads),
        4 => partition::<4>(sw, s, src, dst, threads),
        _ => partition::<0>(sw, s, src, dst, threads),
    }
}

impl Grower<'_> {
    /// An empty histogram.
    pub(crate) fn empty(&self) -> Hist {
        vec![[[0.0; 2]; 256]; self.codes.d]
    }

    /// Adds `rows` (`sw` words each) to `h`, in their order.
    pub(crate) fn add_rows(&self, rows: &[u64], h: &mut Hist) {
        let sw = self.codes.w + 1;
        match (sw, self.amp.is_some()) {
            (2, false) => add_block::<2, false>(rows, sw, h),
            (3, false) => add_block::<3, false>(rows, sw, h),
            (4, false) => add_block::<4, false>(rows, sw, h),
            (_, false) => add_block::<0, false>(rows, sw, h),
            (2, true) => add_block::<2, true>(rows, sw, h),
            (3, true) => add_block::<3, true>(rows, sw, h),
            (4, true) => add_block::<4, true>(rows, sw, h),
            (_, true) => add_block::<0, true>(rows, sw, h),
        }
    }

    /// The histogram of a run of `len` rows from its blocks' ([`hist_block`]), added in
    /// block order.
    pub(crate) fn sum_blocks(&self, parts: Vec<Hist>) -> Hist {
        let (first, rest) = parts.split_first().expect("at least one block");
        let mut acc = first.clone();
        // each feature's cells summed over the blocks in block order (features in parallel
        // where there are many)
        let add = |(f, a): (usize, &mut [Cell; 256])| {
            for p in rest {
                for (x, y) in a.iter_mut().zip(&p[f]) {
                    x[0] += y[0];
                    x[1] += y[1];
                }
            }
        };
        if rest.len() * self.codes.d <= 256 {
            acc.iter_mut().enumerate().for_each(add);
        } else {
            acc.par_iter_mut().enumerate().for_each(add);
        }
        acc
    }

    /// The histogram of `rows` (`sw` words each), its blocks as parallel tasks unless the
    /// pool has a single thread (even for a node given one thread: a thread done with
    /// another subtree takes some of them).
    fn histogram(&self, rows: &[u64], threads: usize) -> Hist {
        let sw = self.codes.w + 1;
        let build = |rows: &[u64]| {
            let mut h = self.empty();
            self.add_rows(rows, &mut h);
            h
        };
        let len = rows.len() / sw;
        let block = hist_block(len);
        if len <= block {
            return build(rows);
        }
        if threads == 1 && rayon::current_num_threads() == 1 {
            // the same sums, a block at a time
            let mut blocks = rows.chunks(block * sw);
            let mut acc = build(blocks.next().expect("at least one block"));
            for p in blocks.map(build) {
                for (a, q) in acc.iter_mut().zip(&p) {
                    for (x, y) in a.iter_mut().zip(q) {
                        x[0] += y[0];
                        x[1] += y[1];
                    }
                }
            }
            return acc;
        }
        self.sum_blocks(run_awake(rows.chunks(block * sw).collect(), |_, r| {
            build(r)
        }))
    }

    /// The best split of a node with histogram `h` and sum `sum`, if any improves.
    fn best_split(&self, h: &Hist, sum: f64) -> Option<Split> {
        let (n, hn) = self.counts(h[0].iter().map(|c| c[1]).sum());
        let base = sum * sum / hn;
        let min_leaf = self.min_leaf as f64;
        let mut best: Option<Split> = None;
        let drawn = self.features.as_ref().map(|(k, rng)| {
            let mut feats: Vec<usize> = (0..h.len()).collect();
            rng.lock().expect("the features' draws").shuffle(&mut feats);
            feats.truncate(*k);
            feats.sort_unstable();
            feats
        });
        let feats: Box<dyn Iterator<Item = usize>> = match drawn {
            Some(f) => Box::new(f.into_iter()),
            None => Box::new(0..h.len()),
        };
        for f in feats {
            let hf = &h[f];
            let (mut gl, mut cl) = (0.0, 0.0);
            for (b, c) in hf.iter().enumerate().take(self.bins.n_bins(f) - 1) {
                gl += c[0];
                cl += c[1];
                let (nl, hl) = self.counts(cl);
                if c[1] == 0.0 || nl < min_leaf {
                    continue;
                }
                if n - nl < min_leaf {
                    break;
                }
                let (gr, hr) = (sum - gl, hn - hl);
                let gain = gl * gl / hl + gr * gr / hr - base;
                if gain > 1e-12 * (1.0 + base.abs()) && best.is_none_or(|s| gain > s.gain) {
                    best = Some(Split {
                        f,
                        b,
                        gain,
                        left_sum: gl,
                        left_n: nl as usize,
                        left_h: hl,
                    });
                }
            }
        }
        best
    }

    /// The rows and their weight of a histogram's count: the count itself, or under GOSS
    /// the rows plus [`SAMPLED`] for each row sampled from the small pseudo-residuals (which
    /// weighs `amp`).
    #[inline(always)]
    fn counts(&self, c: f64) -> (f64, f64) {
        match self.amp {
            None => (c, c),
            Some(amp) => {
                let sampled = (c / SAMPLED).floor();
                let rows = c - sampled * SAMPLED;
                (rows, rows + sampled * (amp - 1.0))
            }
        }
    }

    /// Whether a node of `n` rows at `depth` may be split (and so needs a histogram).
    pub(crate) fn may_split(&self, n: usize, depth: usize) -> bool {
        depth < self.max_depth
            && self.max_leaves > 1
            && n >= 2 * self.min_leaf
            && n >= self.min_split
    }

    /// Grows a tree on `rows` (see [`Rows`]; `scratch`: as long, the second buffer the
    /// rows move to and fro between; the leaves say where their rows are): depth-first to
    /// `max_depth` when the leaves are not limited, else best-first (the split of the
    /// largest gain next, as LightGBM grows) until `max_leaves`. `root`: the rows'
    /// histogram, where the pass that filled them built it (as [`Grower::histogram`]
    /// builds it).
    pub fn grow(&self, rows: &mut [u64], scratch: &mut [u64], root: Option<Hist>) -> Grown {
        let sw = self.codes.w + 1;
        let (d, len) = (self.codes.d, rows.len() / sw);
        let mut tree = Tree {
            nodes: vec![Node::leaf(len)],
            n_features: d,
            importance: vec![0.0; d],
        };
        let mut bin_thr: Vec<u8> = vec![0];
        let mut leaves = vec![];
        let mut n_leaves = 1usize;
        let threads = rayon::current_num_threads();
        // the root's histogram, if the rows were filled with it (see `boost`)
        let root = self
            .may_split(len, 0)
            .then(|| root.unwrap_or_else(|| self.histogram(rows, threads)));
        let (sum, c) = match &root {
            Some(h) => h[0]
                .iter()
                .fold((0.0, 0.0), |a, c| (a.0 + c[0], a.1 + c[1])),
            None => rows.chunks_exact(sw).fold((0.0, 0.0), |a, r| {
                let ci = if self.amp.is_some() {
                    count_of(r[sw - 1])
                } else {
                    1.0
                };
                (a.0 + unpack(r[sw - 1]).1, a.1 + ci)
            }),
        };
        let h = self.counts(c).1;
        let split = root.as_ref().and_then(|h| self.best_split(h, sum));
        let root = Open {
            node: 0,
            start: 0,
            end: len,
            buf: 0,
            depth: 0,
            sum,
            h,
            hist: root,
            split,
        };
        if self.max_leaves == usize::MAX && self.features.is_none() && self.max_depth <= 64 {
            // depth-first: the two children of a node grow at once
            let built = self.build(root, rows, scratch, threads);
            self.flatten(built, 0, &mut tree, &mut bin_thr, &mut leaves);
            return Grown {
                tree,
                bin_thr,
                leaves,
            };
        }
        let mut open = vec![root];
        let best_first = self.max_leaves < usize::MAX;
        loop {
            // the next node to split: the last pushed (depth-first), or the largest gain
            let pick = if best_first {
                open.iter()
                    .enumerate()
                    .filter_map(|(k, o)| o.split.map(|s| (k, s.gain, o.node)))
                    .max_by(|x, y| x.1.total_cmp(&y.1).then(y.2.cmp(&x.2)))
                    .map(|(k, _, _)| k)
                    .or(open.len().checked_sub(1))
            } else {
                open.len().checked_sub(1)
            };
            let Some(k) = pick else { break };
            let o = if best_first {
                open.swap_remove(k)
            } else {
                open.pop().expect("picked")
            };
            let (Some(s), true) = (o.split, n_leaves < self.max_leaves) else {
                leaves.push(o.leaf(None));
                continue;
            };
            n_leaves += 1;
            let n = o.end - o.start;
            let l = self.record(&mut tree, &mut bin_thr, o.node, &s, n);
            let depth = o.depth + 1;
            let (need_l, need_r) = (
                self.may_split(s.left_n, depth),
                self.may_split(n - s.left_n, depth),
            );
            if !need_l && !need_r {
                // both children are leaves: their rows stay where they are
                leaves.extend(o.pair(&s, l));
                continue;
            }
            let run = o.start * sw..o.end * sw;
            let (cl, cr) =
                self.children(o, s, l, &mut rows[run.clone()], &mut scratch[run], threads);
            open.push(cr);
            open.push(cl);
        }
        Grown {
            tree,
            bin_thr,
            leaves,
        }
    }

    /// Records the split `s` of node `node` (of `n` rows) in the tree: its two children
    /// are the nodes it returns and the one after, leaves until they are split.
    fn record(
        &self,
        tree: &mut Tree,
        bin_thr: &mut Vec<u8>,
        node: usize,
        s: &Split,
        n: usize,
    ) -> usize {
        tree.importance[s.f] += s.gain;
        let l = tree.nodes.len();
        tree.nodes.push(Node::leaf(s.left_n));
        tree.nodes.push(Node::leaf(n - s.left_n));
        bin_thr.extend([0, 0]);
        let nd = &mut tree.nodes[node];
        nd.feature = s.f as u32;
        nd.threshold = self.bins.edges[s.f][s.b];
        nd.left = l as u32;
        nd.right = l as u32 + 1;
        bin_thr[node] = s.b as u8;
        l
    }

    /// Splits `o` by `s` into its children (nodes `l` and `l + 1`): its rows (`rows` and
    /// `scratch`: its run of either buffer) go to the other buffer, left first; the smaller
    /// child's histogram is built and the larger's is the parent's minus it; a child that
    /// may be split gets its histogram and best split. The work is cut for `threads`
    /// threads, and into two pieces at the least where the pool has more (the result is
    /// the same for any number).
    fn children(
        &self,
        o: Open,
        s: Split,
        l: usize,
        rows: &mut [u64],
        scratch: &mut [u64],
        threads: usize,
    ) -> (Open, Open) {
        let sw = self.codes.w + 1;
        let n = o.end - o.start;
        let nl = s.left_n;
        let depth = o.depth + 1;
        let (need_l, need_r) = (self.may_split(nl, depth), self.may_split(n - nl, depth));
        let (src, dst) = if o.buf == 0 {
            (&*rows, &mut *scratch)
        } else {
            (&*scratch, &mut *rows)
        };
        partition_dispatch(sw, &s, src, dst, threads);
        let mut parent = o.hist.expect("a split node has a histogram");
        let small_is_left = nl <= n - nl;
        let small = if small_is_left {
            self.histogram(&dst[..nl * sw], threads)
        } else {
            self.histogram(&dst[nl * sw..], threads)
        };
        for (p, q) in parent.iter_mut().zip(&small) {
            for (x, y) in p.iter_mut().zip(q) {
                x[0] -= y[0];
                x[1] -= y[1];
            }
        }
        let (hl, hr) = if small_is_left {
            (small, parent)
        } else {
            (parent, small)
        };
        let buf = 1 - o.buf;
        let mid = o.start + nl;
        let child = |node, start, end, (sum, h), need: bool, hist: Hist| {
            let hist = need.then_some(hist);
            Open {
                node,
                start,
                end,
                buf,
                depth,
                sum,
                h,
                split: hist.as_ref().and_then(|h| self.best_split(h, sum)),
                hist,
            }
        };
        (
            child(l, o.start, mid, (s.left_sum, s.left_h), need_l, hl),
            child(
                l + 1,
                mid,
                o.end,
                (o.sum - s.left_sum, o.h - s.left_h),
                need_r,
                hr,
            ),
        )
    }

    /// The subtree under `o` grown depth-first, the two children of a node at once
    /// (`rows`, `scratch`: the node's run of either buffer). Its nodes are numbered by
    /// [`Grower::flatten`] as the one-at-a-time growth numbers them.
    fn build(&self, o: Open, rows: &mut [u64], scratch: &mut [u64], threads: usize) -> Built {
        let Some(s) = o.split else {
            return Built::Leaf(o.leaf(None));
        };
        let sw = self.codes.w + 1;
        let n = o.end - o.start;
        let depth = o.depth + 1;
        if !self.may_split(s.left_n, depth) && !self.may_split(n - s.left_n, depth) {
            // both children are leaves: their rows stay where they are
            let [a, b] = o.pair(&s, 0);
            return Built::Split {
                s,
                n,
                children: Box::new([Built::Leaf(a), Built::Leaf(b)]),
            };
        }
        let (cl, cr) = self.children(o, s, 0, rows, scratch, threads);
        let (rl, rr) = rows.split_at_mut(s.left_n * sw);
        let (sl, sr) = scratch.split_at_mut(s.left_n * sw);
        // the threads shared between the subtrees, each cutting its nodes for its share, or
        // all of them for each in turn where one subtree is much the larger ([`SEQ`])
        let nl = s.left_n;
        let (a, b) = if threads > 1 && (nl.min(n - nl)) * SEQ <= n {
            (
                self.build(cl, rl, sl, threads),
                self.build(cr, rr, sr, threads),
            )
        } else {
            let (ta, tb) = (threads.div_ceil(2), (threads / 2).max(1));
            join_awake(|| self.build(cl, rl, sl, ta), || self.build(cr, rr, sr, tb))
        };
        Built::Split {
            s,
            n,
            children: Box::new([a, b]),
        }
    }

    /// Numbers the nodes of `built` under node `node`: a split's two children are numbered
    /// when it is recorded, then the left subtree, then the right one.
    fn flatten(
        &self,
        built: Built,
        node: usize,
        tree: &mut Tree,
        bin_thr: &mut Vec<u8>,
        leaves: &mut Vec<Leaf>,
    ) {
        match built {
            Built::Leaf(leaf) => leaves.push(Leaf { node, ..leaf }),
            Built::Split { s, n, children } => {
                let l = self.record(tree, bin_thr, node, &s, n);
                let [a, b] = *children;
                self.flatten(a, l, tree, bin_thr, leaves);
                self.flatten(b, l + 1, tree, bin_thr, leaves);
            }
        }
    }
}

/// A subtree grown by [`Grower::build`]: a leaf, or a split of `n` rows and its two
/// subtrees.
enum Built {
    Leaf(Leaf),
    Split {
        s: Split,
        n: usize,
        children: Box<[Built; 2]>,
    },
}

impl Open {
    /// The node as a leaf, of its rows that pass `test` (or all of them).
    fn leaf(&self, test: Option<(usize, u8, bool)>) -> Leaf {
        Leaf {
            node: self.node,
            start: self.start,
            end: self.end,
            buf: self.buf,
            sum: self.sum,
            h: self.h,
            test,
        }
    }

    /// Its two children by `s` (nodes `l` and `l + 1`) as leaves that read its rows through
    /// the split's test.
    fn pair(&self, s: &Split, l: usize) -> [Leaf; 2] {
        let test = |left| Some((s.f, s.b as u8, left));
        [
            Leaf {
                node: l,
                sum: s.left_sum,
                h: s.left_h,
                ..self.leaf(test(true))
            },
            Leaf {
                node: l + 1,
                sum: self.sum - s.left_sum,
                h: self.h - s.left_h,
                ..self.leaf(test(false))
            },
        ]
    }
}

/// Rows a task of [`mark_leaves`] marks.
const MARK_CHUNK: usize = 16_384;

/// Writes each row's leaf number (its place in `leaves`, below 256) to `leaf_at[row]`
/// (`bufs`: the rows and the scratch the tree was grown on). Each row is in one leaf, so
/// each cell is written once.
pub(super) fn mark_leaves(leaves: &[Leaf], bufs: [&[u64]; 2], codes: &Codes, leaf_at: &[AtomicU8]) {
    assert!(leaves.len() <= 256, "leaf numbers are bytes");
    let sw = codes.w + 1;
    // the leaves read alone or with their sibling of one test, cut into runs of rows
    let mut tasks = Vec::new();
    for (l, leaf) in leaves.iter().enumerate() {
        if matches!(leaf.test, Some((_, _, false))) {
            continue;
        }
        let n = leaf.end - leaf.start;
        tasks.extend(
            (0..n)
                .step_by(MARK_CHUNK)
                .map(|a| (l, a, (a + MARK_CHUNK).min(n))),
        );
    }
    run_awake(tasks, |_, (l, a, b)| {
        let leaf = &leaves[l];
        let seg = &leaf.run(bufs, sw)[a * sw..b * sw];
        match leaf.test {
            Some((f, bin, _)) => {
                let (word, shift) = (f / 8, 8 * (f % 8));
                for r in seg.chunks_exact(sw) {
                    let right = ((r[word] >> shift) as u8 > bin) as usize;
                    leaf_at[unpack(r[sw - 1]).0 as usize].store((l + right) as u8, Relaxed);
                }
            }
            None => {
                for r in seg.chunks_exact(sw) {
                    leaf_at[unpack(r[sw - 1]).0 as usize].store(l as u8, Relaxed);
                }
            }
        }
    });
}

/// A pass over the rows `first..` in order that writes them as [`Rows::fill`] does, with
/// their predictions brought up to date on the way: each row's prediction gets first the
/// value of its leaf in the last tree (`last`: each row's leaf number and the leaves'
/// values, if a tree is pending), then its pseudo-residual is `grad(y - f)`.
#[derive(Clone, Copy)]
pub(crate) struct Fill<'a, L> {
    pub first: usize,
    pub y: &'a [f64],
    pub last: Option<(&'a [AtomicU8], &'a [f64])>,
    pub codes: &'a Codes,
    /// Each row's loss, summed after the update.
    pub loss: L,
}

impl<L: Fn(f64) -> f64> Fill<'_, L> {
    /// Writes the rows to `out` and updates their predictions `f`; returns the sum of their
    /// losses.
    pub fn run(&self, out: &mut [u64], f: &mut [f64], grad: impl Fn(f64) -> f64) -> f64 {
        match self.codes.w {
            1 => self.run_w::<1>(out, f, grad),
            2 => self.run_w::<2>(out, f, grad),
            3 => self.run_w::<3>(out, f, grad),
            _ => self.run_w::<0>(out, f, grad),
        }
    }

    #[inline(always)]
    fn run_w<const W: usize>(
        &self,
        out: &mut [u64],
        f: &mut [f64],
        grad: impl Fn(f64) -> f64,
    ) -> f64 {
        let w = if W == 0 { self.codes.w } else { W };
        let mut sum = 0.0;
        for (j, (o, fi)) in out.chunks_exact_mut(w + 1).zip(f.iter_mut()).enumerate() {
            let i = self.first + j;
            if let Some((leaf_at, values)) = self.last {
                *fi += values[leaf_at[i].load(Relaxed) as usize];
            }
            let r = self.y[i] - *fi;
            sum += (self.loss)(r);
            o[..w].copy_from_slice(&self.codes.words[i * w..(i + 1) * w]);
            o[w] = pack(i as u32, grad(r));
        }
        sum
    }
}

/// Rows of `out` per task of [`add_leaf_values`].
const OUT_CHUNK: usize = 65_536;

/// Sets `out[i]` of each leaf's row `i` from `values[leaf]` (`set`: `+=` for f64, `=` for
/// leaf numbers; `bufs`: the rows and the scratch the tree was grown on). The two leaves of one test are read in one pass. In parallel over runs of
/// `out`: a node's rows are in increasing order of their index (its partitions keep the
/// order), so each run finds its rows in every leaf by bisection. Every row is set once, so
/// the result does not depend on how the work is shared.
pub(super) fn add_leaf_values<T: Copy + LeafValue + Send + Sync>(
    leaves: &[Leaf],
    bufs: [&[u64]; 2],
    codes: &Codes,
    values: &[T],
    out: &mut [T],
) {
    let sw = codes.w + 1;
    out.par_chunks_mut(OUT_CHUNK)
        .enumerate()
        .for_each(|(c, oc)| {
            let (lo, hi) = (c * OUT_CHUNK, c * OUT_CHUNK + oc.len());
            let mut l = 0;
            while l < leaves.len() {
                let leaf = &leaves[l];
                let seg = leaf.run(bufs, sw);
                let id = |j: usize| unpack(seg[j * sw + sw - 1]).0 as usize;
                let first = |bound: usize| {
                    let (mut a, mut b) = (0, seg.len() / sw);
                    while a < b {
                        let m = (a + b) / 2;
                        if id(m) < bound { a = m + 1 } else { b = m }
                    }
                    a
                };
                let part = &seg[first(lo) * sw..first(hi) * sw];
                match leaf.test {
                    Some((f, b, true)) => {
                        // this leaf and the next share the rows and the test
                        let (word, shift) = (f / 8, 8 * (f % 8));
                        let (vl, vr) = (values[l], values[l + 1]);
                        for r in part.chunks_exact(sw) {
                            let v = if (r[word] >> shift) as u8 <= b {
                                vl
                            } else {
                                vr
                            };
                            oc[unpack(r[sw - 1]).0 as usize - lo].set(v);
                        }
                        l += 2;
                    }
                    _ => {
                        let v = values[l];
                        for r in part.chunks_exact(sw) {
                            oc[unpack(r[sw - 1]).0 as usize - lo].set(v);
                        }
                        l += 1;
                    }
                }
            }
        });
}

/// How [`add_leaf_values`] writes a leaf's value to a row.
pub(super) trait LeafValue {
    fn set(&mut self, v: Self);
}

impl LeafValue for f64 {
    fn set(&mut self, v: f64) {
        *self += v;
    }
}

impl LeafValue for u32 {
    fn set(&mut self, v: u32) {
        *self = v;
    }
}

/// The leaves that rows `offset + rows[j]` (at most 8) of `codes` reach in a tree grown on
/// them: the rows go down together, a level at a time, so that their loads overlap.
pub(crate) fn leaves_of_binned(
    tree: &Tree,
    bin_thr: &[u8],
    codes: &Codes,
    rows: &[usize],
    offset: usize,
) -> [usize; 8] {
    let w = codes.w;
    let mut k = [0usize; 8];
    let mut open = rows.len();
    while open > 0 {
        open = 0;
        for (j, &r) in rows.iter().enumerate() {
            let n = &tree.nodes[k[j]];
            if n.feature == LEAF {
                continue;
            }
            open += 1;
            let f = n.feature as usize;
            let i = offset + r;
            let code = (codes.words[i * w + f / 8] >> (8 * (f % 8))) as u8;
            k[j] = if code <= bin_thr[k[j]] {
                n.left
            } else {
                n.right
            } as usize;
        }
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` rows of one code word (feature 0's code spread over the bytes) and the packed
    /// index and pseudo-residual.
    fn rows(n: usize) -> Vec<u64> {
        (0..n)
            .flat_map(|i| [((i * 37 + i / 7) % 256) as u64, pack(i as u32, i as f64)])
            .collect()
    }

    fn split(b: usize, left_n: usize) -> Split {
        Split {
            f: 0,
            b,
            gain: 1.0,
            left_sum: 0.0,
            left_n,
            left_h: left_n as f64,
        }
    }

    #[test]
    fn partition_is_stable_for_any_thread_count_and_share() {
        // five pieces' worth of rows and a ragged end: forward, backward and counted pieces
        let n = 5 * PART_MIN + 123;
        let src = rows(n);
        let b = 100;
        let (left, right): (Vec<&[u64]>, Vec<&[u64]>) =
            src.chunks_exact(2).partition(|r| r[0] as u8 <= b as u8);
        let want: Vec<u64> = left
            .iter()
            .chain(&right)
            .flat_map(|r| r.iter().copied())
            .collect();
        for k in 1..=5 {
            for threads in 1..=k {
                let mut dst = vec![0; src.len()];
                crate::pool_of(k).install(|| {
                    partition_dispatch(2, &split(b, left.len()), &src, &mut dst, threads)
                });
                assert_eq!(dst, want, "a pool of {k}, a share of {threads}");
            }
        }
    }

    #[test]
    fn a_left_count_that_does_not_hold_stops_the_partition() {
        let n = 4 * PART_MIN + 5;
        let src = rows(n);
        let b = 100;
        let nl = src
            .chunks_exact(2)
            .filter(|r| r[0] as u8 <= b as u8)
            .count();
        for k in 1..=4 {
            for wrong in [nl - 1, nl + 1] {
                let run = std::panic::AssertUnwindSafe(|| {
                    let mut dst = vec![0; src.len()];
                    crate::pool_of(k)
                        .install(|| partition_dispatch(2, &split(b, wrong), &src, &mut dst, k));
                });
                let err = std::panic::catch_unwind(run).expect_err("a wrong count passes");
                let msg = err
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                assert!(msg.contains("count of left rows"), "{k} threads: {msg}");
            }
        }
    }
}
