"""Wind: profiles to hub height, air density, turbine power curves and farms with wakes
(``terrawatt wind …``)."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from ._core import Result, UsageError, _call

__all__ = ["simulate"]


def simulate(weather: Any, **options: Any) -> Result:
    """A turbine's or a farm's output over a weather series, as ``terrawatt wind
    simulate``: wind speed at hub height, air density, power per hour (``result.table``)
    and the year's energy and capacity factor (``result.results``).

    ``weather``: a windpowerlib-style weather file or a frame; the turbine by ``turbine``
    (a name from the library), ``power_curve`` (a file or a frame of ``wind_speed``,
    ``power``), or ``rated_kw`` / ``rotor_diameter`` / ``cut_in`` / ``rated_speed`` /
    ``cut_out`` for a generic curve; ``farm`` for a farm file; ``hub_height``,
    ``wind_speed_model`` (logarithmic, hellman, interpolation_extrapolation),
    ``density_model``…

    >>> r = terrawatt.wind.simulate("wind-weather.csv", turbine="E-126/4200", hub_height=135)
    >>> r["annual_energy_mwh"], r.energy.joules
    """
    workdir = None
    if type(weather).__name__ == "DataFrame" and type(weather).__module__.startswith("pandas"):
        workdir = tempfile.mkdtemp(prefix="terrawatt-")
        weather = _windpowerlib_csv(weather, os.path.join(workdir, "weather.csv"))
    try:
        return _call(
            ["wind", "simulate"],
            {"weather": weather, **options},
            tables_in=["weather", "power_curve"],
            tables_out=["out"],
        )
    finally:
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def _windpowerlib_csv(frame: Any, path: str) -> str:
    """A pandas frame in windpowerlib's layout (two column levels, variable name and
    height in m, as ``pd.read_csv(…, header=[0, 1], index_col=0)`` reads its files; times
    with a UTC offset as the index) written as the weather file the command reads."""
    cols = frame.columns
    if getattr(cols, "nlevels", 1) != 2:
        raise UsageError(
            "wind weather as a frame needs windpowerlib's two column levels (variable "
            "name, height in m), as pd.read_csv(path, header=[0, 1], index_col=0) reads "
            f"its files; this frame's columns are {list(cols)[:6]}"
        )
    index = frame.index
    if getattr(index, "tz", None) is None:
        raise UsageError(
            "wind weather as a frame needs its times as the index with a time zone "
            "(tz-aware DatetimeIndex): naive times are not instants"
        )
    lines = [
        ",".join(["variable_name"] + [str(c[0]) for c in cols]),
        ",".join(["height"] + [str(c[1]) for c in cols]),
    ]
    for t, row in zip(index, frame.itertuples(index=False, name=None)):
        cells = ["" if v != v else repr(float(v)) for v in row]
        lines.append(",".join([t.isoformat()] + cells))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path
