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

    ``data``: a power series (file or frame) with ``target`` and ``time_column``;
    ``weather`` another; ``horizon``, ``interval``, ``model`` (gbm, linear), ``quantiles``,
    ``intervals`` (cqr, conformal, gbm), ``start``/``end``, ``refit``, ``capacity``,
    ``site_lat``/``site_lon`` for the clear-sky features…

    >>> r = terrawatt.forecast.backtest(pv, target="power", horizon="1h", capacity=5000,
    ...                                 site_lat=39.74, site_lon=-105.18)
    >>> r["skill"], r.table.to_pandas()
    """
    return _call(
        ["forecast", "backtest"],
        {"data": data, **options},
        tables_in=["data", "weather", "power_curve"],
        tables_out=["out"],
        tz=options.get("tz"),
    )


def predict(data: Any, **options: Any) -> Result:
    """Forecasts from the end of ``data`` (``result.table``), as ``terrawatt forecast
    predict``: the same options as :func:`backtest`."""
    return _call(
        ["forecast", "predict"],
        {"data": data, **options},
        tables_in=["data", "weather", "power_curve"],
        tables_out=["out"],
        tz=options.get("tz"),
    )
