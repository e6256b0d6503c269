"""The pieces every module shares: errors, the energy record, tables, results, and the
call of a command with its tables in and out."""

from __future__ import annotations

import json
import os
import warnings
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _terrawatt

PathLike = Union[str, "os.PathLike[str]"]


# --------------------------------------------------------------------------------------
# errors


class Error(Exception):
    """A terrawatt call failed. ``message`` is the command line's own message (what
    ``terrawatt`` prints after ``error:``); ``energy`` is the energy spent before the
    failure (an :class:`Energy`, or None where nothing ran)."""

    def __init__(self, message: str, energy: Optional["Energy"] = None):
        super().__init__(message)
        self.message = message
        self.energy = energy


class TerrawattWarning(UserWarning):
    """What a call found that the user should know, though it is not an error (a class map
    surrounded by an undeclared fill, bands calibrated on few pairs…): the command line's
    ``warning:`` lines, in ``result.text`` or, for rasters, ``result.results["warnings"]``."""


class UsageError(Error, ValueError):
    """An option the command does not take, or a value it does not read: nothing ran."""


class SettingsError(Error, ValueError):
    """A setting refused before any work: an output that is an input, a missing output
    folder, an unknown country code, a bad PUE."""


class TaskError(Error):
    """The task failed on its input: a missing file or column, a bad row, a gap."""


_KINDS = {"usage": UsageError, "settings": SettingsError, "task": TaskError}


def _raise(failed: BaseException, rename: Mapping[str, str] = {}) -> None:
    kind, message, energy = failed.args
    for path, name in rename.items():
        message = message.replace(path, name)
    raise _KINDS.get(kind, Error)(
        message, Energy(json.loads(energy)) if energy else None
    ) from None


# --------------------------------------------------------------------------------------
# energy


class Energy:
    """The energy and carbon of a call, with its method and band, as the command line's
    report gives them.

    >>> r = terrawatt.energy.info()
    >>> r.energy.joules, r.energy.co2e_g, r.energy.method, r.energy.uncertainty
    """

    def __init__(self, report: Dict[str, Any]):
        self.report: Dict[str, Any] = report
        #: IT energy × PUE attributed to the call, J
        self.joules: float = report["joules"]
        #: operational + embodied carbon, gCO2e
        self.co2e_g: float = report["co2e_g"]
        #: where the figure comes from: a counter (rapl, perf, hwmon) or the power model
        self.method: str = report["method"]
        #: relative uncertainty (the larger side of the band): 0.4 is ±40 %
        self.uncertainty: float = report["uncertainty"]
        #: True for a modelled figure
        self.estimate: bool = report["estimate"]
        #: (low, high) joules
        self.band: Tuple[float, float] = (report["joules_low"], report["joules_high"])
        self.wh: float = report["wh"]
        self.g_per_kwh: float = report["g_per_kwh"]
        #: the Software Carbon Intensity (unit, units, g_per_unit) where the task names a
        #: functional unit, else None
        self.sci: Optional[Dict[str, Any]] = report.get("sci")
        #: the span tree: wall and CPU time and energy of every phase
        self.span: Dict[str, Any] = report["span"]

    @property
    def line(self) -> str:
        """The energy line the command line prints after every command."""
        return _terrawatt.energy_line(json.dumps(self.report))

    def __repr__(self) -> str:
        return f"<Energy {self.line}>"


# --------------------------------------------------------------------------------------
# tables


def _timestamp_columns(schema) -> List[str]:
    import pyarrow as pa

    return [f.name for f in schema if pa.types.is_timestamp(f.type) and f.type.tz == "UTC"]


