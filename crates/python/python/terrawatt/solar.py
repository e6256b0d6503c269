"""Solar physics: the Sun's position (NREL SPA), clear-sky irradiance, and a PV system's
output from a weather year or table (``terrawatt solar …``)."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Mapping, Optional, Union

from . import _terrawatt
from ._core import Energy, Result, UsageError, _call, _raise, flags
from ._toml import dumps as _toml

__all__ = ["position", "clearsky", "simulate"]


def _unix_seconds(times: Any, tz: Optional[str]):
    """Unix seconds (float, NaN for a missing time) of pandas, numpy or datetime times;
    naive times only with ``tz``."""
    import numpy as np

    try:
        import pandas as pd
    except ImportError:  # numpy datetime64 (UTC) or aware datetimes
        pd = None
    if tz is None and isinstance(times, np.ndarray) and times.dtype.kind == "M":
        tz = "UTC"  # numpy's datetime64 has no zone: UTC, as without pandas
    if pd is not None:
        idx = pd.DatetimeIndex(times)
        if idx.tz is None:
            if tz is None:
                raise UsageError(
                    "times: naive time stamps need tz= (an IANA zone such as 'Europe/Paris'), or give aware times"
                )
            idx = idx.tz_localize(tz, ambiguous="raise", nonexistent="raise")
        utc = idx.tz_convert("UTC").tz_localize(None)
        ns = utc.values.astype("datetime64[ns]")
    else:
        ns = np.asarray(times, dtype="datetime64[ns]")
    out = ns.astype("int64").astype("float64") / 1e9
    out[np.isnat(ns)] = np.nan
    return out


def position(
    times: Any,
    lat: float,
    lon: float,
    *,
    elevation: float = 0.0,
    pressure: float = 1013.25,
    temperature: float = 12.0,
    delta_t: float = 67.0,
    tz: Optional[str] = None,
    **options: Any,
) -> Result:
    """The Sun's position (NREL SPA, Reda & Andreas 2004) at each of ``times`` for a site,
    the kernel of ``terrawatt solar position``: apparent and true zenith and elevation,
    azimuth (° east of north), equation of time (min), declination and hour angle (°).

    ``times``: a pandas DatetimeIndex or Series, numpy datetime64 (UTC) or a list of
    datetimes; naive times need ``tz``. Options are the global ones (``country``,
    ``emissions_csv``, …). ``result.arrays`` holds the columns as numpy arrays;
    ``result.to_pandas()`` is a frame indexed by ``times``.

    >>> import pandas as pd, terrawatt
    >>> t = pd.date_range("2024-01-01", "2025-01-01", freq="1min", tz="Europe/Paris", inclusive="left")
    >>> r = terrawatt.solar.position(t, 43.6, 1.44)
    >>> r.arrays["azimuth"][:3], r.energy.joules
    """
    seconds = _unix_seconds(times, tz)
    try:
        arrays, energy, report = _terrawatt.solar_positions(
            seconds, float(lat), float(lon), float(elevation), float(pressure),
            float(temperature), float(delta_t), flags(options),
        )
    except _terrawatt.CallFailed as e:
        _raise(e)
    report = json.loads(report)
    r = Result("solar position", report["results"], "", Energy(json.loads(energy)), report, {})
    r.arrays = arrays
    r.index = times
    return r


def clearsky(**options: Any) -> Result:
    """Clear-sky irradiance (GHI, DNI, DHI) over a time range, as ``terrawatt solar
    clearsky``: ``lat``, ``lon``, ``start``, ``end``, ``freq``, ``model`` (ineichen with
    the Linke turbidity climatology, simplified_solis, haurwitz), …; ``result.table``.
    """
    return _call(["solar", "clearsky"], options, tables_out=["out"], tz=options.get("tz"))


def simulate(
    weather: Any,
    system: Union[str, "os.PathLike[str]", Mapping[str, Any], None] = None,
    **options: Any,
) -> Result:
    """A PV system's output over a weather year or table, as ``terrawatt solar
    simulate``: plane-of-array irradiance, cell temperature, DC and AC power per interval
    (``result.table``) and the year's energy, specific yield and capacity factor
    (``result.results``).

    ``weather``: a TMY3/TMY2/EPW/PSM3/PVGIS file, a table file, or a frame (pandas,
    polars, pyarrow) with a ``time`` column (or a time index) and irradiance columns found
    by name (``ghi``, ``dni``, ``dhi``, ``temp_air``, ``wind_speed``…; map others with
    ``column={"ghi": "GHI_Wm2"}``); give ``lat``/``lon`` for a table without a system
    location. ``system``: a system file or a dict of its sections, e.g.
    ``{"array": {"kwp": 5, "tilt": 30, "azimuth": 180}}`` (docs/solar.md).

    >>> r = terrawatt.solar.simulate("weather.csv", {"array": {"kwp": 5, "tilt": 30, "azimuth": 180}})
    >>> r["annual_ac_kwh"], r.table.to_pandas().head()
    """
    options = dict(options)
    workdir = None
    rename = {}
    try:
        if isinstance(system, Mapping):
            workdir = tempfile.mkdtemp(prefix="terrawatt-")
            path = os.path.join(workdir, "system.toml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(_toml(system))
            system = path
            rename[path] = "the system given as a dict"
        table = not isinstance(weather, (str, os.PathLike))
        if table:
            options.setdefault("table", True)
        return _call(
            ["solar", "simulate"],
            {"weather": weather, "system": system, **options},
            tables_in=["weather"],
            tables_out=["out"],
            tz=options.get("tz"),
            rename=rename,
        )
    finally:
        if workdir:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
