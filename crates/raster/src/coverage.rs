//! The fraction of each raster cell covered by a polygon, exactly (as exactextract defines
//! it: the area of the cell inside the polygon over the cell's area), and the cell-centre
//! rule (a cell is in when its centre is inside, as GDAL's rasterizer without ALL_TOUCHED).
//!
//! Method. Rings are taken to pixel coordinates (u to the right, v down). Every edge is cut
//! at each row it crosses and, within the row, at each column boundary; a piece of height
//! `dv` (signed by the direction of travel, and by the ring's role so that exteriors add
//! and holes subtract) adds to its cell the area of that cell lying to the right of the
//! piece, `dv · (c + 1 − mean u)`, and `dv` to every cell further right. A running sum along
//! the row then gives each cell the area of the polygon inside it (the winding number
//! integrated over the cell): exact for straight edges, whatever the number of rings,
//! parts and holes of a valid polygon. Cells that no edge enters are wholly in or out: their
//! value is the running sum rounded (0 or 1); cells an edge enters keep the sum, clamped to
//! [0, 1], with sums within 1e-12 of 0 or 1 taken as 0 or 1 (rounding of the running sum).
//!
//! Each row is computed from the original edges alone, so a row's fractions do not depend
//! on how rows are grouped into strips or how columns are windowed.

/// A ring in the raster's CRS; `hole` for an interior ring.
#[derive(Debug, Clone, PartialEq)]
pub struct Ring {
    pub points: Vec<(f64, f64)>,
    pub hole: bool,
}

#[derive(Debug, Clone, Copy)]
struct Edge {
    u0: f64,
    v0: f64,
    u1: f64,
    v1: f64,
    /// +1 or −1: the sign that makes the interior positive.
    w: f64,
    vmin: f64,
    vmax: f64,
}

/// A polygon (one or more parts, with holes) in a raster's pixel coordinates.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Edges, sorted by their top (`vmin`); horizontal ones only mark the cells they cross.
    edges: Vec<Edge>,
    /// Bounds in pixel coordinates: (umin, vmin, umax, vmax).
    pub bounds: (f64, f64, f64, f64),
}

/// Where a shape meets the raster: the cells of columns `[col0, col0 + cols)` and rows
/// `[row0, row0 + rows)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub col0: usize,
    pub row0: usize,
    pub cols: usize,
    pub rows: usize,
}

const SNAP: f64 = 1e-12;

