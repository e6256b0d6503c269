//! A grid of `width` × `height` pixels cut into tiles of whole pixels, row by row from the
//! top-left; the last column and row of tiles take what is left.

/// One tile: its place in the tile grid and its pixel window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    pub tile_row: usize,
    pub tile_col: usize,
    pub col_off: usize,
    pub row_off: usize,
    pub width: usize,
    pub height: usize,
}

impl Tile {
    /// `r<row>c<col>`, the tile's name in tables and file names.
    pub fn label(&self) -> String {
        format!("r{}c{}", self.tile_row, self.tile_col)
    }
}

/// The tiles of a grid, row-major.
pub fn tiles(width: usize, height: usize, tile_w: usize, tile_h: usize) -> Vec<Tile> {
    let mut out = vec![];
    if tile_w == 0 || tile_h == 0 {
        return out;
    }
    for (tile_row, row_off) in (0..height).step_by(tile_h).enumerate() {
        for (tile_col, col_off) in (0..width).step_by(tile_w).enumerate() {
            out.push(Tile {
                tile_row,
                tile_col,
                col_off,
                row_off,
                width: tile_w.min(width - col_off),
                height: tile_h.min(height - row_off),
            });
        }
    }
    out
}

/// A tile size: `4096px` or `4096` (square), `512x256px` (columns × rows).
pub fn parse_size(s: &str) -> Option<(usize, usize)> {
    let t = s.trim();
    let t = t.strip_suffix("px").unwrap_or(t);
    let (w, h) = match t.split_once(['x', 'X', '×']) {
        Some((w, h)) => (w.trim().parse().ok()?, h.trim().parse().ok()?),
        None => {
            let v: usize = t.trim().parse().ok()?;
            (v, v)
        }
    };
    (w > 0 && h > 0).then_some((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_the_grid_once() {
        let t = tiles(385, 241, 97, 61);
        assert_eq!(t.len(), 16);
        let covered: usize = t.iter().map(|t| t.width * t.height).sum();
        assert_eq!(covered, 385 * 241);
        assert_eq!(t[3].width, 385 - 3 * 97);
        assert_eq!(t[15].height, 241 - 3 * 61);
        assert_eq!(t[5].label(), "r1c1");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096px"), Some((4096, 4096)));
        assert_eq!(parse_size("512x256px"), Some((512, 256)));
        assert_eq!(parse_size("100"), Some((100, 100)));
        assert_eq!(parse_size("0px"), None);
        assert_eq!(parse_size("10km"), None);
    }
}
