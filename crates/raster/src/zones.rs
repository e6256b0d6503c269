//! Polygons (zones) from any OGR source, reprojected to a raster's CRS.
//!
//! Rules, stated: every feature of the layer is a zone, in the layer's order; its attributes
//! are kept as read. A geometry must be polygonal (Polygon, MultiPolygon, curved ones
//! linearised, or a collection of them); another type is an error naming the feature. An
//! empty or missing geometry is kept as a zone with no cells and counted. Invalid
//! geometries (GEOS's validity test) are repaired with `MakeValid` (polygonal parts kept;
//! lines and points a repair leaves are dropped) and counted, or skipped, or refused, as the
//! user asks. A layer without a CRS is refused unless the user states its CRS. Coordinates
//! are transformed in the traditional GIS order (x = easting/longitude).

use std::path::{Path, PathBuf};

use gdal::cpl::CslStringList;
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{FieldValue, Geometry, LayerAccess, OGRFieldType, OGRwkbGeometryType};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use serde::Serialize;

use crate::coverage::Ring;
use crate::{RasterError, Result};

/// What to do with an invalid geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Invalid {
    /// Repair with GEOS MakeValid (the default), counted.
    Repair,
    /// Keep the zone with no cells, counted.
    Skip,
    /// Refuse the file, naming the feature.
    Error,
}

impl Invalid {
    /// The words that name the values, as help and completions list them (each parses).
    pub const NAMES: &'static [&'static str] = &["repair", "skip", "error"];
}

impl std::str::FromStr for Invalid {
    type Err = crate::ParseError;

    /// `repair`, `skip` or `error`.
    fn from_str(s: &str) -> std::result::Result<Invalid, crate::ParseError> {
        match s {
            "repair" => Ok(Invalid::Repair),
            "skip" => Ok(Invalid::Skip),
            "error" => Ok(Invalid::Error),
            _ => Err(crate::ParseError::expected("repair, skip or error")),
        }
    }
}

/// An attribute value as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Int(i64),
    Real(f64),
    Text(String),
    Null,
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Real(v) => write!(f, "{v}"),
            Value::Text(s) => write!(f, "{s}"),
            Value::Null => Ok(()),
        }
    }
}

/// The kind of an attribute column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Int,
    Real,
    Text,
}

#[derive(Debug, Clone)]
pub struct Zone {
    pub fid: Option<u64>,
    pub attributes: Vec<Value>,
    /// Rings in the raster's CRS.
    pub rings: Vec<Ring>,
    /// The geometry as read (source CRS), as WKB, for writing it back out (kept only when
    /// asked: empty otherwise).
    pub wkb: Vec<u8>,
    pub status: Status,
    /// Why GEOS found the geometry invalid (e.g. "Self-intersection at or near point x y").
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Valid,
    Repaired,
    /// Invalid and skipped (no cells).
    Skipped,
    /// No geometry, or an empty one (no cells).
    Empty,
}

#[derive(Debug, Clone, Serialize)]
pub struct Zones {
    pub path: PathBuf,
    pub layer: String,
    /// The layer's CRS (name) and WKT.
    pub crs: String,
    #[serde(skip)]
    pub wkt: String,
    pub fields: Vec<(String, Kind)>,
    #[serde(skip)]
    pub zones: Vec<Zone>,
    pub features: usize,
    pub repaired: usize,
    pub skipped: usize,
    pub empty: usize,
}

impl Zones {
    /// Zone `i`'s label: its `name` attribute where the layer has one (any case), else its
    /// fid, else its position (from 1).
    pub fn label(&self, i: usize) -> String {
        let zone = &self.zones[i];
        let field = self
            .fields
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case("name"));
        match field.map(|k| &zone.attributes[k]) {
            Some(Value::Text(t)) if !t.is_empty() => t.clone(),
            _ => zone
                .fid
                .map_or(format!("#{}", i + 1), |f| format!("fid {f}")),
        }
    }
}

fn input(path: &Path, message: impl Into<String>) -> RasterError {
    RasterError::Input {
        path: path.display().to_string(),
        message: message.into(),
    }
}

fn srs_name(s: &SpatialRef) -> String {
    match (s.auth_name(), s.auth_code()) {
        (Some(a), Ok(c)) => format!("{a}:{c}"),
        _ => s.name().unwrap_or_else(|| "unnamed CRS".into()),
    }
}

/// Opens a vector source read-only.
pub fn open_vector(path: &Path) -> Result<Dataset> {
    if !path.exists() {
        return Err(input(path, "no such file"));
    }
    Dataset::open_ex(
        path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            ..Default::default()
        },
    )
    .map_err(|e| input(path, format!("not a vector file OGR can read ({e})")))
}

