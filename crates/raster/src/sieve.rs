//! Connected components and a sieve of small patches, with the rules of GDAL's sieve filter
//! (`gdal_sieve`), generalised from pixel counts to true areas:
//!
//! - a patch is a maximal 4- or 8-connected set of valid pixels of equal value; missing
//!   pixels (the nodata value) belong to no patch, are never changed and are never
//!   neighbours;
//! - a patch is small when its size is below the threshold (size = pixel count for
//!   [`sieve_pixels`], the sum of its pixels' true areas for [`sieve_area`]);
//! - every patch's largest neighbour is found in one row-major scan (with the same
//!   connectivity), a later neighbour replacing the kept one only when strictly larger;
//! - each small patch follows the chain of largest neighbours until a patch that is not
//!   small, and takes its value; a chain that runs into a cycle of small patches, or a
//!   small patch without neighbours, leaves the patch unchanged. Sizes are those before
//!   any merge (one round, as GDAL does).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Connectivity {
    Four,
    Eight,
}

impl Connectivity {
    /// 4 or 8.
    pub fn neighbours(&self) -> u8 {
        match self {
            Connectivity::Four => 4,
            Connectivity::Eight => 8,
        }
    }
}

impl Connectivity {
    /// The words that name the values, as help and completions list them (each parses).
    pub const NAMES: &'static [&'static str] = &["4", "8"];
}

impl std::str::FromStr for Connectivity {
    type Err = crate::ParseError;

