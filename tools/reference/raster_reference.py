#!/usr/bin/env python3
"""Reference values for terrawatt's raster change-detection code (crates/raster).

Computes, with GDAL's Python bindings + numpy, GDAL's own gdal_sieve.py command,
scikit-image and pyproj, on the real public rasters of ../shared/data/raster:

1. oscd_norcia (Sentinel-2 L1C, two dates): NDVI, NDWI, EVI, SAVI, NBR, NDMI per date on
   the 10 m grid of B04 (B11/B12 resampled onto it with GDAL's warper, 'near'), dNDVI
   (imgs_2 - imgs_1) and dNBR (imgs_1 - imgs_2, pre minus post).
2. mapme_vegetation/s2a (Sentinel-2 L2A): NDVI of 20170503 and 20170722, dNDVI
   (0722 - 0503), and the SCL class counts of each date.
3. mapme_vegetation/trend pre/post (band 1 = slope of the NDVI trend, band 2 = the
   Mann-Kendall p-value; see mapme.vegetation's trend_cube()): change vector analysis,
   plain (magnitude of d = post - pre) and standardised (each band's d centred and scaled,
   (d - mean(d)) / std(d), mean and population std in float64 over the pixels valid in all
   bands, applied in float32 as (d - float32(mean)) / float32(std)), with Otsu thresholds
   and change masks.
4. Otsu thresholds (64, 256, 1024 bins) of the two dNDVI rasters.
5. gdal_sieve.py runs (thresholds 2/5/10, 4- and 8-connectivity, with and without mask).
6. Pixel areas of a EPSG:4326 tile: geodesic (pyproj, WGS84) and spherical.
7. Band math on the rasterio test rasters (RGB.byte.tif with nodata 0, a float raster
   with a nodata value).

and writes crates/raster/tests/fixtures/raster_reference.json. The fixture is generated
by this script: do not edit it by hand. The data is read in place, never copied into the
repository. Nothing in the output depends on the date, the machine or the paths, so a
rerun with the same versions gives the same file byte for byte.

Conventions (the Rust code follows the same ones, in float32, so results compare bit for
bit):

* A band's value is ``raw.astype(float32) * float32(scale) + float32(offset)``: always
  the multiply and then the add, two float32 roundings, no fused multiply-add. scale and
  offset are the band's GetScale()/GetOffset() (None -> 1.0/0.0) unless a case overrides
  them. A pixel whose raw value equals the band's nodata value (compared as raw values)
  or is NaN is missing (NaN). Any missing input makes the output NaN.
* Indices are evaluated in float32 exactly as written in INDEX_FORMULAS below (Python
  float constants do not widen a float32 array; every result's dtype is asserted).
  Division follows IEEE (0/0 -> NaN, which the statistics then treat as missing).
* Resampling onto another grid: gdal.Warp('', src, format='MEM', outputBounds=(xmin,
  ymin, xmax, ymax) of the reference grid, width/height of the reference grid,
  dstSRS=reference WKT, resampleAlg='near'), then read as above.
* Hash of a float32 raster: sha256 of its row-major little-endian float32 bytes, every
  NaN replaced by the canonical quiet NaN 0x7FC00000. Hash of an integer raster: sha256
  of its values as row-major little-endian int32.
* Per float result: width, height, valid (non-NaN) count, the count of infinite values,
  sum of the valid values in float64 (np.sum of the float64 copy, numpy's pairwise
  summation), min, max and 5 samples [row, col, value] at (h//2, w//2), (h//4, w//4),
  (h//4, 3w//4), (3h//4, w//4), (3h//4, 3w//4); a NaN sample value is written as null.

Setup (as root, Debian 12; the Python that has GDAL's bindings is Debian's /usr/bin/python3,
not a pyenv python, which is what `python3` may resolve to on these machines):

    apt-get update && apt-get install -y gdal-bin python3-gdal python3-numpy python3-venv
    /usr/bin/python3 -m venv --system-site-packages /var/tmp/venv-raster
    /var/tmp/venv-raster/bin/pip install scikit-image pyproj \
        "numpy==$(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)')"

The numpy pin keeps Debian's numpy (1.24.2): without it pip pulls numpy 2.x into the
venv for scikit-image/scipy, and Debian's osgeo.gdal_array (built against numpy 1.x)
then fails to import ("numpy.core.multiarray failed to import"). pip then picks a scipy
that works with numpy 1.24 (scipy 1.15.3). numpy 1.24's promotion rules give the same
float32 results as numpy 2's for everything here (float32 arrays with Python-float
constants stay float32 under both; every result's dtype is asserted) except the bin edges
of numpy's histogram, and so the Otsu thresholds: see NUMPY_EDGES below; the JSON holds
the threshold of each numpy generation. (Checked once in a separate venv with numpy 2.4.6
and scikit-image 0.26.0: threshold_otsu returned threshold_numpy2_edges_float32 for all six
dNDVI cases.)

Run (from the repository root, about 5 s):

    /var/tmp/venv-raster/bin/python tools/reference/raster_reference.py [--data ../shared/data/raster] [--out FILE]

--data defaults to ../shared/data/raster relative to the repository root; --out defaults
to crates/raster/tests/fixtures/raster_reference.json.

Last generated with GDAL 3.6.2 (PROJ 9.1.1), numpy 1.24.2, scikit-image 0.26.0, pyproj
3.7.2 (its own PROJ 9.5.1), scipy 1.15.3, Python 3.11.2; the "versions" key of the JSON
records them.
"""

import argparse
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyproj
import scipy
import skimage
import skimage.exposure
import skimage.filters
from osgeo import gdal, osr

gdal.UseExceptions()

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "raster"
DEFAULT_OUT = REPO / "crates" / "raster" / "tests" / "fixtures" / "raster_reference.json"