/// The number of features of `layer` (the first when `None`) of `path`.
pub fn feature_count(path: &Path, layer: Option<&str>) -> Result<usize> {
    let ds = open_vector(path)?;
    let lyr = match layer {
        Some(name) => ds
            .layer_by_name(name)
            .map_err(|_| input(path, format!("no layer '{name}'")))?,
        None => ds.layer(0).map_err(|_| input(path, "has no layer"))?,
    };
    Ok(lyr.feature_count() as usize)
}

/// Reads the zones of `layer` (the first when `None`) of `path`, in the CRS `target_wkt`;
/// `keep_wkb` keeps each geometry as read (for a GeoPackage output).
/// `assume_crs` (any definition GDAL accepts, e.g. EPSG:4326) is the CRS of a layer that
/// declares none; it is refused for a layer that declares one. `part` = (start, count)
/// reads only those features in reading order (the driver seeks to the start where it
/// can: GeoPackage, Shapefile).
pub fn read(
    path: &Path,
    layer: Option<&str>,
    target_wkt: &str,
    assume_crs: Option<&str>,
    invalid: Invalid,
    keep_wkb: bool,
    part: Option<(usize, usize)>,
) -> Result<Zones> {
    let ds = open_vector(path)?;
    let mut lyr = match layer {
        Some(name) => ds.layer_by_name(name).map_err(|_| {
            let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
            input(
                path,
                format!("no layer '{name}' (layers: {})", names.join(", ")),
            )
        })?,
        None => ds.layer(0).map_err(|_| input(path, "has no layer"))?,
    };
    let name = lyr.name();
    let mut src = match (lyr.spatial_ref(), assume_crs) {
        (Some(_), Some(c)) => {
            return Err(input(
                path,
                format!("layer '{name}' declares its CRS; --zones-crs {c} would override it"),
            ));
        }
        (Some(s), None) => s,
        (None, Some(c)) => SpatialRef::from_definition(c)
            .map_err(|e| input(path, format!("--zones-crs {c}: {e}")))?,
        (None, None) => {
            return Err(input(
                path,
                format!(
                    "layer '{name}' has no CRS: its coordinates cannot be placed on the raster; \
                     state it with --zones-crs (e.g. EPSG:4326)"
                ),
            ));
        }
    };
    if target_wkt.is_empty() {
        return Err(RasterError::Invalid(
            "the raster has no CRS: the zones cannot be placed on it".into(),
        ));
    }
    let mut dst = SpatialRef::from_wkt(target_wkt)
        .map_err(|e| RasterError::Invalid(format!("the raster's CRS: {e}")))?;
    src.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    dst.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let same = src == dst;
    // rings reprojected to longitude and latitude may cross the antimeridian or go round a
    // pole: they are made continuous (see `unwrap_longitudes`)
    let to_degrees = dst.is_geographic();
    let ct = if same {
        None
    } else {
        Some(CoordTransform::new(&src, &dst).map_err(|e| {
            input(
                path,
                format!(
                    "no transformation from {} to the raster's CRS: {e}",
                    srs_name(&src)
                ),
            )
        })?)
    };
    let fields: Vec<(String, Kind)> = lyr
        .defn()
        .fields()
        .map(|f| {
            let kind = match f.field_type() {
                OGRFieldType::OFTInteger | OGRFieldType::OFTInteger64 => Kind::Int,
                OGRFieldType::OFTReal => Kind::Real,
                _ => Kind::Text,
            };
            (f.name(), kind)
        })
        .collect();
    let mut out = Zones {
        path: path.to_path_buf(),
        layer: name.clone(),
        crs: srs_name(&src),
        wkt: src.to_wkt().unwrap_or_default(),
        fields: fields.clone(),
        zones: vec![],
        features: 0,
        repaired: 0,
        skipped: 0,
        empty: 0,
    };
    let (start, count) = part.unwrap_or((0, usize::MAX));
    let n = if start > 0 {
        lyr.feature_count() as usize
    } else {
        0
    };
    if start > 0 && start >= n {
        return Err(input(
            path,
            format!("layer '{name}' has {n} features: none from index {start}"),
        ));
    }
    // SAFETY: the handle is valid while `lyr` lives (the iterator borrows it).
    let c_layer = unsafe { lyr.c_layer() };
    // the iterator first (making it may count the features, which rewinds the layer), then
    // the seek to the first feature of the part
    let features = lyr.features();
    if start > 0 {
        // SAFETY: as above; reading continues from the feature of index `start`.
        let e = unsafe { gdal_sys::OGR_L_SetNextByIndex(c_layer, start as i64) };
        if e != gdal_sys::OGRErr::OGRERR_NONE {
            return Err(input(
                path,
                format!("layer '{name}': cannot start reading at feature {start}"),
            ));
        }
    }
    for (k, f) in features.take(count).enumerate() {
        let i = start + k;
        let fid = f.fid();
        let what = || match fid {
            Some(id) => format!("layer '{name}' feature {id}"),
            None => format!("layer '{name}' feature #{}", i + 1),
        };
        let mut attributes = Vec::with_capacity(fields.len());
        for k in 0..fields.len() {
            let v = f
                .field(k)
                .map_err(|e| input(path, format!("{}: {e}", what())))?;
            attributes.push(match v {
                None => Value::Null,
                Some(FieldValue::IntegerValue(x)) => Value::Int(x.into()),
                Some(FieldValue::Integer64Value(x)) => Value::Int(x),
                Some(FieldValue::RealValue(x)) => Value::Real(x),
                Some(FieldValue::StringValue(s)) => Value::Text(s),
                Some(FieldValue::DateValue(d)) => Value::Text(d.to_string()),
                Some(FieldValue::DateTimeValue(d)) => Value::Text(d.to_string()),
                Some(other) => Value::Text(format!("{other:?}")),
            });
        }
        let geom = f.geometry();
        let mut reason = None;
        let (rings, wkb, status) = match geom {
            None => (vec![], vec![], Status::Empty),
            Some(g) if g.is_empty() => (vec![], vec![], Status::Empty),
            Some(g) => {
                let wkb = if keep_wkb {
                    g.wkb()
                        .map_err(|e| input(path, format!("{}: {e}", what())))?
                } else {
                    vec![]
                };
                let mut g = linear(g).map_err(|e| input(path, format!("{}: {e}", what())))?;
                g.flatten_to_2d();
                check_polygonal(&g).map_err(|t| {
                    input(path, format!("{} is a {t}: zones must be polygons", what()))
                })?;
                let mut status = Status::Valid;
                let (valid, why) = validity(&g);
                reason = why;
                if !valid {
                    match invalid {
                        Invalid::Error => {
                            return Err(input(
                                path,
                                format!(
                                    "{} has an invalid geometry ({}); repair it, or pass \
                                     --invalid repair|skip",
                                    what(),
                                    reason.as_deref().unwrap_or("GEOS gave no reason")
                                ),
                            ));
                        }
                        Invalid::Skip => status = Status::Skipped,
                        Invalid::Repair => {
                            let before = g.area();
                            g = g.make_valid(&CslStringList::new()).map_err(|e| {
                                input(path, format!("{}: repair failed: {e}", what()))
                            })?;
                            status = Status::Repaired;
                            // what the repair did to the zone: parts that overlapped are
                            // cut out (not merged), a hole outside its ring becomes a part
                            let after = g.area();
                            if before > 0.0 && ((after - before) / before).abs() > 1e-3 {
                                reason = Some(format!(
                                    "{}; the repair changed its area from {before:.6e} to {after:.6e} ({:+.1} %, the layer's units squared): check the zone",
                                    reason.as_deref().unwrap_or("invalid"),
                                    100.0 * (after - before) / before
                                ));
                            }
                        }
                    }
                }
                let mut rings = vec![];
                if status != Status::Skipped {
                    if let Some(ct) = &ct {
                        g = g.transform(ct).map_err(|e| {
                            input(path, format!("{}: reprojection failed: {e}", what()))
                        })?;
                    }
                    collect_rings(&g, &mut rings);
                    if ct.is_some() && to_degrees {
                        for r in &mut rings {
                            unwrap_longitudes(r);
                        }
                    }
                }
                (rings, wkb, status)
            }
        };
        match status {
            Status::Repaired => out.repaired += 1,
            Status::Skipped => out.skipped += 1,
            Status::Empty => out.empty += 1,
            Status::Valid => {}
        }
        out.zones.push(Zone {
            fid,
            attributes,
            rings,
            wkb,
            status,
            reason,
        });
    }
    out.features = out.zones.len();
    Ok(out)
}

