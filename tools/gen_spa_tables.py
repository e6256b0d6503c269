"""Write the periodic-term tables of NREL's Solar Position Algorithm (SPA).

Outputs (UTF-8, "\\n" line endings, no comment lines):

* crates/solar/data/spa_terms.csv     -- Earth periodic terms, Reda & Andreas
  (2004, NREL/TP-560-34302, revised 2008), Table A4.2: series L0..L5 (heliocentric
  longitude), B0..B1 (latitude), R0..R4 (radius vector); columns
  ``series,index,A,B,C`` (index is the row number within the series, from 0).
* crates/solar/data/spa_nutation.csv  -- periodic terms for the nutation in
  longitude and obliquity, Table A4.3: 63 rows, columns ``y0,y1,y2,y3,y4,a,b,c,d``
  (Y0..Y4 integer multipliers of X0..X4; a, b the coefficients of delta-psi,
  c, d those of delta-epsilon; the table's blank cells are 0).

The numbers are taken from the copy of those tables that pvlib ships as arrays in
``pvlib.spa`` (L0..R4, NUTATION_YTERM_ARRAY, NUTATION_ABCD_ARRAY). The script checks
the paper's row counts and a few anchor rows before writing. Each number is written
as Python's ``repr`` of the float with a trailing ``.0`` dropped, which is the form the
paper prints (``175347046``, ``4.6692568``, ``4694``); every written number parses
back to the same float.

Rerun from the repository root:

    python3 -m venv /tmp/venv-pvlib && /tmp/venv-pvlib/bin/pip install pvlib pandas numpy
    /tmp/venv-pvlib/bin/python tools/gen_spa_tables.py

The output is deterministic (rows in table order).
"""

import sys
from pathlib import Path

import numpy as np
import pvlib
import pvlib.spa as spa

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "crates" / "solar" / "data"

# Rows per series in Table A4.2 and in Table A4.3.
EARTH_ROWS = {
    "L0": 64, "L1": 34, "L2": 20, "L3": 7, "L4": 3, "L5": 1,
    "B0": 5, "B1": 2,
    "R0": 40, "R1": 10, "R2": 6, "R3": 2, "R4": 1,
}
NUTATION_ROWS = 63

# A few rows as the paper prints them, to catch a reordered or edited copy.
EARTH_ANCHORS = {
    ("L0", 0): (175347046.0, 0.0, 0.0),
    ("L0", 1): (3341656.0, 4.6692568, 6283.07585),
    ("L0", 63): (25.0, 3.16, 4690.48),
    ("L1", 0): (628331966747.0, 0.0, 0.0),
    ("L2", 0): (52919.0, 0.0, 0.0),
    ("L3", 0): (289.0, 5.844, 6283.076),
    ("L4", 0): (114.0, 3.142, 0.0),
    ("L5", 0): (1.0, 3.14, 0.0),
    ("B0", 0): (280.0, 3.199, 84334.662),
    ("B1", 1): (6.0, 1.73, 5223.69),
    ("R0", 0): (100013989.0, 0.0, 0.0),
    ("R0", 39): (26.0, 4.59, 10447.39),
    ("R1", 0): (103019.0, 1.10749, 6283.07585),
    ("R2", 0): (4359.0, 5.7846, 6283.0758),
    ("R3", 0): (145.0, 4.273, 6283.076),
    ("R4", 0): (4.0, 2.56, 6283.08),
}
NUTATION_ANCHORS = {
    0: ((0, 0, 0, 0, 1), (-171996.0, -174.2, 92025.0, 8.9)),
    1: ((-2, 0, 0, 2, 2), (-13187.0, -1.6, 5736.0, -3.1)),
    62: ((2, -1, 0, 2, 2), (-3.0, 0.0, 0.0, 0.0)),
}


def fmt(x):
    """The paper's form of a table number: repr without a trailing '.0'."""
    x = float(x)
    if x == 0.0:
        x = 0.0  # no "-0"
    s = repr(x)
    if s.endswith(".0"):
        s = s[:-2]
    if float(s) != x:
        raise ValueError(f"{x!r} does not round-trip as {s}")
    return s


def check():
    errors = []
    for name, n in EARTH_ROWS.items():
        arr = getattr(spa, name)
        if arr.shape != (n, 3):
            errors.append(f"{name}: shape {arr.shape}, expected ({n}, 3)")
    y = spa.NUTATION_YTERM_ARRAY
    abcd = spa.NUTATION_ABCD_ARRAY
    if y.shape != (NUTATION_ROWS, 5):
        errors.append(f"nutation Y: shape {y.shape}, expected ({NUTATION_ROWS}, 5)")
    if abcd.shape != (NUTATION_ROWS, 4):
        errors.append(f"nutation abcd: shape {abcd.shape}, expected ({NUTATION_ROWS}, 4)")
    if not np.array_equal(y, np.round(y)):
        errors.append("nutation Y: non-integer multiplier")
    for (name, i), row in EARTH_ANCHORS.items():
        got = tuple(float(v) for v in getattr(spa, name)[i])
        if got != row:
            errors.append(f"{name}[{i}] = {got}, paper {row}")
    for i, (yrow, crow) in NUTATION_ANCHORS.items():
        gy = tuple(int(v) for v in y[i])
        gc = tuple(float(v) for v in abcd[i])
        if gy != yrow or gc != crow:
            errors.append(f"nutation[{i}] = {gy} {gc}, paper {yrow} {crow}")
    if errors:
        sys.exit("pvlib's SPA tables do not match the paper:\n  " + "\n  ".join(errors))


def main():
    check()
    OUT.mkdir(parents=True, exist_ok=True)

    lines = ["series,index,A,B,C"]
    for name in EARTH_ROWS:
        for i, (a, b, c) in enumerate(getattr(spa, name)):
            lines.append(f"{name},{i},{fmt(a)},{fmt(b)},{fmt(c)}")
    (OUT / "spa_terms.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    lines = ["y0,y1,y2,y3,y4,a,b,c,d"]
    for yrow, crow in zip(spa.NUTATION_YTERM_ARRAY, spa.NUTATION_ABCD_ARRAY):
        ys = [str(int(v)) for v in yrow]
        cs = [fmt(v) for v in crow]
        lines.append(",".join(ys + cs))
    (OUT / "spa_nutation.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    total = sum(EARTH_ROWS.values())
    counts = ", ".join(f"{k} {v}" for k, v in EARTH_ROWS.items())
    print(f"pvlib {pvlib.__version__}")
    print(f"spa_terms.csv: {total} rows ({counts})")
    print(f"spa_nutation.csv: {NUTATION_ROWS} rows")


if __name__ == "__main__":
    main()
