//! Tables with a row per zone (or per zone and year): the zones' attributes, then results;
//! written as CSV, or as a GeoPackage layer with each row's zone geometry in the zones' own
//! CRS, or as Parquet (by the table crate); [`ZoneTable::write`] chooses by the file's
//! extension. Files are written under a temporary name and renamed: a failed run leaves no
//! partial output.

use std::path::Path;

use gdal::DriverManager;
use gdal::spatial_ref::SpatialRef;
use gdal::vector::{Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType};

use terrawatt_table::csv_field;

use crate::zones::{Kind, Value, Zones};
use crate::{RasterError, Result};

/// A table of zone results. `zone[i]` is the index (in the zones' order) of row `i`'s zone.
#[derive(Debug, Clone, Default)]
pub struct ZoneTable {
    pub columns: Vec<(String, Kind)>,
    pub rows: Vec<Vec<Value>>,
    pub zone: Vec<usize>,
}

/// The formats of a zone table, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Parquet,
    Gpkg,
}

impl TableFormat {
    /// The format of `path` by its extension (any case): .csv, .parquet or .gpkg.
    pub fn of(path: &Path) -> Result<TableFormat> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Ok(TableFormat::Csv),
            Some("parquet") => Ok(TableFormat::Parquet),
            Some("gpkg") => Ok(TableFormat::Gpkg),
            _ => Err(RasterError::Input {
                path: path.display().to_string(),
                message: "the table is written as .csv, .parquet or .gpkg (by its extension)"
                    .into(),
            }),
        }
    }

    /// Whether a table at `path` is a GeoPackage (the zones' geometries are then kept).
    pub fn is_gpkg(path: Option<&Path>) -> bool {
        path.is_some_and(|p| matches!(TableFormat::of(p), Ok(TableFormat::Gpkg)))
    }
}

impl ZoneTable {
    /// Writes the table as CSV, Parquet or GeoPackage (layer `layer`), by `path`'s
    /// extension.
    pub fn write(&self, path: &Path, layer: &str, zones: &Zones) -> Result<()> {
        let failed = |message: String| RasterError::Write {
            path: path.display().to_string(),
            message,
        };
        match TableFormat::of(path)? {
            TableFormat::Gpkg => self.write_gpkg(path, layer, zones),
            TableFormat::Parquet => {
                terrawatt_table::write_parquet_columns(path, self.parquet_columns())
                    .map_err(|e| failed(e.to_string()))
            }
            TableFormat::Csv => terrawatt_meter::write_atomic(path, self.to_csv().as_bytes())
                .map_err(|e| failed(e.to_string())),
        }
    }

    /// The columns, typed, for Parquet.
    fn parquet_columns(&self) -> Vec<(String, terrawatt_table::OutColumn)> {
        use terrawatt_table::OutColumn;
        self.columns
            .iter()
            .enumerate()
            .map(|(j, (name, kind))| {
                let col = self.rows.iter().map(|r| &r[j]);
                let c = match kind {
                    Kind::Int => OutColumn::Int(
                        col.map(|v| match v {
                            Value::Int(x) => Some(*x),
                            _ => None,
                        })
                        .collect(),
                    ),
                    Kind::Real => OutColumn::Real(
                        col.map(|v| match v {
                            Value::Real(x) if !x.is_nan() => Some(*x),
                            Value::Int(x) => Some(*x as f64),
                            _ => None,
                        })
                        .collect(),
                    ),
                    Kind::Text => OutColumn::Text(
                        col.map(|v| match v {
                            Value::Null => None,
                            v => Some(v.to_string()),
                        })
                        .collect(),
                    ),
                };
                (name.clone(), c)
            })
            .collect()
    }

    /// A table whose first columns are `fid` and the zones' attributes.
    pub fn new(zones: &Zones, more: &[(&str, Kind)]) -> ZoneTable {
        let mut columns = vec![("fid".to_string(), Kind::Int)];
        for (name, kind) in &zones.fields {
            let name = if name == "fid" {
                "fid_attribute".to_string()
            } else {
                name.clone()
            };
            columns.push((name, *kind));
        }
        columns.extend(more.iter().map(|(n, k)| (n.to_string(), *k)));
        ZoneTable {
            columns,
            rows: vec![],
            zone: vec![],
        }
    }

    /// Adds a row for zone `i`: its fid and attributes, then `values`.
    pub fn push(&mut self, zones: &Zones, i: usize, values: Vec<Value>) {
        let z = &zones.zones[i];
        let mut row = Vec::with_capacity(self.columns.len());
        row.push(z.fid.map_or(Value::Null, |f| Value::Int(f as i64)));
        row.extend(z.attributes.iter().cloned());
        row.extend(values);
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
        self.zone.push(i);
    }