class Table:
    """A table a call gave back. It has ``__arrow_c_stream__``, so ``pyarrow.table(t)``,
    ``polars.DataFrame(t)`` and ``pandas.DataFrame.from_arrow(t)`` (pandas ≥ 3) read it
    as is; ``to_pandas()``, ``to_polars()`` and ``to_pyarrow()`` convert it. Time stamps
    are instants; where the input's time zone is known (``tz``) they are shown in it."""

    def __init__(self, inner: "_terrawatt.ArrowTable", tz: Optional[str] = None, path: Optional[Path] = None):
        self._inner = inner
        #: the zone the times are shown in: the input's, or the one offset the file's
        #: stamps were written with
        self.tz = tz or inner.offset
        #: the file the command wrote, where it wrote one the caller named
        self.path = path

    def __arrow_c_stream__(self, requested_schema=None):
        if self.tz is None or self.tz == "UTC":
            return self._inner.__arrow_c_stream__(requested_schema)
        return self.to_pyarrow().__arrow_c_stream__(requested_schema)

    @property
    def num_rows(self) -> int:
        return self._inner.num_rows

    @property
    def columns(self) -> List[str]:
        return self._inner.column_names

    def __len__(self) -> int:
        return self._inner.num_rows

    def to_pyarrow(self):
        """A ``pyarrow.Table`` (time stamps in ``tz`` where known)."""
        import pyarrow as pa

        t = pa.table(self._inner)
        if self.tz and self.tz != "UTC":
            fields = [
                pa.field(f.name, pa.timestamp(f.type.unit, self.tz), f.nullable)
                if f.name in _timestamp_columns(t.schema)
                else f
                for f in t.schema
            ]
            t = t.cast(pa.schema(fields))
        return t

    def to_pandas(self):
        """A ``pandas.DataFrame`` (needs pyarrow); missing values stay missing."""
        return self.to_pyarrow().to_pandas()

    def to_polars(self):
        """A ``polars.DataFrame``."""
        import polars as pl

        df = pl.DataFrame(self._inner)
        zone = _iana(self.tz) if self.tz else None
        if zone and zone != "UTC":
            cols = [
                c
                for c, t in df.schema.items()
                if isinstance(t, pl.Datetime) and t.time_zone == "UTC"
            ]
            df = df.with_columns([pl.col(c).dt.convert_time_zone(zone) for c in cols])
        return df

    def __repr__(self) -> str:
        head = f"<Table: {self.num_rows} rows × {len(self.columns)} columns"
        if self.tz:
            head += f", times in {self.tz}"
        head += ">"
        try:
            return head + "\n" + repr(self.to_pandas().head(10))
        except ImportError:
            return head + "\ncolumns: " + ", ".join(self.columns)


def _iana(tz: str) -> Optional[str]:
    """A zone polars takes: an IANA name as is; a fixed offset of whole hours as the
    Etc/GMT zone of the same offset (its sign inverted, as POSIX has it); else None."""
    if not tz or tz[0] not in "+-":
        return tz
    hours, _, minutes = tz[1:].partition(":")
    if minutes not in ("", "00"):
        return None
    h = int(hours)
    return "UTC" if h == 0 else f"Etc/GMT{'-' if tz[0] == '+' else '+'}{h}"


def read_table(path: PathLike, tz: Optional[str] = None) -> Table:
    """Reads a table a command wrote (CSV, gzipped CSV or Parquet); time stamps with UTC
    offsets become instants."""
    return Table(_terrawatt.read_table(os.fspath(path)), tz=tz, path=Path(path))


def _is_table(value: Any) -> bool:
    return hasattr(value, "__arrow_c_stream__") or type(value).__name__ == "DataFrame"


def _prepared(value: Any) -> Any:
    """A pandas frame indexed by time (pvlib's habit) gets its index as a column (named
    ``time`` where it has no name); a named index, as a column of its name. An unnamed
    index that is not of times (the row labels left by ``df.sample``, ``df[mask]`` or
    ``df.dropna()``) is dropped, not made a column: it had become a feature named ``time``.
    An index whose name is already a column is dropped too."""
    mod = type(value).__module__
    if mod.startswith("pandas") and type(value).__name__ == "DataFrame":
        kind = type(value.index).__name__
        if kind == "RangeIndex":
            return value
        timed = kind in ("DatetimeIndex", "PeriodIndex")
        name = value.index.name or ("time" if timed else None)
        if name is None or name in value.columns:
            value = value.reset_index(drop=True)
        else:
            value = value.rename_axis(name).reset_index()
    return value


