//! Per-task CSV tables concatenated into one (each row prefixed by its task and part), and
//! sums of the result by key columns.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::manifest::SumSpec;
use crate::{Result, invalid, io_err};

/// CSV records (RFC 4180: quoted fields may hold commas, quotes and line breaks; blank lines
/// are skipped).
pub fn records(text: &str) -> Vec<Vec<String>> {
    csv_reader(text.as_bytes())
        .into_records()
        .filter_map(|r| r.ok())
        .map(|r| r.iter().map(str::to_string).collect())
        .collect()
}

/// A CSV reader of records of any length, the header being a record like the others.
fn csv_reader<R: std::io::Read>(reader: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader)
}

/// A concatenated table.
#[derive(Debug, Clone)]
pub struct Concat {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Concat {
    /// The table as CSV text, header first.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(vec![]);
        // Writing to memory cannot fail.
        for r in std::iter::once(&self.header).chain(&self.rows) {
            let _ = writer.write_record(r);
        }
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

/// What a concatenation wrote.
#[derive(Debug, Clone)]
pub struct Merged {
    pub header: Vec<String>,
    pub rows: usize,
    /// The sums by key, when asked.
    pub sums: Option<Concat>,
}

/// Concatenates `parts` (task id, part label, CSV file) in the order given into the CSV file
/// `out`, each row after its task and part, one part in memory at a time; sums by `spec`'s
/// key columns on the way. Every file must have the same header: an error names the file
/// that differs (and `out` is then incomplete: the caller writes it under a temporary
/// name).
pub fn concat_into(
    parts: &[(usize, String, PathBuf)],
    out: &Path,
    spec: Option<&SumSpec>,
) -> Result<Merged> {
    let file = std::fs::File::create(out).map_err(io_err(out))?;
    let mut w = csv::Writer::from_writer(file);
    let mut header: Option<(Vec<String>, &Path)> = None;
    let mut summer: Option<Summer> = None;
    let mut n = 0usize;
    let write_err = |e: csv::Error| io_err(out)(e.into());
    for (task, part, path) in parts {
        let file = std::fs::File::open(path).map_err(io_err(path))?;
        let mut recs = csv_reader(file).into_records().map(|r| {
            r.map(|r| r.iter().map(str::to_string).collect::<Vec<_>>())
                .map_err(|e| io_err(path)(e.into()))
        });
        let h = recs
            .next()
            .transpose()?
            .ok_or_else(|| invalid(path, "the table is empty"))?;
        match &header {
            None => {
                let mut full = vec!["task".to_string(), "part".to_string()];
                full.extend(h.iter().cloned());
                w.write_record(&full).map_err(write_err)?;
                if let Some(spec) = spec {
                    summer = Some(Summer::new(&full, spec, out)?);
                }
                header = Some((h.clone(), path));
            }
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
            let r = r?;
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
            if let Some(s) = &mut summer {
                s.add(&row, path, i + 2)?;
            }
            w.write_record(&row).map_err(write_err)?;
            n += 1;
        }
    }
    let (h, _) =
        header.ok_or_else(|| crate::ScaleError::Settings("no tables to concatenate".into()))?;
    w.flush().map_err(io_err(out))?;
    let mut full = vec!["task".to_string(), "part".to_string()];
    full.extend(h);
    Ok(Merged {
        header: full,
        rows: n,
        sums: summer.map(Summer::finish),
    })
}

/// Sums by key columns (groups in order of first appearance). A value that does not parse
/// as a number is an error naming the file, row and column; an empty one is missing: the
/// group's sum counts it in `<column>_missing`.
struct Summer {
    spec: SumSpec,
    header: Vec<String>,
    keys: Vec<usize>,
    sums: Vec<usize>,
    quads: Vec<usize>,
    order: Vec<Vec<String>>,
    groups: BTreeMap<Vec<String>, Group>,
}

/// One group's sums, missing counts, sums of squares and their missing counts.
type Group = (Vec<f64>, Vec<usize>, Vec<f64>, Vec<usize>);

impl Summer {
    fn new(header: &[String], spec: &SumSpec, name: &Path) -> Result<Summer> {
        let col = |c: &String| {
            header
                .iter()
                .position(|h| h == c)
                .ok_or_else(|| invalid(name, format!("no column '{c}' to sum by")))
        };
        Ok(Summer {
            spec: spec.clone(),
            header: header.to_vec(),
            keys: spec.key.iter().map(col).collect::<Result<_>>()?,
            sums: spec.sum.iter().map(col).collect::<Result<_>>()?,
            quads: spec.quadrature.iter().map(col).collect::<Result<_>>()?,
            order: vec![],
            groups: BTreeMap::new(),
        })
    }

