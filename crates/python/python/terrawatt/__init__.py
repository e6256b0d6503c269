"""terrawatt: AI-for-climate analytics that measures its own energy and carbon footprint.

Every function runs the same task as the ``terrawatt`` command line (in this process, the
interpreter released while it computes) and returns a :class:`Result`: its ``results``
(the JSON report's), its ``text``, its ``tables`` and its ``energy``
(``result.energy.joules``, ``.co2e_g``, ``.method``, ``.uncertainty``, ``.sci``).

Modules mirror the pillars: :mod:`terrawatt.solar`, :mod:`terrawatt.wind`,
:mod:`terrawatt.forecast`, :mod:`terrawatt.building`, :mod:`terrawatt.raster`,
:mod:`terrawatt.energy`. Tables in are pandas (≥ 2.2), polars or pyarrow frames (or file
paths); tables out read into any of them. ``terrawatt.meter`` measures your own Python code.

>>> import terrawatt
>>> with terrawatt.meter("training", country="FR") as m:
...     fit_my_model()
>>> m.energy.joules, m.energy.co2e_g
"""

from ._core import (
    Energy,
    Error,
    Result,
    SettingsError,
    Table,
    TaskError,
    TerrawattWarning,
    UsageError,
    flags,
    read_table,
    run,
)
from ._meter import meter, metered
from . import building, energy, forecast, raster, solar, wind
from ._terrawatt import version as _version

__version__ = _version()

__all__ = [
    "Energy",
    "Error",
    "Result",
    "SettingsError",
    "Table",
    "TaskError",
    "TerrawattWarning",
    "UsageError",
    "building",
    "energy",
    "flags",
    "forecast",
    "meter",
    "metered",
    "raster",
    "read_table",
    "run",
    "solar",
    "wind",
]