thread_local! {
    static GEOS_SAYS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Collects GDAL/GEOS messages on this thread instead of printing them.
unsafe extern "C" fn collect(
    _class: gdal_sys::CPLErr::Type,
    _num: gdal_sys::CPLErrorNum,
    msg: *const std::ffi::c_char,
) {
    if !msg.is_null() {
        // SAFETY: GDAL passes a NUL-terminated message valid for the call
        let s = unsafe { std::ffi::CStr::from_ptr(msg) }
            .to_string_lossy()
            .into_owned();
        GEOS_SAYS.with(|m| m.borrow_mut().push(s));
    }
}

/// Whether `g` is valid by GEOS, and its reason when not (GEOS's warning captured rather
/// than printed on stderr).
fn validity(g: &Geometry) -> (bool, Option<String>) {
    GEOS_SAYS.with(|m| m.borrow_mut().clear());
    // SAFETY: a handler pushed and popped on this thread around one call
    unsafe { gdal_sys::CPLPushErrorHandlerEx(Some(collect), std::ptr::null_mut()) };
    let ok = g.is_valid();
    unsafe { gdal_sys::CPLPopErrorHandler() };
    let said = GEOS_SAYS.with(|m| m.borrow_mut().drain(..).next());
    (ok, if ok { None } else { said })
}

/// The geometry with curves replaced by line segments.
fn linear(g: &Geometry) -> std::result::Result<Geometry, String> {
    let wkb = g.wkb().map_err(|e| e.to_string())?;
    let g = Geometry::from_wkb(&wkb).map_err(|e| e.to_string())?;
    // SAFETY: OGR_G_HasCurveGeometry and OGR_G_GetLinearGeometry take a valid geometry
    // handle; the latter returns a new geometry we own (or null).
    unsafe {
        if gdal_sys::OGR_G_HasCurveGeometry(g.c_geometry(), 0) == 0 {
            return Ok(g);
        }
        let h = gdal_sys::OGR_G_GetLinearGeometry(g.c_geometry(), 0.0, std::ptr::null_mut());
        if h.is_null() {
            return Err("its curves could not be linearised".into());
        }
        let size = gdal_sys::OGR_G_WkbSize(h).max(0) as usize;
        let mut buf = vec![0u8; size];
        let rc =
            gdal_sys::OGR_G_ExportToWkb(h, gdal_sys::OGRwkbByteOrder::wkbNDR, buf.as_mut_ptr());
        gdal_sys::OGR_G_DestroyGeometry(h);
        if rc != gdal_sys::OGRErr::OGRERR_NONE {
            return Err("its curves could not be linearised".into());
        }
        Geometry::from_wkb(&buf).map_err(|e| e.to_string())
    }
}

fn check_polygonal(g: &Geometry) -> std::result::Result<(), String> {
    use OGRwkbGeometryType as T;
    match gdal::vector::geometry_type_flatten(g.geometry_type()) {
        T::wkbPolygon | T::wkbMultiPolygon => Ok(()),
        T::wkbGeometryCollection => {
            for i in 0..g.geometry_count() {
                check_polygonal(&g.get_geometry(i))?;
            }
            Ok(())
        }
        _ => Err(g.geometry_name()),
    }
}

/// The rings of the polygonal parts of `g` (lines and points skipped).
fn collect_rings(g: &Geometry, out: &mut Vec<Ring>) {
    use OGRwkbGeometryType as T;
    match gdal::vector::geometry_type_flatten(g.geometry_type()) {
        T::wkbPolygon => {
            for i in 0..g.geometry_count() {
                let r = g.get_geometry(i);
                let mut pts = vec![];
                r.get_points(&mut pts);
                out.push(Ring {
                    points: pts.into_iter().map(|(x, y, _)| (x, y)).collect(),
                    hole: i > 0,
                });
            }
        }
        T::wkbMultiPolygon | T::wkbGeometryCollection => {
            for i in 0..g.geometry_count() {
                collect_rings(&g.get_geometry(i), out);
            }
        }
        _ => {}
    }
}

/// The rings to place on a geographic grid whose longitudes span `[x0, x1]`: the rings as
/// they are, and their copies shifted by ±360° where those meet the grid (a zone read in
/// −180…180° over a 0…360° raster, or one made continuous across the antimeridian). A cell
/// lies in one copy at most, since the copies are 360° apart and a grid spans 360° at most.
pub(crate) fn rings_on_globe(rings: &[Ring], x0: f64, x1: f64) -> Vec<Ring> {
    let (lo, hi) = rings
        .iter()
        .flat_map(|r| r.points.iter())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.0), b.max(p.0))
        });
    let mut out = vec![];
    for k in [-1.0, 0.0, 1.0] {
        let d = 360.0 * k;
        if k != 0.0 && (hi + d <= x0 || lo + d >= x1) {
            continue;
        }
        out.extend(rings.iter().map(|r| Ring {
            points: r.points.iter().map(|&(x, y)| (x + d, y)).collect(),
            hole: r.hole,
        }));
    }
    out
}