    fn add(&mut self, r: &[String], file: &Path, row: usize) -> Result<()> {
        let k: Vec<String> = self.keys.iter().map(|&c| r[c].clone()).collect();
        let (ns, nq) = (self.sums.len(), self.quads.len());
        let order = &mut self.order;
        let acc = self.groups.entry(k.clone()).or_insert_with(|| {
            order.push(k);
            (vec![0.0; ns], vec![0; ns], vec![0.0; nq], vec![0; nq])
        });
        let header = &self.header;
        let parse = |c: usize| -> Result<Option<f64>> {
            let v = r[c].trim();
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<f64>().map(Some).map_err(|_| {
                invalid(
                    file,
                    format!("row {row} column '{}': '{v}' is not a number", header[c]),
                )
            })
        };
        for (j, &c) in self.sums.iter().enumerate() {
            match parse(c)? {
                Some(v) => acc.0[j] += v,
                None => acc.1[j] += 1,
            }
        }
        for (j, &c) in self.quads.iter().enumerate() {
            match parse(c)? {
                Some(v) => acc.2[j] += v * v,
                None => acc.3[j] += 1,
            }
        }
        Ok(())
    }

    fn finish(self) -> Concat {
        let mut header = self.spec.key.clone();
        for s in &self.spec.sum {
            header.push(s.clone());
            header.push(format!("{s}_missing"));
        }
        header.extend(self.spec.quadrature.iter().cloned());
        let groups = self.groups;
        let rows = self
            .order
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
        Concat { header, rows }
    }
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
    fn crlf_line_ends_and_blank_lines() {
        let r = records("a,b\r\n1,\"x\r\ny\"\r\n\r\n2,3\r\n");
        assert_eq!(r, vec![vec!["a", "b"], vec!["1", "x\r\ny"], vec!["2", "3"]]);
    }

    #[test]
    fn concatenates_and_sums() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        let b = dir.path().join("b.csv");
        let out = dir.path().join("out.csv");
        std::fs::write(&a, "class,px,u\n1,10,3\n2,5,\n").unwrap();
        std::fs::write(&b, "class,px,u\n1,7,4\n").unwrap();
        let spec = SumSpec {
            out: "s.csv".into(),
            key: vec!["class".into()],
            sum: vec!["px".into()],
            quadrature: vec!["u".into()],
        };
        let parts = [
            (0, "r0c0".to_string(), a.clone()),
            (1, "r0c1".into(), b.clone()),
        ];
        let m = concat_into(&parts, &out, Some(&spec)).unwrap();
        assert_eq!(m.header, ["task", "part", "class", "px", "u"]);
        assert_eq!(m.rows, 3);
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "task,part,class,px,u\n0,r0c0,1,10,3\n0,r0c0,2,5,\n1,r0c1,1,7,4\n"
        );
        let s = m.sums.unwrap();
        assert_eq!(s.header, ["class", "px", "px_missing", "u"]);
        assert_eq!(s.rows[0], ["1", "17", "0", "5"]);
        assert_eq!(s.rows[1], ["2", "5", "0", ""]);
        // a value that is not a number, named with its file, row and column
        std::fs::write(&b, "class,px,u\n1,many,4\n").unwrap();
        let e = concat_into(&parts, &out, Some(&spec))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("b.csv") && e.contains("row 2 column 'px'"),
            "{e}"
        );
        // another header, named with its file
        std::fs::write(&b, "class,pixels\n1,7\n").unwrap();
        let e = concat_into(&parts, &out, None).unwrap_err().to_string();
        assert!(e.contains("b.csv") && e.contains("differ"), "{e}");
    }
}