F32 = np.float32
CANONICAL_NAN_BITS = 0x7FC00000

# The index formulas, as evaluated below (Python operator precedence, left to right).
INDEX_FORMULAS = {
    "ndvi": "(nir - red) / (nir + red)",
    "nbr": "(nir - swir2) / (nir + swir2)",
    "ndmi": "(nir - swir1) / (nir + swir1)",
    "ndwi": "(green - nir) / (green + nir)",
    "evi": "((2.5 * (nir - red)) / (((nir + (6.0 * red)) - (7.5 * blue)) + 1.0))",
    "savi": "((1.5 * (nir - red)) / ((nir + red) + 0.5))",
}

# Files used by each case, relative to the data folder (every one is described under
# "inputs" in the JSON).
OSCD = "oscd_norcia"
OSCD_DATES = {
    "imgs_1": "imgs_1/S2A_OPER_MSI_L1C_TL_EPA__20160811T174848_A000262_T33TUH_{band}.tif",
    "imgs_2": "imgs_2/T33TUH_20171018T100031_{band}.tif",
}
OSCD_BANDS = {"blue": "B02", "green": "B03", "red": "B04", "nir": "B08", "swir1": "B11", "swir2": "B12"}
OSCD_SCALE, OSCD_OFFSET = 0.0001, 0.0  # L1C digital numbers -> top-of-atmosphere reflectance

S2A = "mapme_vegetation/s2a/S2A_38PLR_{date}_0_L2A_{band}.tif"
S2A_DATES = ("20170503", "20170722")
TREND = {"pre": "mapme_vegetation/trend/pre_2017-05-01.tif", "post": "mapme_vegetation/trend/post_2017-06-26.tif"}

LOSSYEAR = "mapme/Hansen_GFC-2023-v1.11_lossyear_20N_080W.tif"
TREECOVER = "mapme/Hansen_GFC-2023-v1.11_treecover2000_20N_080W.tif"
LC100 = "mapme/W080N20_LC100_v3.0.1_2015.tif"
LS250 = "pylandstats/ls250_06.tif"

OTSU_BINS = (64, 256, 1024)
CHANGE_DNDVI_BELOW = F32(-0.1)  # sieve case (a): changed where dNDVI < float32(-0.1)

WGS84_SPHERE_R = 6378137.0
AREA_PIXEL_DEG = 0.00025
AREA_EXTRA_LAT_BOTTOM = 18.0

inputs = {}  # relative path -> description, filled by describe()


# ---------------------------------------------------------------- small helpers


def fl(x):
    """A float for the JSON: Python float (repr is the shortest round-trip text), NaN -> None."""
    x = float(x)
    return None if math.isnan(x) else x


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def hash_f32(a):
    """sha256 of row-major little-endian float32 bytes, NaN canonicalised to 0x7FC00000."""
    assert a.dtype == np.float32, a.dtype
    bits = np.ascontiguousarray(a, dtype="<f4").view("<u4").copy()
    bits[np.isnan(a)] = CANONICAL_NAN_BITS
    return hashlib.sha256(bits.tobytes()).hexdigest()


def hash_i32(a):
    """sha256 of the values as row-major little-endian int32."""
    v = np.ascontiguousarray(a).astype("<i4")
    assert np.array_equal(v, a), "values do not fit int32"
    return hashlib.sha256(v.tobytes()).hexdigest()


