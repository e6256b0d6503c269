"""Wind: profiles to hub height, air density, turbine power curves and farms with wakes
(``terrawatt wind …``)."""

from __future__ import annotations

from typing import Any

from ._core import Result, _call

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
    return _call(
        ["wind", "simulate"],
        {"weather": weather, **options},
        tables_in=["weather", "power_curve"],
        tables_out=["out"],
    )
