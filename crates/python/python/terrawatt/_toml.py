"""A system or site file from a dict: the TOML the command line reads."""

from __future__ import annotations

import json
from typing import Any, List, Mapping


def _value(v: Any, where: str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError(f"{where}: {v} is not a number a file can hold")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x, where) for x in v) + "]"
    raise TypeError(f"{where}: a {type(v).__name__} cannot be written to a system file")


def dumps(doc: Mapping[str, Any]) -> str:
    """TOML text of a dict of scalars, lists, tables (dicts) and arrays of tables (lists
    of dicts)."""
    lines: List[str] = []

    def table(d: Mapping[str, Any], prefix: str) -> None:
        scalars = {k: v for k, v in d.items() if not _is_table(v) and not _is_tables(v)}
        for k, v in scalars.items():
            lines.append(f"{_key(k)} = {_value(v, prefix + k)}")
        for k, v in d.items():
            name = prefix + _key(k)
            if _is_table(v):
                lines.append("")
                lines.append(f"[{name}]")
                table(v, name + ".")
            elif _is_tables(v):
                for item in v:
                    lines.append("")
                    lines.append(f"[[{name}]]")
                    table(item, name + ".")

    table(doc, "")
    return "\n".join(lines).lstrip("\n") + "\n"


def _is_table(v: Any) -> bool:
    return isinstance(v, Mapping)


def _is_tables(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(isinstance(x, Mapping) for x in v)


def _key(k: str) -> str:
    if k and all(c.isalnum() or c in "-_" for c in k):
        return k
    return json.dumps(k)
