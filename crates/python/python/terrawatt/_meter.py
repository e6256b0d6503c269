"""A meter for Python code, with the command line's meter, carbon settings and outputs."""

from __future__ import annotations

import contextvars
import functools
import json
from typing import Any, Callable, Dict, Optional

from . import _terrawatt
from ._core import Energy, UsageError, _raise, flags

_current: contextvars.ContextVar[Optional["meter"]] = contextvars.ContextVar(
    "terrawatt_meter", default=None
)


class meter:
    """Measures the enclosed code's energy and carbon, as a command is measured: the same
    sources (RAPL, perf, hwmon counters, or the power model), the same attribution of the
    machine's energy to this process, the same band.

    >>> with terrawatt.meter("training", country="FR", emissions_csv="emissions.csv") as m:
    ...     model.fit(X, y)
    >>> m.energy.joules, m.energy.co2e_g, m.energy.uncertainty
    >>> m.report()                    # the JSON report, as a dict

    Options are the command line's global options as keywords (``country``,
    ``grid_intensity``, ``cloud_region``, ``pue``, ``embodied_kgco2e``,
    ``emissions_csv``, ``project_name``, ``experiment_id``, ``report``, ``energy_model``,
    …): ``emissions_csv`` appends a CodeCarbon-format row, ``report`` writes the JSON
    report. A meter without options opened inside another (in the same thread or task)
    is a phase of it: its record joins the outer meter's span tree. A meter with options
    of its own is a run of its own, wherever it is opened.

    The figure is the process's: CPU time of every thread of this process counts,
    whichever thread opened the meter.
    """

    def __init__(self, name: str = "python", **options: Any):
        self.name = name
        self.options = options
        #: the energy record, once the block has run
        self.energy: Optional[Energy] = None
        self._report: Optional[Dict[str, Any]] = None
        self._span = None
        self._parent: Optional[meter] = None
        self._token = None

    def __enter__(self) -> "meter":
        if self._span is not None:
            raise UsageError(f"the meter '{self.name}' is already running")
        parent = _current.get()
        try:
            if parent is None or self.options:
                parent = None
                self._span = _terrawatt.Span(self.name, flags(self.options))
            else:
                self._span = parent._span.child(self.name)
        except _terrawatt.CallFailed as e:
            _raise(e)
        self._parent = parent
        self._token = _current.set(self)
        return self

    def __exit__(self, *exc: Any) -> bool:
        _current.reset(self._token)
        span, self._span = self._span, None
        try:
            if self._parent is None:
                energy, report = span.finish()
                self._report = json.loads(report)
            else:
                energy = span.finish_into(self._parent._span)
            self.energy = Energy(json.loads(energy))
        except _terrawatt.CallFailed as e:
            _raise(e)
        return False

    def report(self) -> Dict[str, Any]:
        """The JSON report (command, start, results, energy) as a dict; for a phase, its
        energy record alone."""
        if self.energy is None:
            raise UsageError(f"the meter '{self.name}' has not finished")
        return self._report if self._report is not None else {"energy": self.energy.report}

    def __repr__(self) -> str:
        if self.energy is None:
            return f"<meter '{self.name}' (running)>" if self._span else f"<meter '{self.name}'>"
        return f"<meter '{self.name}': {self.energy.line}>"


def metered(func: Optional[Callable] = None, *, name: Optional[str] = None, **options: Any):
    """A decorator: every call of the function runs inside a :class:`meter` (named after
    the function unless ``name`` is given); the last call's meter is ``f.last_meter``.

    >>> @terrawatt.metered(country="FR", emissions_csv="emissions.csv")
    ... def train(X, y): ...
    """

    def wrap(f: Callable) -> Callable:
        @functools.wraps(f)
        def inner(*args: Any, **kwargs: Any) -> Any:
            m = meter(name or f.__qualname__, **options)
            inner.last_meter = m
            with m:
                return f(*args, **kwargs)

        inner.last_meter = None
        return inner

    return wrap(func) if func is not None else wrap
