"""Energy and carbon: this machine's sources and power model, grid intensities, the
greenest time to run, and the meter for your own code (``terrawatt energy …``)."""

from __future__ import annotations

from typing import Any

from ._core import Result, _call
from ._meter import meter, metered

__all__ = ["info", "countries", "regions", "when", "meter", "metered"]


def info(**options: Any) -> Result:
    """What the meter reads on this machine: the sources probed (RAPL, perf, hwmon), the
    power model, the CPU; as ``terrawatt energy info``."""
    return _call(["energy", "info"], options)


def countries(**options: Any) -> Result:
    """The grid intensity of every country the meter knows."""
    return _call(["energy", "countries"], options)


def regions(**options: Any) -> Result:
    """The grid intensity of every cloud region the meter knows."""
    return _call(["energy", "regions"], options)


def when(**options: Any) -> Result:
    """The greenest window to run a job in, from an hourly intensity series, as
    ``terrawatt energy when``."""
    return _call(["energy", "when"], options)