def sample_positions(h, w):
    return [(h // 2, w // 2), (h // 4, w // 4), (h // 4, 3 * w // 4), (3 * h // 4, w // 4), (3 * h // 4, 3 * w // 4)]


def float_stats(a):
    """What the Rust tests compare for one float32 raster."""
    assert a.dtype == np.float32 and a.ndim == 2, (a.dtype, a.shape)
    h, w = a.shape
    valid = ~np.isnan(a)
    v = a[valid]
    return {
        "dtype": "float32",
        "width": w,
        "height": h,
        "valid": int(valid.sum()),
        "inf": int(np.isinf(v).sum()),
        "sum": float(np.sum(v.astype(np.float64))),
        "min": fl(v.min()) if v.size else None,
        "max": fl(v.max()) if v.size else None,
        "samples": [[r, c, fl(a[r, c])] for r, c in sample_positions(h, w)],
        "sha256": hash_f32(a),
    }


def crs_of(wkt):
    """(EPSG code or None, short name) of a WKT."""
    if not wkt:
        return None, None
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    srs.AutoIdentifyEPSG()
    code = srs.GetAuthorityCode(None)
    return (int(code) if code else None), srs.GetName()


def describe(data, rel):
    """Record a file's facts under inputs[rel] (once) and return them."""
    if rel in inputs:
        return inputs[rel]
    ds = gdal.Open(str(data / rel))
    epsg, name = crs_of(ds.GetProjection())
    bands = []
    for i in range(1, ds.RasterCount + 1):
        b = ds.GetRasterBand(i)
        bands.append(
            {
                "dtype": gdal.GetDataTypeName(b.DataType),
                "nodata": fl(b.GetNoDataValue()) if b.GetNoDataValue() is not None else None,
                "nodata_is_nan": b.GetNoDataValue() is not None and math.isnan(b.GetNoDataValue()),
                "scale": b.GetScale(),
                "offset": b.GetOffset(),
                "description": b.GetDescription(),
                "has_color_table": b.GetColorTable() is not None,
            }
        )
    first = bands[0]
    inputs[rel] = {
        "size": [ds.RasterXSize, ds.RasterYSize],
        "band_count": ds.RasterCount,
        "geotransform": list(ds.GetGeoTransform()),
        "epsg": epsg,
        "crs_name": name,
        # The first band's facts at the top level (every file here has equal bands).
        "dtype": first["dtype"],
        "nodata": first["nodata"],
        "scale": first["scale"],
        "offset": first["offset"],
        "bands": bands,
        "sha256": sha256_file(data / rel),
    }
    return inputs[rel]


# ---------------------------------------------------------------- reading bands


def values_from_band(band, scale=None, offset=None):
    """A GDAL band as float32 values (NaN where missing), per the reading convention."""
    raw = band.ReadAsArray()
    s = scale if scale is not None else (band.GetScale() if band.GetScale() is not None else 1.0)
    o = offset if offset is not None else (band.GetOffset() if band.GetOffset() is not None else 0.0)
    # Two float32 operations: the multiply, then the add (numpy never fuses them).
    v = raw.astype(F32) * F32(s)
    v = v + F32(o)
    missing = np.zeros(raw.shape, dtype=bool)
    nodata = band.GetNoDataValue()
    if nodata is not None and not math.isnan(nodata):
        missing |= raw == nodata  # compared as raw values
    if raw.dtype.kind == "f":
        missing |= np.isnan(raw)
    v[missing] = np.nan
    assert v.dtype == np.float32
    return v


# GDAL 3.6's Python bands do not keep their dataset alive: keep `ds` referenced while a
# band is used (gdal.Open(p).GetRasterBand(1).ReadAsArray() can crash).


def read_values(path, band=1, scale=None, offset=None):
    ds = gdal.Open(str(path))
    return values_from_band(ds.GetRasterBand(band), scale, offset)


def read_raw(path, band=1):
    ds = gdal.Open(str(path))
    return ds.GetRasterBand(band).ReadAsArray()


def nodata_of(path, band=1):
    ds = gdal.Open(str(path))
    return ds.GetRasterBand(band).GetNoDataValue()


def grid_of(path):
    ds = gdal.Open(str(path))
    return {
        "wkt": ds.GetProjection(),
        "geotransform": ds.GetGeoTransform(),
        "width": ds.RasterXSize,
        "height": ds.RasterYSize,
    }


def bounds(grid):
    """(xmin, ymin, xmax, ymax), computed as crates/raster's Grid::bounds does."""
    t, w, h = grid["geotransform"], grid["width"], grid["height"]
    x0, x1 = t[0], t[0] + t[1] * w
    y0, y1 = t[3], t[3] + t[5] * h
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def warp_to(src_path, grid):
    """The source warped onto `grid` (MEM dataset), nearest neighbour."""
    src = gdal.Open(str(src_path))
    kw = {}
    nd = src.GetRasterBand(1).GetNoDataValue()
    if nd is not None:
        kw = {"srcNodata": nd, "dstNodata": nd}
    return gdal.Warp(
        "",
        src,
        format="MEM",
        outputBounds=bounds(grid),
        width=grid["width"],
        height=grid["height"],
        dstSRS=grid["wkt"],
        resampleAlg="near",
        **kw,
    )


def same_grid(a, b):
    """Exact comparison of two grids: (same?, details)."""
    ea, na = crs_of(a["wkt"])
    eb, nb = crs_of(b["wkt"])
    d = {
        "same_crs": ea == eb and na == nb,
        "same_wkt": a["wkt"] == b["wkt"],
        "same_geotransform": tuple(a["geotransform"]) == tuple(b["geotransform"]),
        "same_size": (a["width"], a["height"]) == (b["width"], b["height"]),
    }
    return d["same_crs"] and d["same_geotransform"] and d["same_size"], d


# ---------------------------------------------------------------- indices


def index(name, b):
    """Evaluate one index in float32 on a dict of bands; NaN wherever an input is missing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "ndvi":
            out = (b["nir"] - b["red"]) / (b["nir"] + b["red"])
            used = ("nir", "red")
        elif name == "nbr":
            out = (b["nir"] - b["swir2"]) / (b["nir"] + b["swir2"])
            used = ("nir", "swir2")
        elif name == "ndmi":
            out = (b["nir"] - b["swir1"]) / (b["nir"] + b["swir1"])
            used = ("nir", "swir1")
        elif name == "ndwi":
            out = (b["green"] - b["nir"]) / (b["green"] + b["nir"])
            used = ("green", "nir")
        elif name == "evi":
            out = 2.5 * (b["nir"] - b["red"]) / (b["nir"] + 6.0 * b["red"] - 7.5 * b["blue"] + 1.0)
            used = ("nir", "red", "blue")
        elif name == "savi":
            out = 1.5 * (b["nir"] - b["red"]) / (b["nir"] + b["red"] + 0.5)
            used = ("nir", "red")
        else:
            raise ValueError(name)
    assert out.dtype == np.float32, (name, out.dtype)
    missing = np.zeros(out.shape, dtype=bool)
    for k in used:
        missing |= np.isnan(b[k])
    out[missing] = np.nan
    return out


def diff(after, before):
    """after - before in float32 (NaN where either is missing)."""
    d = after - before
    assert d.dtype == np.float32
    return d


# ---------------------------------------------------------------- Otsu


# numpy computes histogram bin edges with np.linspace(min, max, nbins + 1), whose working
# type follows numpy's promotion rules: numpy 1.x widens the float32 ends to float64 (then
# casts the edges to float32), numpy >= 2 (NEP 50) stays in float32. The edges, and so the
# Otsu thresholds, can differ by one float32 ulp between the two. Both are recorded.
NUMPY_EDGES = "float64" if np.lib.NumpyVersion(np.__version__) < "2.0.0" else "float32"


def otsu_explicit(values, nbins, edges_in):
    """scikit-image's threshold_otsu(values, nbins) written out step by step, with the bin
    edges computed as numpy 1.x does (edges_in="float64") or as numpy >= 2 does
    ("float32"). Returns (threshold, counts, centres, details)."""
    v = np.asarray(values, dtype=F32).ravel()
    lo, hi = v.min(), v.max()
    if lo == hi:
        return lo, None, None, {"all_equal": True}
    if edges_in == "float64":
        # numpy 1.x: e[i] = float32(i * ((max - min) / nbins) + min), in float64.
        step = (np.float64(hi) - np.float64(lo)) / nbins
        edges = np.arange(nbins + 1, dtype=np.float64) * step + np.float64(lo)
    else:
        # numpy >= 2: e[i] = i * ((max - min) / nbins) + min, every step in float32.
        step = F32(hi - lo) / F32(nbins)
        edges = np.arange(nbins + 1, dtype=F32) * step + lo
    edges[-1] = hi  # the last edge is exactly max
    edges = edges.astype(F32)
    # Bin k holds edges[k] <= v < edges[k+1]; the last bin also holds v == max.
    idx = np.searchsorted(edges, v, side="right") - 1
    idx[idx == nbins] = nbins - 1
    counts = np.bincount(idx, minlength=nbins).astype(F32)
    centers = (edges[:-1] + edges[1:]) / F32(2.0)  # float32
    # Otsu on the float32 histogram; cumulative sums are sequential float32 sums.
    w1 = np.cumsum(counts)
    w2 = np.cumsum(counts[::-1])[::-1]
    m1 = np.cumsum(counts * centers) / w1
    m2 = (np.cumsum((counts * centers)[::-1]) / w2[::-1])[::-1]
    var12 = w1[:-1] * w2[1:] * (m1[:-1] - m2[1:]) ** 2
    k = int(np.argmax(var12))  # first maximum
    assert centers.dtype == np.float32 and var12.dtype == np.float32
    return centers[k], counts, centers, {
        "bin_index": k,
        "edge_lo": fl(edges[k]),
        "edge_hi": fl(edges[k + 1]),
        "first_edge": fl(edges[0]),
        "last_edge": fl(edges[-1]),
        "count_in_bins_up_to_threshold": int(np.sum(counts[: k + 1])),
    }


def otsu(values, nbins):
    """skimage.filters.threshold_otsu on 1-D float32 valid values, checked against the
    explicit version (histogram bin for bin, and the threshold), plus the threshold that
    the other numpy generation's bin edges give."""
    t = skimage.filters.threshold_otsu(values, nbins=nbins)
    t2, counts, centers, det = otsu_explicit(values, nbins, NUMPY_EDGES)
    assert t == t2 and type(t) == type(t2), (t, t2)
    if counts is not None:
        hist, sk_centers = skimage.exposure.histogram(values, nbins=nbins)
        assert np.array_equal(hist, counts) and np.array_equal(sk_centers, centers)
        assert sk_centers.dtype == centers.dtype
    t64 = otsu_explicit(values, nbins, "float64")[0]
    t32 = otsu_explicit(values, nbins, "float32")[0]
    return {
        "threshold": fl(t),
        "threshold_dtype": str(np.asarray(t).dtype),
        "edges_computed_in": NUMPY_EDGES,
        "threshold_numpy1_edges_float64": fl(t64),
        "threshold_numpy2_edges_float32": fl(t32),
        "nbins": nbins,
        "n_values": int(values.size),
        "min": fl(values.min()),
        "max": fl(values.max()),
        "explicit_matches_skimage": True,
        **det,
    }


def valid_values(a):
    return a[~np.isnan(a)]


# ---------------------------------------------------------------- case 1: oscd_norcia


def case_oscd(data):
    out = {
        "scale_override": OSCD_SCALE,
        "offset_override": OSCD_OFFSET,
        "bands": OSCD_BANDS,
        "reference_grid": "B04 of each date",
        "resampled": "B11 (swir1) and B12 (swir2), 20 m, onto the B04 grid with gdal.Warp near",
    }
    ndvi, nbr, grids = {}, {}, {}
    for date, pattern in OSCD_DATES.items():
        paths = {k: data / OSCD / pattern.format(band=b) for k, b in OSCD_BANDS.items()}
        for p in paths.values():
            describe(data, str(p.relative_to(data)))
        ref = grid_of(paths["red"])
        grids[date] = ref
        bands = {}
        checks = {}
        for k in ("blue", "green", "red", "nir"):
            same, _ = same_grid(grid_of(paths[k]), ref)
            checks[k] = same
            assert same, f"{paths[k]} is not on the B04 grid"
            bands[k] = read_values(paths[k], scale=OSCD_SCALE, offset=OSCD_OFFSET)
        warped = {}
        for k in ("swir1", "swir2"):
            checks[k] = same_grid(grid_of(paths[k]), ref)[0]
            ds = warp_to(paths[k], ref)
            warped[k] = {
                "geotransform": list(ds.GetGeoTransform()),
                "geotransform_equals_reference": tuple(ds.GetGeoTransform()) == tuple(ref["geotransform"]),
                "size": [ds.RasterXSize, ds.RasterYSize],
            }
            bands[k] = values_from_band(ds.GetRasterBand(1), scale=OSCD_SCALE, offset=OSCD_OFFSET)
            warped[k]["values"] = float_stats(bands[k])
        res = {"bands_on_reference_grid": checks, "resampled": warped}
        for name in ("ndvi", "ndwi", "evi", "savi", "nbr", "ndmi"):
            values = index(name, bands)
            res[name] = float_stats(values)
            if name == "ndvi":
                ndvi[date] = values
            if name == "nbr":
                nbr[date] = values
        # Input values too (red, as read with the override), to check the read alone.
        res["red_values"] = float_stats(bands["red"])
        out[date] = res

    same, details = same_grid(grids["imgs_1"], grids["imgs_2"])
    out["dates_share_grid"] = same
    out["dates_grid_check"] = details
    if same:
        dndvi = diff(ndvi["imgs_2"], ndvi["imgs_1"])
        out["dndvi"] = {"formula": "ndvi(imgs_2) - ndvi(imgs_1)", **float_stats(dndvi)}
        out["dnbr"] = {"formula": "nbr(imgs_1) - nbr(imgs_2)", **float_stats(diff(nbr["imgs_1"], nbr["imgs_2"]))}
    else:
        dndvi = None
    out["resample_index_check"] = resample_index_check(
        data / OSCD / OSCD_DATES["imgs_1"].format(band="B11"), grids["imgs_1"]
    )
    return out, dndvi


def resample_index_check(src_path, grid):
    """Which source pixel GDAL's 'near' warp takes for each destination pixel, compared with
    the plain formula col = floor((x_centre - gt0) / gt1), row = floor((y_centre - gt3) / gt5)
    on the pixel centres of the warped grid."""
    src = gdal.Open(str(src_path))
    sw, sh = src.RasterXSize, src.RasterYSize
    mem = gdal.GetDriverByName("MEM").Create("", sw, sh, 1, gdal.GDT_Int32)
    mem.SetGeoTransform(src.GetGeoTransform())
    mem.SetProjection(src.GetProjection())
    ids = (np.arange(sh, dtype=np.int32)[:, None] * sw + np.arange(sw, dtype=np.int32)[None, :]).astype(np.int32)
    mem.GetRasterBand(1).WriteArray(ids)
    ds = gdal.Warp(
        "", mem, format="MEM", outputBounds=bounds(grid), width=grid["width"], height=grid["height"],
        dstSRS=grid["wkt"], resampleAlg="near",
    )
    got = ds.GetRasterBand(1).ReadAsArray()
    rows, cols = got // sw, got % sw
    sgt, dgt = src.GetGeoTransform(), ds.GetGeoTransform()
    j = np.arange(grid["width"], dtype=np.float64)
    i = np.arange(grid["height"], dtype=np.float64)
    x = dgt[0] + (j + 0.5) * dgt[1]
    y = dgt[3] + (i + 0.5) * dgt[5]
    fcol = np.floor((x - sgt[0]) / sgt[1]).astype(np.int64)
    frow = np.floor((y - sgt[3]) / sgt[5]).astype(np.int64)
    separable = bool((cols == cols[0:1, :]).all() and (rows == rows[:, 0:1]).all())
    return {
        "source": "B11 of imgs_1 (as an Int32 raster of row*width+col)",
        "separable": separable,
        "source_col_per_dest_col": cols[0, :].tolist(),
        "source_row_per_dest_row": rows[:, 0].tolist(),
        "formula_matches_gdal": bool(separable and (fcol == cols[0, :]).all() and (frow == rows[:, 0]).all()),
        "formula_mismatches_cols": int((fcol != cols[0, :]).sum()),
        "formula_mismatches_rows": int((frow != rows[:, 0]).sum()),
    }


# ---------------------------------------------------------------- case 2: mapme s2a


def case_s2a(data):
    out = {"scale_offset": "band metadata (none: 1.0 / 0.0)", "bands": {"red": "B04", "nir": "B08"}}
    ndvi = {}
    grids = {}
    for date in S2A_DATES:
        rel = {k: S2A.format(date=date, band=k) for k in ("B04", "B08", "SCL")}
        for r in rel.values():
            describe(data, r)
        grids[date] = grid_of(data / rel["B04"])
        assert same_grid(grid_of(data / rel["B08"]), grids[date])[0]
        bands = {"red": read_values(data / rel["B04"]), "nir": read_values(data / rel["B08"])}
        ndvi[date] = index("ndvi", bands)
        scl = read_raw(data / rel["SCL"])
        vals, counts = np.unique(scl, return_counts=True)
        out[date] = {
            "ndvi": float_stats(ndvi[date]),
            "red_missing": int(np.isnan(bands["red"]).sum()),
            "nir_missing": int(np.isnan(bands["nir"]).sum()),
            "scl_counts": {str(int(v)): int(c) for v, c in zip(vals, counts)},
            "scl_nodata": inputs[rel["SCL"]]["nodata"],
        }
    same, details = same_grid(grids[S2A_DATES[0]], grids[S2A_DATES[1]])
    assert same, details
    out["dates_share_grid"] = same
    dndvi = diff(ndvi["20170722"], ndvi["20170503"])
    out["dndvi"] = {"formula": "ndvi(20170722) - ndvi(20170503)", **float_stats(dndvi)}
    return out, dndvi, grids[S2A_DATES[0]]


# ---------------------------------------------------------------- case 3: trend CVA


def magnitude(ds_):
    """sqrt(d1*d1 + d2*d2 + ...) in float32, accumulated in band order."""
    acc = ds_[0] * ds_[0]
    for d in ds_[1:]:
        acc = acc + d * d
    m = np.sqrt(acc)
    assert m.dtype == np.float32
    return m


def change_mask(mag, threshold):
    """1 where magnitude > threshold (compared in float64, exact for a float32 threshold),
    0 where not, 255 where missing; int32."""
    m = np.where(mag.astype(np.float64) > float(threshold), 1, 0).astype(np.int32)
    m[np.isnan(mag)] = 255
    return m


def cva_result(mag):
    vals = valid_values(mag)
    o = otsu(vals, 256)
    mask = change_mask(mag, o["threshold"])
    res = {
        "magnitude": float_stats(mag),
        "otsu_256": o,
        "mask_sha256_int32": hash_i32(mask),
        "changed": int((mask == 1).sum()),
        "unchanged": int((mask == 0).sum()),
        "missing": int((mask == 255).sum()),
    }
    # The mask for each numpy generation's threshold (equal to the above for the installed one).
    for key in ("threshold_numpy1_edges_float64", "threshold_numpy2_edges_float32"):
        m = change_mask(mag, o[key])
        res["mask_with_" + key] = {"sha256_int32": hash_i32(m), "changed": int((m == 1).sum())}
    return res


def case_trend(data):
    for r in TREND.values():
        describe(data, r)
    gpre, gpost = grid_of(data / TREND["pre"]), grid_of(data / TREND["post"])
    same, details = same_grid(gpre, gpost)
    assert same, details
    nb = gdal.Open(str(data / TREND["pre"])).RasterCount
    d = []
    for b in range(1, nb + 1):
        pre = read_values(data / TREND["pre"], band=b)
        post = read_values(data / TREND["post"], band=b)
        d.append(diff(post, pre))
    out = {
        "bands": {
            "1": "slope of the linear NDVI trend (lm coefficient per 14-day step)",
            "2": "Mann-Kendall p-value (trend::mk.test)",
        },
        "bands_source": "mapme.vegetation trend_cube() default trend function; vignettes/trends.Rmd names them slope and p.value",
        "source_dtype_note": "Float64 on disk, read as float32 per the convention (raw.astype(float32) * 1 + 0)",
        "grid_check": details,
        "differences": {str(b + 1): float_stats(d[b]) for b in range(nb)},
    }
    out["cva"] = cva_result(magnitude(d))
    # Standardised CVA: each band's difference centred on its mean and divided by its
    # population std (ddof 0), both in float64 over the pixels valid in all bands, then
    # applied in float32: (d - float32(mu)) / float32(sigma).
    valid = np.ones(d[0].shape, dtype=bool)
    for x in d:
        valid &= ~np.isnan(x)
    mu = [float(np.mean(x[valid].astype(np.float64))) for x in d]
    sig = [float(np.std(x[valid].astype(np.float64))) for x in d]
    ds_ = [(x - F32(m)) / F32(s) for x, m, s in zip(d, mu, sig)]
    for x in ds_:
        assert x.dtype == np.float32
    out["standardised_cva"] = {
        "formula": "ds_k = (d_k - float32(mu_k)) / float32(sigma_k) in float32; magnitude = sqrt(ds_1*ds_1 + ds_2*ds_2) in float32",
        "mu": mu,
        "mu_f32": [fl(F32(m)) for m in mu],
        "sigma": sig,
        "sigma_f32": [fl(F32(s)) for s in sig],
        "valid_in_all_bands": int(valid.sum()),
        **cva_result(magnitude(ds_)),
    }
    return out


# ---------------------------------------------------------------- case 5: sieve


def sieve_exe():
    for name in ("gdal_sieve", "gdal_sieve.py"):
        p = shutil.which(name)
        if p:
            return p
    raise SystemExit("gdal_sieve(.py) not found: apt-get install gdal-bin python3-gdal")


def run_sieve(exe, src, label, n, conn, nomask, tmp):
    safe = "".join(c if c.isalnum() else "_" for c in label)
    dst = Path(tmp) / f"sieve_{safe}_{n}_{conn}_{'nomask' if nomask else 'mask'}.tif"
    args = ["-q", "-st", str(n), f"-{conn}"] + (["-nomask"] if nomask else []) + ["-of", "GTiff"]
    p = subprocess.run([exe] + args + [str(src), str(dst)], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{exe} {args} failed ({p.returncode}): {p.stdout}{p.stderr}")
    ds = gdal.Open(str(dst))
    b = ds.GetRasterBand(1)
    got = b.ReadAsArray()
    before = read_raw(src)
    src_nodata = nodata_of(src)
    is_nodata = before == src_nodata if src_nodata is not None else np.zeros(before.shape, dtype=bool)
    return {
        "input": label,
        "threshold": n,
        "connectivity": conn,
        "mask": "none (-nomask)" if nomask else "default (the band's mask: nodata)",
        "command": " ".join(["gdal_sieve.py"] + args + [Path(src).name, "out.tif"]),
        "output_dtype": gdal.GetDataTypeName(b.DataType),
        "output_nodata": fl(b.GetNoDataValue()) if b.GetNoDataValue() is not None else None,
        "sha256_int32": hash_i32(got),
        "changed_pixels": int((got != before).sum()),
        "changed_nodata_pixels": int(((got != before) & is_nodata).sum()),
        "changed_into_nodata": int(((got != before) & (got == src_nodata)).sum()) if src_nodata is not None else 0,
        "input_sha256_int32": hash_i32(before),
    }


def case_sieve(data, s2a_dndvi, s2a_grid, tmp):
    exe = sieve_exe()
    out = {"executable": os.path.basename(exe), "runs": []}
    # (a) binary change map from the s2a dNDVI, written as a Byte GeoTIFF without nodata.
    change = np.where(s2a_dndvi < CHANGE_DNDVI_BELOW, 1, 0).astype(np.uint8)  # NaN < x is False -> 0
    src_a = Path(tmp) / "s2a_dndvi_change.tif"
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(str(src_a), s2a_grid["width"], s2a_grid["height"], 1, gdal.GDT_Byte)
    ds.SetGeoTransform(s2a_grid["geotransform"])
    ds.SetProjection(s2a_grid["wkt"])
    ds.GetRasterBand(1).WriteArray(change)
    ds = None
    out["a_change_map"] = {
        "rule": "1 where dNDVI(s2a, 0722 - 0503) < float32(-0.1) (strict, compared in float32), else 0 (missing -> 0); Byte GeoTIFF, no nodata",
        "ones": int(change.sum()),
        "dndvi_equal_to_threshold": int((s2a_dndvi == CHANGE_DNDVI_BELOW).sum()),
        "sha256_int32": hash_i32(change),
    }
    for n in (2, 5, 10):
        for conn in (4, 8):
            out["runs"].append(run_sieve(exe, src_a, "a:s2a_dndvi_change", n, conn, False, tmp))
    # (b) Hansen loss year, as is.
    describe(data, LOSSYEAR)
    raw = read_raw(data / LOSSYEAR)
    out["b_lossyear"] = {
        "nodata": inputs[LOSSYEAR]["nodata"],
        "pixels_equal_to_nodata": int((raw == inputs[LOSSYEAR]["nodata"]).sum()),
        "value_counts": {str(int(v)): int(c) for v, c in zip(*np.unique(raw, return_counts=True))},
    }
    for n in (2, 5, 10):
        for conn in (4, 8):
            out["runs"].append(run_sieve(exe, data / LOSSYEAR, "b:" + LOSSYEAR, n, conn, False, tmp))
    # (c) Copernicus land cover (multi-class).
    describe(data, LC100)
    raw = read_raw(data / LC100)
    out["c_lc100"] = {
        "nodata": inputs[LC100]["nodata"],
        "pixels_equal_to_nodata": int((raw == inputs[LC100]["nodata"]).sum()),
        "value_counts": {str(int(v)): int(c) for v, c in zip(*np.unique(raw, return_counts=True))},
    }
    for conn in (4, 8):
        out["runs"].append(run_sieve(exe, data / LC100, "c:" + LC100, 5, conn, False, tmp))
    # (d) CORINE over Vaud, with its nodata mask and with -nomask.
    describe(data, LS250)
    raw = read_raw(data / LS250)
    out["d_ls250_06"] = {
        "nodata": inputs[LS250]["nodata"],
        "pixels_equal_to_nodata": int((raw == inputs[LS250]["nodata"]).sum()),
        "value_counts": {str(int(v)): int(c) for v, c in zip(*np.unique(raw, return_counts=True))},
    }
    for nomask in (False, True):
        for conn in (4, 8):
            out["runs"].append(run_sieve(exe, data / LS250, "d:" + LS250, 5, conn, nomask, tmp))
    return out


# ---------------------------------------------------------------- case 6: area


GEOD = pyproj.Geod(ellps="WGS84")


def geod_pixel_area(lon0, lon1, lat_top, lat_bot):
    """|area| (m²) of the 4-corner polygon (geodesic edges) with pyproj's Geod (Karney)."""
    area, _ = GEOD.polygon_area_perimeter([lon0, lon1, lon1, lon0], [lat_top, lat_top, lat_bot, lat_bot])
    return abs(area)


def sphere_pixel_area(dlon_deg, lat_top, lat_bot):
    """R² · Δλ · |sin φ_top − sin φ_bottom|, evaluated as ((R*R)*Δλ)*|…|, Δλ in radians."""
    return (WGS84_SPHERE_R * WGS84_SPHERE_R) * math.radians(dlon_deg) * abs(
        math.sin(math.radians(lat_top)) - math.sin(math.radians(lat_bot))
    )


def ellipsoid_band_area(dlon_deg, lat_top, lat_bot):
    """Exact area (m²) on the WGS84 ellipsoid between two parallels and two meridians:
    a²(1-e²)/2 · Δλ · |q(φ_top) − q(φ_bottom)|, q(φ) = sinφ/(1-e²sin²φ) + ln((1+e sinφ)/(1-e sinφ))/(2e).
    (Edges along parallels, unlike pyproj's geodesic edges; shown for comparison only.)"""
    a = 6378137.0
    f = 1 / 298.257223563
    e2 = f * (2 - f)
    e = math.sqrt(e2)

    def q(phi_deg):
        s = math.sin(math.radians(phi_deg))
        return s / (1 - e2 * s * s) + math.log((1 + e * s) / (1 - e * s)) / (2 * e)

    return a * a * (1 - e2) / 2 * math.radians(dlon_deg) * abs(q(lat_top) - q(lat_bot))


def case_area(data):
    info = describe(data, TREECOVER)
    gt = info["geotransform"]
    w, h = info["size"]
    assert info["epsg"] == 4326
    lon0, lon1 = gt[0], gt[0] + gt[1]
    geod_rows, sphere_rows = [], []
    for r in range(h):
        lat_top = gt[3] + r * gt[5]
        lat_bot = gt[3] + (r + 1) * gt[5]
        geod_rows.append(geod_pixel_area(lon0, lon1, lat_top, lat_bot))
        sphere_rows.append(sphere_pixel_area(gt[1], lat_top, lat_bot))
    lat_s = gt[3] + h * gt[5]
    lon_e = gt[0] + w * gt[1]
    top, bot = AREA_EXTRA_LAT_BOTTOM + AREA_PIXEL_DEG, AREA_EXTRA_LAT_BOTTOM
    g18 = geod_pixel_area(0.0, AREA_PIXEL_DEG, top, bot)
    s18 = sphere_pixel_area(AREA_PIXEL_DEG, top, bot)
    e18 = ellipsoid_band_area(AREA_PIXEL_DEG, top, bot)
    return {
        "file": TREECOVER,
        "rows": h,
        "cols": w,
        "pixel_corners": "row r: lat_top = gt[3] + r*gt[5], lat_bottom = gt[3] + (r+1)*gt[5]; "
        "lon from gt[0] to gt[0] + gt[1] (column 0); gt as read by GDAL",
        "geod": "abs(pyproj.Geod(ellps='WGS84').polygon_area_perimeter([l0, l1, l1, l0], [top, top, bot, bot])[0]) (geodesic edges)",
        "sphere": "(R*R) * radians(gt[1]) * abs(sin(radians(lat_top)) - sin(radians(lat_bottom))), R = 6378137",
        "geod_m2_per_row": geod_rows,
        "sphere_m2_per_row": sphere_rows,
        "total_geod_m2": math.fsum(a * w for a in geod_rows),
        "total_sphere_m2": math.fsum(a * w for a in sphere_rows),
        "total_note": "math.fsum over rows of (row pixel area * cols)",
        "tile_polygon_geod_m2": abs(
            GEOD.polygon_area_perimeter([gt[0], lon_e, lon_e, gt[0]], [gt[3], gt[3], lat_s, lat_s])[0]
        ),
        "tile_sphere_m2": sphere_pixel_area(w * gt[1], gt[3], lat_s),
        "tile_ellipsoid_band_m2": ellipsoid_band_area(w * gt[1], gt[3], lat_s),
        "pixel_at_18N": {
            "corners": f"lon 0 .. {AREA_PIXEL_DEG}, lat {bot} .. {top} (Python floats)",
            "geod_m2": g18,
            "sphere_m2": s18,
            "ellipsoid_band_m2": e18,
            "sphere_over_geod": s18 / g18,
        },
    }


# ---------------------------------------------------------------- main


def case_rasterio(data):
    """Band math on the rasterio test rasters: a normalised difference of bands 3 and 1 of
    RGB.byte.tif (Byte, nodata 0) as NDVI with red = band 1 and nir = band 3, and
    b1 * 2.5 + 1 on float_raster_with_nodata.tif (Float32 with a nodata value)."""
    rgb = "rasterio/RGB.byte.tif"
    flt = "rasterio/float_raster_with_nodata.tif"
    describe(data, rgb)
    describe(data, flt)
    b = {"red": read_values(data / rgb, 1), "nir": read_values(data / rgb, 3)}
    nd = index("ndvi", b)
    v = read_values(data / flt, 1)
    lin = v * 2.5 + 1.0
    assert lin.dtype == np.float32
    return {
        "rgb_b3_b1_normalised_difference": {
            "formula": "(b3 - b1) / (b3 + b1) on RGB.byte.tif", **float_stats(nd)
        },
        "float_b1_times_2_5_plus_1": {
            "formula": "b1 * 2.5 + 1 on float_raster_with_nodata.tif", **float_stats(lin)
        },
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="the raster data folder (read only)")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="the JSON fixture to write")
    args = ap.parse_args()
    data = Path(args.data).resolve()
    if not data.is_dir():
        raise SystemExit(f"no data folder at {data}")

    result = {}
    result["oscd_norcia"], oscd_dndvi = case_oscd(data)
    result["mapme_s2a"], s2a_dndvi, s2a_grid = case_s2a(data)
    result["trend_cva"] = case_trend(data)
    result["rasterio"] = case_rasterio(data)
    result["otsu"] = {}
    if oscd_dndvi is not None:
        result["otsu"]["oscd_dndvi"] = [otsu(valid_values(oscd_dndvi), b) for b in OTSU_BINS]
    result["otsu"]["s2a_dndvi"] = [otsu(valid_values(s2a_dndvi), b) for b in OTSU_BINS]
    with tempfile.TemporaryDirectory(prefix="raster_reference_") as tmp:
        result["sieve"] = case_sieve(data, s2a_dndvi, s2a_grid, tmp)
    result["area"] = case_area(data)

    result["inputs"] = inputs
    result["index_formulas"] = INDEX_FORMULAS
    result["conventions"] = {
        "read": "raw.astype(float32) * float32(scale) + float32(offset); missing where raw == nodata or raw is NaN",
        "hash_float32": "sha256 of row-major little-endian float32 bytes, NaN -> 0x7FC00000",
        "hash_int": "sha256 of row-major little-endian int32 values",
        "samples": "[row, col, value] at (h//2, w//2), (h//4, w//4), (h//4, 3w//4), (3h//4, w//4), (3h//4, 3w//4); NaN -> null",
        "sum": "np.sum(valid.astype(float64)) (numpy pairwise summation)",
        "resample": "gdal.Warp('', src, format='MEM', outputBounds=(xmin, ymin, xmax, ymax) of the reference grid, width, height, dstSRS=reference WKT, resampleAlg='near')",
        "otsu": "skimage.filters.threshold_otsu(valid float32 values, nbins); otsu_explicit() in the script is the same algorithm step by step: nbins+1 edges from min to max (numpy 1.x: float32(i*((max-min)/nbins)+min) in float64; numpy >= 2: the same in float32; last edge = max), half-open bins [e[k], e[k+1]) with max in the last bin, float32 counts, float32 centres (e[k]+e[k+1])/2, float32 sequential cumulative sums w1, w2, m1 = cumsum(c*ctr)/w1, m2 likewise from the top, var = w1[:-1]*w2[1:]*(m1[:-1]-m2[1:])**2, first argmax; the threshold is that bin's float32 centre. 'threshold' is what the installed numpy gives (see edges_computed_in); both variants are recorded",
        "mask": "1 where magnitude > threshold, 0 where not, 255 where missing; hashed as int32",
    }
    result["versions"] = {
        "gdal": gdal.__version__,
        "numpy": np.__version__,
        "scikit_image": skimage.__version__,
        "pyproj": pyproj.__version__,
        "proj": pyproj.proj_version_str,  # PROJ bundled in pyproj's wheel (pyproj.Geod)
        "gdal_proj": "%d.%d.%d" % (osr.GetPROJVersionMajor(), osr.GetPROJVersionMinor(), osr.GetPROJVersionMicro()),
        "scipy": scipy.__version__,
        "python": platform.python_version(),
    }
    result["generated_by"] = "tools/reference/raster_reference.py"

    text = json.dumps(result, sort_keys=True, indent=1, allow_nan=False) + "\n"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"wrote {out} ({len(text)} bytes)")


if __name__ == "__main__":
    sys.exit(main())
