//! Per-task CSV tables concatenated into one (each row prefixed by its task and part), and
//! sums of the result by key columns.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::manifest::{SumSpec, quote};
use crate::{Result, invalid, io_err};

/// CSV records (RFC 4180: quoted fields may hold commas, quotes and line breaks).
pub fn records(text: &str) -> Vec<Vec<String>> {
    let mut out = vec![];
    let mut rec = vec![];
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => rec.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                rec.push(std::mem::take(&mut field));
                out.push(std::mem::take(&mut rec));
                any = false;
            }
            c => field.push(c),
        }
    }
    if any {
        rec.push(field);
        out.push(rec);
    }
    out
}

/// A concatenated table.
#[derive(Debug, Clone)]
pub struct Concat {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Concat {
    pub fn to_csv(&self) -> String {
        let mut s = String::new();
        for r in std::iter::once(&self.header).chain(&self.rows) {
            s.push_str(&r.iter().map(|f| quote(f)).collect::<Vec<_>>().join(","));
            s.push('\n');
        }
        s
    }
}

/// Concatenates `parts` (task id, part label, CSV file) in the order given. Every file must
/// have the same header; an error names the file that differs.
pub fn concat(parts: &[(usize, String, PathBuf)]) -> Result<Concat> {
    let mut header: Option<(Vec<String>, &Path)> = None;
    let mut rows = vec![];
    for (task, part, path) in parts {
        let text = std::fs::read_to_string(path).map_err(io_err(path))?;
        let mut recs = records(&text).into_iter();
        let h = recs
            .next()
            .ok_or_else(|| invalid(path, "the table is empty"))?;
        match &header {
            None => header = Some((h.clone(), path)),
            Some((h0, p0)) if *h0 != h => {
                return Err(invalid(
                    path,
                    format!(
                        "its columns ({}) differ from those of {} ({})",
                        h.join(","),
                        p0.display(),
                        h0.join(",")
                    ),
                ));
            }
            _ => {}
        }
        for (i, r) in recs.enumerate() {
            if r.len() != h.len() {
                return Err(invalid(
                    path,
                    format!(
                        "row {} has {} fields for {} columns",
                        i + 2,
                        r.len(),
                        h.len()
                    ),
                ));
            }
            let mut row = vec![task.to_string(), part.clone()];
            row.extend(r);
            rows.push(row);
        }
    }
    let (h, _) =
        header.ok_or_else(|| crate::ScaleError::Settings("no tables to concatenate".into()))?;
    let mut full = vec!["task".to_string(), "part".to_string()];
    full.extend(h);
    Ok(Concat { header: full, rows })
}

/// Sums of `table` by the spec's key columns (groups in order of first appearance). A value
/// that does not parse as a number is an error naming the row and column; an empty one is
/// missing: the group's sum counts it in `<column>_missing`.
pub fn sum(table: &Concat, spec: &SumSpec, name: &Path) -> Result<Concat> {
    let col = |c: &String| {
        table
            .header
            .iter()
            .position(|h| h == c)
            .ok_or_else(|| invalid(name, format!("no column '{c}' to sum by")))
    };
    let keys: Vec<usize> = spec.key.iter().map(col).collect::<Result<_>>()?;
    let sums: Vec<usize> = spec.sum.iter().map(col).collect::<Result<_>>()?;
    let quads: Vec<usize> = spec.quadrature.iter().map(col).collect::<Result<_>>()?;
    // per group: sums, missing counts, squares
    type Acc = (Vec<f64>, Vec<usize>, Vec<f64>, Vec<usize>);
    let mut order: Vec<Vec<String>> = vec![];
    let mut groups: BTreeMap<Vec<String>, Acc> = BTreeMap::new();
    for (i, r) in table.rows.iter().enumerate() {
        let k: Vec<String> = keys.iter().map(|&c| r[c].clone()).collect();
        let acc = groups.entry(k.clone()).or_insert_with(|| {
            order.push(k);
            (
                vec![0.0; sums.len()],
                vec![0; sums.len()],
                vec![0.0; quads.len()],
                vec![0; quads.len()],
            )
        });
        let parse = |c: usize| -> Result<Option<f64>> {
            let v = r[c].trim();
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<f64>().map(Some).map_err(|_| {
                invalid(
                    name,
                    format!(
                        "row {} column '{}': '{v}' is not a number",
                        i + 2,
                        table.header[c]
                    ),
                )
            })
        };
        for (j, &c) in sums.iter().enumerate() {
            match parse(c)? {
                Some(v) => acc.0[j] += v,
                None => acc.1[j] += 1,
            }
        }
        for (j, &c) in quads.iter().enumerate() {
            match parse(c)? {
                Some(v) => acc.2[j] += v * v,
                None => acc.3[j] += 1,
            }
        }
    }
    let mut header = spec.key.clone();
    for s in &spec.sum {
        header.push(s.clone());
        header.push(format!("{s}_missing"));
    }
    for q in &spec.quadrature {
        header.push(q.clone());
    }
    let rows = order
        .into_iter()
        .map(|k| {
            let (s, m, q, qm) = &groups[&k];
            let mut row = k;
            for j in 0..s.len() {
                row.push(number(s[j]));
                row.push(m[j].to_string());
            }
            for j in 0..q.len() {
                row.push(if qm[j] == 0 {
                    number(q[j].sqrt())
                } else {
                    String::new()
                });
            }
            row
        })
        .collect();
    Ok(Concat { header, rows })
}

/// A sum as text: whole numbers without a decimal point (pixel counts), others in full.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_records() {
        let r = records("a,b\n1,\"x, \"\"y\"\"\nz\"\n2,\n");
        assert_eq!(
            r,
            vec![vec!["a", "b"], vec!["1", "x, \"y\"\nz"], vec!["2", ""]]
        );
    }

    #[test]
    fn concatenates_and_sums() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        let b = dir.path().join("b.csv");
        std::fs::write(&a, "class,px,u\n1,10,3\n2,5,\n").unwrap();
        std::fs::write(&b, "class,px,u\n1,7,4\n").unwrap();
        let c = concat(&[(0, "r0c0".into(), a.clone()), (1, "r0c1".into(), b.clone())]).unwrap();
        assert_eq!(c.header, ["task", "part", "class", "px", "u"]);
        assert_eq!(c.rows.len(), 3);
        let spec = SumSpec {
            out: "s.csv".into(),
            key: vec!["class".into()],
            sum: vec!["px".into()],
            quadrature: vec!["u".into()],
        };
        let s = sum(&c, &spec, &a).unwrap();
        assert_eq!(s.rows[0], ["1", "17", "0", "5"]);
        assert_eq!(s.rows[1], ["2", "5", "0", ""]);
        std::fs::write(&b, "class,pixels\n1,7\n").unwrap();
        let e = concat(&[(0, "a".into(), a), (1, "b".into(), b)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("b.csv") && e.contains("differ"), "{e}");
    }
}