    /// `4` or `8`.
    fn from_str(s: &str) -> Result<Connectivity, crate::ParseError> {
        match s.trim() {
            "4" => Ok(Connectivity::Four),
            "8" => Ok(Connectivity::Eight),
            _ => Err(crate::ParseError::expected("4 or 8")),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SieveStats {
    /// Small patches given a neighbour's value.
    pub patches_removed: u64,
    /// Pixels whose value changed.
    pub pixels_changed: u64,
}

const NONE: u32 = u32::MAX;

/// Component labels (NONE for missing pixels) and the number of components.
pub fn components<T: Copy + PartialEq>(
    values: &[T],
    width: usize,
    height: usize,
    nodata: Option<T>,
    conn: Connectivity,
) -> (Vec<u32>, usize) {
    let n = width * height;
    let mut parent: Vec<u32> = Vec::new();
    let mut label = vec![NONE; n];
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let p = parent[x as usize];
            parent[x as usize] = parent[p as usize];
            x = p;
        }
        x
    }
    for y in 0..height {
        for x in 0..width {
            let i = y * width + x;
            let v = values[i];
            if nodata == Some(v) {
                continue;
            }
            let mut neighbours = [NONE; 4];
            if x > 0 && values[i - 1] == v && label[i - 1] != NONE {
                neighbours[0] = label[i - 1];
            }
            if y > 0 {
                let up = i - width;
                if values[up] == v && label[up] != NONE {
                    neighbours[1] = label[up];
                }
                if conn == Connectivity::Eight {
                    if x > 0 && values[up - 1] == v && label[up - 1] != NONE {
                        neighbours[2] = label[up - 1];
                    }
                    if x + 1 < width && values[up + 1] == v && label[up + 1] != NONE {
                        neighbours[3] = label[up + 1];
                    }
                }
            }
            let mut root = NONE;
            for &nb in &neighbours {
                if nb == NONE {
                    continue;
                }
                let r = find(&mut parent, nb);
                if root == NONE {
                    root = r;
                } else if r != root {
                    let (a, b) = (root.min(r), root.max(r));
                    parent[b as usize] = a;
                    root = a;
                }
            }
            if root == NONE {
                root = parent.len() as u32;
                parent.push(root);
            }
            label[i] = root;
        }
    }
    // compact: roots numbered in order of first appearance
    let mut id = vec![NONE; parent.len()];
    let mut count = 0u32;
    for l in label.iter_mut() {
        if *l == NONE {
            continue;
        }
        let r = find(&mut parent, *l);
        if id[r as usize] == NONE {
            id[r as usize] = count;
            count += 1;
        }
        *l = id[r as usize];
    }
    (label, count as usize)
}

/// GDAL's sieve with a pixel-count threshold: patches of fewer than `threshold` pixels.
pub fn sieve_pixels<T: Copy + PartialEq>(
    values: &mut [T],
    width: usize,
    height: usize,
    nodata: Option<T>,
    threshold: u64,
    conn: Connectivity,
) -> SieveStats {
    let ones = vec![1.0; height];
    sieve_area(values, width, height, nodata, &ones, threshold as f64, conn)
}

/// The sieve with sizes in true area: a pixel of row r weighs `row_areas[r]`; patches whose
/// area is below `min_area` are small.
pub fn sieve_area<T: Copy + PartialEq>(
    values: &mut [T],
    width: usize,
    height: usize,
    nodata: Option<T>,
    row_areas: &[f64],
    min_area: f64,
    conn: Connectivity,
) -> SieveStats {
    let (label, n) = components(values, width, height, nodata, conn);
    let mut size = vec![0f64; n];
    let mut first = vec![usize::MAX; n];
    for (i, &l) in label.iter().enumerate() {
        if l != NONE {
            // summed row by row in row-major order
            size[l as usize] += row_areas[i / width];
            if first[l as usize] == usize::MAX {
                first[l as usize] = i;
            }
        }
    }
    let small = |c: u32| size[c as usize] < min_area;
    if !(0..n as u32).any(small) {
        return SieveStats::default();
    }
    // each patch's largest neighbour
    let mut big = vec![NONE; n];
    let consider = |a: u32, b: u32, big: &mut [u32]| {
        if a == NONE || b == NONE || a == b {
            return;
        }
        let (ai, bi) = (a as usize, b as usize);
        if big[ai] == NONE || size[big[ai] as usize] < size[bi] {
            big[ai] = b;
        }
        if big[bi] == NONE || size[big[bi] as usize] < size[ai] {
            big[bi] = a;
        }
    };
    for y in 0..height {
        for x in 0..width {
            let i = y * width + x;
            let a = label[i];
            if y > 0 {
                consider(a, label[i - width], &mut big);
                if conn == Connectivity::Eight {
                    if x > 0 {
                        consider(a, label[i - width - 1], &mut big);
                    }
                    if x + 1 < width {
                        consider(a, label[i - width + 1], &mut big);
                    }
                }
            }
            if x > 0 {
                consider(a, label[i - 1], &mut big);
            }
        }
    }
    // where each small patch goes: follow the chain of largest neighbours
    const UNKNOWN: u32 = NONE - 1;
    const BUSY: u32 = NONE - 2;
    let mut target = vec![UNKNOWN; n];
    let mut stack = vec![];
    for p in 0..n as u32 {
        if !small(p) || target[p as usize] != UNKNOWN {
            continue;
        }
        stack.clear();
        let mut q = p;
        let result = loop {
            stack.push(q);
            target[q as usize] = BUSY;
            let next = big[q as usize];
            if next == NONE {
                break NONE;
            }
            if !small(next) {
                break next;
            }
            match target[next as usize] {
                UNKNOWN => q = next,
                BUSY => break NONE,
                t => break t,
            }
        };
        for &s in &stack {
            target[s as usize] = result;
        }
    }
    // the value of each target patch, from its first pixel
    let value_of = |c: u32, values: &[T]| values[first[c as usize]];
    let new_value: Vec<Option<T>> = (0..n)
        .map(|c| {
            let t = target[c];
            if t == UNKNOWN || t == NONE {
                None
            } else {
                Some(value_of(t, values))
            }
        })
        .collect();
    let mut st = SieveStats::default();
    for (c, nv) in new_value.iter().enumerate() {
        if nv.is_some() {
            st.patches_removed += 1;
            let _ = c;
        }
    }
    for (i, &l) in label.iter().enumerate() {
        if l == NONE {
            continue;
        }
        if let Some(v) = new_value[l as usize]
            && values[i] != v
        {
            values[i] = v;
            st.pixels_changed += 1;
        }
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connectivity() {
        // a diagonal pair: two patches with 4, one with 8
        let v = [1u8, 0, 0, 1];
        assert_eq!(components(&v, 2, 2, None, Connectivity::Four).1, 4);
        assert_eq!(components(&v, 2, 2, None, Connectivity::Eight).1, 2);
        // a U shape joins late: one patch
        let v = [1u8, 0, 1, 1, 0, 1, 1, 1, 1];
        let (l, n) = components(&v, 3, 3, None, Connectivity::Four);
        assert_eq!(n, 2);
        assert_eq!(l[0], l[2]);
    }

    #[test]
    fn small_patches_take_the_largest_neighbour() {
        #[rustfmt::skip]
        let mut v = [
            1u8, 1, 1, 2, 2,
            1, 3, 1, 2, 2,
            1, 1, 1, 2, 2,
        ];
        let st = sieve_pixels(&mut v, 5, 3, None, 2, Connectivity::Four);
        assert_eq!(st.patches_removed, 1);
        assert_eq!(v[6], 1);
        // nodata is never changed and never a neighbour: an isolated pixel stays
        let mut v = [0u8, 0, 0, 0, 5, 0, 0, 0, 0];
        sieve_pixels(&mut v, 3, 3, Some(0), 2, Connectivity::Four);
        assert_eq!(v[4], 5);
    }

    #[test]
    fn chains_and_cycles() {
        // a (1 px) → b (2 px, small at 3) → c (6 px): both take c's value
        #[rustfmt::skip]
        let mut v = [
            7u8, 8, 8, 9,
            9, 9, 9, 9,
        ];
        sieve_pixels(&mut v, 4, 2, None, 3, Connectivity::Four);
        assert_eq!(v, [9, 9, 9, 9, 9, 9, 9, 9]);
        // two single pixels, each the other's largest neighbour: unchanged
        let mut v = [1u8, 2];
        sieve_pixels(&mut v, 2, 1, None, 2, Connectivity::Four);
        assert_eq!(v, [1, 2]);
    }
}