/// Makes a ring reprojected to longitude and latitude continuous in longitude. A ring that
/// crosses the antimeridian comes out of the transformation with a jump of about 360°
/// between two points (179.9° to −179.9°), which read as written would make the polygon
/// its complement (the rest of the latitude belt). Each jump over 180° is undone, so the
/// ring may reach beyond ±180° (the placement on the grid adds the copies shifted by 360°
/// that meet the raster). A ring that goes round a pole ends 360° from where it started:
/// it is closed along the pole's parallel (±90°), the pole on the side of the ring's mean
/// latitude, which makes it the cap it encloses.
pub(crate) fn unwrap_longitudes(ring: &mut Ring) {
    let p = &mut ring.points;
    if p.len() < 3 {
        return;
    }
    let mut shift = 0.0;
    let mut jumped = false;
    let mut prev = p[0].0;
    for q in p.iter_mut().skip(1) {
        let raw = q.0;
        let d = raw - prev;
        if d > 180.0 {
            shift -= 360.0;
            jumped = true;
        } else if d < -180.0 {
            shift += 360.0;
            jumped = true;
        }
        prev = raw;
        q.0 = raw + shift;
    }
    if !jumped {
        return;
    }
    let (first, last) = (p[0], p[p.len() - 1]);
    // a closed ring that went round a pole: its last point is its first shifted by 360°
    let turns = ((last.0 - first.0) / 360.0).round();
    let closed_at = if (last.1 - first.1).abs() < 1e-9 {
        last.0 - first.0 - 360.0 * turns
    } else {
        f64::NAN
    };
    if turns != 0.0 && closed_at.abs() < 1e-6 {
        let mean = p.iter().map(|q| q.1).sum::<f64>() / p.len() as f64;
        let pole = if mean >= 0.0 { 90.0 } else { -90.0 };
        p.push((last.0, pole));
        p.push((first.0, pole));
    } else if turns != 0.0 {
        // an open ring (the closing edge implied) that went round: close along the pole too
        let mean = p.iter().map(|q| q.1).sum::<f64>() / p.len() as f64;
        let pole = if mean >= 0.0 { 90.0 } else { -90.0 };
        let back = first.0 + 360.0 * turns;
        p.push((back, first.1));
        p.push((back, pole));
        p.push((first.0, pole));
    }
}