    pub fn to_csv(&self) -> String {
        let mut s = String::new();
        let header: Vec<String> = self.columns.iter().map(|(n, _)| csv_field(n)).collect();
        s.push_str(&header.join(","));
        s.push('\n');
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|v| match v {
                    Value::Text(t) => csv_field(t),
                    Value::Real(x) if x.is_nan() => String::new(),
                    v => v.to_string(),
                })
                .collect();
            s.push_str(&cells.join(","));
            s.push('\n');
        }
        s
    }

    /// Writes a GeoPackage with one layer `layer`: each row's zone geometry (as read, in the
    /// zones' CRS) and the columns (the zone's fid as `zone_fid`).
    pub fn write_gpkg(&self, path: &Path, layer: &str, zones: &Zones) -> Result<()> {
        let err = |m: String| RasterError::Input {
            path: path.display().to_string(),
            message: m,
        };
        // the GeoPackage driver wants the .gpkg ending on the temporary file too
        let mut tmp = crate::write::tmp_name(path, "tmp").into_os_string();
        tmp.push(".gpkg");
        let tmp = std::path::PathBuf::from(tmp);
        let written = (|| -> std::result::Result<(), String> {
            let driver = DriverManager::get_driver_by_name("GPKG").map_err(|e| e.to_string())?;
            let mut ds = driver.create_vector_only(&tmp).map_err(|e| e.to_string())?;
            let srs = if zones.wkt.is_empty() {
                None
            } else {
                Some(SpatialRef::from_wkt(&zones.wkt).map_err(|e| e.to_string())?)
            };
            let lyr = ds
                .create_layer(LayerOptions {
                    name: layer,
                    srs: srs.as_ref(),
                    ty: OGRwkbGeometryType::wkbMultiPolygon,
                    options: Some(&["SPATIAL_INDEX=YES"]),
                })
                .map_err(|e| e.to_string())?;
            // the zone's fid is kept as `zone_fid` (a GeoPackage's own fid is the row's, and
            // a zone may have several rows)
            let defs: Vec<(&str, OGRFieldType::Type)> = self
                .columns
                .iter()
                .enumerate()
                .map(|(i, (n, k))| {
                    (
                        if i == 0 { "zone_fid" } else { n.as_str() },
                        match k {
                            Kind::Int => OGRFieldType::OFTInteger64,
                            Kind::Real => OGRFieldType::OFTReal,
                            Kind::Text => OGRFieldType::OFTString,
                        },
                    )
                })
                .collect();
            lyr.create_defn_fields(&defs).map_err(|e| e.to_string())?;
            let txn = ds.start_transaction().map_err(|e| e.to_string())?;
            {
                let lyr = txn.layer(0).map_err(|e| e.to_string())?;
                for (row, &zi) in self.rows.iter().zip(&self.zone) {
                    let mut f =
                        gdal::vector::Feature::new(lyr.defn()).map_err(|e| e.to_string())?;
                    let wkb = &zones.zones[zi].wkb;
                    if !wkb.is_empty() {
                        let g = Geometry::from_wkb(wkb).map_err(|e| e.to_string())?;
                        // SAFETY: a valid geometry handle; ForceToMultiPolygon takes ownership
                        // and returns the (possibly new) geometry, which we re-wrap by WKB.
                        let g = force_multi(g).map_err(|e| e.to_string())?;
                        f.set_geometry(g).map_err(|e| e.to_string())?;
                    }
                    for (idx, v) in row.iter().enumerate() {
                        match v {
                            Value::Int(x) => f.set_field_integer64(idx, *x),
                            Value::Real(x) if x.is_nan() => f.set_field_null(idx),
                            Value::Real(x) => f.set_field_double(idx, *x),
                            Value::Text(t) => f.set_field_string(idx, t),
                            Value::Null => f.set_field_null(idx),
                        }
                        .map_err(|e| e.to_string())?;
                    }
                    f.create(&lyr).map_err(|e| e.to_string())?;
                }
            }
            txn.commit().map_err(|e| e.to_string())?;
            ds.close().map_err(|e| e.to_string())?;
            Ok(())
        })();
        if let Err(m) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(err(format!("writing the GeoPackage failed: {m}")));
        }
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            err(e.to_string())
        })
    }
}