# --------------------------------------------------------------------------------------
# results


class Result:
    """What a call gives back: ``results`` (the JSON report's results, as a dict),
    ``text`` (what the command prints), ``energy`` (an :class:`Energy`), ``report`` (the
    whole JSON report, as ``--report`` writes it), and ``tables``: the tables it wrote,
    by option name (``result.table`` is the first)."""

    def __init__(self, command: str, results: Dict[str, Any], text: str, energy: Energy, report: Dict[str, Any], tables: Dict[str, Table]):
        self.command = command
        self.results = results
        self.text = text
        self.energy = energy
        self.report = report
        self.tables = tables
        #: array results (numpy), by column, where the call gives arrays
        self.arrays: Optional[Dict[str, Any]] = None
        #: what the arrays are indexed by (the caller's times)
        self.index: Any = None

    def to_pandas(self):
        """The main result as a pandas frame: the arrays indexed by the caller's times, or
        the main table."""
        if self.arrays is not None:
            import pandas as pd

            index = pd.DatetimeIndex(self.index) if self.index is not None else None
            return pd.DataFrame(self.arrays, index=index)
        if self.table is None:
            raise ValueError(f"{self.command} gave no table")
        return self.table.to_pandas()

    def to_polars(self):
        """The main result as a polars frame."""
        if self.arrays is not None:
            import polars as pl

            return pl.DataFrame(self.arrays)
        if self.table is None:
            raise ValueError(f"{self.command} gave no table")
        return self.table.to_polars()

    @property
    def table(self) -> Optional[Table]:
        """The main table the call wrote, or None."""
        return next(iter(self.tables.values()), None)

    def __getitem__(self, key: str) -> Any:
        return self.results[key]

    def __contains__(self, key: str) -> bool:
        return key in self.results

    def __repr__(self) -> str:
        text = self.text.rstrip("\n")
        tables = "".join(f"\n{name}: {t.num_rows} rows × {len(t.columns)} columns" for name, t in self.tables.items())
        if self.arrays:
            n = len(next(iter(self.arrays.values())))
            tables += f"\narrays: {n} rows of " + ", ".join(self.arrays)
        return f"<terrawatt {self.command}>\n{text}{tables}\n{self.energy.line}"


# --------------------------------------------------------------------------------------
# options and the call


def flags(options: Mapping[str, Any]) -> List[str]:
    """Keyword options as the command line's flags: ``grid_intensity=300`` is
    ``--grid-intensity 300``, ``True`` a bare flag, ``False``/``None`` left out, a list
    repeats the flag, a dict gives ``NAME=VALUE`` pairs (``column={"ghi": "GHI"}``)."""
    out: List[str] = []
    for key, value in options.items():
        value = _scalar(value)
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            out.append(flag)
        elif isinstance(value, Mapping):
            for k, v in value.items():
                out += [flag, f"{k}={v}"]
        elif isinstance(value, (list, tuple)):
            for v in value:
                out += [flag, _text(v)]
        else:
            out += [flag, _text(value)]
    return out


def _scalar(value: Any) -> Any:
    """A numpy scalar (``np.float64(300)``, ``np.False_``) as the Python value it holds:
    numpy 2 writes ``np.float64(300.0)`` as its text, and ``np.False_`` is not ``False``."""
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value


def _text(value: Any) -> str:
    value = _scalar(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, float):
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _relabelled(value: Any, rename: Mapping[str, str]) -> Any:
    """`value` with every string naming a temporary file (gone after the call) replaced by
    what it stood for ("the table given as weather", "result.tables['out']")."""
    if isinstance(value, dict):
        return {k: _relabelled(v, rename) for k, v in value.items()}
    if isinstance(value, list):
        return [_relabelled(v, rename) for v in value]
    if isinstance(value, str) and value in rename:
        return rename[value]
    return value


