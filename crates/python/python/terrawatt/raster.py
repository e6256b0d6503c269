"""Satellite rasters on GDAL, tiled and out of core: spectral indices, change between
dates, zonal statistics, forest loss per polygon, landscape metrics (``terrawatt raster
…``). Rasters are files (any GDAL format); results that are tables come back as tables,
rasters at the paths given."""

from __future__ import annotations

from typing import Any

from ._core import Result, _call

__all__ = ["index", "change", "zonal", "forest_loss", "landscape", "breaks", "trend"]


def index(**options: Any) -> Result:
    """A spectral index (``index``: ndvi, evi, nbr, ndwi, savi… or ``expr``) from
    ``input`` and ``bands``, or one file per band (``red``, ``nir``…), written to
    ``out``."""
    return _call(["raster", "index"], options)


def change(**options: Any) -> Result:
    """Change between two dates, as ``terrawatt raster change``: ``before``/``after``
    (or per-band files), ``index``, ``method``, ``threshold``, masks (``scl_before``…),
    ``mmu``; the change map at ``out``, the areas per class in ``result.results`` (and
    ``table``)."""
    return _call(["raster", "change"], options, tables_out=["table"] if "table" not in options else [])


def zonal(input: Any, zones: Any, **options: Any) -> Result:
    """Zonal statistics of ``input`` over the polygons of ``zones``, with exact cell
    coverage, as ``terrawatt raster zonal`` (``result.table``: a row per polygon)."""
    return _call(["raster", "zonal"], {"input": input, "zones": zones, **options}, tables_out=["out"])


def forest_loss(treecover: Any, lossyear: Any, zones: Any, **options: Any) -> Result:
    """Forest loss per polygon and year from Hansen's tree cover and loss year, as
    ``terrawatt raster forest-loss`` (``result.table``: a row per polygon and year),
    with ``min_cover``, ``min_patch``, ``emissions``; ``years`` (e.g. ``"2000-2023"``)
    is needed where the loss file's name does not carry its GFC version (GFC-YYYY).

    >>> r = terrawatt.raster.forest_loss("treecover-2000.tif", "lossyear.tif", "zones.gpkg",
    ...                                  years="2000-2024")
    >>> r.table.to_pandas()"""
    return _call(
        ["raster", "forest-loss"],
        {"treecover": treecover, "lossyear": lossyear, "zones": zones, **options},
        tables_out=["out"],
    )


def landscape(input: Any, **options: Any) -> Result:
    """Landscape metrics of a class map (FRAGSTATS' definitions, as pylandstats), as
    ``terrawatt raster landscape`` (``result.table``: a row per class, then the
    landscape)."""
    return _call(["raster", "landscape"], {"input": input, **options}, tables_out=["table"])


def breaks(**options: Any) -> Result:
    """Breaks in an image time series (BFAST Monitor, CCDC), as ``terrawatt raster
    breaks``."""
    return _call(["raster", "breaks"], options)


def trend(**options: Any) -> Result:
    """Trends per pixel (Theil–Sen, Mann–Kendall), as ``terrawatt raster trend``."""
    return _call(["raster", "trend"], options)
