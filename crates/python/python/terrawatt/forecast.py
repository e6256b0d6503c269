"""Forecasts of renewable output with quantiles: rolling-origin backtests scored against
persistence and climatology, and forecasts from the latest data (``terrawatt forecast
…``)."""

from __future__ import annotations

from typing import Any

from ._core import Result, _call

__all__ = ["backtest", "predict"]


def backtest(data: Any, **options: Any) -> Result:
    """A rolling-origin backtest, as ``terrawatt forecast backtest``: every forecast
    (``result.table``: origin, target, horizon, observed, forecast, quantiles, the
    references) and the skill per horizon against persistence and climatology, the
    quantile loss and the bands' coverage (``result.results``).

    ``data``: a power series (file or frame) with ``target`` and ``time_column``; a PV
    site is ``site_lat``, ``site_lon``, ``tilt`` and ``azimuth`` together (the clear-sky
    features); ``fix_time_shift`` corrects a shifted clock (``"America/Denver"``,
    ``"+60min"``);
    ``weather`` another; ``horizon``, ``interval``, ``model`` (auto, gbm, linear), ``quantiles``,
    ``intervals`` (cqr, conformal, quantile), ``start``/``end``, ``refit``, ``capacity``,
    ``site_lat``/``site_lon`` for the clear-sky features…

    >>> r = terrawatt.forecast.backtest("pv-power-15min.csv.gz", target="ac_power",
    ...         interval="15min", horizon="1h", capacity=5000, site_lat=43.6, site_lon=1.44,
    ...         tilt=30, azimuth=180, quantiles="0.1,0.9", start="2024-06-01", end="2024-06-08")
    >>> r["per_horizon"][-1]["skill_vs_persistence"], r.table.to_pandas()
    """
    return _forecast("backtest", data, options)


def predict(data: Any, **options: Any) -> Result:
    """Forecasts from the end of ``data`` (``result.table``), as ``terrawatt forecast
    predict``: the same options as :func:`backtest`."""
    return _forecast("predict", data, options)


def _forecast(command: str, data: Any, options: Any) -> Result:
    """`forecast COMMAND`: the series, the weather and a power curve may be frames."""
    return _call(
        ["forecast", command],
        {"data": data, **options},
        tables_in=["data", "weather", "power_curve"],
        tables_out=["out"],
        tz=options.get("tz"),
    )