def run(*command: str, **options: Any) -> Result:
    """Runs any command of the command line in this process, e.g.
    ``terrawatt.run("solar", "position", lat=43.6, lon=1.44, start=..., end=..., out="p.csv")``.
    Options are keywords (see :func:`flags`); nothing is printed. Tables are files here:
    the modules' functions take and give frames."""
    return _call(list(command), options)


class _Calls:
    """The calls running in this process: whether another one ran during a call's span."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._started = 0

    def enter(self) -> Tuple[bool, int]:
        with self._lock:
            alone = self._running == 0
            self._running += 1
            self._started += 1
            return (not alone, self._started)

    def leave(self, entered: Tuple[bool, int]) -> bool:
        with self._lock:
            self._running -= 1
            # others running at entry, or started since (they overlapped this call)
            return entered[0] or self._started != entered[1] or self._running > 0


_calls = _Calls()


def _call(
    command: Sequence[str],
    options: Mapping[str, Any],
    tables_in: Iterable[str] = (),
    tables_out: Iterable[str] = (),
    tz: Optional[str] = None,
    extra: Sequence[str] = (),
    rename: Mapping[str, str] = {},
) -> Result:
    """Calls a command: each option named in ``tables_in`` may be a frame (written to a
    Parquet file for the task to read); each named in ``tables_out`` is read back as a
    :class:`Table` (to a temporary file where the caller gives none)."""
    options = dict(options)
    workdir = None
    rename = dict(rename)
    try:
        for name in tables_in:
            value = options.get(name)
            if value is not None and not _is_table(value) and not isinstance(value, (str, os.PathLike)):
                raise TypeError(
                    f"{name}: a table is expected (a pandas ≥ 2.2, polars or pyarrow table, or a file path), got {type(value).__name__}"
                )
            if value is not None and _is_table(value):
                workdir = workdir or tempfile.mkdtemp(prefix="terrawatt-")
                path = os.path.join(workdir, f"{name}.parquet")
                _, _, frame_tz = _terrawatt.write_parquet(_prepared(value), path, name)
                tz = tz or frame_tz
                options[name] = path
                rename[path] = f"the table given as {name}"
        outputs: Dict[str, Tuple[str, bool]] = {}
        for name in tables_out:
            given = options.get(name)
            if given is None or given is True:
                workdir = workdir or tempfile.mkdtemp(prefix="terrawatt-")
                path = os.path.join(workdir, f"{name}.csv")
                options[name] = path
                outputs[name] = (path, False)
                rename[path] = f"the result's tables['{name}']"
            elif given is not False:
                outputs[name] = (os.fspath(given), True)
        args = list(command) + flags(options) + list(extra)
        overlapped = _calls.enter()
        try:
            cmd, results, text, energy, report = _terrawatt.call(args)
        except _terrawatt.CallFailed as e:
            _raise(e, rename)
        finally:
            overlapped = _calls.leave(overlapped)
        tables = {
            name: Table(_terrawatt.read_table(path), tz=tz, path=Path(path) if kept else None)
            for name, (path, kept) in outputs.items()
            if os.path.exists(path)
        }
        results, report = json.loads(results), json.loads(report)
        for path, label in rename.items():
            text = text.replace(path, label)
        results, report = _relabelled(results, rename), _relabelled(report, rename)
        said = [line[len("warning: "):] for line in text.splitlines() if line.startswith("warning: ")]
        if isinstance(results, dict):
            said += [w for w in results.get("warnings") or [] if w not in said]
        if overlapped:
            said.append(
                "another terrawatt call ran in this process at the same time: a call's energy is "
                "the process's over its span (its counters are process-wide), so calls run at "
                "once each count the others' work too, and their sum is too large; measure "
                "the whole block with terrawatt.meter"
            )
        for message in said:
            warnings.warn(message, TerrawattWarning, stacklevel=3)
        return Result(cmd, results, text, Energy(json.loads(energy)), report, tables)
    finally:
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