#[cfg(test)]
mod unwrap_tests {
    use super::*;

    fn ring(p: &[(f64, f64)]) -> Ring {
        Ring {
            points: p.to_vec(),
            hole: false,
        }
    }

    #[test]
    fn a_ring_across_the_antimeridian_is_made_continuous() {
        let mut r = ring(&[
            (179.5, 60.5),
            (-179.5, 60.5),
            (-179.5, 61.5),
            (179.5, 61.5),
            (179.5, 60.5),
        ]);
        unwrap_longitudes(&mut r);
        assert_eq!(
            r.points,
            vec![
                (179.5, 60.5),
                (180.5, 60.5),
                (180.5, 61.5),
                (179.5, 61.5),
                (179.5, 60.5)
            ]
        );
    }

    #[test]
    fn a_ring_round_the_pole_is_closed_along_it() {
        let mut pts: Vec<(f64, f64)> = (0..=8)
            .map(|i| {
                let lon = -180.0 + 45.0 * i as f64 + 10.0;
                (if lon > 180.0 { lon - 360.0 } else { lon }, 80.0)
            })
            .collect();
        pts[8] = pts[0];
        let mut r = ring(&pts);
        unwrap_longitudes(&mut r);
        let n = r.points.len();
        assert_eq!(n, 11);
        assert_eq!(r.points[8], (-170.0 + 360.0, 80.0));
        assert_eq!(r.points[9], (190.0, 90.0));
        assert_eq!(r.points[10], (-170.0, 90.0));
        // the south: closed along −90°
        let mut s = ring(&pts.iter().map(|&(x, y)| (x, -y)).collect::<Vec<_>>());
        unwrap_longitudes(&mut s);
        assert_eq!(s.points[9].1, -90.0);
    }

    #[test]
    fn a_ring_that_does_not_cross_is_left_alone() {
        let pts = [(10.0, 1.0), (11.0, 1.0), (11.0, 2.0), (10.0, 1.0)];
        let mut r = ring(&pts);
        unwrap_longitudes(&mut r);
        assert_eq!(r.points, pts.to_vec());
    }
}
