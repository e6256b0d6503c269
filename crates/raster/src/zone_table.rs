//! Tables with a row per zone (or per zone and year): the zones' attributes, then results;
//! written as CSV, or as a GeoPackage layer with each row's zone geometry in the zones' own
//! CRS. (Parquet is written by the table crate from [`ZoneTable::columns`].) Files are
//! written under a temporary name and renamed: a failed run leaves no partial output.

use std::path::Path;

use gdal::DriverManager;
use gdal::spatial_ref::SpatialRef;
use gdal::vector::{Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType};

use crate::zones::{Kind, Value, Zones};
use crate::{RasterError, Result};

/// A table of zone results. `zone[i]` is the index (in the zones' order) of row `i`'s zone.
#[derive(Debug, Clone, Default)]
pub struct ZoneTable {
    pub columns: Vec<(String, Kind)>,
    pub rows: Vec<Vec<Value>>,
    pub zone: Vec<usize>,
}

impl ZoneTable {
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

/// A CSV field, quoted where it holds a comma, a quote or a line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