/// Concatenates GeoPackage `parts` (task id, part label, file), each with the one layer a
/// zone table writes, in the order given into the GeoPackage `out` (whose name must end in
/// `.gpkg`): one layer named as the parts', each feature after its task (`task`) and part
/// (`part`), geometries and values copied as they are, one feature in memory at a time.
/// Every part must have the same fields: an error names the file that differs (and `out`
/// is then incomplete: the caller writes it under a temporary name). Returns the number of
/// features.
pub fn concat_gpkg(parts: &[(usize, String, std::path::PathBuf)], out: &Path) -> Result<usize> {
    use gdal::Dataset;
    let input = |p: &Path, m: String| RasterError::Input {
        path: p.display().to_string(),
        message: m,
    };
    let Some((_, _, first)) = parts.first() else {
        return Err(input(out, "no table to concatenate".into()));
    };
    let fields_of = |p: &Path| -> Result<(Dataset, Vec<(String, OGRFieldType::Type)>)> {
        let ds = Dataset::open(p).map_err(|e| input(p, e.to_string()))?;
        if ds.layer_count() != 1 {
            return Err(input(
                p,
                format!("has {} layers; a zone table has one", ds.layer_count()),
            ));
        }
        let fields = {
            let l = ds.layer(0).map_err(|e| input(p, e.to_string()))?;
            l.defn()
                .fields()
                .map(|f| (f.name(), f.field_type()))
                .collect()
        };
        Ok((ds, fields))
    };
    let (ds0, fields0) = fields_of(first)?;
    let (name, srs) = {
        let l = ds0.layer(0).map_err(|e| input(first, e.to_string()))?;
        (l.name(), l.spatial_ref())
    };
    drop(ds0);
    let driver =
        DriverManager::get_driver_by_name("GPKG").map_err(|e| input(out, e.to_string()))?;
    let mut ods = driver
        .create_vector_only(out)
        .map_err(|e| input(out, e.to_string()))?;
    {
        let lyr = ods
            .create_layer(LayerOptions {
                name: &name,
                srs: srs.as_ref(),
                ty: OGRwkbGeometryType::wkbMultiPolygon,
                options: Some(&["SPATIAL_INDEX=YES"]),
            })
            .map_err(|e| input(out, e.to_string()))?;
        let mut defs: Vec<(&str, OGRFieldType::Type)> = vec![
            ("task", OGRFieldType::OFTInteger64),
            ("part", OGRFieldType::OFTString),
        ];
        defs.extend(fields0.iter().map(|(n, t)| (n.as_str(), *t)));
        lyr.create_defn_fields(&defs)
            .map_err(|e| input(out, e.to_string()))?;
    }
    let mut n = 0usize;
    for (task, part, path) in parts {
        let (ds, fields) = fields_of(path)?;
        if fields != fields0 {
            let names = |f: &[(String, OGRFieldType::Type)]| {
                f.iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            return Err(input(
                path,
                format!(
                    "its fields ({}) differ from those of {} ({})",
                    names(&fields),
                    first.display(),
                    names(&fields0)
                ),
            ));
        }
        let mut src = ds.layer(0).map_err(|e| input(path, e.to_string()))?;
        let txn = ods
            .start_transaction()
            .map_err(|e| input(out, e.to_string()))?;
        {
            let dst = txn.layer(0).map_err(|e| input(out, e.to_string()))?;
            for f in src.features() {
                let mut g = gdal::vector::Feature::new(dst.defn())
                    .map_err(|e| input(out, e.to_string()))?;
                let copied = (|| -> gdal::errors::Result<()> {
                    g.set_field_integer64(0, *task as i64)?;
                    g.set_field_string(1, part)?;
                    for i in 0..fields.len() {
                        match f.field(i)? {
                            Some(v) => g.set_field(i + 2, &v)?,
                            None => g.set_field_null(i + 2)?,
                        }
                    }
                    if let Some(geom) = f.geometry() {
                        g.set_geometry(geom.clone())?;
                    }
                    g.create(&dst)
                })();
                copied.map_err(|e| {
                    input(
                        path,
                        format!(
                            "feature {}: {e}",
                            f.fid().map_or("?".into(), |x| x.to_string())
                        ),
                    )
                })?;
                n += 1;
            }
        }
        txn.commit().map_err(|e| input(out, e.to_string()))?;
    }
    ods.close().map_err(|e| input(out, e.to_string()))?;
    Ok(n)
}

fn force_multi(g: Geometry) -> gdal::errors::Result<Geometry> {
    // SAFETY: OGR_G_Clone copies a valid handle; OGR_G_ForceToMultiPolygon consumes the copy
    // and returns a geometry we own, exported to WKB and destroyed here.
    unsafe {
        let h = gdal_sys::OGR_G_Clone(g.c_geometry());
        let m = gdal_sys::OGR_G_ForceToMultiPolygon(h);
        let size = gdal_sys::OGR_G_WkbSize(m).max(0) as usize;
        let mut buf = vec![0u8; size];
        gdal_sys::OGR_G_ExportToWkb(m, gdal_sys::OGRwkbByteOrder::wkbNDR, buf.as_mut_ptr());
        gdal_sys::OGR_G_DestroyGeometry(m);
        Geometry::from_wkb(&buf)
    }
}