impl Shape {
    /// The shape of `rings` on the grid of north-up geotransform `t` (GDAL order). Rings
    /// need not be closed; the orientation of each is found from its signed area.
    pub fn new(rings: &[Ring], t: &[f64; 6]) -> Shape {
        let mut edges = vec![];
        let mut bounds = (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        for ring in rings {
            let px: Vec<(f64, f64)> = ring
                .points
                .iter()
                .map(|&(x, y)| ((x - t[0]) / t[1], (y - t[3]) / t[5]))
                .collect();
            if px.len() < 3 {
                continue;
            }
            // shoelace in (u, v): with v down, a ring whose left side goes down is negative
            let n = px.len();
            let mut twice = 0.0;
            for i in 0..n {
                let (a, b) = (px[i], px[(i + 1) % n]);
                twice += a.0 * b.1 - b.0 * a.1;
            }
            if twice == 0.0 {
                continue;
            }
            let inside_right_when_down = twice < 0.0;
            let w = match (inside_right_when_down, ring.hole) {
                (true, false) | (false, true) => 1.0,
                _ => -1.0,
            };
            for i in 0..n {
                let (a, b) = (px[i], px[(i + 1) % n]);
                bounds.0 = bounds.0.min(a.0);
                bounds.1 = bounds.1.min(a.1);
                bounds.2 = bounds.2.max(a.0);
                bounds.3 = bounds.3.max(a.1);
                if a == b {
                    continue;
                }
                edges.push(Edge {
                    u0: a.0,
                    v0: a.1,
                    u1: b.0,
                    v1: b.1,
                    w,
                    vmin: a.1.min(b.1),
                    vmax: a.1.max(b.1),
                });
            }
        }
        edges.sort_by(|a, b| a.vmin.total_cmp(&b.vmin));
        Shape { edges, bounds }
    }

    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// The cells of a `width` × `height` raster the shape's bounds reach, or `None` when
    /// the shape lies outside the raster.
    pub fn window(&self, width: usize, height: usize) -> Option<Window> {
        if self.edges.is_empty() {
            return None;
        }
        let (u0, v0, u1, v1) = self.bounds;
        let c0 = u0.floor().max(0.0);
        let r0 = v0.floor().max(0.0);
        let c1 = u1.ceil().min(width as f64);
        let r1 = v1.ceil().min(height as f64);
        if !(c1 > c0 && r1 > r0) {
            return None;
        }
        Some(Window {
            col0: c0 as usize,
            row0: r0 as usize,
            cols: (c1 - c0) as usize,
            rows: (r1 - r0) as usize,
        })
    }

    /// The edges that reach rows `[row0, row0 + rows)`.
    fn edges_in(&self, row0: usize, rows: usize) -> Vec<Edge> {
        let (top, bottom) = (row0 as f64, (row0 + rows) as f64);
        let end = self.edges.partition_point(|e| e.vmin < bottom);
        self.edges[..end]
            .iter()
            .filter(|e| e.vmax > top)
            .copied()
            .collect()
    }

    /// Coverage fractions of rows `[row0, row0 + rows)`, columns `[col0, col0 + cols)`,
    /// row-major into `out` (resized).
    pub fn fractions(
        &self,
        col0: usize,
        row0: usize,
        cols: usize,
        rows: usize,
        out: &mut Vec<f64>,
    ) {
        out.clear();
        out.resize(cols * rows, 0.0);
        let edges = self.edges_in(row0, rows);
        let mut acc = vec![0.0; cols + 1];
        let mut touched = vec![false; cols];
        let mut active: Vec<Edge> = vec![];
        let mut next = 0;
        for r in 0..rows {
            let row = (row0 + r) as f64;
            active.retain(|e| e.vmax > row);
            while next < edges.len() && edges[next].vmin < row + 1.0 {
                if edges[next].vmax > row {
                    active.push(edges[next]);
                }
                next += 1;
            }
            acc.iter_mut().for_each(|a| *a = 0.0);
            touched.iter_mut().for_each(|t| *t = false);
            let mut carry = 0.0;
            for e in &active {
                piece(
                    e,
                    row,
                    col0 as f64,
                    cols,
                    &mut acc,
                    &mut touched,
                    &mut carry,
                );
            }
            let dst = &mut out[r * cols..(r + 1) * cols];
            let mut s = carry;
            for c in 0..cols {
                s += acc[c];
                dst[c] = if touched[c] {
                    if s < SNAP {
                        0.0
                    } else if s > 1.0 - SNAP {
                        1.0
                    } else {
                        s
                    }
                } else if s > 0.5 {
                    1.0
                } else {
                    0.0
                };
            }
        }
    }

    /// 1 where a cell's centre is inside the shape, else 0 (same layout as
    /// [`Shape::fractions`]). A centre exactly on an edge counts as inside when the edge
    /// leaves the interior to its right (half-open rule, as GDAL's scanline fill).
    pub fn centres(&self, col0: usize, row0: usize, cols: usize, rows: usize, out: &mut Vec<f64>) {
        out.clear();
        out.resize(cols * rows, 0.0);
        let edges = self.edges_in(row0, rows);
        let mut acc = vec![0.0f64; cols + 1];
        for r in 0..rows {
            let vc = (row0 + r) as f64 + 0.5;
            acc.iter_mut().for_each(|a| *a = 0.0);
            let mut carry = 0.0;
            for e in &edges {
                if e.v0 == e.v1 || (e.v0 <= vc) == (e.v1 <= vc) {
                    continue;
                }
                let t = (vc - e.v0) / (e.v1 - e.v0);
                let u = e.u0 + t * (e.u1 - e.u0) - col0 as f64;
                let d = if e.v1 > e.v0 { e.w } else { -e.w };
                // the first column whose centre is right of u
                let k = (u - 0.5).floor() + 1.0;
                if k <= 0.0 {
                    carry += d;
                } else if k < cols as f64 {
                    acc[k as usize] += d;
                }
            }
            let dst = &mut out[r * cols..(r + 1) * cols];
            let mut s = carry;
            for c in 0..cols {
                s += acc[c];
                dst[c] = if s.abs() > 0.5 { 1.0 } else { 0.0 };
            }
        }
    }
}

/// Adds the part of edge `e` within row `row` to the row's accumulators over columns
/// `[col0, col0 + cols)`; what lies left of the window goes to `carry`.
#[allow(clippy::too_many_arguments)]
fn piece(
    e: &Edge,
    row: f64,
    col0: f64,
    cols: usize,
    acc: &mut [f64],
    touched: &mut [bool],
    carry: &mut f64,
) {
    let n = cols as f64;
    if e.v0 == e.v1 {
        // a horizontal edge inside the row: the cells it crosses are partly covered
        if e.v0 > row && e.v0 < row + 1.0 {
            let lo = (e.u0.min(e.u1) - col0).max(0.0);
            let hi = (e.u0.max(e.u1) - col0).min(n);
            let mut c = lo.floor();
            while c < hi {
                touched[c as usize] = true;
                c += 1.0;
            }
        }
        return;
    }
    // the part of the edge with v in [row, row + 1], from the original end points
    let (top, bottom) = (row.max(e.vmin), (row + 1.0).min(e.vmax));
    if bottom <= top {
        return;
    }
    let at = |v: f64| {
        if v == e.v0 {
            e.u0
        } else if v == e.v1 {
            e.u1
        } else {
            e.u0 + (v - e.v0) / (e.v1 - e.v0) * (e.u1 - e.u0)
        }
    };
    let (ua, ub) = (at(top) - col0, at(bottom) - col0);
    let down = e.v1 > e.v0;
    let dv = (bottom - top) * if down { e.w } else { -e.w };
    let (lo, hi) = if ua <= ub { (ua, ub) } else { (ub, ua) };
    if hi <= 0.0 {
        *carry += dv;
        return;
    }
    if lo >= n {
        return;
    }
    if hi == lo {
        let c = lo.floor() as usize;
        acc[c] += dv * (c as f64 + 1.0 - lo);
        acc[c + 1] += dv * (lo - c as f64);
        touched[c] = true;
        return;
    }
    let span = hi - lo;
    if lo < 0.0 {
        *carry += dv * (0.0 - lo) / span;
    }
    let first = lo.max(0.0).floor();
    let last = hi.min(n).ceil();
    let mut c = first;
    while c < last {
        let p = lo.max(c);
        let q = hi.min(c + 1.0);
        if q > p {
            let k = c as usize;
            let d = dv * (q - p) / span;
            let mid = 0.5 * (p + q) - c;
            acc[k] += d * (1.0 - mid);
            acc[k + 1] += d * mid;
            touched[k] = true;
        }
        c += 1.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: [f64; 6] = [0.0, 1.0, 0.0, 10.0, 0.0, -1.0];

    fn ring(p: &[(f64, f64)], hole: bool) -> Ring {
        Ring {
            points: p.to_vec(),
            hole,
        }
    }

    fn fr(rings: &[Ring]) -> Vec<f64> {
        let s = Shape::new(rings, &UNIT);
        let mut out = vec![];
        s.fractions(0, 0, 10, 10, &mut out);
        out
    }

    #[test]
    fn a_square_across_cells() {
        // x 1.5..3.5, y 6.5..8.5 → rows 1.5..3.5, quarter cells at the corners
        for rev in [false, true] {
            let mut p = vec![(1.5, 6.5), (3.5, 6.5), (3.5, 8.5), (1.5, 8.5)];
            if rev {
                p.reverse();
            }
            let f = fr(&[ring(&p, false)]);
            assert_eq!(f[10 + 1], 0.25);
            assert_eq!(f[10 + 2], 0.5);
            assert_eq!(f[2 * 10 + 2], 1.0);
            assert_eq!(f[3 * 10 + 3], 0.25);
            assert_eq!(f[0], 0.0);
            assert!((f.iter().sum::<f64>() - 4.0).abs() < 1e-12);
        }
    }

    #[test]
    fn a_triangle_and_a_hole() {
        let outer = ring(&[(0.0, 10.0), (10.0, 10.0), (0.0, 0.0)], false);
        let f = fr(std::slice::from_ref(&outer));
        assert!((f.iter().sum::<f64>() - 50.0).abs() < 1e-12);
        // diagonal cells are half covered
        assert!((f[3 * 10 + 6] - 0.5).abs() < 1e-15);
        assert_eq!(f[3 * 10 + 5], 1.0);
        assert_eq!(f[3 * 10 + 7], 0.0);
        let hole = ring(&[(1.0, 8.0), (3.0, 8.0), (3.0, 6.0), (1.0, 6.0)], true);
        let g = fr(&[outer, hole]);
        assert!((g.iter().sum::<f64>() - 46.0).abs() < 1e-12);
        assert_eq!(g[2 * 10 + 1], 0.0);
    }

    #[test]
    fn windows_and_strips_agree_with_the_whole() {
        let p = ring(
            &[(0.3, 9.1), (7.7, 9.6), (9.2, 2.2), (4.4, 0.4), (1.1, 3.3)],
            false,
        );
        let s = Shape::new(std::slice::from_ref(&p), &UNIT);
        let mut whole = vec![];
        s.fractions(0, 0, 10, 10, &mut whole);
        let mut part = vec![];
        s.fractions(3, 4, 5, 3, &mut part);
        for r in 0..3 {
            for c in 0..5 {
                assert_eq!(part[r * 5 + c], whole[(r + 4) * 10 + c + 3]);
            }
        }
        // the shoelace area
        let pts = &p.points;
        let a: f64 = (0..pts.len())
            .map(|i| {
                let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
                a.0 * b.1 - b.0 * a.1
            })
            .sum::<f64>()
            .abs()
            / 2.0;
        assert!((whole.iter().sum::<f64>() - a).abs() < 1e-12);
    }

    #[test]
    fn centres() {
        let p = ring(&[(1.2, 8.8), (3.6, 8.8), (3.6, 6.4), (1.2, 6.4)], false);
        let s = Shape::new(&[p], &UNIT);
        let mut c = vec![];
        s.centres(0, 0, 10, 10, &mut c);
        // centres 1.5, 2.5, 3.5 in x; rows 1.5, 2.5, 3.5 → v in 1.2..3.6
        let inside: Vec<usize> = (0..100).filter(|&i| c[i] == 1.0).collect();
        assert_eq!(inside, vec![11, 12, 13, 21, 22, 23, 31, 32, 33]);
    }
}
