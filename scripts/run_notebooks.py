#!/usr/bin/env python3
"""Runs the notebooks of a folder, or checks that they are stored without outputs.

    python scripts/run_notebooks.py notebooks                   # execute every notebook
    python scripts/run_notebooks.py --check-stripped notebooks  # no outputs, no counts

Each notebook is executed in memory with nbclient (kernel python3, its own folder as the
working directory, 600 s per cell); the files are never written. One line per notebook:
``notebook NAME ... ok (N.N s)``, or ``... FAILED`` followed by the error. The exit status
is 1 when any notebook failed (or none was found), else 0.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import List

import nbformat

CELL_TIMEOUT_S = 600
KERNEL = "python3"


def notebooks(paths: List[str]) -> List[Path]:
    """The .ipynb files of the folders (sorted by name) and the files given."""
    found: List[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(
                f for f in p.glob("*.ipynb") if ".ipynb_checkpoints" not in f.parts
            )
        elif p.suffix == ".ipynb" and p.is_file():
            found.append(p)
        else:
            raise SystemExit(f"run_notebooks: {p}: not a folder or a notebook")
    return found


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def indented(text: str) -> str:
    """The text indented under its notebook's line, without the traceback's colours."""
    return "\n".join("    " + line for line in ANSI.sub("", text).rstrip().splitlines())


def execute(path: Path) -> bool:
    """Executes one notebook in memory; prints its line; True when every cell ran."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    start = time.perf_counter()
    try:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb,
            timeout=CELL_TIMEOUT_S,
            kernel_name=KERNEL,
            resources={"metadata": {"path": str(path.parent.resolve())}},
        ).execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        error = str(e)
    except Exception as e:  # not a notebook, the kernel did not start…
        error = f"{type(e).__name__}: {e}"
    else:
        error = None
    seconds = time.perf_counter() - start
    # the line is printed once the notebook has run: the kernel's own messages (stderr)
    # come before it, not inside it
    if error is None:
        print(f"notebook {path.name} ... ok ({seconds:.1f} s)", flush=True)
        return True
    print(f"notebook {path.name} ... FAILED ({seconds:.1f} s)")
    print(indented(error), flush=True)
    return False


def check_stripped(path: Path) -> bool:
    """True when no code cell of the notebook has outputs or an execution count."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:
        print(f"notebook {path.name} ... FAILED (not read)")
        print(indented(f"{type(e).__name__}: {e}"))
        return False
    problems = []
    for i, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {i} has {len(cell.outputs)} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {i} has execution_count {cell.execution_count}")
    if problems:
        print(f"notebook {path.name} ... FAILED (not stripped)")
        print(indented("\n".join(problems)))
        return False
    print(f"notebook {path.name} ... ok (stripped)")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", metavar="FOLDER", help="a folder of notebooks (or notebook files)")
    parser.add_argument(
        "--check-stripped",
        action="store_true",
        help="do not execute: fail if any code cell has outputs or an execution count",
    )
    args = parser.parse_args()
    found = notebooks(args.paths)
    if not found:
        print(f"no notebooks in {', '.join(args.paths)}")
        return 1
    check = check_stripped if args.check_stripped else execute
    failed = [p.name for p in found if not check(p)]
    if failed:
        print(f"{len(failed)} of {len(found)} notebooks failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
